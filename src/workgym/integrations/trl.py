"""TRL: a world's tasks as ``GRPOTrainer(environment_factory=...)`` environments (``workgym[trl]``).

TRL's ``environment_factory`` is a class: one instance per rollout, whose ``reset(**row)`` is
called with the dataset row and returns the first observation (appended to the row's last user
message), whose public methods are the tools (TRL builds their schemas from the type hints and
docstrings, with ``transformers.utils.get_json_schema``) and whose ``get_reward()`` scores the
rollout. :func:`grpo_spec` gives both halves::

    from trl import GRPOConfig, GRPOTrainer
    from workgym.integrations.trl import grpo_spec

    spec = grpo_spec("anon.db", "tasks.jsonl", split="train")
    trainer = GRPOTrainer(model="Qwen/Qwen3-0.6B", args=GRPOConfig(num_generations=8),
                          train_dataset=spec.train_dataset, environment_factory=spec.environment_factory)

Each row's ``prompt`` is the system message (the workplace policy, and the task's rules when it has
any: the same text for every task without rules, so a serving engine caches it) and the
instruction; ``reset`` opens the task's episode and returns its opening text (who the agent is,
when, which tools). The tools are every tool the set's tasks use; a task's episode refuses the
others with an error observation, as the world does. ``get_reward`` is the task's reward, scored
on the episode as it stands when the rollout ends (binary: 1.0 or 0.0; dense: the progress).

GRPO groups: TRL repeats each row ``num_generations`` times and gives each repeat its own
instance, so the G rollouts of a task start from the same state (the same seed). To fork G
rollouts after a shared prefix, play the prefix in one instance and :func:`fork` it G times.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from workgym.integrations.tools import tool_function
from workgym.tasks.env import RewardMode, TaskEnv, TaskSet
from workgym.world import Limits
from workgym.world.policy import system_text

if TYPE_CHECKING:
    import datasets


class TaskToolEnv:
    """One rollout's environment for TRL: ``reset(**row)`` opens the row's task; the tools step it.

    Not used directly: :func:`environment_class` makes a subclass bound to a task set, with one
    method per tool. The class holds no episode until :meth:`reset` (TRL makes one at start to
    read the tools).

    Attributes:
        taskset: the tasks (and their world) the class serves.
        reward_mode: ``binary`` or ``dense``.
        limits: the episodes' limits.
    """

    taskset: ClassVar[TaskSet]
    reward_mode: ClassVar[RewardMode] = "binary"
    limits: ClassVar[Limits | None] = None

    def __init__(self) -> None:
        self._env: TaskEnv | None = None

    def reset(self, **row: Any) -> str:
        """Open the row's task (``row["task_id"]``; ``row["seed"]`` seeds it, default 0); its opening text.

        Raises:
            KeyError: the row has no ``task_id``, or names no task of the set.
        """
        if "task_id" not in row:
            raise KeyError("the dataset row has no task_id column (use grpo_spec's train_dataset)")
        if self._env is not None:
            self._env.close()
        self._env = self.taskset.env(
            str(row["task_id"]), seed=int(row.get("seed") or 0), reward=self.reward_mode, limits=self.limits
        )
        observation = self._env.reset()
        opening = observation.text.removesuffix(self._env.task.instruction).rstrip()
        return f"\n\n{opening}"

    def get_reward(self) -> float:
        """The task's reward for the episode as it stands (binary: 1.0 or 0.0; dense: its progress)."""
        env = self.task_env
        return float(env.score().reward if self.reward_mode == "binary" else env.progress())

    @property
    def task_env(self) -> TaskEnv:
        """The rollout's task environment (its score, state hash and fork).

        Raises:
            RuntimeError: before the first :meth:`reset`.
        """
        if self._env is None:
            raise RuntimeError("no task yet: TRL calls reset(**row) first")
        return self._env

    def _call_tool(self, name: str, arguments: dict[str, Any]) -> str:
        """Step the episode with one call; the observation's text (an error observation for a bad call)."""
        return self.task_env.step({"name": name, "arguments": arguments}).text

    def _close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter exit the world may be gone first
            self._close()


