"""Full-text search steps on a workspace, beside FTS5 ranking every match (run by benchmarks/world.py).

Query sets: the 200 words in most tickets and comments, 200 words drawn at random from their
vocabulary, 40 queries of two or three words of a random ticket summary, 30 pairs of words from
the 50 most common, and 30 JQL queries with a text clause (with a project, a status, ORDER BY,
``comment ~``). Each query is run ``repeat`` times as a ``search_tickets`` step (and the word sets
as ``search_commits`` too) in an episode whose cutoff is the median ticket's creation, so about
half the tickets are hidden; its median is the query's time. A set's figures are the p50 and p90
of those medians and the slowest. The baseline runs the same steps with every base search ranked
whole by FTS5 (:func:`workgym.world.search.rank_all`, unranked past
:data:`workgym.world.state.RANK_LIMIT` matches): how every search ran before the sidecar's lists.

    python benchmarks/world_search.py ws.db [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from workgym.world import Episode, World
from workgym.world import search as search_module

Plan = Callable[[], AbstractContextManager[Any]]
"""How base searches run during a step: a context manager factory."""

_WORD = re.compile(r"[^\W\d_]{2,}")
TEXT_SAMPLE = 400
"""Characters of each ticket and comment read to count words (descriptions run to pages of logs)."""


def query_sets(world: World, seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """The calls of each query set (see the module's docstring), drawn with ``seed``."""
    rnd = random.Random(seed)
    with world.episode() as ep:
        texts = [
            r[0]
            for r in ep.state.query(
                "SELECT substr(summary || ' ' || description, 1, ?) FROM ticket UNION ALL "
                "SELECT substr(body, 1, ?) FROM ticket_comment",
                (TEXT_SAMPLE, TEXT_SAMPLE),
            )
        ]
        summaries = [r[0] for r in ep.state.query("SELECT summary FROM ticket ORDER BY id")]
        projects = [r[0] for r in ep.state.query("SELECT DISTINCT project FROM ticket ORDER BY project")]
        statuses = [
            r[0]
            for r in ep.state.query("SELECT DISTINCT status FROM ticket WHERE status != '' ORDER BY status")
        ]
    df: Counter[str] = Counter()
    for text in texts:
        df.update({w.lower() for w in _WORD.findall(text)})
    common = [w for w, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:200]]  # ties by word
    vocabulary = sorted(df)
    rare = rnd.sample(vocabulary, min(200, len(vocabulary)))
    phrases = []
    for summary in rnd.sample(summaries, min(40, len(summaries))):
        words = [w for w in _WORD.findall(summary) if len(w) > 3]
        phrases.append(" ".join(rnd.sample(words, min(rnd.choice((2, 3)), len(words)))) or "error")
    pairs = [" ".join(rnd.sample(common[:50], 2)) for _ in range(30)]
    shapes = (
        lambda w, v: f'project = {rnd.choice(projects)} AND text ~ "{w}"',
        lambda w, v: f'text ~ "{w} {v}" AND status = "{rnd.choice(statuses)}"',
        lambda w, v: f'text ~ "{w}" ORDER BY updated DESC',
        lambda w, v: f'comment ~ "{w}"',
        lambda w, v: f'text ~ "{w}" OR text ~ "{v}"',
    )
    jql = [shapes[i % len(shapes)](*rnd.sample(common[:100], 2)) for i in range(30)]

    def tickets(queries: list[str]) -> list[dict[str, Any]]:
        return [{"name": "search_tickets", "arguments": {"jql": q}} for q in queries]

    def commits(queries: list[str]) -> list[dict[str, Any]]:
        return [{"name": "search_commits", "arguments": {"query": q}} for q in queries]

    return {
        "search_tickets, 200 most common words": tickets(common),
        "search_tickets, 200 random words": tickets(rare),
        "search_tickets, 40 summary phrases": tickets(phrases),
        "search_tickets, 30 common-word pairs": tickets(pairs),
        "search_tickets, 30 JQL text clauses": tickets(jql),
        "search_commits, 200 most common words": commits(common),
        "search_commits, 200 random words": commits(rare),
    }


