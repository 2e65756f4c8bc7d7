"""Ingest + link throughput on rust-issues (GitHub REST API JSON: 1,999 issues and pull requests).

Prints records/s for workgym's whole ingest of the GitHub format (parse, identity merge, reference
extraction and resolution, SQLite write) and, side by side in the same process, for a baseline
that only reads and json-decodes the same 5,997 files: the floor any ingest pays. The ratio is
the figure to compare across machines (the acceptance test ingests this set in full once, too).

    python benchmarks/bench_github_ingest.py [--data ../shared/data] [--repeat 3]
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


def baseline(items: Path) -> int:
    """Read and decode every file: the cost of touching the data at all."""
    n = 0
    for path in sorted(items.glob("*.json")):
        value = json.loads(path.read_bytes())
        n += len(value) if isinstance(value, list) else 1
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.data / "rust-issues"
    if not (root / "items").is_dir():
        print(f"rust-issues corpus not found under {args.data}", file=sys.stderr)
        return 2
    ours: list[float] = []
    base: list[float] = []
    records = refs = 0
    for _ in range(args.repeat):
        started = time.perf_counter()
        baseline(root / "items")
        base.append(time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            report = build_workspace([root], Path(tmp) / "w.db")
            ours.append(time.perf_counter() - started)
            records = report.read
            refs = sum(report.refs_resolved.values()) + sum(report.refs_unresolved.values())
    t_ours, t_base = statistics.median(ours), statistics.median(base)
    print(f"records read                 {records:,} ({refs:,} refs)")
    print(f"workgym ingest+link          {t_ours:6.2f} s   {records / t_ours:9,.0f} records/s")
    print(f"baseline json decode only    {t_base:6.2f} s   {records / t_base:9,.0f} records/s")
    print(f"ratio (ingest / json decode) {t_ours / t_base:6.2f}x   (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
