"""The HTTP env server and its client: sessions, isolation under load, limits, auth, and fuzzed requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.world.helpers import CUTOFF, ME
from workgym.cli import app as cli
from workgym.world import EMPTY_HASH, World
from workgym.world.client import EnvClient, EnvServerError
from workgym.world.server import Sessions, create_app, running

TOKEN = "test-token-0123456789abcdef"


def post(text: str) -> dict[str, Any]:
    return {"name": "post_message", "arguments": {"channel": "general", "text": text}}


@pytest.fixture(scope="module")
def url(world: World) -> Iterator[str]:
    with running(create_app(world, max_body_bytes=50_000)) as base:
        yield base


@pytest.fixture
def env(url: str) -> Iterator[EnvClient]:
    with EnvClient(url) as client:
        yield client


def test_when_a_session_acts_then_it_reads_like_a_local_episode(env: EnvClient, world: World) -> None:
    ep = env.reset(cutoff=CUTOFF, persona=ME, seed=4)
    assert ME in ep.observation.text
    obs = ep.step(post("deploy at noon"))
    assert obs.info["error"] is None and obs.info["step"] == 1
    with world.episode(cutoff=CUTOFF, persona=ME, seed=4) as local:
        assert local.step(post("deploy at noon")).text == obs.text
        assert ep.state_hash() == local.state_hash()  # the same seed and calls: the same state
        assert ep.state_diff() == local.state_diff().to_dict()
    bad = ep.step({"name": "post_message", "arguments": {"channel": "general", "txt": "typo"}})
    assert bad.info["error"] == "bad_call" and "Schema:" in bad.text  # an observation, not an HTTP error
    ep.close()


def test_when_forked_then_the_copies_diverge_and_reset_restores_the_empty_hash(env: EnvClient) -> None:
    ep = env.reset(cutoff=CUTOFF, persona=ME)
    ep.step(post("first"))
    branch = ep.fork()
    assert branch.state_hash() == ep.state_hash()
    branch.step(post("only in the branch"))
    assert branch.state_hash() != ep.state_hash()
    assert len(ep.state_diff()["message"]["inserted"]) == 1
    assert ep.reset(seed=9).info["step"] == 0
    assert ep.state_hash() == EMPTY_HASH and branch.state_hash() != EMPTY_HASH
    branch.close()
    ep.close()


def test_when_64_sessions_run_at_once_then_none_sees_another_s_writes(env: EnvClient, world: World) -> None:
    n = 64
    barrier = threading.Barrier(n)

    def one(i: int) -> tuple[str, str, str]:
        ep = env.reset(cutoff=CUTOFF, persona=ME, seed=i)
        barrier.wait()
        ep.step(post(f"marker-{i}-of-the-load-test"))
        seen = ep.step({"name": "read_channel", "arguments": {"channel": "general"}}).text
        digest = ep.state_hash()
        ep.reset()
        after = ep.state_hash()
        ep.close()
        return seen, digest, after

    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(one, range(n)))
    assert env.health()["sessions"] == 0
    for i, (seen, digest, after) in enumerate(results):
        assert f"marker-{i}-of" in seen
        assert sum(f"marker-{j}-of" in seen for j in range(n)) == 1, f"session {i} saw another's message"
        with world.episode(cutoff=CUTOFF, persona=ME, seed=i) as local:
            local.step(post(f"marker-{i}-of-the-load-test"))
            assert digest == local.state_hash()
        assert after == EMPTY_HASH


@pytest.mark.parametrize(
    "path, body, status, kind",
    [
        ("/step", {"session_id": "nope", "call": {}}, 404, "unknown_session"),  # no such session
        ("/step", {"call": {}}, 422, "bad_request"),  # no session id
        (
            "/step",
            {"session_id": "x", "call": 5},
            422,
            "bad_request",
        ),  # a call that is neither object nor text
        ("/reset", {"persona": "nobody by that name"}, 422, "bad_request"),  # a persona naming nobody
        ("/reset", {"cutoff": "last tuesday"}, 422, "bad_request"),  # a cutoff that is not a time
        ("/reset", {"tools": ["no_such_tool"]}, 422, "bad_request"),  # a tool that does not exist
        ("/reset", {"seed": -1}, 422, "bad_request"),  # a negative seed
        ("/reset", {"surprise": 1}, 422, "bad_request"),  # an unknown field
        ("/close", {"session_id": "gone"}, 404, "unknown_session"),  # closing what is not open
    ],
)
def test_when_a_request_is_wrong_then_the_error_says_why(
    url: str, path: str, body: dict[str, Any], status: int, kind: str
) -> None:
    response = httpx.post(url + path, json=body)
    assert response.status_code == status
    assert response.json()["error"]["kind"] == kind
    assert response.json()["error"]["message"]


def test_when_a_reset_tries_to_change_a_session_s_persona_then_it_is_refused(env: EnvClient) -> None:
    ep = env.reset(persona=ME)
    with pytest.raises(EnvServerError, match="persona cannot change"):
        env.request("POST", "/reset", {"session_id": ep.session_id, "persona": "P0001"})
    ep.close()


@pytest.mark.parametrize(
    "content, headers",
    [
        (b"x" * 60_000, {}),  # declared over the limit
        (iter([b"{", b" " * 30_000, b" " * 30_000, b"}"]), {}),  # streamed in chunks, no length declared
    ],
)
def test_when_a_body_is_over_the_limit_then_413(url: str, content: Any, headers: dict[str, str]) -> None:
    response = httpx.post(
        url + "/step", content=content, headers={"content-type": "application/json", **headers}
    )
    assert response.status_code == 413
    assert response.json()["error"]["kind"] == "too_large"


def test_when_the_token_is_missing_or_wrong_then_401(world: World) -> None:
    with running(create_app(world, token=TOKEN)) as base:
        assert httpx.get(base + "/health").status_code == 401
        wrong = httpx.get(base + "/health", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        with pytest.raises(EnvServerError, match="bearer token"):
            EnvClient(base, token="x" * 20).health()
        with EnvClient(base, token=TOKEN) as client:
            assert client.health()["status"] == "ok"


def test_when_sessions_idle_past_the_timeout_then_they_expire_and_say_so(world: World) -> None:
    clock = [0.0]
    table = Sessions(world, idle_seconds=60, clock=lambda: clock[0])
    with running(create_app(world, sessions=table)) as base, EnvClient(base) as client:
        idle, busy = client.reset(persona=ME), client.reset(persona=ME)
        clock[0] = 50.0
        busy.step(post("still here"))  # using a session keeps it open
        clock[0] = 100.0
        assert table.expire() == 1
        with pytest.raises(EnvServerError, match="expired after 60 s idle") as raised:
            idle.step(post("too late"))
        assert raised.value.status == 404 and raised.value.kind == "expired"
        assert busy.step(post("fine")).info["error"] is None
        busy.close()


def test_when_the_session_limit_is_reached_then_429_until_one_closes(world: World) -> None:
    with running(create_app(world, max_sessions=2)) as base, EnvClient(base) as client:
        first, second = client.reset(), client.reset()
        with pytest.raises(EnvServerError) as raised:
            client.reset()
        assert raised.value.status == 429
        first.close()
        client.reset().close()
        second.close()


def test_when_serve_env_binds_beyond_loopback_without_a_token_then_it_refuses(
    sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKGYM_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve-env", str(sample_db), "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "bearer token" in result.output


# -- fuzzed requests: whatever arrives, the server answers it and stays up --------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_fields = st.sampled_from(["session_id", "call", "cutoff", "persona", "seed", "tools", "diff", "max_steps"])
_bodies = st.one_of(
    st.binary(max_size=200),
    _json.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(_fields, _json, max_size=4).map(lambda v: json.dumps(v).encode()),
)
_paths = st.one_of(
    st.sampled_from(["/reset", "/step", "/state", "/fork", "/close", "/tools", "/health"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz/%._-0123456789", max_size=30).map(lambda p: "/" + p),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), path=_paths, body=_bodies)
def test_when_requests_are_fuzzed_then_every_one_gets_a_json_answer_below_500(
    url: str, method: str, path: str, body: bytes
) -> None:
    response = httpx.request(method, url + path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    data = response.json()
    if response.status_code >= 400:
        assert set(data["error"]) == {"kind", "message"}
    if response.status_code == 200 and path == "/reset":  # fuzzing made a session: close it
        httpx.post(url + "/close", json={"session_id": data["session_id"]})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=_json)
def test_when_calls_are_fuzzed_then_each_is_an_observation(env: EnvClient, call: Any) -> None:
    ep = env.reset(persona=ME)
    try:
        obs = ep.step(call if isinstance(call, dict | str) else {"name": call})
        assert obs.info["error"] in {"bad_call", "unknown_tool", "tool_error"} or obs.info["error"] is None
    finally:
        ep.close()
    assert env.health()["status"] == "ok"
