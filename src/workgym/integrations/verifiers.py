"""verifiers: a world's tasks as a verifiers environment whose reward is workgym's (``workgym[verifiers]``).

verifiers 0.4 keeps one API, ``verifiers.v1``: an environment is a *taskset* (the rows), a
*harness* (the agent's program, which reaches the model through verifiers' interception server)
and a runtime, and its tasks score a rollout with ``@vf.reward`` methods. It has no in-process
tool environment of the older kind (``vf.ToolEnv``, ``vf.MultiTurnEnv``); its tool servers are MCP
servers in their own processes, and its chat-loop harnesses are scripts that ``uv`` installs
from PyPI when a rollout starts. This module plugs into it with pieces that stay in-process and
offline, as the harness contract allows ("a harness may run its loop in-process ... as long as
every model call goes through the endpoint")::

    import asyncio
    import verifiers.v1 as vf
    from workgym.integrations.verifiers import load_environment, run

    env = load_environment("anon.db", "tasks.jsonl", split="test")   # reward="dense": progress
    model = vf.EvalClientConfig(base_url="http://localhost:8000/v1", api_key_var="OPENAI_API_KEY")
    episodes = asyncio.run(run(env, rollouts=8, model="Qwen/Qwen3-8B", client=model))
    [e.traces[0].reward for e in episodes]           # one episode per rollout: the task's reward

* :class:`WorkgymTaskset` yields one :class:`WorkgymTask` per task: its prompt is the task's
  :class:`~workgym.tasks.env.Prompt` (system: policy, rules, opening text; user: the
  instruction). Never the gold, the checks or the evidence.
* :class:`WorkgymTask` opens one :class:`~workgym.tasks.env.TaskEnv` per rollout in its
  ``setup``, kept in the rollout's state (``trace.state``, a :class:`WorkgymState`); its
  ``@vf.reward`` is the TaskEnv's reward: binary, the task's 1.0 or 0.0; dense, its progress.
  The harness closes the TaskEnv after scoring.
* :class:`WorkgymHarness` is the agent's tool loop, in-process: chat completions through the
  interception endpoint with ``openai.AsyncOpenAI``, each tool call a :meth:`TaskEnv.step`, a
  reply without a tool call the end of the episode (:meth:`TaskEnv.finish`).

verifiers finds a taskset and a harness by id as a module of ``verifiers.v1.tasksets`` or
``verifiers.v1.harnesses``: importing this module registers it there under the id ``workgym``
(the taskset ships its harness, so ``workgym`` is also the agent's default harness).

GRPO groups: ``run(env, rollouts=G)`` (``Env.slots(task, G)``) starts G rollouts of each task,
each a fresh TaskEnv from the same seed, so from the same state. To fork G rollouts after a
shared prefix, play the prefix on a TaskEnv and :meth:`TaskEnv.fork` it; verifiers itself has no
mid-rollout fork.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import verifiers.v1 as vf
from openai import AsyncOpenAI
from pydantic import PrivateAttr

from workgym.tasks.env import RewardMode, TaskEnv, TaskSet

TASKSET_ID = "workgym"
"""The id verifiers knows the taskset and its harness by (``--env.taskset.id workgym``)."""


class WorkgymTasksetConfig(vf.TasksetConfig):  # type: ignore[misc]
    """The taskset's config: where the tasks are and how a rollout is rewarded.

    Attributes:
        workspace: the workspace file (``anon.db``).
        tasks: the ``tasks.jsonl``.
        split: only the tasks of this split (``train``, ``test``); default all.
        task_ids: only these tasks, in this order.
        reward: ``binary`` (the task's 1.0 or 0.0) or ``dense`` (its progress).
        seed: every rollout's episode seed (the G rollouts of a group start alike).
    """

    id: str = TASKSET_ID
    workspace: str = ""
    tasks: str = ""
    split: str | None = None
    task_ids: list[str] | None = None
    reward: RewardMode = "binary"
    seed: int = 0


class WorkgymTaskData(vf.TaskData):  # type: ignore[misc]
    """A task as verifiers records it: the prompt, the task's id and family; nothing privileged."""

    task_id: str = ""
    family: str = ""


class WorkgymState(vf.State):  # type: ignore[misc]
    """A rollout's state (``trace.state``): its TaskEnv, opened by the task's setup, closed after scoring."""

    _env: TaskEnv | None = PrivateAttr(default=None)

    @property
    def task_env(self) -> TaskEnv | None:
        """The rollout's open TaskEnv; None before setup and after cleanup."""
        return self._env

    def env(self) -> TaskEnv:
        """The rollout's open TaskEnv.

        Raises:
            RuntimeError: the task's setup has not run, or the rollout is over.
        """
        if self._env is None:
            raise RuntimeError("no TaskEnv in this rollout's state: the task's setup opens it")
        return self._env


def _open(workspace: str, tasks: str) -> TaskSet:
    """The task set of these files, opened once per process while neither file changes."""
    workspace, tasks = str(Path(workspace).resolve()), str(Path(tasks).resolve())
    return _open_cached(workspace, tasks, Path(workspace).stat().st_mtime_ns, Path(tasks).stat().st_mtime_ns)


@functools.cache
def _open_cached(workspace: str, tasks: str, *mtimes: int) -> TaskSet:
    return TaskSet.open(workspace, tasks)


class WorkgymTask(vf.Task[WorkgymTaskData, WorkgymState]):  # type: ignore[misc]
    """One workgym task: a TaskEnv per rollout, in the rollout's state; the reward is its reward.

    Args:
        data: the task's prompt and id.
        taskset: the tasks and their world.
        reward: ``binary`` or ``dense``.
        seed: the rollouts' episode seed.
    """

    def __init__(self, data: WorkgymTaskData, taskset: TaskSet, reward: RewardMode, seed: int) -> None:
        super().__init__(data)
        self.taskset = taskset
        self.reward_mode: RewardMode = reward
        self.seed = seed

    @property
    def key(self) -> str:
        """The workgym task id (durable, unlike the content hash of a prompt)."""
        return str(self.data.task_id)

    async def setup(self, trace: vf.Trace, runtime: vf.Runtime) -> None:
        """Open the rollout's TaskEnv (in its starting state) into the rollout's state."""
        env = self.taskset.env(self.data.task_id, seed=self.seed, reward=self.reward_mode)
        env.reset()
        trace.state._env = env

    @vf.reward  # type: ignore[untyped-decorator]
    async def task_reward(self, trace: vf.Trace) -> float:
        """The task's reward on the episode as it ended (binary: 1.0 or 0.0; dense: its progress)."""
        env: TaskEnv = trace.state.env()
        score = await asyncio.to_thread(env.score)
        return float(score.reward if self.reward_mode == "binary" else env.progress(score))

    @vf.metric  # type: ignore[untyped-decorator]
    async def partial(self, trace: vf.Trace) -> float:
        """The share of the task's checks the episode passes (recorded, not summed)."""
        env: TaskEnv = trace.state.env()
        return float((await asyncio.to_thread(env.score)).partial)


class WorkgymTaskset(vf.Taskset[WorkgymTask, WorkgymTasksetConfig]):  # type: ignore[misc]
    """A workspace's tasks as verifiers tasks (config: :class:`WorkgymTasksetConfig`).

    Raises:
        ValueError: the config names no workspace or tasks file.
    """

    def load(self) -> Iterable[WorkgymTask]:
        """One :class:`WorkgymTask` per chosen task, its prompt the TaskEnv's."""
        config: WorkgymTasksetConfig = self.config
        if not config.workspace or not config.tasks:
            raise ValueError("the workgym taskset needs its workspace and tasks (taskset.workspace, .tasks)")
        taskset = _open(config.workspace, config.tasks)
        chosen = [taskset.get(i) for i in config.task_ids] if config.task_ids is not None else taskset.tasks
        for task in chosen:
            if config.split is not None and task.split != config.split:
                continue
            with taskset.env(task.id, seed=config.seed) as env:
                prompt = env.prompt
            data = WorkgymTaskData(
                id=task.id,
                name=task.id,
                prompt=prompt.instruction,
                system_prompt=prompt.system,
                task_id=task.id,
                family=task.family,
            )
            yield WorkgymTask(data, taskset, config.reward, config.seed)


class WorkgymHarnessConfig(vf.HarnessConfig):  # type: ignore[misc]
    """The harness's config.

    Attributes:
        max_turns: model calls before the loop ends the episode itself (as an answer-less finish).
    """

    id: str = TASKSET_ID
    max_turns: int = 40


class WorkgymHarness(vf.Harness[WorkgymHarnessConfig]):  # type: ignore[misc]
    """The agent's tool loop, in-process: the model through the interception, the tools on the TaskEnv."""

    APPENDS_SYSTEM_PROMPT = True
    SUPPORTS_RESUME = False
    EXECUTES_CODE = False
    NEEDS_CONTAINER = False

    async def launch(
        self,
        ctx: vf.ModelContext,
        trace: vf.Trace,
        runtime: vf.Runtime,
        endpoint: str,
        secret: str,
        mcp_urls: dict[str, str],
        data: vf.TaskData,
    ) -> vf.ProgramResult:
        """Play the rollout: each reply's tool calls step the TaskEnv; a reply without one finishes it."""
        env: TaskEnv = trace.state.env()
        system, prompt = self.resolve_prompt(data)
        messages: list[dict[str, Any]] = []
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": prompt if isinstance(prompt, str) else data.prompt_text})
        # openai's own retries (connection errors, 429, 5xx) cover a provider error the interception relays.
        client = AsyncOpenAI(base_url=endpoint, api_key=secret or "EMPTY")
        try:
            for _ in range(self.config.max_turns):
                if env.done:
                    break
                request: dict[str, Any] = {
                    "model": ctx.model,
                    "messages": messages,
                    "tools": env.prompt.tools,
                }
                completion = await client.chat.completions.create(**request)
                message = completion.choices[0].message
                calls = list(message.tool_calls or [])
                turn: dict[str, Any] = {"role": "assistant", "content": message.content or ""}
                if calls:
                    turn["tool_calls"] = [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.function.name, "arguments": c.function.arguments},
                        }
                        for c in calls
                        if c.type == "function"
                    ]
                messages.append(turn)
                if not calls:
                    await asyncio.to_thread(env.finish)
                    break
                for call in calls:
                    if call.type != "function":
                        continue
                    step = {"name": call.function.name, "arguments": call.function.arguments}
                    observation = await asyncio.to_thread(env.step, step)
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": observation.text})
        finally:
            await client.close()
        return vf.ProgramResult(exit_code=0, stdout="", stderr="")

    async def cleanup(self, trace: vf.Trace, runtime: vf.Runtime) -> None:
        """Close the rollout's TaskEnv (after scoring)."""
        state: WorkgymState = trace.state
        if state._env is not None:
            state._env.close()
            state._env = None


