"""The world's episode costs on the bundled sample and on titanium, beside a deep-copy baseline.

For each workspace: reset (after three writes), a read tool's step, a full-text search's step, a
fork (after three writes), a fresh episode, and the RSS of one process holding 256 episodes that
have each read and written. The baseline does what tau-bench does: it loads the tables into
Python dicts once and restores (or forks) an episode's state with ``copy.deepcopy``; its RSS for
256 episodes is measured over a few copies and scaled (holding 256 copies of titanium would need
tens of GB). The ratio is the figure to compare across machines. One process, one thread.

Then, on titanium, the full-text search steps of benchmarks/world_search.py (common, random and
multi-word queries, JQL text clauses) beside FTS5 ranking every match; ``--search-only`` runs just
those. benchmarks/world_steps.py runs the same steps (and field filters) under two source trees.

    python benchmarks/world.py [--data ../shared/data] [--titanium ti.db] [--repeat 200] [--episodes 256]
        [--search-only] [--search-repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workgym.cli import sample_sources
from workgym.link.build import build_workspace
from workgym.store import CONTENT_TABLES
from workgym.world import Episode, World
from world_search import measure_search, report_search  # benchmarks/world_search.py

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TABLES = ("person", *CONTENT_TABLES)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def p50(times: list[float]) -> float:
    return statistics.median(times) * 1000


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def load_tables(db: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The baseline's state: every table as {key: row dict}, as a tau-bench domain holds its data."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    data: dict[str, dict[str, dict[str, Any]]] = {}
    for table in TABLES:
        rows = conn.execute(f'SELECT rowid AS _rowid, * FROM "{table}"').fetchall()
        data[table] = {str(r["id"] if "id" in r.keys() else r["_rowid"]): dict(r) for r in rows}  # noqa: SIM118
    conn.close()
    return data


class Workload:
    """What the benchmark asks of a workspace: tickets to read, queries to search, writes to make."""

    def __init__(self, world: World, seed: int = 0) -> None:
        rnd = random.Random(seed)
        ep = world.episode()
        self.tickets = [r[0] for r in ep.state.query("SELECT id FROM ticket ORDER BY id")]
        self.commits = [r[0] for r in ep.state.query('SELECT id FROM "commit" ORDER BY id')]
        self.people = sorted(world.facts.people)
        self.docs = [r[0] for r in ep.state.query("SELECT id FROM document ORDER BY id")]
        self.channels = [r[0] for r in ep.state.query("SELECT id FROM channel ORDER BY id")]
        summaries = [r[0] for r in ep.state.query("SELECT summary FROM ticket ORDER BY id")]
        messages = [r[0] for r in ep.state.query('SELECT message FROM "commit" ORDER BY id')]
        ep.close()
        self.queries = [self._query(rnd.choice(summaries), rnd) for _ in range(60)]
        self.commit_queries = [self._query(rnd.choice(messages), rnd) for _ in range(30)] if messages else []
        self.rnd = rnd
        self.persona = self.people[0]

    @staticmethod
    def _query(text: str, rnd: random.Random) -> str:
        words = [w.strip(".,:;()[]'\"") for w in text.split() if len(w) > 3 and w.isascii()]
        return " ".join(rnd.sample(words, min(2, len(words)))) or "error"

    def reads(self) -> list[dict[str, Any]]:
        """A mix of read calls (one of each kind per round)."""
        r = self.rnd
        calls: list[dict[str, Any]] = [
            {"name": "get_ticket", "arguments": {"key": r.choice(self.tickets)}},
            {"name": "get_person", "arguments": {"person": r.choice(self.people)}},
        ]
        if self.commits:
            calls.append({"name": "get_commit", "arguments": {"sha": r.choice(self.commits)}})
        if self.docs:
            calls.append({"name": "read_doc", "arguments": {"doc": r.choice(self.docs)}})
        if self.channels:
            calls.append({"name": "read_channel", "arguments": {"channel": r.choice(self.channels)}})
        return calls

    def searches(self) -> list[dict[str, Any]]:
        r = self.rnd
        calls: list[dict[str, Any]] = [
            {"name": "search_tickets", "arguments": {"jql": r.choice(self.queries)}}
        ]
        if self.commit_queries:
            calls.append({"name": "search_commits", "arguments": {"query": r.choice(self.commit_queries)}})
        return calls

    def writes(self, ep: Episode) -> None:
        key = self.rnd.choice(self.tickets)
        project = key.split("-")[0]
        for call in (
            {"name": "comment_ticket", "arguments": {"key": key, "body": "benchmark comment"}},
            {"name": "update_ticket", "arguments": {"key": key, "priority": "Low"}},
            {"name": "create_ticket", "arguments": {"project": project, "summary": "benchmark ticket"}},
        ):
            obs = ep.step(call)
            assert obs.info["error"] is None, obs.text


def run_steps(ep: Episode, calls: list[dict[str, Any]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        obs = ep.step(call)
        out.append(time.perf_counter() - started)
        assert obs.info["error"] in (None, "tool_error"), obs.text
    ep.steps = 0  # keep the step limit out of a long benchmark
    return out


def measure(db: Path, repeat: int, episodes: int) -> dict[str, Any]:
    started = time.perf_counter()
    world = World.open(db)
    open_s = time.perf_counter() - started
    work = Workload(world)
    ep = world.episode(persona=work.persona, seed=1)
    run_steps(ep, work.reads() + work.searches())  # warm the caches once

    def reset_after_writes() -> float:
        work.writes(ep)
        started = time.perf_counter()
        ep.reset()
        return time.perf_counter() - started

    resets = [reset_after_writes() for _ in range(repeat)]
    reads: list[float] = []
    searches: list[float] = []
    for _ in range(repeat):
        reads += run_steps(ep, work.reads())
        searches += run_steps(ep, work.searches())
    forks: list[float] = []
    for _ in range(max(20, repeat // 10)):
        work.writes(ep)
        started = time.perf_counter()
        child = ep.fork()
        forks.append(time.perf_counter() - started)
        child.close()
        ep.reset()
    fresh = timed(lambda: world.episode(persona=work.persona).close(), max(20, repeat // 10))
    ep.close()
    # The baseline, in the same process: load once, deep-copy to reset or fork.
    data = load_tables(db)
    rows = sum(len(t) for t in data.values())
    base_reset = timed(lambda: copy.deepcopy(data), max(3, min(20, repeat // 10)))
    return {
        "rows": rows,
        "open_s": open_s,
        "reset": p50(resets),
        "read": p50(reads),
        "search": p50(searches),
        "search_p90": statistics.quantiles(searches, n=10)[-1] * 1000,
        "fork": p50(forks),
        "fresh": p50(fresh),
        "base_reset": p50(base_reset),
        "rss": in_child("--rss-child", db, episodes),
        "base_rss": in_child("--base-rss-child", db, episodes),
    }


def in_child(flag: str, db: Path, episodes: int) -> dict[str, float]:
    """Run this script with ``flag`` in a fresh process and read the figures it prints."""
    out = subprocess.run(
        [sys.executable, __file__, flag, str(db), "--episodes", str(episodes)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout))


def rss_of_episodes(db: Path, episodes: int) -> dict[str, float]:
    """In a fresh process: RSS before, and after ``episodes`` episodes that each read and wrote."""
    before = rss_mib()
    world = World.open(db)
    work = Workload(world)
    opened = rss_mib()
    held = []
    for i in range(episodes):
        ep = world.episode(persona=work.persona, seed=i)
        run_steps(ep, work.reads())
        work.writes(ep)
        run_steps(ep, work.searches())  # after the writes: the overlay's own index is made too
        held.append(ep)
    return {"before": before, "world": opened, "after": rss_mib(), "episodes": episodes}


def rss_of_copies(db: Path, episodes: int, copies: int = 4) -> dict[str, float]:
    """In a fresh process: RSS of the loaded tables and of ``copies`` deep copies, scaled to ``episodes``."""
    before = rss_mib()
    data = load_tables(db)
    loaded = rss_mib()
    held = [copy.deepcopy(data) for _ in range(copies)]
    per_copy = (rss_mib() - loaded) / copies
    assert len(held) == copies
    return {"before": before, "loaded": loaded, "per_copy": per_copy, "scaled": loaded + per_copy * episodes}


def report(name: str, m: dict[str, Any], episodes: int) -> None:
    rss = m["rss"]
    base = m["base_rss"]
    print(f"\n{name}: {m['rows']:,} rows; World.open {m['open_s']:.2f} s (full-text index built if missing)")
    print(f"  {'':34} {'workgym':>12} {'deep copy':>12} {'ratio':>9}")
    print(
        f"  {'reset p50 (after 3 writes)':34} {m['reset']:9.3f} ms {m['base_reset']:9.1f} ms {m['base_reset'] / m['reset']:8,.0f}x"
    )
    print(
        f"  {'fork p50 (after 3 writes)':34} {m['fork']:9.3f} ms {m['base_reset']:9.1f} ms {m['base_reset'] / m['fork']:8,.0f}x"
    )
    print(f"  {'fresh episode p50':34} {m['fresh']:9.3f} ms")
    print(f"  {'read-tool step p50':34} {m['read']:9.3f} ms")
    print(f"  {'search step p50 (p90)':34} {m['search']:9.3f} ms  ({m['search_p90']:.2f} ms)")
    print(
        f"  {f'RSS, {episodes} episodes':34} {rss['after']:9.0f} MiB {base['scaled']:9.0f} MiB"
        f"   (world alone {rss['world']:.0f} MiB; a deep copy {base['per_copy']:.1f} MiB, scaled)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--titanium", type=Path, help="an ingested titanium workspace (else built from --data)"
    )
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--episodes", type=int, default=256)
    parser.add_argument("--search-only", action="store_true", help="only the search steps, on titanium")
    parser.add_argument("--search-repeat", type=int, default=3, help="runs of each search query")
    parser.add_argument("--rss-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--base-rss-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        print(json.dumps(rss_of_episodes(args.rss_child, args.episodes)))
        return 0
    if args.base_rss_child:
        print(json.dumps(rss_of_copies(args.base_rss_child, args.episodes)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        if not args.search_only:
            sample = Path(tmp) / "sample.db"
            build_workspace(sample_sources(), sample)
            report(
                "sample (bundled Acme workspace)", measure(sample, args.repeat, args.episodes), args.episodes
            )
        titanium = args.titanium
        if titanium is None:
            jira = args.data / "titanium" / "jira"
            if not jira.is_dir():
                print(
                    f"\ntitanium corpus not found under {args.data}; pass --titanium or --data",
                    file=sys.stderr,
                )
                return 2
            titanium = Path(tmp) / "titanium.db"
            build_workspace([jira, args.data / "titanium" / "git_alloy"], titanium)
        if not args.search_only:
            report(
                "titanium (Jira + Alloy commits)",
                measure(titanium, args.repeat, args.episodes),
                args.episodes,
            )
        started = time.perf_counter()
        world = World.open(titanium)
        print(f"\ntitanium: World.open {time.perf_counter() - started:.2f} s")
        report_search("titanium (Jira + Alloy commits)", measure_search(world, args.search_repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
