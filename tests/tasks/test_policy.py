"""The workplace policy derived from the sample, its text, and the check that fails an episode breaking it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workgym.tasks import Check, Scorer, Task
from workgym.tasks.families.base import Gen
from workgym.tasks.policy import RULES, Policy, derive_policy, next_working_day
from workgym.world import World


@pytest.fixture(scope="module")
def policy(anon_world: World) -> Policy:
    g = Gen(anon_world, 0)
    try:
        return derive_policy(anon_world, g.is_person)
    finally:
        g.close()


def test_when_derived_then_each_lead_filed_most_of_the_project_and_backups_were_assigned_most(
    anon_db: Path, policy: Policy
) -> None:
    conn = sqlite3.connect(anon_db)
    try:
        for project, lead in policy.leads.items():
            filed = dict(
                conn.execute("SELECT reporter, COUNT(*) FROM ticket WHERE project = ? GROUP BY 1", (project,))
            )
            assert filed[lead] == max(filed.values())
        assert policy.backups
        for project, backups in policy.backups.items():
            assert len(backups) == 2 and policy.leads[project] not in backups
            held = dict(
                conn.execute("SELECT assignee, COUNT(*) FROM ticket WHERE project = ? GROUP BY 1", (project,))
            )
            others = [n for p, n in held.items() if p and p not in backups and p != policy.leads[project]]
            assert min(held[b] for b in backups) >= max(others, default=0)
    finally:
        conn.close()


def test_when_the_backup_owner_leaves_then_the_second_backup_takes_over(policy: Policy) -> None:
    project, (first, second) = next(iter(policy.backups.items()))
    assert policy.successor(project, "someone else") == first
    assert policy.successor(project, first) == second
    assert policy.successor("NOPE", first) is None


def test_when_a_task_states_its_policy_then_it_names_the_facts_and_only_its_rules(policy: Policy) -> None:
    project = next(iter(policy.backups))
    text = policy.text(["handover", "notify"], [project], lambda p: f"<{p}>")
    assert text.startswith("Workplace policy:")
    assert f"In {project}, the lead is <{policy.leads[project]}>" in text
    assert " then ".join(f"<{b}>" for b in policy.backups[project]) in text
    assert RULES["handover"] in text and RULES["notify"] in text and RULES["priority"] not in text


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2025-05-14T16:00:00+00:00", "2025-05-15T00:00:00+00:00"),  # a Wednesday: Thursday
        ("2025-05-16T23:59:00+00:00", "2025-05-19T00:00:00+00:00"),  # a Friday: Monday
        ("2025-05-17T08:00:00+00:00", "2025-05-19T00:00:00+00:00"),  # a Saturday: Monday
    ],
)
def test_when_the_next_working_day_is_asked_then_weekends_are_skipped(moment: str, expected: str) -> None:
    assert next_working_day(moment) == expected


def test_when_a_forbidden_row_is_written_then_the_forbids_check_fails_and_otherwise_passes(
    anon_world: World,
) -> None:
    with anon_world.episode() as ep:
        key, persona = ep.state.query(
            "SELECT id, assignee FROM ticket WHERE assignee != '' ORDER BY id LIMIT 1"
        )[0]
    rule = Check(
        kind="forbids", table="ticket_event", where={"field": "priority", "ticket_id": {"any": [key]}}
    )
    task = Task(
        family="compose", instruction="x", cutoff=None, persona=persona, tools=(), gold=(), checks=(rule,)
    )
    scorer = Scorer(anon_world)
    with anon_world.episode(persona=persona) as ep:
        ep.step({"name": "comment_ticket", "arguments": {"key": key, "body": "Asked the lead."}})
        assert scorer.score(task, ep).reward == 1.0
        ep.step({"name": "update_ticket", "arguments": {"key": key, "labels": ["x"]}})
        assert scorer.score(task, ep).reward == 1.0  # another field's history is not this rule's
        for priority in [p for p in anon_world.facts.priorities][:2]:
            ep.step({"name": "update_ticket", "arguments": {"key": key, "priority": priority}})
        result = scorer.score(task, ep).results[0]
        assert not result.passed and "policy forbids" in result.detail


def test_when_a_task_has_a_policy_then_it_round_trips_and_changes_the_id() -> None:
    plain = Task(family="compose", instruction="x", cutoff=None, persona=None, tools=(), gold=(), checks=())
    bound = Task(
        family="compose",
        instruction="x",
        cutoff=None,
        persona=None,
        tools=(),
        gold=(),
        checks=(),
        policy="Rules.",
    )
    assert plain.to_dict()["policy"] is None and Task.from_dict(plain.to_dict()).policy == ""
    assert Task.from_dict(bound.with_id().to_dict()) == bound.with_id()
    assert plain.with_id().id != bound.with_id().id
