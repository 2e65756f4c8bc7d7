"""Ingest + link throughput on the titanium corpus (Jira issues + Alloy commits + CHANGELOG).

Prints records/s for workgym's whole ingest (parse, identity merge, reference extraction and
resolution, SQLite write) and, side by side in the same process, for a baseline that only reads
and json-decodes the same files: the floor any ingest pays. The ratio is the figure to compare
across machines. One process, one thread; pin it to one core with `taskset -c 0` if you like.

    python benchmarks/bench_ingest.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from workgym.link.build import build_workspace

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def baseline(jira: Path, git: Path) -> int:
    """Read and decode every file: the cost of touching the data at all."""
    n = 0
    for path in sorted(jira.rglob("*.json")):
        issue = json.loads(path.read_bytes())
        fields = issue.get("fields", {})
        n += 1 + len(fields.get("comment", {}).get("comments", [])) + len(fields.get("issuelinks", []))
    for path in sorted(git.glob("*.jsonl")):
        with path.open("rb") as fh:
            n += sum(1 for line in fh if json.loads(line))
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    jira, git = args.data / "titanium" / "jira", args.data / "titanium" / "git_alloy"
    if not jira.is_dir():
        print(f"titanium corpus not found under {args.data}", file=sys.stderr)
        return 2
    ours: list[float] = []
    base: list[float] = []
    records = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        baseline(jira, git)
        base.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            report = build_workspace([jira, git], Path(tmp) / "w.db")
            ours.append(time.perf_counter() - started)
            records = report.read
    t_ours, t_base = statistics.median(ours), statistics.median(base)
    print(f"records read                 {records:,}")
    print(f"workgym ingest+link          {t_ours:6.2f} s   {records / t_ours:9,.0f} records/s")
    print(f"baseline json decode only    {t_base:6.2f} s   {records / t_base:9,.0f} records/s")
    print(f"ratio (ingest / json decode) {t_ours / t_base:6.2f}x   (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
