"""The runner: agents x tasks x trials, in parallel, streamed to disk, resumable, failures attributed.

::

    summary = run(RunConfig(workspace=Path("anon.db"), tasks=tasks, agents=[AgentSpec("oracle")],
                            trials=3, concurrency=2, out=Path("runs/oracle")))

* **Where episodes run.** Agents that wait on a model run under asyncio in this process,
  ``concurrency`` at a time. CPU-bound agents (oracle, noop, random) run in ``concurrency`` worker
  processes, each with the world opened once and episodes reused per cutoff, persona and tools
  (reset between them), or on Ray with ``executor="ray"`` (``address`` for a cluster).
* **Streamed and resumable.** Each finished episode is one line of ``trajectories.jsonl``,
  written and flushed at once. A run killed and started again repairs the file (removes a line
  cut off by the kill, and says so), and runs only the episodes not there: none is lost or
  duplicated. When every episode is in, the file is rewritten in a fixed order (agent, task,
  trial) and ``summary.json`` is written. Readers (:func:`load_trajectories`) never change it.
* **Self-contained.** The folder holds a copy of the tasks it ran (``tasks.jsonl``) and
  ``run.json`` their content hash and the world's fingerprint, so the report, the export, the
  calibration and the viewer work on the folder wherever it is moved.
* **A bad rollout is data.** A model endpoint that fails for good, an agent that breaks, a
  checker that raises: each is recorded once on the trajectory as ``failure: {boundary, error}``
  and the run goes on. A bad tool call is an error observation in the steps, not a failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import warnings
from collections.abc import Callable, Coroutine, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workgym import jsonl
from workgym.agents import Agent, AgentError, AgentSpec, EndpointError, Recorder, make_agent
from workgym.rollout.metrics import run_summary
from workgym.tasks import Scorer, Task, TaskEnv
from workgym.world import EpisodePool, Limits, World

TRAJECTORIES = "trajectories.jsonl"
SUMMARY = "summary.json"
RUN = "run.json"
TASKS = "tasks.jsonl"
"""The run folder's copy of the tasks it ran."""


class RunError(ValueError):
    """A run that cannot start: a folder holding another workspace's episodes, a bad executor."""


@dataclass
class RunConfig:
    """What to run.

    Attributes:
        workspace: the workspace file the tasks were mined from.
        tasks: the tasks.
        agents: the agents, as specs.
        trials: tries per agent and task (pass^k needs k of them).
        concurrency: episodes at once (processes for CPU agents, coroutines for LLM agents).
        out: the run's folder.
        executor: ``local`` or ``ray``.
        address: a Ray cluster's address (None: a local Ray).
        max_steps: an episode's step limit.
        seed: added to each trial's number to make the episode's seed.
        tasks_file: where the tasks came from (recorded in run.json; the folder keeps its own copy).
        prices: US dollars per million prompt and completion tokens, to put a cost on each episode.
        progress: called with (episodes done, episodes in all, successes).
        notice: called with a sentence for the user (a cut-off last line removed on resuming);
            default: a :class:`RuntimeWarning`.
    """

    workspace: Path
    tasks: Sequence[Task]
    agents: Sequence[AgentSpec]
    trials: int = 1
    concurrency: int = 1
    out: Path = Path("runs/run")
    executor: str = "local"
    address: str | None = None
    max_steps: int = 30
    seed: int = 0
    tasks_file: Path | None = None
    prices: tuple[float, float] | None = None
    progress: Callable[[int, int, int], None] | None = field(default=None, repr=False)
    notice: Callable[[str], None] | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Unit:
    """One episode to run: an agent, a task, a trial."""

    agent: AgentSpec
    task: Task
    trial: int

    def key(self, label: str) -> str:
        """How trajectories.jsonl names it (for resuming)."""
        return f"{label}|{self.task.id}|{self.trial}"


def episode_key(t: dict[str, Any]) -> str:
    """The key of a trajectory line."""
    return f"{t['agent']}|{t['task_id']}|{t['trial']}"


