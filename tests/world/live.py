"""An env server in a child process, on 127.0.0.1: a crash there (a segfault) fails a test, not pytest."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

SERVER = """
import socket, sys
import uvicorn
from workgym.world import World
from workgym.world.server import create_app

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(256)
print(sock.getsockname()[1], flush=True)
app = create_app(World.open(sys.argv[1]), max_sessions=int(sys.argv[2]))
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""
"""The child: binds a free loopback port itself (no race for it) and prints it before serving."""

START_SECONDS = 120.0
"""How long the child may take to import, open the world and bind (a loaded machine is slow)."""


@dataclass
class LiveServer:
    """A running child server: its base URL and its process."""

    url: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def alive(self) -> bool:
        """Whether the process still runs and answers /health."""
        if self.process.poll() is not None:
            return False
        try:
            return bool(httpx.get(self.url + "/health", timeout=30).json()["status"] == "ok")
        except httpx.HTTPError:
            return False

    def died(self) -> str:
        """Why the process is gone (exit status, a signal), with the tail of its stderr."""
        self.log.seek(0)
        tail = self.log.read()[-2000:].decode("utf-8", "replace")
        return f"the server exited with status {self.process.poll()}; its stderr ends:\n{tail}"


@contextmanager
def live_server(db: Path, *, max_sessions: int = 256) -> Iterator[LiveServer]:
    """Serve ``db`` from a child process until the block ends (then stop it, and kill it if need be)."""
    with tempfile.NamedTemporaryFile(prefix="workgym-live-", suffix=".log") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(db), str(max_sessions)],
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # a segfault prints where it happened
        )
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], START_SECONDS)
            line = process.stdout.readline().strip() if ready else b""
            server = LiveServer(f"http://127.0.0.1:{line.decode() or 0}", process, log)
            assert line.isdigit(), server.died()
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
