"""Reliability metrics over trajectories: success, partial credit, pass@k and pass^k, with intervals.

For a task tried ``n`` times with ``c`` successes, the unbiased estimators (as tau-bench uses):

* pass@k = 1 - C(n-c, k) / C(n, k): the chance that at least one of k tries succeeds;
* pass^k = C(c, k) / C(n, k): the chance that all k tries succeed, what deployment needs.

Both are averaged over tasks, for k = 1..n (n the fewest tries any task has). Confidence
intervals are a seeded bootstrap over tasks (tries of a task stay together). Breakdowns go by
family, by the number of sources a task spans, by difficulty band once calibrated, and by agent.

Format failures (model replies that were neither a tool call nor an answer, each answered with a
corrective observation) are counted apart from the world's step errors and from wrong answers:
``format_failures`` has the replies and the episodes with any; ``call_forms`` counts the forms the
calls came in (``tool_calls``, ``hermes``, ``react``, …), so pass^k can be read as the task's, not
the parser's.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from math import comb
from statistics import fmean
from typing import Any

Trajectory = Mapping[str, Any]

FORMAT = "format"
"""The step error of a model reply that was neither a tool call nor an answer (a format failure)."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of ``k`` tries succeeds, from ``c`` successes in ``n``."""
    if k > n:
        raise ValueError(f"k={k} is more than the {n} tries")
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Chance that all ``k`` tries succeed, from ``c`` successes in ``n``."""
    if k > n:
        raise ValueError(f"k={k} is more than the {n} tries")
    return comb(c, k) / comb(n, k)


def _counts(trajectories: Sequence[Trajectory]) -> list[tuple[int, int]]:
    """(tries, successes) per task, in task order of first appearance."""
    tries: dict[str, list[int]] = {}
    for t in trajectories:
        entry = tries.setdefault(t["task_id"], [0, 0])
        entry[0] += 1
        entry[1] += float(t["reward"]) >= 1.0
    return [(n, c) for n, c in tries.values()]


def _bootstrap(values: Sequence[float], weights: Sequence[float], seed: int, rounds: int) -> list[float]:
    """A 95% interval of the weighted mean of per-task values, resampling tasks."""
    if len(values) < 2:
        v = values[0] if values else 0.0
        return [round(v, 4), round(v, 4)]
    rng = random.Random(seed)
    size = len(values)
    means = []
    for _ in range(rounds):
        picked = [rng.randrange(size) for _ in range(size)]
        total = sum(weights[i] for i in picked)
        means.append(sum(values[i] * weights[i] for i in picked) / total if total else 0.0)
    means.sort()
    return [round(means[int(0.025 * (rounds - 1))], 4), round(means[int(0.975 * (rounds - 1))], 4)]


def summarize(trajectories: Sequence[Trajectory], *, seed: int = 0, rounds: int = 1000) -> dict[str, Any]:
    """The headline metrics of a set of trajectories (one agent's, or all of a run's)."""
    counts = _counts(trajectories)
    episodes = len(trajectories)
    k_max = min((n for n, _ in counts), default=0)
    at = {k: fmean(pass_at_k(n, c, k) for n, c in counts) for k in range(1, k_max + 1)}
    hat = {k: fmean(pass_hat_k(n, c, k) for n, c in counts) for k in range(1, k_max + 1)}
    rates = [c / n for n, c in counts]
    tries = [float(n) for n, _ in counts]
    hat_last = [pass_hat_k(n, c, k_max) for n, c in counts] if k_max else []
    steps = [len(t["steps"]) for t in trajectories]
    errors: Counter[str] = Counter(
        s["error"] for t in trajectories for s in t["steps"] if s.get("error") and s["error"] != FORMAT
    )
    formats = [sum(1 for s in t["steps"] if s.get("error") == FORMAT) for t in trajectories]
    forms: Counter[str] = Counter(
        s["form"] for t in trajectories for s in t["steps"] if s.get("form") not in (None, "none")
    )
    failures: Counter[str] = Counter(t["failure"]["boundary"] for t in trajectories if t.get("failure"))
    tokens: Counter[str] = Counter()
    for t in trajectories:
        tokens.update(t.get("tokens") or {})
    return {
        "episodes": episodes,
        "tasks": len(counts),
        "success_rate": round(sum(c for _, c in counts) / episodes, 6) if episodes else 0.0,
        "success_rate_ci95": _bootstrap(rates, tries, seed, rounds),
        "partial_credit": round(fmean(float(t["partial"]) for t in trajectories), 6) if trajectories else 0.0,
        "pass_at_k": {k: round(v, 6) for k, v in at.items()},
        "pass_hat_k": {k: round(v, 6) for k, v in hat.items()},
        "pass_hat_k_max_ci95": _bootstrap(hat_last, [1.0] * len(hat_last), seed + 1, rounds),
        "steps_mean": round(fmean(steps), 3) if steps else 0.0,
        "tokens": dict(tokens),
        "cost_usd": round(sum(float(t.get("cost_usd") or 0.0) for t in trajectories), 9)
        if any("cost_usd" in t for t in trajectories)
        else None,
        "step_errors": dict(sorted(errors.items())),
        "format_failures": {"replies": sum(formats), "episodes": sum(1 for n in formats if n)},
        "call_forms": dict(sorted(forms.items())),
        "failures": dict(sorted(failures.items())),
        "seconds": {
            "env": round(sum(t["seconds"]["env"] for t in trajectories), 4),
            "model": round(sum(t["seconds"]["model"] for t in trajectories), 4),
            "total": round(sum(t["seconds"]["total"] for t in trajectories), 4),
        },
    }


def band(difficulty: float | None) -> str:
    """A calibrated difficulty's band (in logits): easy < -1 <= medium <= 1 < hard."""
    if difficulty is None:
        return "uncalibrated"
    return "easy" if difficulty < -1 else ("hard" if difficulty > 1 else "medium")


