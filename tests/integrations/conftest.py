"""Fixtures: the anonymized sample's tasks written as a ``tasks.jsonl``, and one task per family."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workgym.tasks import Task, TaskSet, write_tasks
from workgym.world import World


@pytest.fixture(scope="session")
def tasks_file(sample_tasks: tuple[list[Task], Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every validated task of the anonymized sample, as the ``tasks`` command writes them."""
    path = tmp_path_factory.mktemp("tasks") / "tasks.jsonl"
    write_tasks(sample_tasks[0], path)
    return path


@pytest.fixture(scope="session")
def taskset(anon_world: World, sample_tasks: tuple[list[Task], Any]) -> TaskSet:
    return TaskSet(anon_world, sample_tasks[0])


@pytest.fixture(scope="session")
def one_per_family(sample_tasks: tuple[list[Task], Any]) -> list[Task]:
    """The first task of each family (an answer task, a change task, one with a simulated user...)."""
    seen: dict[str, Task] = {}
    for task in sample_tasks[0]:
        seen.setdefault(task.family, task)
    return list(seen.values())
