"""Focused tool sets on the sample's tasks: what each needs and a few others, smaller, stable, still valid."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace

from tests.tasks.helpers import run
from workgym.tasks import Scorer, Task
from workgym.tasks.families.base import Draft
from workgym.tasks.generate import Report
from workgym.tasks.model import Call, Evidence, UserFact
from workgym.tasks.toolsets import DECOY, focused_tools
from workgym.world import World
from workgym.world.schema import REGISTRY


def _app(name: str) -> str:
    tool = REGISTRY.get(name)
    assert tool is not None
    return tool.app


def test_when_tasks_are_mined_then_each_has_its_calls_tools_and_far_fewer_than_all(
    anon_world: World, sample_tasks: tuple[list[Task], Report]
) -> None:
    tasks, _ = sample_tasks
    every = len(anon_world.tools(user=True))
    for task in tasks:
        called = {c.name for c in (*task.gold, *task.wrong)}
        assert called <= set(task.tools), task.id
        assert "submit_answer" in task.tools and "find_person" in task.tools
        assert ("ask_user" in task.tools) == bool(task.user)
        assert len(set(task.tools)) == len(task.tools)
        # a decoy: some search tool of an app that none of the task's calls touch
        assert any(DECOY[a] in task.tools for a in DECOY if a not in {_app(n) for n in called}), task.id
    assert statistics.median(len(t.tools) for t in tasks) <= every / 2


def test_when_schemas_are_focused_and_compact_then_the_median_prompt_is_a_third_of_all(
    anon_world: World, sample_tasks: tuple[list[Task], Report]
) -> None:
    tasks, _ = sample_tasks
    every = len(json.dumps(anon_world.tools()))
    sizes = [len(json.dumps(anon_world.tools(t.tools, user=bool(t.user), compact=True))) for t in tasks]
    assert statistics.median(sizes) <= every / 3


def test_when_the_same_draft_is_asked_twice_then_the_tools_are_the_same_and_in_app_order() -> None:
    draft = Draft(
        family="lookup",
        instruction="Who is working on the login bug?",
        gold=[Call("search_tickets", {"jql": "text ~ login"}), Call("submit_answer", {"text": "x"})],
        wrong=[Call("submit_answer", {"text": "y"})],
        checks=[],
        evidence=[Evidence("ticket", "ABC-1", "the bug"), Evidence("person", "P1", "its assignee")],
        entity="ABC-1",
    )
    tools = focused_tools(draft)
    assert tools == focused_tools(draft)
    assert tools[0] == "find_person" and tools[-1] == "submit_answer"  # directory first, answer last
    assert {"search_tickets", "get_ticket", "get_person"} <= set(tools)
    assert not any(REGISTRY.get(n).writes for n in tools)  # type: ignore[union-attr]  # a question: no writes
    asking = replace(draft, user=[UserFact(("which",), "the login one")])
    assert focused_tools(asking)[-1] == "ask_user"


def test_when_a_task_writes_then_its_write_and_one_other_of_that_app_are_offered() -> None:
    draft = Draft(
        family="workflow",
        instruction="Move ABC-1 to In Progress.",
        gold=[Call("update_ticket", {"key": "ABC-1", "status": "In Progress"})],
        wrong=[Call("update_ticket", {"key": "ABC-2", "status": "In Progress"})],
        checks=[],
        evidence=[Evidence("ticket", "ABC-1", "the ticket")],
        entity="ABC-1",
    )
    writes = [n for n in focused_tools(draft) if REGISTRY.get(n).writes]  # type: ignore[union-attr]
    assert "update_ticket" in writes and len(writes) == 2
    assert all(_app(n) == "tracker" for n in writes)


def test_when_focused_tasks_are_run_from_scratch_then_oracle_1_and_noop_0(
    anon_world: World, sample_tasks: tuple[list[Task], Report]
) -> None:
    tasks, _ = sample_tasks
    scorer = Scorer(anon_world)
    by_family: dict[str, Task] = {}
    for task in tasks:
        by_family.setdefault(task.family, task)
    for task in by_family.values():
        assert run(anon_world, task, task.gold, scorer).reward == 1.0, task.id
        assert run(anon_world, task, [], scorer).reward == 0.0, task.id