def breakdown(
    trajectories: Sequence[Trajectory], key: Callable[[Trajectory], str], **options: Any
) -> dict[str, Any]:
    """:func:`summarize` for each group of trajectories ``key`` picks, smaller figures only."""
    groups: dict[str, list[Trajectory]] = defaultdict(list)
    for t in trajectories:
        groups[key(t)].append(t)
    out = {}
    for name in sorted(groups):
        s = summarize(groups[name], **options)
        out[name] = {
            k: s[k]
            for k in (
                "episodes",
                "tasks",
                "success_rate",
                "success_rate_ci95",
                "partial_credit",
                "pass_at_k",
                "pass_hat_k",
            )
        }
    return out


def run_summary(trajectories: Sequence[Trajectory], *, seed: int = 0, rounds: int = 1000) -> dict[str, Any]:
    """summary.json: the metrics of all the run's episodes, by family, sources, difficulty band and agent.

    Each agent gets its own breakdowns too. A run of one agent (the usual) has its figures at the top.
    """
    options = {"seed": seed, "rounds": min(rounds, 200)}
    agents = sorted({t["agent"] for t in trajectories})

    def full(ts: Sequence[Trajectory], **kw: Any) -> dict[str, Any]:
        return {
            **summarize(ts, **kw),
            "by_family": breakdown(ts, lambda t: t["family"], **options),
            "by_sources": breakdown(ts, lambda t: str(t.get("sources", 1)), **options),
            "by_difficulty": breakdown(ts, lambda t: band(t.get("difficulty")), **options),
        }

    return {
        **full(trajectories, seed=seed, rounds=rounds),
        "agents": agents,
        "by_agent": {a: full([t for t in trajectories if t["agent"] == a], **options) for a in agents},
    }


__all__ = ["FORMAT", "band", "breakdown", "pass_at_k", "pass_hat_k", "run_summary", "summarize"]
