"""Running a task from scratch, apart from the validator: a fresh task environment per agent."""

from __future__ import annotations

from collections.abc import Sequence

from workgym.tasks import Call, Score, Scorer, Task, TaskEnv
from workgym.world import Limits, World


def run(world: World, task: Task, calls: Sequence[Call], scorer: Scorer | None = None) -> Score:
    """Score ``calls`` on ``task`` in a new episode (the scripted user present when the task has one)."""
    with TaskEnv(world, task, limits=Limits(max_steps=200), scorer=scorer) as env:
        for call in calls:
            env.step(call.to_dict())
        return env.score()
