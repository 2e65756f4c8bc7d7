"""Search steps of two source trees on one workspace, side by side: CPU ms per query set, and equal outputs.

The query sets of benchmarks/world_search.py (200 most common words, 200 random ones, summary
phrases, common-word pairs, JQL text clauses, commits) and benchmarks/world_as_of.py's four field
filters with no text, each run ``repeat`` times as a step in one episode at the median ticket's
cutoff; a query's figure is the median CPU time of its runs (``time.thread_time``), a set's the
p50 and p90 of those. ``run`` measures the tree this script imports (set ``PYTHONPATH`` to
another tree's ``src`` to measure that one) and writes JSON with each step's output hash;
``compare`` runs two trees in turns, ``rounds`` times each (so both see the same load on the
machine), asserts every step printed the same text in both, and prints the ratios.

    python benchmarks/world_steps.py run ws.db out.json [--repeat 3]
    python benchmarks/world_steps.py compare ws.db --before OLD/src [--after src] [--rounds 2]
        [--before-workspace copy/ws.db]

``--before-workspace``: a copy of the workspace in another folder, for a tree whose full-text
sidecar has another version (each tree would rebuild the other's, which sits beside the file).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def run(workspace: Path, repeat: int) -> dict[str, Any]:
    """Per query set, each query's median CPU ms and output hash; the first step's time, apart."""
    from workgym.world import World
    from world_as_of import FIELD_FILTERS  # benchmarks/world_as_of.py
    from world_search import query_sets  # benchmarks/world_search.py

    world = World.open(workspace)
    sets = query_sets(world)
    sets["search_tickets, 4 field filters, no text"] = [
        {"name": "search_tickets", "arguments": {"jql": jql}} for jql in FIELD_FILTERS
    ]
    with world.episode() as ep:
        created = sorted(r[0] for r in ep.state.query("SELECT created FROM ticket WHERE created != ''"))
    cutoff = created[len(created) // 2]
    persona = sorted(world.facts.people)[0]
    out: dict[str, Any] = {"sets": {}}
    with world.episode(cutoff=cutoff, persona=persona, seed=1) as ep:
        started = time.thread_time()
        ep.step(sets["search_tickets, 4 field filters, no text"][0])
        out["first_step_ms"] = (time.thread_time() - started) * 1000
        for name, calls in sets.items():
            queries = []
            for call in calls:
                runs, text = [], ""
                for _ in range(repeat):
                    started = time.thread_time()
                    text = ep.step(call).text
                    runs.append((time.thread_time() - started) * 1000)
                    ep.steps = 0
                digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
                queries.append({"call": call, "ms": statistics.median(runs), "text": digest})
            out["sets"][name] = queries
    return out


def _figures(queries: list[dict[str, Any]]) -> tuple[float, float]:
    ms = [q["ms"] for q in queries]
    return statistics.median(ms), statistics.quantiles(ms, n=10)[-1]


def compare(
    workspace: Path, before: Path, after: Path, rounds: int, repeat: int, before_workspace: Path | None = None
) -> int:
    """Run both trees in turns and print each set's p50 and p90 in both, with the ratio."""
    results: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            for label, src, ws in (
                ("before", before, before_workspace or workspace),
                ("after", after, workspace),
            ):
                target = Path(tmp) / f"{label}{i}.json"
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(Path(__file__).parent)])}
                subprocess.run(
                    [sys.executable, __file__, "run", str(ws), str(target), "--repeat", str(repeat)],
                    check=True,
                    env=env,
                )
                results[label].append(json.loads(target.read_text()))
    first_b, first_a = results["before"][0]["sets"], results["after"][0]["sets"]
    calls = [
        [q["call"] for q in r["sets"][name]]
        for r in (*results["before"], *results["after"])
        for name in first_b
    ]
    assert all(c == calls[i % len(first_b)] for i, c in enumerate(calls)), "the trees drew other queries"
    differing = [
        (name, b["call"])
        for name in first_b
        for b, a in zip(first_b[name], first_a[name], strict=True)
        if b["text"] != a["text"]
    ]
    print(
        f"{'CPU ms, median of rounds':44} {'before p50':>10} {'p90':>6}   {'after p50':>9} {'p90':>6}   p50 ratio"
    )
    for name in first_b:
        b = [_figures(r["sets"][name]) for r in results["before"]]
        a = [_figures(r["sets"][name]) for r in results["after"]]
        b50, b90 = statistics.median(x[0] for x in b), statistics.median(x[1] for x in b)
        a50, a90 = statistics.median(x[0] for x in a), statistics.median(x[1] for x in a)
        print(f"{name:44} {b50:10.2f} {b90:6.2f}   {a50:9.2f} {a90:6.2f}   {b50 / a50:5.2f}x")
    first = [statistics.median(r["first_step_ms"] for r in results[k]) for k in ("before", "after")]
    print(f"{'first field-filter step of the episode':44} {first[0]:10.2f} {'':6}   {first[1]:9.2f}")
    if differing:
        print(f"\n{len(differing)} steps print differently, e.g. {differing[:3]}")
        return 1
    print("\nevery step printed the same text in both trees")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("run")
    one.add_argument("workspace", type=Path)
    one.add_argument("out", type=Path)
    one.add_argument("--repeat", type=int, default=3)
    two = sub.add_parser("compare")
    two.add_argument("workspace", type=Path)
    two.add_argument("--before", type=Path, required=True, help="the src folder of the tree to compare with")
    two.add_argument("--after", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    two.add_argument("--rounds", type=int, default=2)
    two.add_argument("--repeat", type=int, default=3)
    two.add_argument("--before-workspace", type=Path, help="a copy of the workspace for the before tree")
    args = parser.parse_args()
    if args.command == "run":
        args.out.write_text(json.dumps(run(args.workspace, args.repeat)))
        return 0
    return compare(args.workspace, args.before, args.after, args.rounds, args.repeat, args.before_workspace)


if __name__ == "__main__":
    raise SystemExit(main())
