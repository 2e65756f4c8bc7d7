"""The task environment: a world, one task and its scorer, behind one small protocol.

Everything that runs a task goes through :class:`TaskEnv`: the runner, the validator, replay, the
viewer, the Gymnasium, HTTP and MCP faces and the trainer adapters. It opens the task's episode (its
cutoff, persona, tools and simulated user), shows the agent a :class:`Prompt` (the policy, the
episode's opening text, the instruction and the tool schemas; never the gold actions, the
plausible-wrong ones, the checks or the evidence), and scores the episode when it ends::

    tasks = TaskSet.open("anon.db", "tasks.jsonl")
    with tasks.env(tasks.tasks[0].id) as env:
        obs = env.reset(seed=0)                    # the opening text and the instruction
        obs = env.step({"name": "search_tickets", "arguments": {"jql": "status = Open"}})
        obs = env.step({"name": "submit_answer", "arguments": {"text": "QA-12"}})
        obs.reward, obs.info["score"]["checks"]    # the task's reward, each check's result

**Rewards.** ``reward="binary"`` (the default, what pass^k uses): every step's reward is 0.0
except the one that ends the episode (``submit_answer``, or a step or time limit), which carries
the task's reward, 1.0 or 0.0. ``reward="dense"`` (for RL): each step's reward is the change in
the episode's progress, the share of the task's checks it now passes, where the checks that pass
before any action (``no_collateral``, and any other that nothing done satisfies) count for nothing
until every other check passes. Doing nothing therefore earns nothing, and an oracle's rewards sum
to exactly 1.0; a step that breaks what an earlier one did earns a negative reward. Either way the
observation that ends the episode holds ``info["score"]``, :meth:`Score.to_dict` (the reward,
partial credit and every check's result).

:class:`Observation.reward` is left 0.0 by the world's own faces; this environment sets it with
:func:`dataclasses.replace`, so a world observation and a task observation have one shape.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from workgym.tasks.checks import CheckResult, Score, Scorer
from workgym.tasks.model import Task, load_tasks
from workgym.tasks.users import ScriptedUser
from workgym.world import EpisodePool, Limits, Observation, StateDiff, User, World
from workgym.world.policy import system_text

RewardMode = Literal["binary", "dense"]
"""How a step is rewarded: the task's reward at the end only, or the change in dense progress."""

REWARD_MODES: tuple[RewardMode, ...] = ("binary", "dense")


@dataclass(frozen=True, slots=True)
class Prompt:
    """What an agent is given for a task: never the gold, wrong actions, checks or evidence.

    Attributes:
        task_id: the task's id (what runs and reports name it by).
        system: the workplace policy first (the same for every task), then the rules the task is
            bound by (``Task.policy``, when it has any), then the episode's opening text (who the
            agent is, when it is, which tools it has).
        instruction: the task's instruction, as the person who gave it wrote it.
        tools: the allowed tools' JSON schemas in OpenAI function-calling format, as
            :meth:`Episode.schemas` gives them.
    """

    task_id: str
    system: str
    instruction: str
    tools: list[dict[str, Any]]

    def messages(self) -> list[dict[str, str]]:
        """The opening chat: the system message, then the instruction as the user's message."""
        return [{"role": "system", "content": self.system}, {"role": "user", "content": self.instruction}]

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "task_id": self.task_id,
            "system": self.system,
            "instruction": self.instruction,
            "tools": self.tools,
        }


