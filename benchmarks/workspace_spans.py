"""Free-text spans in a real workspace's prose, counted by kind and confidence band.

Real exports have no labels, and in technical text nearly every street address the detector finds
is a false one (log columns, versions, code); this counts what ``TextDetector()`` would replace in
the prose columns of an ingested workspace (the columns ``rewrite.PLANS`` marks prose), and what
it would learn (confidence at or above the anonymizer's threshold, 0.8). Prints counts only;
``--show N`` also prints the text of N spans of ``--kind``, for reading them (real data: keep it
off the record).

    python benchmarks/workspace_spans.py WORKSPACE.db [WORKSPACE.db ...] [--kind street_address] [--show 20]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

from workgym.anonymize.detect import TextDetector
from workgym.anonymize.rewrite import PLANS, PROSE

BANDS = ((0.0, "<0.6"), (0.6, "0.6-0.8"), (0.8, ">=0.8"))
"""Confidence bands: replaced where found below 0.8, learned and replaced everywhere at 0.8 and up."""


def band(confidence: float) -> str:
    """The name of the band ``confidence`` falls in."""
    return [name for low, name in BANDS if confidence >= low][-1]


def prose(db: sqlite3.Connection) -> list[str]:
    """The non-empty prose values of every table of a workspace."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    texts: list[str] = []
    for table, plan in PLANS.items():
        columns = [c for c, how in plan.items() if how == PROSE]
        if table in tables and columns:
            quoted = ", ".join(f'"{c}"' for c in columns)
            for row in db.execute(f'SELECT {quoted} FROM "{table}"'):
                texts.extend(v for v in row if isinstance(v, str) and v.strip())
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspaces", type=Path, nargs="+")
    parser.add_argument("--kind", default="street_address", help="the kind --show prints")
    parser.add_argument("--show", type=int, default=0, help="print the text of this many spans of --kind")
    args = parser.parse_args()
    detector = TextDetector()
    shown: list[str] = []
    print(f"{'workspace':<16}{'texts':>9}{'kind':>16}" + "".join(f"{name:>10}" for _, name in BANDS))
    for path in args.workspaces:
        if not path.is_file():
            print(f"{path}: not found", file=sys.stderr)
            return 2
        texts = prose(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
        counts: Counter[tuple[str, str]] = Counter()
        started = time.perf_counter()
        for text in texts:
            for span in detector.detect(text):
                counts[span.kind, band(span.confidence)] += 1
                if span.kind == args.kind and args.show:
                    shown.append(text[span.start : span.end])
        for kind in sorted({k for k, _ in counts}):
            row = "".join(f"{counts[kind, name]:>10,}" for _, name in BANDS)
            print(f"{path.stem:<16}{len(texts):>9,}{kind:>16}{row}")
        print(f"{path.stem:<16}{'':>9}{'':>16}  ({time.perf_counter() - started:.1f} s)")
    for value in random.Random(0).sample(shown, min(args.show, len(shown))):
        print(repr(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
