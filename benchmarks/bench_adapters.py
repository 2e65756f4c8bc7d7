"""Steps per second and reset latency through each trainer adapter, beside the in-process episode.

Builds the anonymized sample and its tasks once, then runs the same workload through every face:
each of N episodes resets one task (cycling over the tasks) and plays its gold calls. The
baseline is :class:`TaskEnv` in process; beside it the Gymnasium env (``workgym/Task-v0``), the
TRL environment class (``workgym.integrations.trl``), the HTTP env server (``EnvClient``, over
loopback), the OpenEnv server (OpenEnv's ``GenericEnvClient``, a WebSocket over loopback) and the
verifiers environment (``workgym.integrations.verifiers``: verifiers' own ``Env.serving`` and
``run_slot``, one rollout at a time, the model a local scripted endpoint that plays the gold calls
and answers at once). Prints median reset latency (ms), steps/s and each as a ratio to the
baseline. One client thread.

A verifiers rollout is a whole episode driven by the model, so it is timed from outside: its
reset is from ``run_slot`` to the model's first request (the task's setup opening the TaskEnv,
the harness starting, the interception hop), its steps from that request to the rollout's end
(each step a chat round trip through verifiers' interception server to the scripted model, then
the TaskEnv's step; the scoring at the end). Its steps include the closing submit a change task's
gold leaves out.

    python benchmarks/bench_adapters.py [--episodes 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from workgym.anonymize.run import anonymize_workspace
from workgym.cli import sample_sources
from workgym.link.build import build_workspace
from workgym.tasks import Task, TaskSet, generate_tasks, write_tasks

ROOT = Path(__file__).resolve().parents[1]

Face = Callable[[Task], tuple[Callable[[], Any], Callable[[dict[str, Any]], Any], Callable[[], None]]]


def measure(tasks: Sequence[Task], episodes: int, open_face: Face) -> tuple[float, float]:
    """Median reset latency (s) and steps/s over ``episodes`` episodes of gold calls."""
    resets, steps, stepping = [], 0, 0.0
    for i in range(episodes):
        task = tasks[i % len(tasks)]
        reset, step, close = open_face(task)
        t = time.perf_counter()
        reset()
        resets.append(time.perf_counter() - t)
        t = time.perf_counter()
        for call in task.gold:
            step(call.to_dict())
        stepping += time.perf_counter() - t
        steps += len(task.gold)
        close()
    return statistics.median(resets), steps / stepping


def measure_verifiers(root: Path, tasks: Sequence[Task], episodes: int) -> tuple[float, float, float]:
    """Median reset latency (s), steps/s, and the share of step time the TaskEnv's steps take.

    ``episodes`` verifiers rollouts, one at a time.
    """
    import verifiers.v1 as vf

    sys.path.insert(0, str(ROOT))  # the tests' local endpoint, reused rather than written twice
    from tests.fake_openai import FakeOpenAI, Reply, gold_player

    from workgym.integrations.verifiers import load_environment

    played = gold_player(list(tasks))
    first_request: list[float] = []

    def model(request: dict[str, Any]) -> Reply:
        if sum(1 for m in request["messages"] if m["role"] == "assistant") == 0:
            first_request.append(time.perf_counter())
        return played(request)

    order = [tasks[i % len(tasks)].id for i in range(episodes)]
    env = load_environment(root / "anon.db", root / "tasks.jsonl", task_ids=list(dict.fromkeys(order)))
    by_id = {t.key: t for t in env.taskset}
    os.environ.setdefault("WORKGYM_BENCH_KEY", "sk-bench")
    resets, steps, stepping, waiting = [], 0, 0.0, 0.0

    async def rollouts(url: str) -> None:
        nonlocal steps, stepping, waiting
        client = vf.EvalClientConfig(base_url=url, api_key_var="WORKGYM_BENCH_KEY")
        ctx = vf.ModelContext(model="scripted", client=client)
        async with env.serving():
            for task_id in order:
                [slot] = env.slots(by_id[task_id], 1)
                started = time.perf_counter()
                episode = await env.run_slot(slot, ctx, None)
                ended = time.perf_counter()
                trace = episode.traces[0]
                if episode.errors or trace.reward != 1.0:
                    raise RuntimeError(f"{task_id}: the gold rollout failed ({episode.errors})")
                resets.append(first_request[-1] - started)
                stepping += ended - first_request[-1]
                steps += int(trace.info["workgym"]["steps"])
                waiting += float(trace.info["workgym"]["env_seconds"])

    with FakeOpenAI(model) as server:
        asyncio.run(rollouts(server.url))
    return statistics.median(resets), steps / stepping, waiting / stepping


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=60)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build_workspace(sample_sources(), root / "workspace.db")
        anonymize_workspace(root / "workspace.db", root / "anon.db", b"b" * 32)
        from workgym.world import World

        world = World.open(root / "anon.db")
        tasks, _ = generate_tasks(world, n=150, seed=0)
        write_tasks(tasks, root / "tasks.jsonl")
        taskset = TaskSet(world, tasks)
        rows: list[tuple[str, float, float]] = []

        def in_process(task: Task) -> Any:
            holder: dict[str, Any] = {}

            def reset() -> None:  # open the task's episode, as every other face's reset does
                holder["env"] = taskset.env(task.id)
                holder["env"].reset()

            return reset, lambda call: holder["env"].step(call), lambda: holder["env"].close()

        rows.append(("TaskEnv (in process, baseline)", *measure(tasks, args.episodes, in_process)))

        from workgym.tasks.gym import TaskGymEnv

        gym_env = TaskGymEnv(taskset=taskset)

        def gym(task: Task) -> Any:
            return (
                lambda: gym_env.reset(options={"task_id": task.id}),
                lambda call: gym_env.step(json.dumps(call)),
                lambda: None,
            )

        rows.append(("Gymnasium workgym/Task-v0", *measure(tasks, args.episodes, gym)))

        from workgym.integrations.trl import grpo_spec

        trl_env = grpo_spec(taskset).environment_factory()

        def trl(task: Task) -> Any:
            def step(call: dict[str, Any]) -> Any:
                return getattr(trl_env, call["name"])(**call["arguments"])

            return (lambda: trl_env.reset(task_id=task.id), step, lambda: None)

        rows.append(("TRL environment_factory", *measure(tasks, args.episodes, trl)))

        from workgym.world.client import EnvClient
        from workgym.world.server import create_app, running

        with running(create_app(world, tasks=taskset)) as url, EnvClient(url) as client:

            def http(task: Task) -> Any:
                holder: dict[str, Any] = {}

                def reset() -> None:
                    holder["ep"] = client.reset(task_id=task.id)

                return reset, lambda call: holder["ep"].step(call), lambda: holder["ep"].close()

            rows.append(("HTTP env server (EnvClient)", *measure(tasks, args.episodes, http)))

        from openenv import GenericEnvClient

        from workgym.integrations.openenv import create_openenv_app

        with running(create_openenv_app(taskset)) as url, GenericEnvClient(base_url=url).sync() as env:

            def openenv(task: Task) -> Any:
                return lambda: env.reset(task_id=task.id), env.step, lambda: None

            rows.append(
                ("OpenEnv server (GenericEnvClient, WebSocket)", *measure(tasks, args.episodes, openenv))
            )

        vf_reset, vf_rate, vf_env = measure_verifiers(root, tasks, args.episodes)
        rows.append(("verifiers (run_slot, scripted model)", vf_reset, vf_rate))

        base_reset, base_rate = rows[0][1], rows[0][2]
        print(f"{args.episodes} episodes of gold calls, {len(tasks)} sample tasks")
        print(f"{'face':48} {'reset ms':>9} {'x base':>7} {'steps/s':>9} {'x base':>7}")
        for name, reset_s, rate in rows:
            print(
                f"{name:48} {reset_s * 1000:9.2f} {reset_s / base_reset:7.2f} {rate:9.0f} {rate / base_rate:7.2f}"
            )
        print(
            f"verifiers: the TaskEnv's steps are {vf_env:.0%} of its step time; the rest is the chat round trip"
        )


if __name__ == "__main__":
    main()
