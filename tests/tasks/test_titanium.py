"""Tasks from the real titanium workspace: 1,000 drafted and validated, the figures of the issue."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.tasks.helpers import run
from workgym.tasks import Scorer, Task, generate_tasks
from workgym.tasks.generate import Report
from workgym.world import World


@pytest.fixture(scope="module")
def titanium_tasks(titanium_db: Path) -> tuple[World, list[Task], Report]:
    world = World.open(titanium_db)
    tasks, report = generate_tasks(world, n=1000, seed=0)
    return world, tasks, report


def test_when_titanium_is_mined_then_500_plus_tasks_a_third_cross_source_a_fifth_replay(
    titanium_tasks: tuple[World, list[Task], Report],
) -> None:
    _, tasks, _ = titanium_tasks
    assert len(tasks) >= 500
    families = Counter(t.family for t in tasks)
    assert set(families) == {"lookup", "chain", "aggregate", "workflow", "replay", "clarify", "compose"}
    assert sum(t.features["sources"] >= 2 for t in tasks) / len(tasks) >= 0.3
    assert families["replay"] / len(tasks) >= 0.2


def test_when_titanium_tasks_are_run_from_scratch_then_oracle_1_noop_0_wrong_0(
    titanium_tasks: tuple[World, list[Task], Report],
) -> None:
    world, tasks, _ = titanium_tasks
    scorer = Scorer(world)
    for task in tasks:
        assert run(world, task, task.gold, scorer).reward == 1.0, task.id
        assert run(world, task, [], scorer).reward == 0.0, task.id
        assert run(world, task, task.wrong, scorer).reward == 0.0, task.id
