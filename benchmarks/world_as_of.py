"""The ticket view reading as-of columns from the sidecar's spans, beside the per-row expressions.

In one process and in turns, each search step of benchmarks/world_search.py's ticket sets (and
four field-filter queries with no text) runs in two episodes at the median ticket's cutoff: one
with the episode's own ticket view (as-of columns from ``ticket_asof``), one whose ticket view is
replaced by the one every episode had before: the same rows with the as-of expressions run per
ticket. Both must print the same text (asserted); the figures are the step's CPU time
(``time.thread_time``), p50 and p90 of the queries' medians of ``repeat`` runs.

    python benchmarks/world_as_of.py ws.db [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from workgym.world import Episode, World
from world_search import query_sets  # benchmarks/world_search.py

FIELD_FILTERS = (
    'status = "Open" ORDER BY updated DESC',
    "updated >= -30d",
    'status = "Closed" AND resolution = Fixed',
    "ORDER BY updated DESC",
)


def expression_view(ep: Episode) -> None:
    """Replace the episode's ticket view by the one running the as-of expressions for each ticket."""
    start = ep.state._start_sql["ticket"]
    ep.state.db.execute("DROP VIEW temp.ticket")
    ep.state.db.execute(
        f'CREATE TEMP VIEW "ticket" AS {start} '
        'AND NOT EXISTS (SELECT 1 FROM ov."ticket" o WHERE o."id" = b."id") '
        'AND NOT EXISTS (SELECT 1 FROM ov."ticket__deleted" d WHERE d.key = b."id") '
        'UNION ALL SELECT * FROM ov."ticket"'
    )


def _cpu_ms(ep: Episode, call: dict[str, Any]) -> float:
    started = time.thread_time()
    ep.step(call)
    ep.steps = 0
    return (time.thread_time() - started) * 1000


def measure(world: World, repeat: int) -> dict[str, tuple[float, float, float, float]]:
    """Per query set: spans p50, p90, expressions p50, p90 (CPU ms)."""
    sets = {name: calls for name, calls in query_sets(world).items() if name.startswith("search_tickets")}
    sets["search_tickets, 4 field filters, no text"] = [
        {"name": "search_tickets", "arguments": {"jql": jql}} for jql in FIELD_FILTERS
    ]
    with world.episode() as ep:
        created = sorted(r[0] for r in ep.state.query("SELECT created FROM ticket WHERE created != ''"))
    cutoff = created[len(created) // 2]
    persona = sorted(world.facts.people)[0]
    out = {}
    with (
        world.episode(cutoff=cutoff, persona=persona, seed=1) as spans,
        world.episode(cutoff=cutoff, persona=persona, seed=1) as rows,
    ):
        expression_view(rows)
        for name, calls in sets.items():
            times: tuple[list[float], list[float]] = ([], [])
            for call in calls:
                shown = [ep.step(call).text for ep in (spans, rows)]
                spans.steps = rows.steps = 0
                assert shown[0] == shown[1], call
                runs: tuple[list[float], list[float]] = ([], [])
                for _ in range(repeat):
                    for ep, out_runs in ((spans, runs[0]), (rows, runs[1])):
                        out_runs.append(_cpu_ms(ep, call))
                times[0].append(statistics.median(runs[0]))
                times[1].append(statistics.median(runs[1]))
            out[name] = (
                statistics.median(times[0]),
                statistics.quantiles(times[0], n=10)[-1],
                statistics.median(times[1]),
                statistics.quantiles(times[1], n=10)[-1],
            )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    figures = measure(World.open(args.workspace), args.repeat)
    print(f"{'CPU ms':44} {'spans p50':>9} {'p90':>6}   {'per-row p50':>11} {'p90':>6}   ratio")
    for name, (p50, p90, base50, base90) in figures.items():
        print(f"{name:44} {p50:9.2f} {p90:6.2f}   {base50:11.2f} {base90:6.2f}   {base50 / p50:4.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