def _step_time(ep: Episode, call: dict[str, Any]) -> tuple[float, float]:
    """Wall and CPU milliseconds of one step."""
    started, used = time.perf_counter(), time.thread_time()
    obs = ep.step(call)
    wall, cpu = time.perf_counter() - started, time.thread_time() - used
    assert obs.info["error"] in (None, "tool_error"), obs.text
    ep.steps = 0  # keep the step limit out of a long benchmark
    return wall * 1000, cpu * 1000


def _query_times(
    ep: Episode, call: dict[str, Any], repeat: int, fast: Plan, slow: Plan
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median wall and CPU times of a call with the lists and ranking all, run in turns.

    In turns, so both see the same page cache and the same load on the machine.
    """
    runs: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])
    for _ in range(repeat):
        for plan, out in ((fast, runs[0]), (slow, runs[1])):
            with plan():
                out.append(_step_time(ep, call))
    return (
        (statistics.median(t[0] for t in runs[0]), statistics.median(t[1] for t in runs[0])),
        (statistics.median(t[0] for t in runs[1]), statistics.median(t[1] for t in runs[1])),
    )


@contextmanager
def ranking_all() -> Iterator[None]:
    """Every base search ranked whole by FTS5, as before the lists (the baseline)."""

    def reference(*args: Any, rank_limit: int, **kwargs: Any) -> search_module.BaseHits:
        return search_module.rank_all(*args, rank_limit=rank_limit, **kwargs)

    with mock.patch("workgym.world.state.search_base", reference):
        yield


def measure_search(world: World, repeat: int) -> dict[str, dict[str, float]]:
    """Per query set: p50, p90 and slowest of the queries' median step times, with the lists and without."""
    sets = query_sets(world)
    with world.episode() as ep:
        created = sorted(r[0] for r in ep.state.query("SELECT created FROM ticket WHERE created != ''"))
    cutoff = created[len(created) // 2]
    persona = sorted(world.facts.people)[0]
    out: dict[str, dict[str, float]] = {}
    plans: Counter[str] = Counter()
    real = search_module.search_base

    def counted(*args: Any, **kwargs: Any) -> search_module.BaseHits:
        found = real(*args, **kwargs)
        plans[found.plan] += 1
        return found

    with world.episode(cutoff=cutoff, persona=persona, seed=1) as ep:
        for calls in sets.values():  # warm the page cache once
            for call in calls[:5]:
                ep.step(call)
        ep.steps = 0
        for name, calls in sets.items():
            times = [
                _query_times(
                    ep,
                    call,
                    repeat,
                    lambda: mock.patch("workgym.world.state.search_base", counted),
                    ranking_all,
                )
                for call in calls
            ]
            fast, slow = [t[0] for t in times], [t[1] for t in times]
            out[name] = {}
            for prefix, measured in (("", fast), ("base_", slow)):
                for clock, i in (("", 0), ("cpu_", 1)):
                    values = [t[i] for t in measured]
                    out[name][f"{prefix}{clock}p50"] = statistics.median(values)
                    out[name][f"{prefix}{clock}p90"] = statistics.quantiles(values, n=10)[-1]
                    out[name][f"{prefix}{clock}max"] = max(values)
    out["plans"] = {plan: float(n) for plan, n in sorted(plans.items())}
    out["cutoff"] = {"year": float(cutoff[:4])}
    return out


def report_search(name: str, m: dict[str, dict[str, float]]) -> None:
    """Print the figures of :func:`measure_search`: wall time, and the step thread's CPU time in brackets."""
    plans = ", ".join(f"{plan} {int(n):,}" for plan, n in m["plans"].items())
    print(f"\n{name}: search steps, cutoff at the median ticket ({int(m['cutoff']['year'])})")
    print(f"  base searches by plan: {plans}; times wall (CPU), ms")
    print(
        f"  {'':38} {'p50':>13} {'p90':>13} {'slowest':>7}   {'ranking all p50':>15} {'p90':>7}   {'ratio':>6}"
    )
    for label, f in m.items():
        if label in ("plans", "cutoff"):
            continue
        print(
            f"  {label:38} {f['p50']:5.2f} ({f['cpu_p50']:5.2f}) {f['p90']:5.2f} ({f['cpu_p90']:5.2f}) {f['max']:7.1f}"
            f"   {f['base_p50']:6.2f} ({f['base_cpu_p50']:6.2f}) {f['base_p90']:7.1f}   {f['base_p50'] / f['p50']:5.1f}x"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    report_search(args.workspace.name, measure_search(World.open(args.workspace), args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