def environment_class(
    taskset: TaskSet,
    *,
    reward: RewardMode = "binary",
    limits: Limits | None = None,
    tools: Sequence[str] | None = None,
) -> type[TaskToolEnv]:
    """A :class:`TaskToolEnv` subclass for ``taskset``: TRL's ``environment_factory``.

    Args:
        taskset: the tasks and their world.
        reward: ``binary`` (the task's reward) or ``dense`` (its progress).
        limits: the episodes' limits.
        tools: the tools to offer (default: every tool the tasks use, in the world's order).
    """
    used = set(tools) if tools is not None else {name for t in taskset.tasks for name in t.tools}
    user = any(t.user for t in taskset.tasks)
    schemas = [s for s in taskset.world.tools(user=user) if not used or s["function"]["name"] in used]
    methods: dict[str, Any] = {
        s["function"]["name"]: tool_function(s, _unbound, method=True) for s in schemas
    }
    namespace: dict[str, Any] = {
        **methods,
        "taskset": taskset,
        "reward_mode": reward,
        "limits": limits,
        "__doc__": f"workgym tasks for TRL: {len(taskset)} tasks, {len(methods)} tools.",
        "__module__": __name__,
    }
    return type("WorkgymTaskEnv", (TaskToolEnv,), namespace)


def _unbound(name: str, arguments: dict[str, Any]) -> str:  # a method's call goes through self._call_tool
    raise AssertionError("unreachable")


def fork(env: TaskToolEnv) -> TaskToolEnv:
    """A new instance of ``env``'s class whose episode is a copy of ``env``'s as it is now."""
    child = type(env)()
    child._env = env.task_env.fork()
    return child


def prompt_messages(taskset: TaskSet, task_id: str) -> list[dict[str, str]]:
    """A dataset row's ``prompt``: the system message (policy, the task's rules) and the instruction."""
    task = taskset.get(task_id)
    return [
        {"role": "system", "content": system_text("", task.policy)},
        {"role": "user", "content": task.instruction},
    ]


@dataclass(frozen=True)
class GRPOSpec:
    """What ``GRPOTrainer`` takes from workgym.

    Attributes:
        train_dataset: a ``datasets.Dataset``: ``prompt`` (chat messages), ``task_id``, ``family``.
        environment_factory: the environment class (:func:`environment_class`).
        taskset: the tasks served.
    """

    train_dataset: datasets.Dataset
    environment_factory: Callable[[], TaskToolEnv]
    taskset: TaskSet


def grpo_spec(
    workspace: str | Path | TaskSet,
    tasks: str | Path | None = None,
    *,
    split: str | None = None,
    reward: RewardMode = "binary",
    limits: Limits | None = None,
    task_ids: Sequence[str] | None = None,
) -> GRPOSpec:
    """The dataset and environment factory for ``GRPOTrainer``, from a workspace and its tasks.

    Args:
        workspace: the workspace file, or an open :class:`TaskSet` (then leave ``tasks`` out).
        tasks: the ``tasks.jsonl``.
        split: only the tasks of this split (``train``, ``test``); default all.
        reward: ``binary`` or ``dense``.
        limits: the episodes' limits.
        task_ids: only these tasks, in this order.

    Raises:
        ImportError: ``datasets`` is not installed (``pip install "workgym[trl]"``).
        KeyError: a task id is not in the set.
        ValueError: no task is left to train on.
    """
    import datasets

    if isinstance(workspace, TaskSet):
        taskset = workspace
    else:
        if tasks is None:
            raise ValueError("give the tasks file beside the workspace")
        taskset = TaskSet.open(workspace, tasks)
    chosen = [taskset.get(i) for i in task_ids] if task_ids is not None else list(taskset.tasks)
    if split is not None:
        chosen = [t for t in chosen if t.split == split]
    if not chosen:
        raise ValueError(f"no tasks to train on (split {split!r})" if split else "no tasks to train on")
    served = TaskSet(taskset.world, chosen)
    rows = [{"prompt": prompt_messages(served, t.id), "task_id": t.id, "family": t.family} for t in chosen]
    return GRPOSpec(
        train_dataset=datasets.Dataset.from_list(rows),
        environment_factory=environment_class(served, reward=reward, limits=limits),
        taskset=served,
    )


__all__ = ["GRPOSpec", "TaskToolEnv", "environment_class", "fork", "grpo_spec", "prompt_messages"]
