"""Anonymize cost against workspace size: titanium at 1x, 4x, 16x, rows/s and characters/s at each.

Builds titanium from ``--data`` once, scales it up with fresh people (:mod:`scale_workspace`: every
row copied with new ids, every person given a Faker twin, so the directory grows with the rows),
then anonymizes each size in a fresh process and prints rows/s, characters/s (every character of
every text cell the anonymizer reads), the peak memory of that process, and each figure as a
ratio to the 1x run (1.00 = cost exactly linear in rows). The baseline beside each size is the
copy of every row into a new workspace (``bench_anonymize.copy_rows``), the floor of any rewrite.

    python benchmarks/bench_anonymize_scale.py [--data ../shared/data] [--scales 1 4 16] [--workers 1]
        [--executor ray --address HOST:PORT]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_anonymize import KEY, copy_rows
from scale_workspace import scale_workspace
from workgym.anonymize.rewrite import PLANS
from workgym.anonymize.run import LeakError, anonymize_workspace
from workgym.link.build import build_workspace
from workspaces import DEFAULT_DATA


def characters(db: Path) -> int:
    """Characters in every text cell of every table the anonymizer rewrites."""
    conn = sqlite3.connect(db)
    try:
        total = 0
        for table in PLANS:
            for _, column, kind, *_ in conn.execute(f'PRAGMA table_info("{table}")'):
                if "TEXT" in kind.upper():
                    total += int(
                        conn.execute(
                            f'SELECT COALESCE(SUM(LENGTH("{column}")), 0) FROM "{table}"'
                        ).fetchone()[0]
                    )
        return total
    finally:
        conn.close()


def run_one(db: Path, out: Path, workers: int, executor: str, address: str | None) -> dict[str, Any]:
    """Anonymize ``db`` once in this process: seconds, rows, leaks and the peak memory."""
    started = time.perf_counter()
    try:
        audit = anonymize_workspace(db, out, KEY, workers=workers, executor=executor, address=address)
    except LeakError as exc:  # the whole run was done; the figures stand, the leaks are reported
        audit = exc.audit
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if workers > 1:
        peak_kib = max(peak_kib, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {
        "seconds": seconds,
        "rows": sum(audit.records_in.values()),
        "leaks": audit.leaks.count,
        "leak_causes": {cause: sum(c.values()) for cause, c in audit.leak_causes.items()},
        "links": audit.links.ratio,
        "persons": audit.persons,
        "peak_mib": peak_kib / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument("--address", help="with --executor ray: an existing cluster's host:port")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # child: anonymize this workspace
    args = parser.parse_args()
    if args.one is not None:
        figures = run_one(args.one, args.one.with_name("anon.db"), args.workers, args.executor, args.address)
        print(json.dumps(figures))
        return 0
    titanium = args.data / "titanium"
    if not (titanium / "jira").is_dir():
        print(f"titanium not found under {args.data}", file=sys.stderr)
        return 2
    print(
        f"titanium scaled {', '.join(f'{s}x' for s in args.scales)}; {args.workers} worker(s), {args.executor}"
    )
    print(f"{'scale':>5} {'rows':>10} {'persons':>8} {'chars':>13} {'seconds':>8} {'rows/s':>8} {'chars/s':>10}"
          f" {'vs 1x':>6} {'peak MiB':>9} {'copy rows/s':>12} {'x copy':>7}  leaks")  # fmt: skip
    base: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "titanium.db"
        build_workspace([titanium / "jira", titanium / "git_alloy"], raw)
        for scale in sorted(args.scales):
            folder = Path(tmp) / f"x{scale}"
            folder.mkdir()
            db = folder / "workspace.db"
            scale_workspace(raw, db, scale)
            chars = characters(db)
            started = time.perf_counter()
            copied = copy_rows(db, folder / "copy.db")
            copy_seconds = time.perf_counter() - started
            (folder / "copy.db").unlink()
            command = [sys.executable, __file__, "--one", str(db), "--workers", str(args.workers)]
            command += ["--executor", args.executor, *(["--address", args.address] if args.address else [])]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(done.stdout + done.stderr[-4000:], file=sys.stderr)
                return 1
            f = json.loads(done.stdout.strip().splitlines()[-1])
            rate = f["rows"] / f["seconds"]
            base = rate if base is None else base  # the smallest scale's rate
            print(
                f"{scale:>4}x {f['rows']:>10,} {f['persons']:>8,} {chars:>13,} {f['seconds']:>8.1f} {rate:>8,.0f}"
                f" {chars / f['seconds']:>10,.0f} {rate / base:>6.2f} {f['peak_mib']:>9,.0f}"
                f" {copied / copy_seconds:>12,.0f} {f['seconds'] / copy_seconds:>6.0f}x  {f['leaks']} {f['leak_causes'] or ''}",
                flush=True,
            )
            for leftover in folder.iterdir():
                leftover.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
