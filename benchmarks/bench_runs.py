"""Runner throughput and environment overhead, beside a baseline run in the same script.

1. The oracle agent on the sample's tasks (mined from the anonymized sample), 3 tries each: the
   runner with 1 and with 2 worker processes, against a baseline loop that opens a fresh episode
   for every run (no pool, no reset), in one process.
2. The tool-calling agent against a local OpenAI-compatible server whose every answer takes
   500 ms (a realistic model latency), playing the gold calls: the share of each episode's wall
   time spent in the environment (tool calls, state, scoring) rather than waiting for the model.

    python benchmarks/bench_runs.py [--latency 0.5] [--llm-tasks 24]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' local endpoint, reused rather than written twice

from tests.fake_openai import FakeOpenAI, Reply, gold_player  # noqa: E402

from workgym.agents import AgentSpec, ModelEndpoint  # noqa: E402
from workgym.anonymize.run import anonymize_workspace  # noqa: E402
from workgym.cli import sample_sources  # noqa: E402
from workgym.link.build import build_workspace  # noqa: E402
from workgym.rollout import RunConfig, load_trajectories, run  # noqa: E402
from workgym.tasks import Scorer, Task, generate_tasks  # noqa: E402
from workgym.tasks.users import ScriptedUser  # noqa: E402
from workgym.world import World  # noqa: E402


def baseline(db: Path, tasks: list[Task], trials: int) -> float:
    """Episodes per second with a fresh episode per run."""
    world = World.open(db)
    scorer = Scorer(world)
    started = time.perf_counter()
    for task in tasks:
        for trial in range(trials):
            user = ScriptedUser(task.user) if task.user else None
            with world.episode(
                cutoff=task.cutoff, persona=task.persona, tools=task.tools, seed=trial, user=user
            ) as ep:
                for call in task.gold:
                    ep.step(call.to_dict())
                scorer.score(task, ep)
    return len(tasks) * trials / (time.perf_counter() - started)


def runner_rate(db: Path, tasks: list[Task], trials: int, workers: int, out: Path) -> float:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    summary = run(
        RunConfig(
            workspace=db,
            tasks=tasks,
            agents=[AgentSpec("oracle")],
            trials=trials,
            concurrency=workers,
            out=out,
        )
    )
    assert summary["success_rate"] == 1.0
    return summary["episodes"] / (time.perf_counter() - started)


def env_share(db: Path, tasks: list[Task], latency: float, out: Path) -> dict[str, Any]:
    play = gold_player(tasks)

    def slow(request: dict[str, Any]) -> Reply:
        answer = play(request)
        answer.delay = latency
        return answer

    with FakeOpenAI(slow) as server:
        spec = AgentSpec("openai", ModelEndpoint(model="bench", base_url=server.url))
        run(RunConfig(workspace=db, tasks=tasks, agents=[spec], trials=1, concurrency=len(tasks), out=out))
    trajectories = load_trajectories(out / "trajectories.jsonl")
    env = sum(t["seconds"]["env"] for t in trajectories)
    total = sum(t["seconds"]["total"] for t in trajectories)
    model = sum(t["seconds"]["model"] for t in trajectories)
    steps = sum(len(t["steps"]) for t in trajectories)
    return {"episodes": len(trajectories), "steps": steps, "env": env, "model": model, "total": total}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--llm-tasks", type=int, default=24)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw, db = Path(tmp) / "sample.db", Path(tmp) / "anon.db"
        build_workspace(sample_sources(), raw)
        anonymize_workspace(raw, db, b"k" * 32)
        tasks, _ = generate_tasks(World.open(db), n=150, seed=0)
        episodes = len(tasks) * args.trials
        base = baseline(db, tasks, args.trials)
        one = runner_rate(db, tasks, args.trials, 1, Path(tmp) / "one")
        two = runner_rate(db, tasks, args.trials, 2, Path(tmp) / "two")
        print(f"oracle, {len(tasks)} sample tasks x {args.trials} tries = {episodes} episodes")
        print(f"  fresh episode per run (baseline): {base:,.0f} episodes/s")
        print(f"  runner, 1 process:  {one:,.0f} episodes/s ({one / base:.1f}x)")
        print(f"  runner, 2 processes: {two:,.0f} episodes/s ({two / base:.1f}x)")
        share = env_share(db, tasks[: args.llm_tasks], args.latency, Path(tmp) / "llm")
        print(
            f"tool-calling agent, {share['episodes']} episodes, {share['steps']} steps, endpoint latency {args.latency * 1000:.0f} ms"
        )
        print(
            f"  environment {share['env']:.3f} s of {share['total']:.1f} s episode time "
            f"({100 * share['env'] / share['total']:.3f}%); waiting on the model {share['model']:.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
