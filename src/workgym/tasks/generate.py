"""From a world to validated tasks: draft every family, validate, deduplicate, balance, split by entity.

::

    tasks, report = generate_tasks(World.open("anon.db"), n=1000, seed=0)
    write_tasks(tasks, Path("tasks.jsonl"))

The same world, ``n``, seed and families give the same tasks, in the same order, byte for byte,
with any number of ``workers`` (processes that validate contiguous runs of the drafts, their
outcomes taken back in the drafts' order).
"""

from __future__ import annotations

import hashlib
import math
import multiprocessing
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workgym import jsonl
from workgym.tasks.checks import normalize
from workgym.tasks.families import FAMILIES, SHARES, Draft, Gen
from workgym.tasks.model import Task, canonical_json
from workgym.tasks.validate import Outcome, Validator
from workgym.world import World

OVERDRAW = 1.6
"""Drafts asked of a family per task it should yield: validation and deduplication drop some."""

LEVEL_FEATURES: dict[str, str] = {
    "min_actions": "actions",
    "hops": "hops",
    "apps": "sources",
    "distractors": "distractors",
}
"""The difficulty knobs (``workgym tasks --min-actions/--hops/--apps/--distractors``) and the
feature each sets a floor on."""


def below_level(task: Task, level: Mapping[str, int]) -> str | None:
    """The first knob whose floor ``task`` is under (as ``"hops < 3"``), or None when it meets them all."""
    for knob, feature in LEVEL_FEATURES.items():
        floor = level.get(knob, 0)
        if floor and task.features.get(feature, 0) < floor:
            return f"{feature} < {floor}"
    return None


@dataclass
class Report:
    """What generation did: drafts, kept tasks, drops by reason, splits, and how long it took."""

    drafts: Counter[str] = field(default_factory=Counter)
    validated: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    dropped: Counter[tuple[str, str]] = field(default_factory=Counter)
    splits: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Tasks kept."""
        return sum(self.kept.values())

    def share(self, tasks: Sequence[Task], test: Callable[[Task], bool]) -> float:
        """The share of ``tasks`` for which ``test`` holds."""
        return sum(1 for t in tasks if test(t)) / len(tasks) if tasks else 0.0

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "drafts": dict(self.drafts),
            "validated": dict(self.validated),
            "kept": dict(self.kept),
            "dropped": {f"{family}: {reason}": n for (family, reason), n in sorted(self.dropped.items())},
            "splits": dict(self.splits),
            "seconds": round(self.seconds, 2),
        }


def generate_tasks(
    world: World,
    *,
    n: int = 1000,
    seed: int = 0,
    families: Sequence[str] | None = None,
    splits: tuple[str, str] = ("train", "test"),
    test_share: float = 0.2,
    progress: Callable[[int, int], None] | None = None,
    level: Mapping[str, int] | None = None,
    workers: int = 1,
) -> tuple[list[Task], Report]:
    """Draft, validate, deduplicate and split about ``n`` tasks.

    Args:
        world: the workspace (raw or anonymized).
        n: how many tasks to aim for (fewer when the data does not allow more).
        seed: makes the draws; the same seed gives the same tasks.
        families: which families (default all).
        splits: the names of the two splits.
        test_share: about what share of tasks goes to the second split, by entity.
        progress: called with (validated so far, drafts in all).
        level: floors on the difficulty features, by knob (see :data:`LEVEL_FEATURES`); the
            generators aim for them (a distractor count, longer lists) and tasks under a floor
            are dropped.
        workers: processes that validate drafts (1: in this process); the tasks are the same.

    Raises:
        ValueError: an unknown family or difficulty knob.
    """
    chosen = list(families or FAMILIES)
    unknown = [f for f in chosen if f not in FAMILIES]
    if unknown:
        raise ValueError(f"unknown families {unknown}; families: {', '.join(FAMILIES)}")
    started = time.perf_counter()
    report = Report()
    total_share = sum(SHARES[f] for f in chosen)
    quota = {f: max(1, round(n * SHARES[f] / total_share)) for f in chosen}
    level = {k: v for k, v in (level or {}).items() if v}
    unknown_knobs = sorted(set(level) - set(LEVEL_FEATURES))
    if unknown_knobs:
        raise ValueError(f"unknown difficulty knobs {unknown_knobs}; knobs: {', '.join(LEVEL_FEATURES)}")
    g = Gen(world, seed, level)
    try:
        drafts: list[Draft] = []
        for family in chosen:
            made = FAMILIES[family](g, math.ceil(quota[family] * OVERDRAW))
            report.drafts[family] += len(made)
            drafts += made
    finally:
        g.close()
    valid: dict[str, list[Task]] = defaultdict(list)
    outcomes = _outcomes(world, drafts, workers)
    try:
        for done, (draft, outcome) in enumerate(zip(drafts, outcomes, strict=True), 1):
            under = below_level(outcome.task, level) if outcome.task is not None and level else None
            if under is not None:
                report.dropped[(draft.family, f"under the level ({under})")] += 1
            elif outcome.task is None:
                report.dropped[(draft.family, outcome.reason)] += 1
            else:
                valid[draft.family].append(outcome.task)
                report.validated[draft.family] += 1
            if progress is not None:
                progress(done, len(drafts))
    finally:
        outcomes.close()  # the validator, or the worker processes
    unique = _dedupe(valid, report)
    picked = _balance(unique, quota, n)
    tasks = assign_splits(picked, splits, test_share, seed)
    for t in tasks:
        report.kept[t.family] += 1
        report.splits[t.split] += 1
    report.seconds = time.perf_counter() - started
    return tasks, report


CHUNKS_PER_WORKER = 4
"""Runs of drafts per worker process: contiguous, so a run's drafts share episodes as in one process."""

