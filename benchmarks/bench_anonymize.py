"""Anonymize throughput on a real workspace, with a copy-every-row baseline run side by side.

Builds the workspace once (titanium by default), then times ``anonymize_workspace`` (learn,
rewrite, link again, audit) against a baseline that only reads every row of every table and
writes it unchanged into a new workspace file: the floor any rewrite of the store pays. Prints
records/s for both, the ratio, and the time with ``--workers``. One process unless ``--workers``.

    python benchmarks/bench_anonymize.py [--data ../shared/data] [--corpus titanium] [--workers 2]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from workgym.anonymize.rewrite import PLANS
from workgym.anonymize.run import anonymize_workspace
from workgym.link.build import build_workspace
from workgym.store import connect

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPORA = {
    "titanium": ("titanium/jira", "titanium/git_alloy"),
    "duraspace-irc": ("duraspace-irc/irc_logs", "duraspace-irc/git_dspace"),
    "houstondatavis-slack": ("houstondatavis-slack",),
}
KEY = b"benchmark-key-benchmark-key-0123"


def copy_rows(source: Path, out: Path) -> int:
    """The baseline: every row of every table read and written unchanged."""
    out.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = connect(out, create=True)
    dst.execute("PRAGMA foreign_keys = OFF")
    n = 0
    with dst:
        for table in [*PLANS, "ref"]:
            cur = src.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
            marks = ", ".join("?" for _ in names)
            dst.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
            n += len(rows)
    src.close()
    dst.close()
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="titanium")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"real corpora not found at {args.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "workspace.db"
        build_workspace([args.data / p for p in CORPORA[args.corpus]], db)
        started = time.perf_counter()
        records = copy_rows(db, Path(tmp) / "copy.db")
        base = time.perf_counter() - started
        started = time.perf_counter()
        audit = anonymize_workspace(db, Path(tmp) / "anon.db", KEY)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        anonymize_workspace(db, Path(tmp) / "anon2.db", KEY, workers=args.workers)
        parallel = time.perf_counter() - started
    print(f"corpus {args.corpus}: {records:,} rows, leaks {audit.leaks.count}, links {audit.links.ratio:.4f}")
    print(f"baseline (copy rows)  {records / base:12,.0f} rows/s  {base:7.2f} s")
    print(
        f"anonymize, 1 worker   {records / ours:12,.0f} rows/s  {ours:7.2f} s  ({ours / base:.1f}x the copy)"
    )
    print(
        f"anonymize, {args.workers} workers  {records / parallel:12,.0f} rows/s  {parallel:7.2f} s  ({ours / parallel:.2f}x one worker)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
