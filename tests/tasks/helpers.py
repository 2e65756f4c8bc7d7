"""Running a task from scratch, apart from the validator: a fresh episode per agent, a fresh scorer."""

from __future__ import annotations

from collections.abc import Sequence

from workgym.tasks import Call, Score, Scorer, ScriptedUser, Task
from workgym.world import Limits, World


def run(world: World, task: Task, calls: Sequence[Call], scorer: Scorer | None = None) -> Score:
    """Score ``calls`` on ``task`` in a new episode (the scripted user present when the task has one)."""
    user = ScriptedUser(task.user) if task.user else None
    limits = Limits(max_steps=200)
    tools = task.tools or None  # a hand-made task may leave them out: all tools
    with world.episode(cutoff=task.cutoff, persona=task.persona, tools=tools, user=user, limits=limits) as ep:
        for call in calls:
            ep.step(call.to_dict())
        return (scorer or Scorer(world)).score(task, ep)
