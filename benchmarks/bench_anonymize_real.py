"""Every real corpus anonymized whole: leaks, rows withheld, link preservation, and the time it took.

The acceptance tests (tests/anonymize/test_anonymize_real.py) read slices of the two largest mail
and chat corpora to stay fast; this script reads every corpus whole and prints, per corpus, what
the audit found and the time against a baseline that copies every row unchanged (the floor any
rewrite of the store pays). Nothing personal is printed: counts only.

With ``--together`` the corpora asked for are also ingested into one workspace and anonymized as
one (people of one corpus may then be found in another's text, and every directory is one), the
last line of the table.

    python benchmarks/bench_anonymize_real.py [--data ../shared/data] [--corpus NAME ...] [--workers 2]
        [--together] [--only-together]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench_anonymize import copy_rows
from workgym.anonymize.run import LeakError, anonymize_workspace
from workgym.link.build import build_workspace

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPORA = {
    "titanium": ("titanium/jira", "titanium/git_alloy"),
    "houstondatavis-slack": ("houstondatavis-slack",),
    "duraspace-irc": ("duraspace-irc/irc_logs", "duraspace-irc/git_dspace"),
    "linux-mips-lore": ("linux-mips-lore",),
    "julialang-slack": ("julialang-slack",),
}
KEY = b"benchmark-key-benchmark-key-0123"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--corpus", choices=sorted(CORPORA), nargs="*", default=sorted(CORPORA))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--together", action="store_true", help="also anonymize all as one workspace")
    parser.add_argument("--only-together", action="store_true", help="only the one workspace of all")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"real corpora not found at {args.data}", file=sys.stderr)
        return 2
    failed = 0
    print(
        f"{'corpus':22} {'persons':>8} {'leaks':>6} {'withheld':>9} {'links':>17} {'seconds':>8} {'x copy':>7}"
    )
    runs = [] if args.only_together else [(c, [args.data / p for p in CORPORA[c]]) for c in args.corpus]
    if args.together or args.only_together:
        runs.append(("all together", [args.data / p for c in args.corpus for p in CORPORA[c]]))
    for corpus, paths in runs:
        if not all(p.exists() for p in paths):
            print(f"{corpus:22} not found under {args.data}; skipped")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "workspace.db"
            build_workspace(paths, db)
            started = time.perf_counter()
            copy_rows(db, Path(tmp) / "copy.db")
            base = time.perf_counter() - started
            started = time.perf_counter()
            try:
                audit = anonymize_workspace(db, Path(tmp) / "anon.db", KEY, workers=args.workers)
            except LeakError as err:
                audit = err.audit
            took = time.perf_counter() - started
        links = audit.links
        ok = not audit.leaks.count and not audit.withheld and links.ratio == 1.0
        failed += not ok
        print(
            f"{corpus:22} {audit.persons:8,} {audit.leaks.count:6,} {len(audit.withheld):9,} "
            f"{links.preserved:>7,}/{links.resolved_before:<7,}{links.ratio:.3f} {took:8.1f} {took / base:7.1f}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
