"""The privileged agents: they know a task's actions, so each is built for one task.

* :class:`OracleAgent` runs the task's gold actions, in order: a valid task scores 1.0 with it.
* :class:`WrongAgent` runs its plausible-wrong actions (the gold aimed at a distractor): 0.0.
* :class:`PartialAgent` runs the first half of the gold actions (rounded down, at least one when
  there are two or more): a task that pays for half the work is not checking the work.

Every other agent gets the prompt and the tools only. These get their actions through an
explicit constructor, ``OracleAgent.for_task(task)``, as tau2-bench's ground-truth agent does; the
runner builds one per task. Built without a task (for its name), ``solve`` refuses to run.
"""

from __future__ import annotations

from collections.abc import Sequence

from workgym.agents.base import Agent, AgentError, Recorder
from workgym.tasks import Call, Prompt, Task


class PrivilegedAgent(Agent):
    """An agent that plays calls taken from the task itself; see :meth:`for_task`.

    Args:
        calls: the calls to make, in order.
        task_id: the task they are for (a prompt for another task is refused).
    """

    def __init__(self, calls: Sequence[Call] = (), task_id: str | None = None) -> None:
        self.calls = tuple(calls)
        self.task_id = task_id

    @classmethod
    def for_task(cls, task: Task) -> PrivilegedAgent:
        """The agent for ``task``, holding the calls it plays."""
        return cls(cls.calls_of(task), task.id)

    @staticmethod
    def calls_of(task: Task) -> Sequence[Call]:
        """The calls this kind of agent plays on ``task``."""
        raise NotImplementedError

    async def solve(self, prompt: Prompt, rec: Recorder, *, seed: int) -> None:
        """Play the calls, in order, until the episode ends.

        Raises:
            AgentError: the agent was built without its task, or for another task.
        """
        if self.task_id is None:
            raise AgentError(
                f"the {self.name} agent needs its task: build it with {type(self).__name__}.for_task(task)"
            )
        if prompt.task_id != self.task_id:
            raise AgentError(f"the {self.name} agent was built for task {self.task_id}, not {prompt.task_id}")
        for call in self.calls:
            if rec.done:
                break
            rec.step(call.to_dict())


class OracleAgent(PrivilegedAgent):
    """Does exactly what the task's gold actions do."""

    name = "oracle"

    @staticmethod
    def calls_of(task: Task) -> Sequence[Call]:
        """The gold actions."""
        return task.gold


class WrongAgent(PrivilegedAgent):
    """Does the plausible-wrong actions: the gold aimed at a distractor."""

    name = "wrong"

    @staticmethod
    def calls_of(task: Task) -> Sequence[Call]:
        """The plausible-wrong actions."""
        return task.wrong


class PartialAgent(PrivilegedAgent):
    """Does the first half of the gold actions and stops (a question's answer is never submitted)."""

    name = "partial"

    @staticmethod
    def calls_of(task: Task) -> Sequence[Call]:
        """The first half of the gold actions (none of a one-action task)."""
        return task.gold[: len(task.gold) // 2]


__all__ = ["OracleAgent", "PartialAgent", "PrivilegedAgent", "WrongAgent"]