class TaskEnv:
    """One task in its world: the task's episode, its prompt, and its reward in every observation.

    The episode is open and in its starting state once the environment is made: :meth:`step` may be
    called at once (:meth:`reset` starts over, with a new seed if given).

    Args:
        world: the task's world.
        task: the task (privileged: for the scorer and the oracle, never handed to an agent).
        seed: the episode's seed (new ids; the same seed and calls give the same observations).
        limits: the episode's limits (default :class:`Limits`); with ``pool``, the pool's.
        reward: ``binary`` (the default) or ``dense``; see the module docstring.
        user: who answers ``ask_user`` (default: a :class:`ScriptedUser` of the task's hidden
            facts, when it has any).
        scorer: the scorer to use (default: a new one; share one across a world's tasks, since it
            builds the reference resolver once).
        pool: take the episode from this pool (reset, reused by cutoff, persona and tools; an
            episode with a user is the environment's own) instead of opening one.
        compact_tools: the prompt's tool schemas in their shorter form (for a small context; calls
            are checked the same way).

    Raises:
        ValueError: an unknown reward mode, or the task's cutoff, persona or tools do not make an
            episode (see :meth:`World.episode`).
    """

    def __init__(
        self,
        world: World,
        task: Task,
        *,
        seed: int = 0,
        limits: Limits | None = None,
        reward: RewardMode = "binary",
        user: User | None = None,
        scorer: Scorer | None = None,
        pool: EpisodePool | None = None,
        compact_tools: bool = False,
    ) -> None:
        if reward not in REWARD_MODES:
            raise ValueError(f"unknown reward mode {reward!r}; modes: {', '.join(REWARD_MODES)}")
        self.world = world
        self.task = task
        self.task_id = task.id
        self.reward_mode: RewardMode = reward
        self.scorer = scorer or Scorer(world)
        if user is None and task.user:
            user = ScriptedUser(task.user)
        tools = task.tools or None  # a hand-made task may leave them out: every tool
        if pool is not None:
            self.episode, self._owned = pool.get(
                cutoff=task.cutoff, persona=task.persona, tools=tools, seed=seed, user=user
            )
        else:
            self.episode = world.episode(
                cutoff=task.cutoff, persona=task.persona, tools=tools, seed=seed, user=user, limits=limits
            )
            self._owned = True
        self.compact_tools = compact_tools
        self.prompt = self._prompt(task)
        self._baseline: tuple[bool, ...] | None = None
        self._progress = 0.0
        self._score: tuple[object, int, Score] | None = None

    def _prompt(self, task: Task) -> Prompt:
        system = system_text(self.episode.intro(), getattr(task, "policy", "") or "")
        return Prompt(task.id, system, task.instruction, self.episode.schemas(compact=self.compact_tools))

    # -- the protocol ----------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None) -> Observation:
        """Start the task over (with a new seed if given); the observation holds intro and instruction."""
        obs = self.episode.reset(seed=seed)
        self._progress = 0.0
        self._score = None
        return replace(obs, text=f"{obs.text}\n\n{self.task.instruction}")

    def step(self, call: Any) -> Observation:
        """Run one tool call (as :meth:`Episode.step` takes it); its observation, with its reward.

        Never raises. When the scorer fails, the reward is 0.0 and ``info["score_error"]`` says why
        (:meth:`score` raises it again, for the caller to attribute to the checker).
        """
        was_over = self.done
        obs = self.episode.step(call)
        if was_over:  # an error observation after the end: nothing changed, nothing earned
            return obs
        ends = obs.terminated or obs.truncated
        if self.reward_mode == "binary" and not ends:
            return obs
        try:
            score = self.score()
        except Exception as exc:  # a checker bug: recorded on the observation, attributed by the caller
            return replace(obs, info={**obs.info, "score_error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        if self.reward_mode == "binary":
            reward = score.reward
        else:
            progress = self.progress(score)
            reward, self._progress = round(progress - self._progress, 9), progress
        info = {**obs.info, "score": score.to_dict()} if ends else obs.info
        return replace(obs, reward=reward, info=info)

    def finish(self) -> Observation:
        """End the episode where the agent stops (a reply without a tool call): the closing observation.

        A task that asks for changes ends when the agent says it is done, not by a tool; this is that
        end, with the reward (binary: the task's; dense: what the last steps left unpaid, normally
        0.0) and ``info["score"]``. An episode already over gets an error observation, reward 0.0.
        """
        if self.done:
            return self.episode.step({"name": "submit_answer", "arguments": {}})  # the "over" observation
        score = self.score()
        if self.reward_mode == "binary":
            reward = score.reward
        else:
            progress = self.progress(score)
            reward, self._progress = round(progress - self._progress, 9), progress
        self.episode.terminated = True
        info = {"step": self.episode.steps, "time": self.episode.now, "tool": None, "error": None}
        info["score"] = score.to_dict()
        return Observation("The episode is over.", reward, True, False, info)

    @property
    def terminated(self) -> bool:
        """Whether the episode ended by itself (an answer was submitted)."""
        return self.episode.terminated

    @property
    def truncated(self) -> bool:
        """Whether the episode was cut off by its step or time limit."""
        return self.episode.truncated

    @property
    def done(self) -> bool:
        """Whether the episode has ended, either way."""
        return self.episode.terminated or self.episode.truncated

    # -- scoring ---------------------------------------------------------------------------------

    def score(self) -> Score:
        """The episode's score on the task as it stands now (computed once per step)."""
        # A step is the only thing that changes an episode, and a reset gives it a new tool context:
        # the score of (context, step count) stays true, however the episode was driven.
        key = (self.episode.ctx, self.episode.steps)
        if self._score is None or self._score[0] is not key[0] or self._score[1] != key[1]:
            self._score = (key[0], key[1], self.scorer.score(self.task, self.episode))
        return self._score[2]

    @property
    def baseline(self) -> tuple[bool, ...]:
        """Which of the task's checks pass before any action (nothing changed, nothing answered)."""
        if self._baseline is None:
            empty = StateDiff(())
            self._baseline = tuple(
                self.scorer.check(self.task, c, None, empty).passed for c in self.task.checks
            )
        return self._baseline

    def progress(self, score: Score | None = None) -> float:
        """Dense progress in [0, 1]: the share of checks passed, free ones counted once the rest pass.

        A check that passes before any action (``no_collateral``, say) counts only when every check
        that did not pass then passes now; a task with no such work to do has no progress at all.
        """
        results: Sequence[CheckResult] = (score or self.score()).results
        if not results:
            return 0.0
        free = self.baseline
        own = [r.passed for r, f in zip(results, free, strict=True) if not f]
        earned = sum(own)
        if own and all(own):
            earned += sum(r.passed for r, f in zip(results, free, strict=True) if f)
        return round(earned / len(results), 9)

    # -- state -----------------------------------------------------------------------------------

    def fork(self) -> TaskEnv:
        """An independent copy as it is now (state, clock, answer, progress): GRPO groups after a prefix."""
        child = copy.copy(self)
        child.episode = self.episode.fork()
        child._owned = True
        return child

    def with_task(self, task: Task) -> TaskEnv:
        """This episode, as it stands, scored against ``task`` instead (same cutoff, persona, tools).

        The validator's use: a task's state checks are derived from the oracle's own run. The new
        environment takes the episode over; this one must not be used after.

        Raises:
            ValueError: ``task`` would need another episode.
        """
        if (task.cutoff, task.persona, tuple(task.tools)) != (
            self.task.cutoff,
            self.task.persona,
            tuple(self.task.tools),
        ):
            raise ValueError(
                f"task {task.id or task.family!r} needs another episode (cutoff, persona or tools differ)"
            )
        child = copy.copy(self)
        child.task, child.task_id = task, task.id
        child.prompt = self._prompt(task)
        child._baseline, child._score = None, None
        self._owned = False
        return child

    def state_hash(self) -> str:
        """sha256 of the episode's changes (see :meth:`Episode.state_hash`)."""
        return self.episode.state_hash()

    def close(self) -> None:
        """Close the episode (one taken from a pool goes back to it). Idempotent."""
        if self._owned:
            self.episode.close()

    def __enter__(self) -> TaskEnv:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TaskEnv({self.task_id!r}, reward={self.reward_mode!r}, steps={self.episode.steps})"


class TaskSet:
    """A world and its tasks: where task environments come from.

    Args:
        world: the world the tasks were mined from.
        tasks: the tasks.
    """

    def __init__(self, world: World, tasks: Sequence[Task]) -> None:
        self.world = world
        self.tasks = list(tasks)
        self._by_id = {t.id: t for t in self.tasks}
        self._scorer: Scorer | None = None

    @classmethod
    def open(cls, workspace: str | Path, tasks: str | Path) -> TaskSet:
        """A workspace file and a ``tasks.jsonl``.

        Raises:
            StoreError: the workspace is missing or not a workspace.
            ValueError: a line of the tasks file is not a task.
            OSError: the tasks file cannot be read.
        """
        return cls(World.open(workspace), load_tasks(Path(tasks)))

    @property
    def scorer(self) -> Scorer:
        """The scorer every environment of the set shares."""
        if self._scorer is None:
            self._scorer = Scorer(self.world)
        return self._scorer

    def get(self, task_id: str) -> Task:
        """The task with this id.

        Raises:
            KeyError: no such task (the message names the closest ids).
        """
        task = self._by_id.get(task_id)
        if task is None:
            close = difflib.get_close_matches(task_id, list(self._by_id), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise KeyError(f"no task {task_id!r} among the {len(self.tasks)} tasks{hint}")
        return task

    def env(self, task_id: str, **kw: Any) -> TaskEnv:
        """A :class:`TaskEnv` of one task; ``kw`` as :class:`TaskEnv` takes them."""
        kw.setdefault("scorer", self.scorer)
        return TaskEnv(self.world, self.get(task_id), **kw)

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks)


__all__ = ["REWARD_MODES", "Prompt", "RewardMode", "TaskEnv", "TaskSet"]
