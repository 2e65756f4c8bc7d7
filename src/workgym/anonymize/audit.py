"""The audit: re-scan the whole output for every original identifier, and check every link.

Leaks are occurrences, anywhere in the output database, of any original identifier: every
directory value (names, handles, user ids, addresses, phones, organisations, domains) and every
value a detector found at or above the confidence threshold. The scan uses the directory's own
matching rules (:mod:`workgym.anonymize.directory`), so what counts as a leak is exactly what
the rewrite promised to replace. The audit reports where (table, column, row position) and of what
kind, never the value itself. It also checks that the key itself is nowhere in the output.

Each column is checked by what its plan (:data:`workgym.anonymize.rewrite.PLANS`) says it holds:
a ``timezone`` column must hold an IANA zone name or nothing (a zone's words, ``Santiago`` of
``America/Santiago``, are no leak; anything else is, of kind ``timezone``); every other column,
kept or rewritten, must hold no original identifier. A person's own name and handle columns
(:data:`workgym.anonymize.rewrite.OWN_FIELDS`) are read whole: a value that is all of the cell (or
of one element of its list) leaks whatever its context, as the rewrite replaces it there.

Link preservation is the share of the original workspace's resolved references that, once the
anonymized workspace is linked again from its own text, still resolve from the same record and
field to the same record (compared through the id mapping of the rewrite).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workgym.anonymize.directory import SYSTEM_SUBTYPES, Matcher
from workgym.anonymize.rewrite import OWN_FIELDS, PLANS, TIMEZONE, is_zone
from workgym.model import Ref

MAX_LOCATIONS = 100
"""How many leak locations the audit lists (all are counted)."""


@dataclass
class LeakReport:
    """Leaks found by the re-scan."""

    count: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_table: Counter[str] = field(default_factory=Counter)
    locations: list[dict[str, Any]] = field(default_factory=list)
    key_found: bool = False


def scan_leaks(
    conn: sqlite3.Connection,
    matcher: Matcher,
    key: bytes,
    plans: Mapping[str, Mapping[str, str]] = PLANS,
) -> LeakReport:
    """Scan every text cell of every table of ``conn`` with ``matcher``, each column by its plan."""
    report = LeakReport()

    def leak(table: str, column: str, rowid: int, kind: str) -> None:
        report.count += 1
        report.by_kind[kind] += 1
        report.by_table[table] += 1
        if len(report.locations) < MAX_LOCATIONS:
            report.locations.append({"table": table, "column": column, "rowid": rowid, "kind": kind})

    needles = (key.hex(), key.hex().upper())
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in tables:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        subtype_at = columns.index("subtype") if table == "message" else -1
        zones = {c for c in columns if plans.get(table, {}).get(c) == TIMEZONE}
        own = {c for c in columns if plans.get(table, {}).get(c) in OWN_FIELDS}
        for rowid, *values in conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid'):
            system = subtype_at >= 0 and values[subtype_at] in SYSTEM_SUBTYPES
            for column, value in zip(columns, values, strict=True):
                if not isinstance(value, str) or not value:
                    continue
                if any(n in value for n in needles):
                    report.key_found = True
                if column in zones:
                    if not is_zone(value):
                        leak(table, column, rowid, "timezone")
                    continue
                for span in matcher.find(value, system=system, whole=column in own):
                    leak(table, column, rowid, span.kind)
    return report


def _link_key(ref: Ref, ids: dict[str, dict[str, str]]) -> tuple[str, str, str, str, str, str] | None:
    src = ids.get(ref.src_kind, {}).get(ref.src_id)
    dst = ids.get(ref.dst_kind, {}).get(ref.dst_id or "") if ref.dst_kind in ids else ref.dst_id
    if src is None or dst is None:
        return None
    return (ref.src_kind, src, ref.field, ref.ref_kind, ref.dst_kind, dst)


@dataclass
class LinkReport:
    """How many resolved references survived anonymization."""

    resolved_before: int
    preserved: int
    lost_by_kind: Counter[str]

    @property
    def ratio(self) -> float:
        """Preserved / resolved before (1.0 when there was nothing to preserve)."""
        return self.preserved / self.resolved_before if self.resolved_before else 1.0


def link_preservation(
    before: Iterable[Ref], after: Iterable[Ref], ids: dict[str, dict[str, str]]
) -> LinkReport:
    """Compare resolved references before and after, through ``ids`` (kind -> old id -> new id).

    Kinds absent from ``ids`` (``person``) keep their ids.
    """
    remaining = Counter(
        (r.src_kind, r.src_id, r.field, r.ref_kind, r.dst_kind, r.dst_id)
        for r in after
        if r.dst_id is not None
    )
    resolved = 0
    preserved = 0
    lost: Counter[str] = Counter()
    for ref in before:
        if ref.dst_id is None:
            continue
        resolved += 1
        key = _link_key(ref, ids)
        if key is not None and remaining[key] > 0:
            remaining[key] -= 1
            preserved += 1
        else:
            lost[ref.ref_kind] += 1
    return LinkReport(resolved, preserved, lost)