def load_environment(
    workspace: str | Path,
    tasks: str | Path,
    *,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    reward: RewardMode = "binary",
    seed: int = 0,
    model: str | None = None,
    client: vf.ClientConfig | None = None,
    max_turns: int = 40,
) -> vf.Env:
    """A verifiers environment of a workspace's tasks: the workgym taskset, harness and reward.

    Args:
        workspace: the workspace file (``anon.db``).
        tasks: the ``tasks.jsonl``.
        split: only the tasks of this split; default all.
        task_ids: only these tasks, in this order.
        reward: ``binary`` (the task's reward) or ``dense`` (its progress).
        seed: every rollout's episode seed.
        model: the agent's model (else the one :func:`run` or verifiers' runner gives).
        client: the agent's endpoint (else the runner's).
        max_turns: model calls before a rollout ends itself.

    Returns:
        A ``verifiers.v1`` ``SingleAgentEnv`` running in the local ``subprocess`` runtime (nothing
        of it executes code: the tools are the world's).
    """
    taskset = WorkgymTasksetConfig(
        workspace=str(workspace),
        tasks=str(tasks),
        split=split,
        task_ids=list(task_ids) if task_ids is not None else None,
        reward=reward,
        seed=seed,
    )
    agent = vf.AgentConfig(
        harness=WorkgymHarnessConfig(max_turns=max_turns),
        runtime=vf.SubprocessConfig(),
        model=model,
        client=client,
    )
    return vf.SingleAgentEnv(vf.SingleAgentEnvConfig(taskset=taskset, agent=agent))