def _drive(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits (a CPU agent's ``solve``) without an event loop."""
    try:
        coro.send(None)
    except StopIteration:
        return
    coro.close()
    raise AgentError("a CPU-bound agent awaited something; run it as a concurrent agent")


def _trajectory(
    world: World,
    unit: Unit,
    agent: Agent,
    rec: Recorder,
    score: Any,
    failure: dict[str, str] | None,
    seconds: float,
    seed: int,
) -> dict[str, Any]:
    ep = rec.episode
    return {
        "task_id": unit.task.id,
        "family": unit.task.family,
        "instruction": unit.task.instruction,
        "intro": ep.intro(),
        "split": unit.task.split,
        "sources": unit.task.features.get("sources", 1),
        "difficulty": unit.task.difficulty,
        "world": world.fingerprint,
        "agent": agent.label,
        "model": agent.model or None,
        "seed": seed,
        "trial": unit.trial,
        "steps": [s.to_dict() for s in rec.steps],
        "answer": ep.answer,
        "terminated": ep.terminated,
        "truncated": ep.truncated,
        "reward": score.reward if score else 0.0,
        "partial": score.partial if score else 0.0,
        "checks": [r.to_dict() for r in score.results] if score else [],
        "failure": failure,
        "tokens": dict(rec.tokens),
        "seconds": {
            "env": round(rec.env_seconds, 6),
            "model": round(rec.model_seconds, 6),
            "total": round(seconds, 6),
        },
    }


def _finish(
    world: World,
    env: TaskEnv,
    unit: Unit,
    agent: Agent,
    rec: Recorder,
    failure: dict[str, str] | None,
    started: float,
    seed: int,
) -> dict[str, Any]:
    score = None
    try:
        score = env.score()
    except Exception as exc:  # a checker bug is recorded against the checker, and the run goes on
        failure = failure or {"boundary": "checker", "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    return _trajectory(world, unit, agent, rec, score, failure, time.perf_counter() - started, seed)


def _failure(exc: BaseException) -> dict[str, str]:
    boundary = "endpoint" if isinstance(exc, EndpointError) else "agent"
    return {"boundary": boundary, "error": f"{type(exc).__name__}: {str(exc)[:300]}"}


def run_one(
    world: World, scorer: Scorer, episodes: EpisodePool, unit: Unit, seed_base: int
) -> dict[str, Any]:
    """Run one episode of a CPU-bound agent, synchronously; its trajectory."""
    agent = make_agent(unit.agent, unit.task)
    seed = seed_base + unit.trial
    env = TaskEnv(world, unit.task, seed=seed, scorer=scorer, pool=episodes)
    rec = Recorder(env)
    started = time.perf_counter()
    failure = None
    try:
        _drive(agent.solve(env.prompt, rec, seed=seed))
    except Exception as exc:  # the agent's failure, recorded; the run goes on
        failure = _failure(exc)
    try:
        return _finish(world, env, unit, agent, rec, failure, started, seed)
    finally:
        env.close()


async def run_one_async(
    world: World, scorer: Scorer, episodes: EpisodePool, unit: Unit, seed_base: int
) -> dict[str, Any]:
    """Run one episode of an agent that waits on a model; its trajectory."""
    agent = make_agent(unit.agent, unit.task)
    seed = seed_base + unit.trial
    env = TaskEnv(  # its own episode
        world,
        unit.task,
        seed=seed,
        limits=episodes.limits,
        scorer=scorer,
        compact_tools=unit.agent.compact_tools,
    )
    rec = Recorder(env)
    started = time.perf_counter()
    failure = None
    try:
        await agent.solve(env.prompt, rec, seed=seed)
    except Exception as exc:  # the endpoint's or the agent's failure, recorded; the run goes on
        failure = _failure(exc)
    try:
        return _finish(world, env, unit, agent, rec, failure, started, seed)
    finally:
        env.close()


# -- worker processes and Ray ---------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init_worker(workspace: str, max_steps: int) -> None:
    world = World.open(workspace)
    _WORKER.update(
        world=world, scorer=Scorer(world), episodes=EpisodePool(world, Limits(max_steps=max_steps))
    )


def _run_chunk(chunk: list[tuple[AgentSpec, dict[str, Any], int]], seed_base: int) -> list[dict[str, Any]]:
    w = _WORKER
    return [
        run_one(w["world"], w["scorer"], w["episodes"], Unit(a, Task.from_dict(t), trial), seed_base)
        for a, t, trial in chunk
    ]


def _ray_chunk(
    workspace: str, max_steps: int, chunk: list[tuple[AgentSpec, dict[str, Any], int]], seed_base: int
) -> list[dict[str, Any]]:
    if not _WORKER:
        _init_worker(workspace, max_steps)
    return _run_chunk(chunk, seed_base)


# -- the run --------------------------------------------------------------------------------------


_TRAJECTORY_KEYS = ("task_id", "agent", "trial", "world", "reward")


def load_trajectories(path: Path) -> list[dict[str, Any]]:
    """The trajectories of a run file (none if there is no file); the file is never changed.

    A last line cut off mid-way (a run killed, or one still writing) is left out: see
    :func:`cut_off_line`. ``workgym run`` into the folder again repairs it.

    Raises:
        RunError: a line that is not a trajectory, naming the file and the line.
    """
    if not path.exists():
        return []
    out = []
    try:
        for number, value in jsonl.iter_numbered(path, cut_off="skip"):
            if not isinstance(value, dict) or any(k not in value for k in _TRAJECTORY_KEYS):
                keys = ", ".join(_TRAJECTORY_KEYS)
                raise RunError(f"{path}:{number}: not a trajectory (one has {keys}); move the file aside")
            out.append(value)
    except jsonl.JsonlError as exc:
        raise RunError(f"{exc}: not a trajectory (the file is damaged; move it aside)") from None
    return out


def cut_off_line(path: Path) -> int | None:
    """The number of a run file's last line when it was cut off mid-way (and left out by readers)."""
    if not path.is_file():
        return None
    tail = jsonl.unended_tail(path)
    return tail.line if tail is not None and not tail.whole else None


def run_info(run_dir: Path) -> dict[str, Any]:
    """A run folder's run.json (empty when there is none)."""
    path = run_dir / RUN
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_task_dicts(path: Path) -> list[dict[str, Any]]:
    try:
        tasks = list(jsonl.iter_numbered(path))
    except jsonl.JsonlError as exc:
        raise RunError(f"{exc}: not a task (the file is damaged)") from None
    for number, task in tasks:
        if not isinstance(task, dict) or "id" not in task:
            raise RunError(f"{path}:{number}: not a task (it has no id)")
    return [task for _, task in tasks]


def run_tasks(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The tasks a run ran, by id: the folder's own copy, checked against run.json's hash.

    A folder from before the copy was kept falls back to the tasks file its run.json names. A
    folder whose run.json names no tasks file (a run started from Python without one) has none.

    Raises:
        RunError: the copy does not match its hash, or run.json names a tasks file that is gone.
    """
    info = run_info(run_dir)
    copy = run_dir / TASKS
    if copy.is_file():
        expected = info.get("tasks_sha256")
        if expected and _sha256(copy) != expected:
            raise RunError(
                f"{copy} is not the tasks this run ran (its hash differs from run.json's tasks_sha256); "
                "put the run's own copy back"
            )
        return {t["id"]: t for t in _read_task_dicts(copy)}
    named = info.get("tasks_file")
    if not named:
        return {}
    path = Path(named)
    if not path.is_file():
        raise RunError(
            f"{run_dir}: the run's tasks are not in the folder, and the tasks file its run.json names, "
            f"{path}, is not there (moved or deleted); copy that file into the folder as {TASKS}"
        )
    return {t["id"]: t for t in _read_task_dicts(path)}


def _chunks(units: Sequence[Unit], size: int) -> Iterable[list[Unit]]:
    for at in range(0, len(units), size):
        yield list(units[at : at + size])


def run(config: RunConfig) -> dict[str, Any]:
    """Run every (agent, task, trial) not already in the run's folder; returns the summary.

    Raises:
        RunError: the folder holds episodes of another workspace, or the executor is unknown.
        ValueError: an agent spec is not usable.
    """
    if config.executor not in ("local", "ray"):
        raise RunError(f"unknown executor {config.executor!r} (local or ray)")
    world = World.open(config.workspace)
    config.out.mkdir(parents=True, exist_ok=True)
    path = config.out / TRAJECTORIES
    repaired = jsonl.repair(path)  # the one place a run file changes: its writer, about to append
    if repaired is not None:
        _notice(config, repaired)
    done = load_trajectories(path)
    other = {t["world"] for t in done} - {world.fingerprint}
    if other:
        raise RunError(
            f"{config.out} holds episodes of another workspace ({sorted(other)[0][:12]}…); use another folder"
        )
    agents = {spec: make_agent(spec) for spec in config.agents}
    every_unit = [
        Unit(spec, task, trial)
        for spec in config.agents
        for task in config.tasks
        for trial in range(config.trials)
    ]
    position = {u.key(agents[u.agent].label): at for at, u in enumerate(every_unit)}
    finished = {episode_key(t) for t in done}
    units = [u for u in every_unit if u.key(agents[u.agent].label) not in finished]
    _write_run_file(config, world)
    total = len(units) + len(finished)
    state = {"done": len(finished), "won": sum(1 for t in done if t["reward"] >= 1.0)}
    with path.open("a", encoding="utf-8") as out:

        def write(trajectory: dict[str, Any]) -> None:
            if config.prices is not None:
                per_in, per_out = config.prices
                tokens = trajectory["tokens"]
                cost = (tokens.get("prompt", 0) * per_in + tokens.get("completion", 0) * per_out) / 1e6
                trajectory["cost_usd"] = round(cost, 9)  # nano-dollars: a cheap episode costs micro-dollars
            out.write(jsonl.dumps(trajectory) + "\n")
            out.flush()
            state["done"] += 1
            state["won"] += trajectory["reward"] >= 1.0
            if config.progress:
                config.progress(state["done"], total, state["won"])

        if config.progress:
            config.progress(state["done"], total, state["won"])
        cpu = [u for u in units if not agents[u.agent].concurrent]
        llm = [u for u in units if agents[u.agent].concurrent]
        if cpu:
            _run_cpu(config, world, cpu, write)
        if llm:
            asyncio.run(_run_llm(config, world, llm, write))
    every = load_trajectories(path)
    every.sort(key=lambda t: position.get(episode_key(t), len(position)))
    jsonl.write(path, every)
    summary = run_summary(every, seed=config.seed)
    (config.out / SUMMARY).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def _notice(config: RunConfig, message: str) -> None:
    if config.notice is not None:
        config.notice(message)
    else:
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def _write_run_file(config: RunConfig, world: World) -> None:
    """run.json and the folder's copy of the tasks (with the tasks an earlier run here ran too)."""
    copy = config.out / TASKS
    tasks = [t.to_dict() for t in config.tasks]
    if copy.is_file():
        ids = {t["id"] for t in tasks}
        tasks += [t for t in _read_task_dicts(copy) if t["id"] not in ids]
    jsonl.write(copy, tasks)
    info = {
        "workspace": str(config.workspace.resolve()),
        "world": world.fingerprint,
        "agents": [make_agent(a).label for a in config.agents],
        "agent_settings": [a.settings() for a in config.agents],  # limits, sampling, endpoint (no key)
        "trials": config.trials,
        "tasks": len(config.tasks),
        "max_steps": config.max_steps,
        "seed": config.seed,
        "tasks_file": str(config.tasks_file.resolve()) if config.tasks_file else None,
        "tasks_copy": TASKS,
        "tasks_sha256": _sha256(copy),
        "prices": list(config.prices) if config.prices is not None else None,
    }
    (config.out / RUN).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _run_cpu(
    config: RunConfig, world: World, units: list[Unit], write: Callable[[dict[str, Any]], None]
) -> None:
    size = max(1, min(64, len(units) // (config.concurrency * 4) or 1))
    payload = [[(u.agent, u.task.to_dict(), u.trial) for u in chunk] for chunk in _chunks(units, size)]
    if config.executor == "ray":
        import ray  # an optional extra: imported only when asked for

        if not ray.is_initialized():
            if config.address:
                ray.init(address=config.address, log_to_driver=False)
            else:
                ray.init(num_cpus=max(1, config.concurrency), include_dashboard=False, log_to_driver=False)
        remote = ray.remote(_ray_chunk)
        pending = [
            remote.remote(str(config.workspace), config.max_steps, chunk, config.seed) for chunk in payload
        ]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for trajectory in ray.get(ready[0]):
                write(trajectory)
        return
    if config.concurrency <= 1:
        episodes = EpisodePool(world, Limits(max_steps=config.max_steps))
        scorer = Scorer(world)
        try:
            for u in units:
                write(run_one(world, scorer, episodes, u, config.seed))
        finally:
            episodes.close()
        return
    with ProcessPoolExecutor(
        config.concurrency, initializer=_init_worker, initargs=(str(config.workspace), config.max_steps)
    ) as pool:
        for results in pool.map(_run_chunk, payload, [config.seed] * len(payload)):
            for trajectory in results:
                write(trajectory)


async def _run_llm(
    config: RunConfig, world: World, units: list[Unit], write: Callable[[dict[str, Any]], None]
) -> None:
    # No wall-clock limit on the episode: it would count the model's latency. An LLM agent cuts its
    # episode off after its own max_seconds of time in the environment (AgentSpec.max_seconds).
    episodes = EpisodePool(world, Limits(max_steps=config.max_steps, max_seconds=float("inf")))
    scorer = Scorer(world)
    gate = asyncio.Semaphore(max(1, config.concurrency))

    async def one(unit: Unit) -> None:
        async with gate:
            write(await run_one_async(world, scorer, episodes, unit, config.seed))

    await asyncio.gather(*(one(u) for u in units))


__all__ = [
    "RUN",
    "SUMMARY",
    "TASKS",
    "TRAJECTORIES",
    "RunConfig",
    "RunError",
    "Unit",
    "cut_off_line",
    "load_trajectories",
    "run",
    "run_info",
    "run_one",
    "run_tasks",
]