_worker_validator: Validator | None = None


def _start_worker(path: str) -> None:
    global _worker_validator
    _worker_validator = Validator(World.open(path))


def _validate_run(drafts: Sequence[Draft]) -> list[Outcome]:
    if _worker_validator is None:
        raise RuntimeError("the worker process was not started with _start_worker")
    return [_worker_validator.validate(d) for d in drafts]


def _outcomes(world: World, drafts: Sequence[Draft], workers: int) -> Generator[Outcome, None, None]:
    """Each draft's validation, in the drafts' order: here, or in ``workers`` processes."""
    if workers <= 1 or len(drafts) < 2 * workers:
        validator = Validator(world)
        try:
            yield from (validator.validate(d) for d in drafts)
        finally:
            validator.close()
        return
    size = max(1, math.ceil(len(drafts) / (workers * CHUNKS_PER_WORKER)))
    runs = [drafts[i : i + size] for i in range(0, len(drafts), size)]
    # spawn, not fork: a forked worker would inherit this process's open SQLite connections.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(str(world.path),)
    )
    try:
        for outcomes in pool.map(_validate_run, runs):
            yield from outcomes
    finally:  # a consumer that stops early (an error, Ctrl-C) does not wait for the runs left
        pool.shutdown(cancel_futures=True)


def _dedupe(valid: dict[str, list[Task]], report: Report) -> dict[str, list[Task]]:
    """Drop tasks that ask the same thing (the same words) or are done the same way (the same gold actions)."""
    seen: set[str] = set()
    out: dict[str, list[Task]] = {}
    for family, tasks in valid.items():
        kept = []
        for task in tasks:
            keys = (
                f"ask:{normalize(task.instruction)}",
                f"gold:{family}:{task.cutoff}:{task.persona}:{canonical_json([c.to_dict() for c in task.gold])}",
            )
            if any(k in seen for k in keys):
                report.dropped[(family, "duplicate")] += 1
                continue
            seen.update(keys)
            kept.append(task)
        out[family] = kept
    return out


def _balance(tasks: dict[str, list[Task]], quota: dict[str, int], n: int) -> list[Task]:
    """Each family up to its quota, then what some could not fill from the others' spare, to ``n``."""
    picked = {f: ts[: quota[f]] for f, ts in tasks.items()}
    spare = {f: ts[quota[f] :] for f, ts in tasks.items()}
    room = n - sum(len(v) for v in picked.values())
    while room > 0 and any(spare.values()):
        for family in quota:
            if room > 0 and spare.get(family):
                picked[family].append(spare[family].pop(0))
                room -= 1
    order = list(quota)
    return [t for f in order for t in picked.get(f, [])]


def _answer_entity(task: Task) -> str | None:
    for check in task.checks:
        if check.kind == "answer" and check.match == "entity":
            return str(check.expected)
    return None


def assign_splits(tasks: Sequence[Task], names: tuple[str, str], test_share: float, seed: int) -> list[Task]:
    """Split by entity: tasks that share an entity (their subject or their answer) share a split.

    So no answer of the second split is an answer, or a subject, in the first.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for task in tasks:
        keys = [k for k in (task.entity, _answer_entity(task)) if k]
        find(keys[0] if keys else task.id)
        for other in keys[1:]:
            union(keys[0], other)
    out = []
    for task in tasks:
        keys = [k for k in (task.entity, _answer_entity(task)) if k] or [task.id]
        group = find(keys[0])
        digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
        split = names[1] if int.from_bytes(digest[:8], "big") / 2**64 < test_share else names[0]
        out.append(replace(task, split=split))
    return out


def write_tasks(tasks: Iterable[Task], path: Path) -> int:
    """Write one task per line (sorted keys, atomically; see :mod:`workgym.jsonl`); returns how many."""
    return jsonl.write(path, (task.to_dict() for task in tasks))


__all__ = [
    "LEVEL_FEATURES",
    "OVERDRAW",
    "Report",
    "assign_splits",
    "below_level",
    "generate_tasks",
    "write_tasks",
]
