"""How fast tasks are drafted and validated, beside a validator that opens a fresh episode per draft.

On the anonymized-or-raw sample and titanium (built from ../shared/data when present): the time
of ``generate_tasks(n=1000)`` end to end (draft, validate, deduplicate, split), and the validation
of the same drafts two ways in the same process: ours (one episode per cutoff, persona and tool
set, from a pool, reset between the oracle, noop and plausible-wrong runs) and a baseline that
opens a new episode for every draft, as a harness without an episode pool would. The ratio is the figure to compare.
With ``--workers N`` (N > 1), also ``generate_tasks(n, workers=N)`` beside it: its time, and that its
tasks are the one-process run's, byte for byte.

    python benchmarks/bench_tasks.py [--data ../shared/data] [--n 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from workgym.tasks import Task, TaskEnv, generate_tasks
from workgym.tasks.families import FAMILIES, SHARES, Draft, Gen
from workgym.tasks.validate import LIMITS, Validator
from workgym.world import World
from workspaces import DEFAULT_DATA, workspaces  # benchmarks/workspaces.py


class FreshEpisodes(Validator):
    """The baseline: a new episode for every draft (no pool), as a harness without cheap reset would."""

    def env(self, task: Task) -> TaskEnv:
        return TaskEnv(self.world, task, scorer=self.scorer, limits=LIMITS)


def drafts(world: World, n: int) -> list[Draft]:
    g = Gen(world, 0)
    try:
        return [d for f in FAMILIES for d in FAMILIES[f](g, round(n * SHARES[f] * 1.6))]
    finally:
        g.close()


def timed_validation(validator: Validator, items: list[Draft]) -> tuple[float, int]:
    started = time.perf_counter()
    kept = sum(validator.validate(d).task is not None for d in items)
    validator.close()
    return time.perf_counter() - started, kept


def measure(name: str, db: Path, n: int, workers: int = 1) -> None:
    world = World.open(db)
    started = time.perf_counter()
    tasks, report = generate_tasks(world, n=n, seed=0)
    total = time.perf_counter() - started
    if workers > 1:
        started = time.perf_counter()
        shared, _ = generate_tasks(world, n=n, seed=0, workers=workers)
        parallel = time.perf_counter() - started
        same = [t.to_dict() for t in shared] == [t.to_dict() for t in tasks]
        print(
            f"\n{name}: {workers} workers {parallel:.1f} s, one process {total:.1f} s ({total / parallel:.2f}x)"
        )
        assert same, "worker processes gave other tasks"
    items = drafts(world, n)
    ours, kept = timed_validation(Validator(world), items)
    base, kept_base = timed_validation(FreshEpisodes(world), items)
    assert kept == kept_base, (kept, kept_base)
    print(f"\n{name}")
    print(f"  generate_tasks(n={n}): {len(tasks)} tasks in {total:.1f} s ({len(tasks) / total:,.0f} tasks/s)")
    print(
        f"  validate {len(items)} drafts ({kept} pass): {ours:.2f} s; fresh episode per run {base:.2f} s "
        f"({base / ours:.1f}x)"
    )
    print(f"  kept by family: {dict(report.kept)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="also time generate_tasks(workers=N)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, db in workspaces(Path(tmp), args.data):
            measure(name, db, min(args.n, 150) if name == "sample" else args.n, args.workers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
