"""Generation's shortcuts give what the long way gives: worker processes, the forked wrong run, the ticket index."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from workgym.tasks import Task, generate_tasks
from workgym.tasks.families import FAMILIES, Gen
from workgym.tasks.families.base import _STOP
from workgym.tasks.generate import Report, write_tasks
from workgym.tasks.model import Call
from workgym.tasks.validate import Validator, shared_prefix
from workgym.world import World


def test_when_two_worker_processes_validate_then_the_tasks_file_is_byte_identical(
    anon_world: World, sample_tasks: tuple[list[Task], Report], tmp_path: Path
) -> None:
    alone, shared = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    write_tasks(sample_tasks[0], alone)
    tasks, report = generate_tasks(anon_world, n=150, seed=0, workers=2)
    write_tasks(tasks, shared)
    assert shared.read_bytes() == alone.read_bytes()
    assert report.validated == sample_tasks[1].validated and report.dropped == sample_tasks[1].dropped


def test_shared_prefix_counts_the_calls_wrong_and_gold_share_from_the_first() -> None:
    a, b, c = (
        Call("get_ticket", {"key": "A-1"}),
        Call("get_ticket", {"key": "A-2"}),
        Call("submit_answer", {}),
    )
    assert shared_prefix([a, b, c], [a, b, a]) == 2
    assert shared_prefix([a, b], [b, a]) == 0
    assert shared_prefix([a, b], [a, b, c]) == 2
    assert shared_prefix([], [a]) == 0


def test_when_the_wrong_run_starts_from_a_fork_then_every_outcome_is_the_replayed_one(
    anon_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    g = Gen(anon_world, 0)
    try:
        drafts = FAMILIES["compose"](g, 40)
    finally:
        g.close()
    long_shared = [d for d in drafts if shared_prefix(d.gold, d.wrong) >= 4]
    assert len(long_shared) >= 10  # composed tasks' wrong actions share most of the gold
    validator = Validator(anon_world)
    try:
        forked = [validator.validate(d) for d in drafts]
        monkeypatch.setattr("workgym.tasks.validate.FORK_PREFIX", 10**6)  # replay, as before the fork
        replayed = [validator.validate(d) for d in drafts]
    finally:
        validator.close()
    assert forked == replayed
    assert sum(o.task is not None for o in forked) >= 10


def _similar_by_sql(g: Gen, ticket_id: str, summary: str, n: int = 5) -> list[sqlite3.Row]:
    """The distractor query as first written: a LIKE scan of the ticket view per call."""
    mine = {w.lower() for w in re.findall(r"[A-Za-z]{4,}", summary)} - _STOP
    if not mine:
        return []
    like = " OR ".join("lower(summary) LIKE ?" for _ in mine)
    found = g.rows(
        f"SELECT * FROM ticket WHERE id != ? AND ({like}) LIMIT 400",
        (ticket_id, *[f"%{w}%" for w in sorted(mine)]),
    )
    return sorted(
        found,
        key=lambda r: (-len(mine & {w.lower() for w in re.findall(r"[A-Za-z]{4,}", r["summary"])}), r["id"]),
    )[:n]


def test_when_similar_tickets_come_from_the_index_then_they_are_the_sql_scans_own(anon_world: World) -> None:
    g = Gen(anon_world, 0)
    try:
        tickets = g.rows("SELECT id, summary FROM ticket ORDER BY id")
        assert tickets
        asked = [(t["id"], t["summary"]) for t in tickets]
        asked += [("NOPE-1", "Ångström naïve UPPER case Release notes"), ("NOPE-2", "the and for")]
        some = 0
        for key, summary in asked:
            want = [tuple(r) for r in _similar_by_sql(g, key, summary)]
            assert [tuple(r) for r in g.similar_tickets(key, summary)] == want, key
            some += bool(want)
        assert some >= len(tickets) // 2
    finally:
        g.close()
