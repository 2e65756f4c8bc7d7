"""Scripted agents of graded skill: each solves exactly the tasks whose gold takes at most N calls.

``upto-N`` (``--agent upto-3``) plays a task's gold actions when there are at most N of them and
does nothing otherwise: its skill is a known threshold on the length of the work. A set of them
(``upto-2``, ``upto-4``, ``upto-8``) gives a calibration real-looking outcomes with a known
answer, which is what tests of the frontier loop need (``workgym tasks --harder-than``): a set
built to be harder than what ``upto-N`` solved must hold tasks it fails.

Like the oracle, it is privileged (it reads the gold), so it is built per task with
:meth:`GradedAgent.for_skill`; unlike the oracle, its outcomes are measures, not checks, and a fit
keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from workgym.agents.oracle import PrivilegedAgent
from workgym.tasks import Call, Task

_KIND = re.compile(r"upto-([1-9][0-9]{0,2})")


def graded_skill(kind: str) -> int | None:
    """The N of an ``upto-N`` kind (1-999), None for any other kind."""
    match = _KIND.fullmatch(kind)
    return int(match.group(1)) if match else None


class GradedAgent(PrivilegedAgent):
    """Plays the gold of a task whose gold takes at most ``skill`` calls; does nothing on a longer one.

    Args:
        skill: the longest gold it plays.
        calls: the calls it plays on its task (empty for a task beyond its skill).
        task_id: the task they are for.
    """

    def __init__(self, skill: int, calls: Sequence[Call] = (), task_id: str | None = None) -> None:
        super().__init__(calls, task_id)
        self.skill = skill
        self.name = f"upto-{skill}"

    @classmethod
    def for_skill(cls, skill: int, task: Task | None = None) -> GradedAgent:
        """The agent of this skill for ``task`` (without a task, it has a name but cannot run)."""
        if task is None:
            return cls(skill)
        return cls(skill, task.gold if len(task.gold) <= skill else (), task.id)


__all__ = ["GradedAgent", "graded_skill"]
