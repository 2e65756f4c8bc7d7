"""The Gymnasium face of a world's tasks: ``gymnasium.make("workgym/Task-v0", workspace=, tasks=)``.

``reset(options={"task_id": ...})`` opens that task (or, without one, the seed picks it), and
``step`` returns the task's reward (binary by default, ``reward="dense"`` for progress; see
:class:`~workgym.tasks.env.TaskEnv`). The step that ends the episode carries ``info["score"]``:
the reward, partial credit and each check's result. Actions and observations are text, as in
:mod:`workgym.world.gym` (``workgym/Workspace-v0``, which importing this module registers too).
Importing this module registers the id (it needs the ``gym`` extra: ``pip install "workgym[gym]"``).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Literal

import gymnasium
from gymnasium import spaces

from workgym.tasks.env import TaskEnv, TaskSet
from workgym.world.core import Limits
from workgym.world.gym import charset, fit_text

TASK_ENV_ID = "workgym/Task-v0"


class TaskGymEnv(gymnasium.Env[str, str]):
    """A world's tasks as a Gymnasium environment: each reset opens one task, each step is rewarded.

    Actions and observations are text, as in :class:`WorkspaceEnv`. The first observation is the
    episode's opening text and the task's instruction; ``info["prompt"]`` holds the whole prompt
    (system text with the workplace policy, instruction, tool schemas; never the gold actions or
    checks) and ``info["task_id"]`` the task. A step's reward is :class:`~workgym.tasks.env.TaskEnv`'s:
    the task's 1.0 or 0.0 on the step that ends the episode (binary), or the change in progress
    (dense); that step's ``info["score"]`` holds each check's result.

    Args:
        workspace: the workspace the tasks were mined from (its SQLite file).
        tasks: their ``tasks.jsonl``.
        reward: ``binary`` (default) or ``dense``.
        limits: the episodes' limits.
        max_text: the longest action or observation, in characters.
        task_ids: the tasks a seeded reset picks among (default all, in file order).
        taskset: an open :class:`~workgym.tasks.env.TaskSet` to use instead of opening the files.

    Raises:
        KeyError: a task id is not in the tasks file.
        ValueError: the tasks file holds no task.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium's class attribute

    def __init__(
        self,
        workspace: str | Path | None = None,
        tasks: str | Path | None = None,
        *,
        reward: Literal["binary", "dense"] = "binary",
        limits: Limits | None = None,
        max_text: int = 20_000,
        task_ids: list[str] | None = None,
        taskset: TaskSet | None = None,
    ) -> None:
        if taskset is None:
            if workspace is None or tasks is None:
                raise ValueError("give workspace= and tasks= (or an open taskset=)")
            taskset = TaskSet.open(workspace, tasks)
        self.taskset = taskset
        self.task_ids = list(task_ids) if task_ids is not None else [t.id for t in taskset.tasks]
        if not self.task_ids:
            raise ValueError("no tasks to run: the tasks file is empty")
        for task_id in self.task_ids:
            taskset.get(task_id)  # KeyError, naming the closest ids
        self.reward_mode: Literal["binary", "dense"] = reward
        self.limits, self.max_text = limits, max_text
        chars = charset()
        self.action_space = spaces.Text(max_length=max_text, min_length=0, charset=chars)
        self.observation_space = spaces.Text(max_length=max_text, min_length=0, charset=chars)
        self._env: TaskEnv | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Open a task: ``options["task_id"]``, or one the seed picks; ``options["seed"]`` seeds its episode.

        Raises:
            KeyError: ``options["task_id"]`` is not one of the tasks.
        """
        super().reset(seed=seed)
        options = options or {}
        task_id = options.get("task_id")
        if task_id is None:
            task_id = self.task_ids[int(self.np_random.integers(len(self.task_ids)))]
        task_id = str(task_id)
        self.taskset.get(task_id)  # KeyError before the old episode goes
        if self._env is not None:
            self._env.close()
        episode_seed = int(options.get("seed", seed if seed is not None else 0))
        self._env = self.taskset.env(task_id, seed=episode_seed, limits=self.limits, reward=self.reward_mode)
        observation = self._env.reset()
        info = {**observation.info, "task_id": task_id, "prompt": self._env.prompt.to_dict()}
        return self._text(observation.text), info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run one tool call (its JSON text); the reward is the task's (see the class docstring)."""
        env = self.task_env
        observation = env.step(action)
        return (
            self._text(observation.text),
            float(observation.reward),
            observation.terminated,
            observation.truncated,
            {**observation.info, "task_id": env.task_id},
        )

    def _text(self, text: str) -> str:
        return fit_text(text, self.max_text)

    @property
    def task_env(self) -> TaskEnv:
        """The current task environment (its score, fork and state hash); a seeded reset makes one."""
        if self._env is None:
            self.reset()
        assert self._env is not None
        return self._env

    def fork(self) -> TaskGymEnv:
        """An independent copy, its episode as it stands now: a GRPO group's rollouts after a prefix.

        The copy shares the task set and settings and has its own episode
        (:meth:`~workgym.tasks.env.TaskEnv.fork`) and random generator; close each on its own.
        """
        child = copy.copy(self)
        child._np_random = copy.deepcopy(self._np_random)
        child._env = self.task_env.fork()
        return child

    def close(self) -> None:
        """Release the episode."""
        if self._env is not None:
            self._env.close()
            self._env = None


if TASK_ENV_ID not in gymnasium.registry:
    gymnasium.register(id=TASK_ENV_ID, entry_point="workgym.tasks.gym:TaskGymEnv")

__all__ = ["TASK_ENV_ID", "TaskGymEnv"]
