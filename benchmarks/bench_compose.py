"""Composed tasks: how many, how long, how wide, how policy-bound, and what generating all families costs.

On the anonymized sample and titanium (built from ../shared/data when present):

1. ``generate_tasks(n=1000)`` over every family, end to end (draft, validate, deduplicate, split):
   the time, against the issue's target of 120 s;
2. ``generate_tasks(n=400, families=["compose"])``: how many validated composed tasks, their median
   gold length, the share touching three or more apps, the share bound by the workplace policy, and
   the spread of distractors; beside the same figures for the one-part families of the run in 1.
   The ratio of median gold lengths is the figure to compare.

    python benchmarks/bench_compose.py [--data ../shared/data] [--n 1000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from workgym.tasks import Task, generate_tasks
from workgym.world import World
from workspaces import DEFAULT_DATA, workspaces  # benchmarks/workspaces.py


def figures(tasks: Sequence[Task]) -> str:
    if not tasks:
        return "none"
    actions = [t.features["actions"] for t in tasks]
    wide = sum(t.features["sources"] >= 3 for t in tasks) / len(tasks)
    bound = sum(bool(t.policy) for t in tasks) / len(tasks)
    spread = sorted(Counter(t.features["distractors"] for t in tasks).items())
    return (
        f"{len(tasks)} tasks, median gold {statistics.median(actions):g} calls "
        f"({min(actions)}-{max(actions)}), {wide:.0%} touch 3+ apps, {bound:.0%} policy-bound, "
        f"distractors {dict(spread[:8])}"
    )


def measure(name: str, db: Path, n: int, composed: int) -> None:
    world = World.open(db)
    started = time.perf_counter()
    every, _ = generate_tasks(world, n=n, seed=0)
    total = time.perf_counter() - started
    started = time.perf_counter()
    mine, report = generate_tasks(world, n=composed, seed=0, families=["compose"])
    seconds = time.perf_counter() - started
    parts = [t for t in every if t.family != "compose"]
    print(f"\n{name}")
    print(f"  generate_tasks(n={n}), all families: {len(every)} tasks in {total:.1f} s (target <= 120 s)")
    print(f"  composed, n={composed}: {figures(mine)}; {seconds:.1f} s; dropped {dict(report.dropped)}")
    print(f"  one-part families (baseline): {figures(parts)}")
    if mine and parts:
        ratio = statistics.median(t.features["actions"] for t in mine) / statistics.median(
            t.features["actions"] for t in parts
        )
        print(f"  median gold length, composed / one-part: {ratio:.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--composed", type=int, default=400)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, db in workspaces(Path(tmp), args.data):
            measure(name, db, args.n, args.composed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
