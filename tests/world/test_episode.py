"""Episodes: determinism, the clock, limits, cutoff and persona visibility, writes undone on failure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.world.helpers import CUTOFF, ME, call
from workgym.store import StoreError
from workgym.world import Episode, Limits, World

SCRIPT: list[tuple[str, dict[str, object]]] = [
    ("search_tickets", {"jql": "project = ENG AND status = Open"}),
    ("post_message", {"channel": "general", "text": "looking at ENG-20"}),
    ("create_ticket", {"project": "ENG", "summary": "Flaky login test", "assignee": "nora"}),
    ("comment_ticket", {"key": "ENG-20", "body": "see the new ticket"}),
    ("send_email", {"to": ["nora"], "subject": "ENG-20", "body": "FYI"}),
    ("create_event", {"title": "ENG-20 sync", "start": "2024-04-02T16:00:00Z", "attendees": ["nora"]}),
    ("read_channel", {"channel": "general"}),
    ("search_messages", {"query": "ENG-20"}),
]


def run(episode: Episode) -> list[str]:
    return [episode.step({"name": n, "arguments": a}).text for n, a in SCRIPT]


def test_when_same_seed_and_calls_then_same_observations_and_hash(world: World) -> None:
    a = world.episode(cutoff=CUTOFF, persona=ME, seed=11)
    b = world.episode(cutoff=CUTOFF, persona=ME, seed=11)
    first = run(a)
    assert first == run(b)
    assert a.state_hash() == b.state_hash()
    a.reset()
    assert run(a) == first  # a reset episode replays exactly
    a.close()
    b.close()


def test_when_seed_differs_then_new_ids_differ(world: World) -> None:
    a = world.episode(cutoff=CUTOFF, persona=ME, seed=1)
    b = world.episode(cutoff=CUTOFF, persona=ME, seed=2)
    assert run(a)[3] != run(b)[3]  # the comment's id comes from the seed
    assert a.state_hash() != b.state_hash()
    a.close()
    b.close()


def test_when_steps_run_then_the_clock_moves_and_writes_carry_its_time(world: World) -> None:
    ep = world.episode(cutoff=CUTOFF, persona=ME, seed=1, limits=Limits(step_seconds=90))
    assert ep.now == CUTOFF
    call(ep, "list_channels")
    call(ep, "post_message", channel="general", text="tick")
    assert ep.now == "2024-04-01T09:03:00+00:00"
    (row,) = ep.state_diff().of("message")
    assert row.row["ts"] == ep.now and row.row["author"] == ME
    ep.reset()
    assert ep.now == CUTOFF and ep.steps == 0
    ep.close()


def test_when_step_limit_reached_then_truncated_and_later_steps_are_refused(world: World) -> None:
    ep = world.episode(persona=ME, limits=Limits(max_steps=2))
    assert not ep.step({"name": "list_channels", "arguments": {}}).truncated
    last = ep.step({"name": "list_channels", "arguments": {}})
    assert last.truncated and not last.terminated
    after = ep.step({"name": "list_channels", "arguments": {}})
    assert after.truncated and after.info["error"] == "over" and "reset" in after.text
    ep.reset()
    assert not ep.step({"name": "list_channels", "arguments": {}}).truncated
    ep.close()


def test_when_wall_time_runs_out_then_truncated(world: World) -> None:
    ep = world.episode(persona=ME, limits=Limits(max_seconds=0.0))
    assert ep.step({"name": "list_channels", "arguments": {}}).truncated
    ep.close()


def test_when_answer_submitted_then_terminated_with_the_answer_in_info(ep: Episode) -> None:
    obs = ep.step({"name": "submit_answer", "arguments": {"text": "ENG-4"}})
    assert obs.terminated and not obs.truncated and obs.info["answer"] == "ENG-4" and ep.answer == "ENG-4"
    assert ep.step({"name": "list_channels", "arguments": {}}).info["error"] == "over"


def test_when_reset_then_it_returns_an_opening_observation(ep: Episode) -> None:
    obs = ep.reset()
    assert "Daniel Okafor" in obs.text and "2024-04-01 09:00" in obs.text and "search_tickets" in obs.text
    assert obs.info["step"] == 0 and not obs.terminated and not obs.truncated


def test_when_records_are_after_the_cutoff_then_they_are_invisible(world: World) -> None:
    early = world.episode(cutoff="2024-03-05T00:00:00Z", persona=ME)
    late = world.episode(persona=ME)
    assert "ENG-50" in call(late, "search_tickets", jql="project = ENG ORDER BY created DESC")
    assert "ENG-50" not in call(early, "search_tickets", jql="project = ENG")
    assert "no ticket" in early.step({"name": "get_ticket", "arguments": {"key": "ENG-50"}}).text
    assert "2024-05" not in call(early, "read_channel", channel="general")
    assert "2024-03-04" in call(early, "search_mail")
    assert "2024-03-05 18:52" not in call(early, "search_commits")
    early.close()
    late.close()


def test_when_status_changed_after_the_cutoff_then_the_ticket_shows_its_earlier_status(world: World) -> None:
    # ENG-1 went Open -> Closed on 2024-03-05 09:01.
    before = world.episode(cutoff="2024-03-04T12:00:00Z", persona=ME)
    after = world.episode(cutoff="2024-03-06T12:00:00Z", persona=ME)
    assert "status Open ·" in call(before, "get_ticket", key="ENG-1")
    assert "resolution" not in call(before, "get_ticket", key="ENG-1")
    assert "status Closed (resolution Fixed)" in call(after, "get_ticket", key="ENG-1")
    assert "ENG-1 [Open]" in call(before, "search_tickets", jql="status = Open")
    before.close()
    after.close()


def test_when_persona_is_not_a_member_then_private_channels_and_dms_are_hidden(private_world: World) -> None:
    member = private_world.episode(persona="P0001")
    outsider = private_world.episode(persona=ME)
    observer = private_world.episode()
    assert "#secret-plans" in call(member, "list_channels")
    assert "#secret-plans" not in call(outsider, "list_channels")
    assert "#dm-p0003-p0004" in call(outsider, "list_channels")
    assert "#dm-p0003-p0004" not in call(member, "list_channels")
    assert "zebra" in call(member, "search_messages", query="zebra migration")
    assert "only in secret-plans" not in call(outsider, "search_messages", query="zebra migration")
    refused = outsider.step({"name": "read_channel", "arguments": {"channel": "secret-plans"}})
    assert refused.info["error"] == "tool_error"
    refused = outsider.step({"name": "post_message", "arguments": {"channel": "G0SECRET", "text": "hi"}})
    assert refused.info["error"] == "tool_error" and outsider.state_hash() == member.state_hash()
    assert "#secret-plans" in call(observer, "list_channels")
    for e in (member, outsider, observer):
        e.close()


def test_when_no_persona_then_reads_work_and_writes_are_refused(world: World) -> None:
    ep = world.episode(cutoff=CUTOFF)
    assert "ENG-1" in call(ep, "search_tickets", jql="login")
    obs = ep.step({"name": "post_message", "arguments": {"channel": "general", "text": "hi"}})
    assert obs.info["error"] == "tool_error" and "persona" in obs.text
    ep.close()


def test_when_persona_is_a_name_then_it_resolves_and_a_vague_one_is_refused(world: World) -> None:
    assert world.episode(persona="nora.lindqvist@acme-robotics.io").persona == "P0002"
    assert world.episode(persona="Nora Lindqvist").persona == "P0002"
    with pytest.raises(ValueError, match="names nobody"):
        world.episode(persona="nobody-at-all")
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        world.episode(cutoff="next tuesday")


def test_when_a_write_tool_fails_midway_then_its_writes_are_undone(ep: Episode) -> None:
    # update_ticket records the status event before it resolves the assignee, which fails.
    obs = ep.step(
        {"name": "update_ticket", "arguments": {"key": "ENG-20", "status": "Resolved", "assignee": "zz"}}
    )
    assert obs.info["error"] == "tool_error"
    assert not ep.state_diff()


def test_when_tools_are_restricted_then_others_are_unknown(world: World) -> None:
    ep = world.episode(persona=ME, tools=["get_ticket", "submit_answer"])
    obs = ep.step({"name": "search_tickets", "arguments": {}})
    assert obs.info["error"] == "unknown_tool" and "get_ticket" in obs.text
    assert [t["function"]["name"] for t in world.tools(["get_ticket"])] == ["get_ticket"]
    ep.close()


def test_when_a_call_is_json_text_or_an_openai_tool_call_then_it_runs(ep: Episode) -> None:
    as_text = ep.step(json.dumps({"name": "get_ticket", "arguments": {"key": "ENG-1"}}))
    openai = ep.step(
        {"id": "c1", "type": "function", "function": {"name": "get_ticket", "arguments": '{"key": "ENG-1"}'}}
    )
    assert as_text.info["error"] is None and openai.text == as_text.text


def test_when_an_observation_is_too_long_then_it_is_cut_to_the_budget(world: World) -> None:
    ep = world.episode(persona=ME, limits=Limits(observation_chars=300))
    obs = ep.step({"name": "read_channel", "arguments": {"channel": "general"}})
    assert len(obs.text) < 400 and "more characters cut" in obs.text
    ep.close()


def test_when_a_file_is_not_a_workspace_then_open_says_so(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello")
    with pytest.raises(StoreError, match="not a workgym workspace"):
        World.open(junk)
    with pytest.raises(StoreError, match="no such workspace"):
        World.open(tmp_path / "missing.db")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', '99')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 99"):
        World.open(other)


def test_when_asked_then_an_episode_lists_its_tool_schemas(world: World) -> None:
    ep = world.episode(tools=["get_ticket", "submit_answer"])
    assert [s["function"]["name"] for s in ep.schemas()] == ["get_ticket", "submit_answer"]
    assert len(world.tools()) == len(world.episode().schemas())
    ep.close()