async def run(
    env: vf.Env,
    *,
    rollouts: int = 1,
    model: str | None = None,
    client: vf.ClientConfig | None = None,
    max_concurrent: int | None = 32,
) -> list[vf.Episode]:
    """Every task's ``rollouts`` episodes through verifiers' own ``Env.serving``/``slots``/``run_slot``.

    Args:
        env: an environment from :func:`load_environment`.
        rollouts: episodes per task (a GRPO group's G).
        model: the model (default: the agent config's).
        client: the endpoint (default: the agent config's).
        max_concurrent: episodes at once (each holds an open TaskEnv); None: all at once.

    Raises:
        ValueError: no model or no endpoint is given here or in the agent config.
    """
    agent = env.config.agent
    model = model or agent.model
    client = client or agent.client
    if not model or client is None:
        raise ValueError("give the model and its endpoint (model=..., client=vf.EvalClientConfig(...))")
    ctx = vf.ModelContext(model=model, client=client)
    semaphore = asyncio.Semaphore(max_concurrent) if max_concurrent else None
    async with env.serving():
        slots = [slot for task in env.taskset for slot in env.slots(task, rollouts)]
        return list(await asyncio.gather(*(env.run_slot(slot, ctx, semaphore) for slot in slots)))


__all__ = [
    "TASKSET_ID",
    "WorkgymHarness",
    "WorkgymHarnessConfig",
    "WorkgymState",
    "WorkgymTask",
    "WorkgymTaskData",
    "WorkgymTaskset",
    "WorkgymTasksetConfig",
    "load_environment",
    "run",
]

# verifiers resolves a plugin id as a module of its own plugin packages (or a top-level module):
# register this one there, under the id, so `taskset.id = "workgym"` and `harness.id = "workgym"` load it.
for _group in ("verifiers.v1.tasksets", "verifiers.v1.harnesses"):
    sys.modules.setdefault(f"{_group}.{TASKSET_ID}", sys.modules[__name__])
