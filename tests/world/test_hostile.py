"""Hostile clients and odd input: closes racing steps, foreign Host and Origin, edge times, extreme JQL.

The env server of the race and the fuzz test runs in a child process (see ``live.py``), so that
a crash in SQLite shows as a failed test rather than as pytest dying.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.world.helpers import CUTOFF, ME
from tests.world.live import LiveServer, live_server
from workgym.cli import app as cli
from workgym.world import World
from workgym.world.core import EpisodeClosed
from workgym.world.guard import HostCheck
from workgym.world.mcp_server import http_app
from workgym.world.server import SessionError, Sessions, create_app, running
from workgym.world.text import iso
from workgym.world.tools.calendar import MAX_OCCURRENCES, _occurrences

# -- closing a session while its request runs ---------------------------------------------------

RACES = 1000
"""Close-during-request races driven against one live server."""

WORKERS = 8
"""Clients racing at once (each a stepping and a closing connection)."""

RACING: list[
    tuple[str, dict[str, Any]]
] = [  # what runs while the close arrives: the costlier reads, a write, state, reset, fork
    ("/step", {"call": {"name": "search_tickets", "arguments": {"jql": 'text ~ "login" ORDER BY updated'}}}),
    ("/step", {"call": {"name": "read_channel", "arguments": {"channel": "general"}}}),
    (
        "/step",
        {"call": {"name": "list_events", "arguments": {"after": "2024-01-01", "before": "2024-12-31"}}},
    ),
    ("/step", {"call": {"name": "post_message", "arguments": {"channel": "general", "text": "racing"}}}),
    ("/state", {"diff": True}),
    ("/reset", {"seed": 3}),
    ("/fork", {}),
]


def _race(server: LiveServer, worker: int) -> Counter[tuple[str, int, int]]:
    """Reset a session, then send one request on it and its close at the same moment, over and over."""
    seen: Counter[tuple[str, int, int]] = Counter()
    with (
        httpx.Client(base_url=server.url, timeout=60) as acting,
        httpx.Client(base_url=server.url, timeout=60) as closing,
        ThreadPoolExecutor(1) as side,
    ):
        for i in range(RACES // WORKERS):
            sid = acting.post("/reset", json={"persona": ME, "cutoff": CUTOFF}).json()["session_id"]
            path, body = RACING[(i + worker) % len(RACING)]
            both = threading.Barrier(2)

            def act(
                path: str = path, body: dict[str, Any] = body, sid: str = sid, both: threading.Barrier = both
            ) -> httpx.Response:
                both.wait()
                return acting.post(path, json={"session_id": sid, **body})

            pending = side.submit(act)
            both.wait()
            closed = closing.post("/close", json={"session_id": sid})
            answer = pending.result()
            if path == "/fork" and answer.status_code == 200:  # the copy is a session of its own
                closing.post("/close", json={"session_id": answer.json()["session_id"]})
            seen[(path, answer.status_code, closed.status_code)] += 1
    return seen


def test_when_sessions_close_while_their_requests_run_then_the_server_survives_1000_races(
    sample_db: Path,
) -> None:
    with live_server(sample_db) as server:
        try:
            with ThreadPoolExecutor(WORKERS) as pool:
                seen = sum(pool.map(lambda w: _race(server, w), range(WORKERS)), Counter())
        except httpx.TransportError as exc:
            pytest.fail(f"a request got no answer ({exc}); {server.died()}")
        assert server.alive(), server.died()
        assert httpx.get(server.url + "/health").json()["sessions"] == 0  # every session closed, none lost
    assert sum(seen.values()) == RACES
    outcomes = {(status, closed) for _, status, closed in seen}
    assert outcomes <= {(200, 200), (404, 200)}, seen  # ran before the close, or found it closed
    assert {path for path, status, _ in seen if status == 200} == {p for p, _ in RACING}  # all really ran


def test_when_a_session_closes_while_in_use_then_it_leaves_at_once_and_closes_after(world: World) -> None:
    table = Sessions(world)
    session = table.add(world.episode(persona=ME))
    with table.use(session.id):
        closer = threading.Thread(target=table.close, args=(session.id,))
        closer.start()
        closer.join(0.5)
        assert closer.is_alive()  # waiting for the request to finish
        assert not session.episode.closed
        with pytest.raises(SessionError) as raised, table.use(session.id):
            pass
        assert raised.value.status == 404  # no new request gets it
    closer.join(30)
    assert not closer.is_alive() and session.episode.closed


def test_when_an_episode_closes_during_a_step_then_the_step_finishes_first(world: World) -> None:
    asked, release = threading.Event(), threading.Event()

    def slow_user(question: str) -> str:  # holds the step open until the test lets it go
        asked.set()
        release.wait(30)
        return "Tuesday"

    episode = world.episode(persona=ME, user=slow_user)
    stepping = ThreadPoolExecutor(1)
    step = stepping.submit(episode.step, {"name": "ask_user", "arguments": {"question": "when?"}})
    assert asked.wait(30)  # the step is running, inside the tool
    closer = threading.Thread(target=episode.close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive() and not episode.closed  # the connection is not closed under the step
    release.set()
    observation = step.result(30)
    closer.join(30)
    stepping.shutdown()
    assert observation.info["error"] is None and "Tuesday" in observation.text
    assert episode.closed


def test_when_an_episode_is_closed_then_steps_say_so_and_state_reads_refuse(world: World) -> None:
    episode = world.episode(persona=ME)
    episode.close()
    episode.close()  # twice is fine
    observation = episode.step({"name": "get_ticket", "arguments": {"key": "ENG-1"}})
    assert observation.info["error"] == "closed"
    for read in (episode.state_hash, episode.state_diff, episode.fork, episode.reset):
        with pytest.raises(EpisodeClosed):
            read()


# -- Host and Origin: DNS rebinding and cross-site pages ------------------------------------------


@pytest.fixture(scope="module")
def env_url(world: World) -> Iterator[str]:
    with running(create_app(world, allowed_hosts=["gym.internal"])) as base:
        yield base


@pytest.mark.parametrize(
    "host, status",
    [
        ("127.0.0.1:{port}", 200),  # the address bound
        ("localhost:{port}", 200),  # loopback names are the same server
        ("[::1]:{port}", 200),  # IPv6 loopback
        ("gym.internal", 200),  # a name allowed (a proxy's), at any port
        ("attacker.example:{port}", 421),  # DNS rebinding: a name the attacker points at 127.0.0.1
        ("attacker.example", 421),  # ... without a port
        ("127.0.0.1:{other}", 421),  # another port: another server
        ("0.0.0.0:{port}", 421),  # the wildcard address some browsers route to loopback
        ("127.0.0.1:{port}@attacker.example", 421),  # not a host at all
    ],
)
def test_when_serve_env_is_reached_by_a_host_name_then_only_its_own_are_answered(
    env_url: str, host: str, status: int
) -> None:
    port = int(env_url.rsplit(":", 1)[1])
    response = httpx.get(env_url + "/health", headers={"host": host.format(port=port, other=port + 1)})
    assert response.status_code == status
    if status != 200:
        assert response.json()["error"]["kind"] == "wrong_host"


@pytest.mark.parametrize(
    "origin, status",
    [
        ("http://127.0.0.1:{port}", 200),  # a page of the server itself
        ("http://localhost:{port}", 200),  # the same, by name
        ("http://attacker.example", 403),  # another site's page
        ("http://localhost:{other}", 403),  # a page of another local server
        ("null", 403),  # a sandboxed frame or a file
        ("http://127.0.0.1:{port}/path", 403),  # not an origin
    ],
)
def test_when_a_page_posts_to_serve_env_then_only_its_own_origin_gets_through(
    env_url: str, origin: str, status: int
) -> None:
    port = int(env_url.rsplit(":", 1)[1])
    response = httpx.post(
        env_url + "/close",
        json={"session_id": "nope"},
        headers={"origin": origin.format(port=port, other=port + 1)},
    )
    expected = 404 if status == 200 else status  # through the check, the close finds no session
    assert response.status_code == expected
    if status == 403:
        assert response.json()["error"]["kind"] == "wrong_origin"


def test_when_mcp_over_http_gets_a_foreign_host_or_origin_then_it_refuses(world: World) -> None:
    episode = world.episode(persona=ME)
    request = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    with running(http_app(episode, host="127.0.0.1", token=None)) as base:
        port = base.rsplit(":", 1)[1]
        rebinding = httpx.post(base + "/mcp", json=request, headers={"host": f"attacker.example:{port}"})
        cross_site = httpx.post(base + "/mcp", json=request, headers={"origin": "http://attacker.example"})
    episode.close()
    assert rebinding.status_code == 421
    assert cross_site.status_code == 403


@pytest.mark.parametrize(
    "bound, local, host, passes",
    [
        ("0.0.0.0", "10.1.2.3", "10.1.2.3:8100", True),  # a wildcard bind: the address it was reached at
        ("0.0.0.0", "10.1.2.3", "0.0.0.0:8100", False),  # never the wildcard itself
        ("0.0.0.0", "10.1.2.3", "attacker.example:8100", False),  # DNS rebinding onto the LAN address
        ("0.0.0.0", "127.0.0.1", "localhost:8100", True),  # reached over loopback
        ("10.1.2.3", "10.1.2.3", "10.1.2.3", False),  # port 80 implied, the server is on 8100
        ("::", "fd00::5", "[fd00::5]:8100", True),  # IPv6 wildcard, reached at a unique local address
    ],
)
def test_when_bound_beyond_loopback_then_the_host_must_be_the_address_reached(
    bound: str, local: str, host: str, passes: bool
) -> None:
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "server": (local, 8100), "headers": [(b"host", host.encode())]}
    anyio.run(HostCheck(app, bound), scope, receive, send)
    assert bool(reached) is passes
    if not passes:
        assert sent[0]["status"] == 421


# -- odd input: a clean 4xx or error observation, never a 500 or a traceback ----------------------

LATE = "9999-12-31T23:59:59Z"


@pytest.mark.parametrize(
    "cutoff, says",
    [
        (LATE, "too late"),  # the episode's clock and calendar would run past 9999
        ("9999-12-31T20:00:00-05:00", "in the years 0001-9999"),  # in UTC: past the last datetime
        ("0001-01-01T00:30:00+01:00", "in the years 0001-9999"),  # ... and before the first
        ("9999-99-99", "not an ISO 8601 time"),  # no such date
    ],
)
def test_when_a_cutoff_is_at_the_edge_of_time_then_reset_answers_422(
    env_url: str, world: World, cutoff: str, says: str
) -> None:
    response = httpx.post(env_url + "/reset", json={"cutoff": cutoff})
    assert response.status_code == 422
    assert says in response.json()["error"]["message"]
    with pytest.raises(ValueError, match=says):
        world.episode(cutoff=cutoff)


def test_when_mcp_is_given_a_cutoff_past_9999_then_it_says_so_without_a_traceback(sample_db: Path) -> None:
    result = CliRunner().invoke(cli, ["mcp", str(sample_db), "--cutoff", LATE])
    assert result.exit_code == 1
    assert "too late" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "name",
    [
        "get_ticket\ud800",  # a lone high surrogate
        "\udfff",  # a lone low surrogate
        "get\x00ticket",  # NUL
        "get_ticket\u2028",  # a line separator
    ],
)
def test_when_a_tool_name_is_odd_unicode_then_the_step_is_an_error_observation(
    env_url: str, name: str
) -> None:
    sid = httpx.post(env_url + "/reset", json={"persona": ME}).json()["session_id"]
    body = json.dumps({"session_id": sid, "call": {"name": name, "arguments": {"key": "ENG-1"}}})
    response = httpx.post(env_url + "/step", content=body, headers={"content-type": "application/json"})
    httpx.post(env_url + "/close", json={"session_id": sid})
    assert response.status_code == 200, response.text
    info = response.json()["observation"]["info"]
    assert info["error"] in {"bad_call", "unknown_tool"}


def test_when_a_body_field_name_is_a_lone_surrogate_then_the_422_is_valid_json(env_url: str) -> None:
    body = json.dumps({"persona": ME, "\ud800": 1})  # pydantic names the field in its message
    response = httpx.post(env_url + "/reset", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert json.loads(response.content)["error"]["kind"] == "bad_request"


@pytest.mark.parametrize(
    "jql, says",
    [
        ("updated >= -99999999999d", "outside the years"),  # a relative date before year 1
        ("updated >= -" + "9" * 5000 + "d", "outside the years"),  # more digits than int() reads
        ("created >= 999999w", "outside the years"),  # ... and one past 9999
        ("(" * 500 + "status = Open" + ")" * 500, "nests more than"),  # 500 parentheses
        ("NOT " * 3000 + "status = Open", "nests more than"),  # 3,000 NOTs
        (" OR ".join(["status = Open"] * 1000), "more than 200 comparisons"),  # SQLite's depth is 1,000
        ("status in (" + ", ".join(["Open"] * 2000) + ")", "more than 200 comparisons"),  # a long list
        ("created >= 9999-12-31T23:00:00-05:00", "not a date"),  # past the last UTC time
    ],
)
def test_when_jql_is_extreme_then_search_tickets_refuses_it_cleanly(
    env_url: str, jql: str, says: str
) -> None:
    sid = httpx.post(env_url + "/reset", json={"persona": ME, "cutoff": CUTOFF}).json()["session_id"]
    call = {"name": "search_tickets", "arguments": {"jql": jql}}
    response = httpx.post(env_url + "/step", json={"session_id": sid, "call": call})
    httpx.post(env_url + "/close", json={"session_id": sid})
    observation = response.json()["observation"]
    assert observation["info"]["error"] == "tool_error", observation["text"]
    assert says in observation["text"]


def test_when_jql_nests_within_the_limits_then_it_still_runs(world: World) -> None:
    with world.episode(persona=ME, cutoff=CUTOFF) as episode:
        jql = "(" * 20 + "NOT status = Closed" + ")" * 20 + " AND updated >= -9999d"
        observation = episode.step({"name": "search_tickets", "arguments": {"jql": jql}})
    assert observation.info["error"] is None and "ENG-" in observation.text


@pytest.mark.parametrize(
    "tool, arguments",
    [
        ("list_events", {"after": "9999-12-31"}),  # its default end (a week on) is past 9999
        ("list_events", {"after": "0001-01-01", "before": "0001-01-03"}),  # a zone's offset would underflow
        ("list_events", {"after": "9999-12-31T23:59:59"}),  # the last second
        ("find_free_slot", {"attendees": ["P0001"], "after": "0001-01-01"}),  # the walk through zones
        ("find_free_slot", {"attendees": ["P0001"], "after": "9999-12-30", "before": "9999-12-31"}),
        ("create_event", {"title": "far", "start": "9999-12-31T23:59:00", "duration_minutes": 1440}),
    ],
)
def test_when_calendar_dates_are_near_0001_or_9999_then_the_tool_says_out_of_range(
    world: World, tool: str, arguments: dict[str, Any]
) -> None:
    with world.episode(persona=ME, cutoff=CUTOFF) as episode:
        observation = episode.step({"name": tool, "arguments": arguments})
    assert observation.info["error"] == "tool_error", observation.text
    assert "outside the calendar" in observation.text


def test_when_an_episode_starts_in_year_one_then_relative_dates_are_refused_not_crashed(world: World) -> None:
    with world.episode(persona=ME, cutoff="0001-01-01T00:00:00Z") as episode:
        search = episode.step({"name": "search_tickets", "arguments": {"jql": "updated >= -7d"}})
        events = episode.step({"name": "list_events", "arguments": {}})
    assert search.info["error"] == "tool_error" and "outside the years" in search.text
    assert events.info["error"] == "tool_error" and "outside the calendar" in events.text


_SPANS = {  # how far ahead to read a rule, and how long a window, by frequency (dateutil's walk stays short)
    "MINUTELY": (timedelta(days=5), timedelta(hours=6)),
    "HOURLY": (timedelta(days=100), timedelta(days=3)),
    "DAILY": (timedelta(days=900), timedelta(days=20)),
    "WEEKLY": (timedelta(days=3000), timedelta(days=60)),
    "MONTHLY": (timedelta(days=9000), timedelta(days=200)),
    "YEARLY": (timedelta(days=40_000), timedelta(days=800)),
}


@st.composite
def _readings(draw: st.DrawFn) -> tuple[str, datetime, datetime, datetime, int]:
    """A rule, its event's start, a window [lo, hi) somewhere after it, and the event's length."""
    freq = draw(st.sampled_from(sorted(_SPANS)))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 5))}"]
    days = draw(
        st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), max_size=3, unique=True)
    )
    if days:
        parts.append(f"BYDAY={','.join(days)}")
    if draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.integers(1, 31))}")
    ahead, window = _SPANS[freq]
    begin = draw(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2024, 3, 1)))
    begin = begin.replace(tzinfo=UTC, microsecond=0)
    if draw(st.booleans()):
        until = begin + draw(st.timedeltas(min_value=timedelta(0), max_value=ahead + window))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    lo = begin + draw(st.timedeltas(min_value=timedelta(0), max_value=ahead))
    return ";".join(parts), begin, lo, lo + window, draw(st.integers(0, 120))


@settings(max_examples=80, deadline=None)
@given(reading=_readings())
def test_when_a_recurring_event_is_read_far_ahead_then_its_occurrences_are_dateutils(
    reading: tuple[str, datetime, datetime, datetime, int],
) -> None:
    rule, begin, lo, hi, minutes = reading
    length = timedelta(minutes=minutes)
    row = {"start": iso(begin), "end": iso(begin + length), "recurrence": rule}
    walked = rrulestr(rule, dtstart=begin).between(lo - length, hi, inc=True)
    expected = [s for s in walked if s + length > lo and s < hi][:MAX_OCCURRENCES]
    assert [o.start for o in _occurrences(row, lo, hi)] == expected  # type: ignore[arg-type]  # a dict reads as a Row
