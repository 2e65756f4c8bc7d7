"""Fuzzing the network faces with odd input: edge times, hostile unicode, huge numbers, deep nesting, extreme JQL.

Both servers run as child processes (the env server on 127.0.0.1, ``workgym mcp`` over stdio),
so a crash is a failed assertion. Whatever arrives, the env server answers JSON below 500 and a
tool call is an observation (never a tool crash); the MCP server answers every request line with
a JSON-RPC message of the same id (null for a line it cannot read); both are alive after.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.world.helpers import CUTOFF, ME
from tests.world.live import LiveServer, live_server

SURVIVABLE = {None, "bad_call", "unknown_tool", "tool_error", "over"}
"""The observation errors odd input may cause: never ``tool_crash`` or ``internal``."""

DEEP = "\u0001DEEP\u0001"
"""Stands in a value for JSON nested ``n`` levels deep, spliced in as text (json.dumps would recurse)."""

# -- strategies ------------------------------------------------------------------------------------

odd_chars = st.one_of(
    st.characters(categories=["Cs"]),  # lone surrogates
    st.sampled_from(["\x00", "\u2028", "\u2029", "\ufeff", "\u202e", "\U0010ffff", "\\", '"', "'", "%", "_"]),
    st.characters(codec="utf-8"),
)
odd_text = st.text(alphabet=odd_chars, max_size=30)
huge_ints = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, -(2**63) - 1, 10**400, -(10**400), 0, -1]),
)
deep = st.integers(min_value=1, max_value=5000).map(lambda n: ("deep", n))
odd_values = st.one_of(odd_text, huge_ints, st.floats(), st.booleans(), st.none(), deep)


def _edge(moment: datetime, offset: str) -> str:
    return moment.isoformat() + offset


edge_times = st.builds(
    _edge,
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 1, 3)),
        st.datetimes(min_value=datetime(9999, 12, 29), max_value=datetime(9999, 12, 31, 23, 59, 59)),
        st.datetimes(),
    ),
    st.sampled_from(["", "Z", "+00:00", "+14:00", "-12:00", "+05:30"]),
)
edge_dates = st.one_of(edge_times, edge_times.map(lambda t: t[:10]), odd_text)
jql = st.one_of(
    st.integers(0, 3000).map(lambda n: "(" * n + "status = Open" + ")" * n),
    st.integers(0, 3000).map(lambda n: "NOT " * n + "status = Open"),
    st.integers(0, 3000).map(lambda n: " OR ".join(["key = ENG-1"] * max(n, 1))[:19_000]),
    st.builds(
        lambda s, n, u: f"updated >= {s}{n}{u}",
        st.sampled_from(["-", "+", ""]),
        huge_ints,
        st.sampled_from("mhdw"),
    ),
    edge_dates.map(lambda d: f"created >= {d!r}"),
    st.lists(
        st.sampled_from(
            ["status", "=", "(", ")", "AND", "OR", "NOT", "in", "~", "ORDER", "BY", '"', "EMPTY", ","]
        ),
        max_size=30,
    ).map(" ".join),
    odd_text,
)
people = st.lists(st.one_of(st.just("P0001"), odd_text), max_size=3)
calls = st.one_of(
    st.builds(lambda q: {"name": "search_tickets", "arguments": {"jql": q}}, jql),
    st.builds(
        lambda a, b: {"name": "list_events", "arguments": {"after": a, "before": b}}, edge_dates, edge_dates
    ),
    st.builds(
        lambda who, a, b: {
            "name": "find_free_slot",
            "arguments": {"attendees": who, "after": a, "before": b},
        },
        people,
        edge_dates,
        edge_dates,
    ),
    st.builds(
        lambda start, minutes: {
            "name": "create_event",
            "arguments": {"title": "x", "start": start, "duration_minutes": minutes},
        },
        edge_times,
        huge_ints,
    ),
    st.builds(
        lambda q, a: {"name": "search_messages", "arguments": {"query": q, "after": a}}, odd_text, edge_dates
    ),
    st.builds(
        lambda name, arguments: {"name": name, "arguments": arguments},
        st.one_of(odd_text, st.sampled_from(["get_ticket", "post_message", "read_channel", "find_person"])),
        st.dictionaries(
            st.one_of(odd_text, st.sampled_from(["key", "channel", "text", "page"])), odd_values, max_size=3
        ),
    ),
    odd_values,
)
resets = st.fixed_dictionaries(
    {},
    optional={
        "cutoff": st.one_of(edge_times, odd_text),
        "persona": st.one_of(st.just(ME), odd_text),
        "seed": huge_ints,
        "tools": st.lists(st.one_of(odd_text, st.just("get_ticket")), max_size=3),
        "max_steps": huge_ints,
    },
)


def dump(value: Any) -> bytes:
    """JSON text of ``value`` (lone surrogates as ``\\ud800`` escapes), ``("deep", n)`` as n nested arrays."""
    depths: list[int] = []

    def mark(v: Any) -> Any:
        if isinstance(v, tuple) and v[:1] == ("deep",):
            depths.append(v[1])
            return DEEP
        if isinstance(v, dict):
            return {k: mark(x) for k, x in v.items()}
        if isinstance(v, list):
            return [mark(x) for x in v]
        return v

    text = json.dumps(mark(value))
    for n in depths:
        text = text.replace(json.dumps(DEEP), "[" * n + "]" * n, 1)
    return text.encode()


# -- the env server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(sample_db: Path) -> Iterator[LiveServer]:
    with live_server(sample_db, max_sessions=64) as live:
        yield live


def _post(server: LiveServer, path: str, body: bytes) -> httpx.Response:
    response = httpx.post(
        server.url + path, content=body, headers={"content-type": "application/json"}, timeout=60
    )
    assert response.status_code < 500, (path, body[:300], response.text[:500])
    json.loads(response.content)  # whatever the status, the answer is JSON
    return response


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reset=resets, steps=st.lists(calls, min_size=1, max_size=3))
def test_when_reset_and_step_get_odd_input_then_no_answer_is_5xx_and_the_server_lives(
    server: LiveServer, reset: dict[str, Any], steps: list[Any]
) -> None:
    opened = _post(server, "/reset", dump(reset))
    if opened.status_code != 200:
        opened = _post(server, "/reset", dump({"persona": ME, "cutoff": CUTOFF, "max_steps": 100}))
    sid = opened.json()["session_id"]
    for call in steps:
        answer = _post(server, "/step", dump({"session_id": sid, "call": call}))
        if answer.status_code == 200:
            observation = answer.json()["observation"]
            assert observation["info"]["error"] in SURVIVABLE, observation["text"]
    assert _post(server, "/close", dump({"session_id": sid})).status_code == 200
    assert server.process.poll() is None, server.died()


def test_when_the_env_fuzzing_is_over_then_the_server_is_alive_with_no_session_left(
    server: LiveServer,
) -> None:
    assert server.alive(), server.died()
    assert httpx.get(server.url + "/health").json()["sessions"] == 0


# -- the MCP server over stdio -----------------------------------------------------------------------


class StdioPeer:
    """``workgym mcp`` in a child process, spoken to line by line."""

    def __init__(self, db: Path) -> None:
        command = [sys.executable, "-m", "workgym.cli", "mcp", str(db), "--persona", ME, "--cutoff", CUTOFF]
        self.process = subprocess.Popen(
            [*command, "--max-steps", "100000"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def send(self, line: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + b"\n")
        self.process.stdin.flush()

    def receive(self, seconds: float = 60) -> dict[str, Any]:
        """The next message the server writes (waits at most ``seconds``)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], seconds)
        assert ready, f"no answer in {seconds:g} s (the server {'lives' if self.alive() else 'is gone'})"
        line = self.process.stdout.readline()
        assert line, f"the server closed its output (status {self.process.poll()})"
        message: dict[str, Any] = json.loads(line)
        return message

    def request(self, method: str, params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.send(dump({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        answer = self.receive()
        assert answer.get("id") in (self.next_id, None), answer  # None: a line it could not read
        return answer

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def mcp_peer(sample_db: Path) -> Iterator[StdioPeer]:
    peer = StdioPeer(sample_db)
    try:
        hello = {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "fuzz", "version": "1"},
        }
        assert "result" in peer.request("initialize", hello)
        peer.send(dump({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        yield peer
    finally:
        peer.close()


unreadable_lines = st.one_of(
    st.integers(1, 100_000).map(lambda n: b"[" * n + b"]" * n),  # deeper than any parser recurses
    st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b and b.strip()),
    st.builds(
        lambda n: b'{"jsonrpc":"2.0","id":' + str(n).encode() + b',"method":"tools/list"}', huge_ints
    ),  # an id too large for any integer type
    st.just(
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\\ud800"}}'
    ),  # a lone surrogate
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=calls)
def test_when_mcp_tools_get_odd_input_then_each_call_is_answered_and_the_server_lives(
    mcp_peer: StdioPeer, call: Any
) -> None:
    name = call.get("name") if isinstance(call, dict) else call
    arguments = call.get("arguments") if isinstance(call, dict) else None
    answer = mcp_peer.request("tools/call", {"name": name, "arguments": arguments})
    if "result" in answer:
        observation = answer["result"]["_meta"]["workgym/observation"]
        assert observation["error"] in SURVIVABLE, answer["result"]["content"]
    elif answer["id"] is None:
        assert answer["error"]["code"] in {-32700, -32600}  # unreadable: a lone surrogate, deep nesting
    else:
        assert answer["error"]["code"] == -32602  # params that are not a tool call's
    assert mcp_peer.alive()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=unreadable_lines)
def test_when_mcp_gets_a_line_it_cannot_read_then_it_answers_an_error_and_goes_on(
    mcp_peer: StdioPeer, line: bytes
) -> None:
    mcp_peer.send(line)
    answer = mcp_peer.receive()
    assert "error" in answer or "result" in answer, answer
    assert mcp_peer.alive()
    after = mcp_peer.request("tools/call", {"name": "get_ticket", "arguments": {"key": "ENG-1"}})
    assert "ENG-1" in after["result"]["content"][0]["text"]
