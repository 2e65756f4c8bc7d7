"""What the world's faces need of a task, as protocols: the world stage names no class of the tasks stage.

The HTTP env server and the MCP server can serve a task's episode with its reward, but the tasks
stage (:mod:`workgym.tasks`) is built on the world, not the other way round (DESIGN's stage
order). So the faces take anything shaped like a task session and a task source, and the tasks
stage's :class:`~workgym.tasks.env.TaskEnv` and :class:`~workgym.tasks.env.TaskSet` are that
shape (mypy checks it where they are handed to a face).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from workgym.world.core import Episode, Observation


class TaskPrompt(Protocol):
    """What an agent is told of a task: the system text and the instruction."""

    @property
    def system(self) -> str:
        """The system text (policy, rules, the episode's opening)."""
        ...

    @property
    def instruction(self) -> str:
        """The task's instruction."""
        ...


class TaskScore(Protocol):
    """A task's score of an episode."""

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data (the reward, partial credit and each check's result)."""
        ...


class TaskSession(Protocol):
    """One task's episode, rewarded: what a face steps, scores and forks."""

    @property
    def task_id(self) -> str:
        """The task's id."""
        ...

    @property
    def episode(self) -> Episode:
        """The task's episode."""
        ...

    @property
    def prompt(self) -> TaskPrompt:
        """What the agent is told."""
        ...

    @property
    def done(self) -> bool:
        """Whether the episode has ended."""
        ...

    def step(self, call: Any) -> Observation:
        """One tool call, its observation carrying the task's reward."""
        ...

    def reset(self, *, seed: int | None = None) -> Observation:
        """Start the task over."""
        ...

    def score(self) -> TaskScore:
        """The episode's score as it stands."""
        ...

    def fork(self) -> TaskSession:
        """An independent copy as it is now."""
        ...

    def close(self) -> None:
        """Release the episode."""
        ...


class ListedTask(Protocol):
    """What a task listing shows of a task (never its gold or checks)."""

    @property
    def id(self) -> str:
        """The task's id."""
        ...

    @property
    def family(self) -> str:
        """The task's family."""
        ...

    @property
    def split(self) -> str:
        """Its split (``train``, ``test``)."""
        ...

    @property
    def instruction(self) -> str:
        """The task's instruction."""
        ...


class TaskSource(Protocol):
    """Where a face's task sessions come from: a set of tasks of its world."""

    @property
    def tasks(self) -> Sequence[ListedTask]:
        """The tasks, in order."""
        ...

    def env(self, task_id: str, **kw: Any) -> TaskSession:
        """A session of one task.

        Raises:
            KeyError: no such task.
            ValueError: a setting the task refuses.
        """
        ...

    def __len__(self) -> int: ...


def task_listing(tasks: TaskSource) -> list[dict[str, Any]]:
    """What ``/tasks`` shows of each task: what an agent may see of it, never its gold or checks."""
    return [
        {"id": t.id, "family": t.family, "split": t.split, "instruction": t.instruction} for t in tasks.tasks
    ]


__all__ = ["ListedTask", "TaskPrompt", "TaskScore", "TaskSession", "TaskSource", "task_listing"]
