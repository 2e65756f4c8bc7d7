"""The oracle agent: runs the task's gold actions, in order. A valid task scores 1.0 with it."""

from __future__ import annotations

from workgym.agents.base import Agent, Recorder
from workgym.tasks import Task


class OracleAgent(Agent):
    """Does exactly what the task's gold actions do."""

    name = "oracle"

    async def solve(self, task: Task, rec: Recorder, *, seed: int) -> None:
        """Run the gold actions."""
        for call in task.gold:
            if rec.done:
                break
            rec.step(call.to_dict())
