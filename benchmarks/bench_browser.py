"""The tasks through the GUI: BrowserGym's env loop over the sample's tasks, and what a step costs.

Builds the sample (ingest, anonymize, 150 tasks as `workgym demo` does), picks ``--tasks`` of them
round-robin over the families, registers them as ``browsergym/workgym.<id>`` and runs each through
``gym.make`` with the GUI oracle and with a noop; every oracle episode must score 1.0, every noop
0.0, and the tool face must give the same rewards on the same tasks. A step is timed as
``env.step`` (the action, then BrowserGym's whole observation: DOM snapshot, AXTree, screenshot,
and the task's validate). The baseline, in the same script and browser: a bare Playwright
``page.goto`` of the same pages the oracle saw, and the same with a screenshot. Beside each wall
time it reports the CPU time the step cost this process and its children (Playwright's driver,
Chromium's processes), which a loaded machine does not inflate, and the load average.

    python benchmarks/bench_browser.py [--tasks 60] [--viewport 1280x720]

``$WORKGYM_CHROMIUM=/usr/bin/chromium`` runs it with the full browser instead of the headless shell.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import gymnasium as gym

from workgym.anonymize.run import anonymize_workspace
from workgym.browser import GuiNoop, GuiOracle, register_tasks, run_gui_episode
from workgym.browser.chromium import system_chromium
from workgym.browser.site import agent_site
from workgym.browser.task import VIEWPORT, open_episode
from workgym.cli import sample_sources
from workgym.link.build import build_workspace
from workgym.report.viewer import viewer_address
from workgym.tasks import Scorer, Task, generate_tasks
from workgym.tasks.env import TaskEnv
from workgym.world import World
from workgym.world.server import running


def round_robin(tasks: list[Task], n: int) -> list[Task]:
    by: dict[str, list[Task]] = collections.defaultdict(list)
    for t in tasks:
        by[t.family].append(t)
    out: list[Task] = []
    depth = 0
    while len(out) < n and depth < max(len(v) for v in by.values()):
        for family in sorted(by):
            if depth < len(by[family]) and len(out) < n:
                out.append(by[family][depth])
        depth += 1
    return out


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its children so far (0.0 without psutil)."""
    try:
        import psutil
    except ImportError:
        return 0.0
    me = psutil.Process()
    total = 0.0
    for proc in [me, *me.children(recursive=True)]:
        try:
            used = proc.cpu_times()
        except psutil.Error:
            continue
        total += used.user + used.system
    return total


class TimedSteps(gym.Wrapper):  # type: ignore[type-arg]
    """Records how long each ``step`` takes, in wall time and in CPU time."""

    def __init__(self, env: Any, times: list[float], cpu: list[float]) -> None:
        super().__init__(env)
        self.times = times
        self.cpu = cpu

    def step(self, action: Any) -> Any:
        used = cpu_seconds()
        started = time.perf_counter()
        out = self.env.step(action)
        self.times.append(time.perf_counter() - started)
        self.cpu.append(cpu_seconds() - used)
        return out


def tool_face(world: World, scorer: Scorer, task: Task, gold: bool) -> float:
    with TaskEnv(world, task, seed=0, scorer=scorer) as env:
        for call in task.gold if gold else ():
            env.step(call.to_dict())
        return env.score().reward


