"""Anonymizing on an existing Ray cluster of two nodes gives the bytes one local worker writes.

The cluster is started here: a head and a second node, one CPU each, each a ``ray start --block``
in a process group of its own, given ``--node-ip-address=127.0.0.1``. (This Ray turns a loopback
node address into the machine's own, so the cluster also takes a fresh random token, given to
its nodes and to the driver only, and lives only as long as the test.) The driver is the
``workgym anonymize --executor ray --address`` command, in a process of its own, so that no Ray
state of this test process is shared with it. Teardown ends the two process groups (the nodes
and every process they started) by their ids, whatever the test did; ``ray stop --force`` is not
used, because it stops every Ray process of the machine, other programs' clusters included.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from workgym.anonymize.config import AnonConfig
from workgym.anonymize.directory import build_directory
from workgym.anonymize.keys import keygen
from workgym.anonymize.rewrite import Plan
from workgym.anonymize.run import (
    _STATE,
    _chunks,
    _init,
    _people,
    _rewrite_chunk,
    _rows,
    anonymize_workspace,
)
from workgym.store import connect

START_SECONDS = 120
"""How long the cluster may take to come up on a loaded machine before the test fails."""
RUN_SECONDS = 300
"""How long anonymizing the sample on the cluster may take."""

_NODES_UP = """
import sys, time, ray
ray.init(address=sys.argv[1], log_to_driver=False)
deadline = time.monotonic() + float(sys.argv[2])
while sum(1 for n in ray.nodes() if n["Alive"] and n["Resources"].get("CPU")) < 2:
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.5)
"""
"""Exits 0 once the cluster at argv[1] has two live nodes with a CPU each."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its address and what a driver's environment needs to join it."""

    address: str
    env: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        pytest.skip(f"the {name} command is not installed beside this Python")
    return found


def _start_node(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [_command("ray"), "start", "--block", "--num-cpus=1", "--node-ip-address=127.0.0.1",
             "--disable-usage-stats", f"--dashboard-agent-listen-port={_free_port()}",
             f"--metrics-export-port={_free_port()}", *args],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )  # fmt: skip


def _stop_node(node: subprocess.Popen[bytes]) -> None:
    """End a node's process group: SIGTERM (Ray's graceful stop), then SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(node.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(timeout=wait)
    with contextlib.suppress(ProcessLookupError):  # a child that outlived its node
        os.killpg(node.pid, signal.SIGKILL)


def _logs(logs: list[Path]) -> str:
    return "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs if log.exists()
    )


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[Cluster]:
    """A Ray cluster of two one-CPU nodes, torn down after the test."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("ray is not installed: pip install 'workgym[ray]'")
    if os.environ.get("WORKGYM_RAY_CLUSTER_TEST") != "1":
        pytest.skip(
            "Ray's nodes listen on the machine's own address, not loopback alone: "
            "set WORKGYM_RAY_CLUSTER_TEST=1 on a machine where that is allowed"
        )
    temp = tempfile.mkdtemp(prefix="wgr")  # short: Ray's socket paths must fit in 107 bytes
    port = _free_port()
    address = f"127.0.0.1:{port}"
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    env.pop("RAY_ADDRESS", None)
    logs = [tmp_path / "head.log", tmp_path / "node.log"]
    nodes: list[subprocess.Popen[bytes]] = []
    try:
        head = ["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}"]
        nodes.append(_start_node(head, logs[0], env))
        deadline = time.monotonic() + START_SECONDS
        while not _port_open(port):
            if nodes[0].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Ray head did not come up:\n{_logs(logs)}")
            time.sleep(0.5)
        nodes.append(_start_node([f"--address={address}"], logs[1], env))
        up = subprocess.run(
            [sys.executable, "-c", _NODES_UP, address, str(START_SECONDS)],
            env=env,
            capture_output=True,
            timeout=START_SECONDS + 60,
        )
        if up.returncode != 0:
            pytest.fail(f"the second Ray node did not join:\n{up.stderr.decode()[-3000:]}\n{_logs(logs)}")
        yield Cluster(address, env)
    finally:
        for node in reversed(nodes):
            _stop_node(node)
        shutil.rmtree(temp, ignore_errors=True)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_when_anonymized_on_a_two_node_cluster_then_the_bytes_are_one_worker_s(
    two_nodes: Cluster, sample_db: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "k.key"
    key = keygen(key_file)
    one = tmp_path / "one" / "anon.db"
    anonymize_workspace(sample_db, one, key)
    on_cluster = tmp_path / "cluster" / "anon.db"

    ran = subprocess.run(
        [_command("workgym"), "anonymize", str(sample_db), "-o", str(on_cluster), "--key", str(key_file),
         "--executor", "ray", "--address", two_nodes.address],
        env=two_nodes.env, capture_output=True, text=True, timeout=RUN_SECONDS,
    )  # fmt: skip

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "leaks 0" in ran.stdout
    assert _sha256(on_cluster) == _sha256(one)


def test_when_a_worker_is_given_its_rows_then_it_never_opens_the_workspace(
    sample_db: Path, tmp_path: Path
) -> None:
    key = bytes(range(32))
    conn = connect(sample_db)
    try:
        plan = Plan(key, build_directory(conn), AnonConfig())
        chunk = next(c for c in _chunks(conn) if c[0] == "message")
        rows = list(_rows(conn, chunk))
        people = _people(conn)
    finally:
        conn.close()
    try:
        _init(plan, str(sample_db))
        expected = _rewrite_chunk(chunk)
        _STATE.clear()
        missing = tmp_path / "not-there.db"  # as a Ray node without the file sees it

        _init(plan, str(missing), people)  # what a Ray task does with the context it is handed

        assert _rewrite_chunk(chunk, rows) == expected
        assert _STATE["conn"] is None and not missing.exists()
    finally:
        _STATE.clear()