def bare_loads(
    world: World, task: Task, paths: list[str], viewport: dict[str, int]
) -> tuple[list[float], list[float], list[float]]:
    """A bare Playwright page load of each path, and a load plus a screenshot, in the shared browser.

    Returns the loads' wall times, the load + screenshot wall times, and the latter's CPU times.
    """
    import browsergym.core as core

    browser = core._get_global_playwright().chromium.launch(headless=True, slow_mo=0)
    loads, shots, cpu = [], [], []
    with open_episode(world, task) as episode:
        app = agent_site(world, task, episode)
        with running(app) as base:
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            page.goto(viewer_address(app, base))
            for path in paths:
                used = cpu_seconds()
                started = time.perf_counter()
                page.goto(base + path)
                loads.append(time.perf_counter() - started)
                page.screenshot()
                shots.append(time.perf_counter() - started)
                cpu.append(cpu_seconds() - used)
    browser.close()
    return loads, shots, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=60)
    parser.add_argument("--viewport", default="", help="WxH (default: the tasks' own, VIEWPORT)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw, anon = Path(tmp) / "raw.db", Path(tmp) / "anon.db"
        build_workspace(sample_sources(), raw)
        anonymize_workspace(raw, anon, b"t" * 32)
        world = World.open(anon)
        tasks, _ = generate_tasks(world, n=150, seed=0)
        chosen = round_robin(tasks, args.tasks)
        scorer = Scorer(world)
        width, _, height = args.viewport.partition("x")
        viewport = {"width": int(width), "height": int(height)} if args.viewport else dict(VIEWPORT)
        ids = register_tasks(world, chosen, env_kwargs={"viewport": viewport} if args.viewport else None)
        step_times: list[float] = []
        step_cpu: list[float] = []
        resets: list[float] = []
        bad: list[str] = []
        paths: list[str] = []
        started = time.perf_counter()
        for task, gym_id in zip(chosen, ids, strict=True):
            env = TimedSteps(gym.make(gym_id), step_times, step_cpu)
            try:
                t0 = time.perf_counter()
                agent = GuiOracle(task)
                oracle = run_gui_episode(env, agent, max_steps=agent.budget)
                resets.append(time.perf_counter() - t0 - sum(step_times[-len(oracle.steps) :]))
                noop = run_gui_episode(env, GuiNoop(task), max_steps=0)
            finally:
                env.close()
            paths += [s.url.split("/", 3)[-1] for s in oracle.steps[1:4]]
            agree = (tool_face(world, scorer, task, True), tool_face(world, scorer, task, False)) == (
                oracle.reward,
                noop.reward,
            )
            print(
                f"  {task.family:9} {task.id}: oracle {oracle.reward} noop {noop.reward} tool face agrees {agree}",
                flush=True,
            )
            if oracle.reward != 1.0 or noop.reward != 0.0 or not agree:
                bad.append(f"{task.id}: oracle {oracle.reward} noop {noop.reward} tool face agrees {agree}")
        wall = time.perf_counter() - started
        loads, shots, shot_cpu = bare_loads(world, chosen[0], ["/" + p for p in paths[:60]], viewport)
    families = collections.Counter(t.family for t in chosen)
    step_p50 = statistics.median(step_times) * 1000
    load_p50 = statistics.median(loads) * 1000
    shot_p50 = statistics.median(shots) * 1000
    print(f"tasks {len(chosen)} over {len(families)} families {dict(sorted(families.items()))}")
    print(f"GUI oracle 1.0 and noop 0.0 and the tool face agrees: {len(chosen) - len(bad)}/{len(chosen)}")
    for line in bad:
        print("  FAILED", line)
    print(
        f"steps {len(step_times)}; env.step p50 {step_p50:.0f} ms (p90 {statistics.quantiles(step_times, n=10)[-1] * 1000:.0f} ms)"
    )
    print(f"bare page.goto p50 {load_p50:.0f} ms; goto + screenshot p50 {shot_p50:.0f} ms")
    print(
        f"CPU per env.step p50 {statistics.median(step_cpu) * 1000:.0f} ms; "
        f"per goto + screenshot p50 {statistics.median(shot_cpu) * 1000:.0f} ms "
        f"(this process and its children)"
    )
    print(f"browser {system_chromium()}, viewport {viewport['width']}x{viewport['height']}")
    print(
        f"step / bare load: {step_p50 / load_p50:.1f}x; step / load + screenshot: {step_p50 / shot_p50:.1f}x"
    )
    print(
        f"reset p50 {statistics.median(resets) * 1000:.0f} ms; wall {wall:.0f} s for oracle + noop on every task"
    )
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
