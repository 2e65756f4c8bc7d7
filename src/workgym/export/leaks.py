"""The final leak check: re-scan everything an export would write for every original identifier.

Given the raw workspace and the key, the export builds the anonymizer's directory of the raw
workspace (every person's names, handles, user ids, addresses and phones; organisations and
domains) and matches every string of every record with the anonymizer's own matcher, the same
rules its audit uses. It also looks for the key itself, and checks that the key is the one the
anonymized workspace was made with (its fingerprint). Values the anonymizer learned from free text
were audited in anon.db when it was written; what an export can add is text agents wrote, and
that is what this catches. A leak is reported by kind and record, never by value.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workgym.anonymize.directory import Matcher, build_directory
from workgym.anonymize.keys import fingerprint
from workgym.store import ro_uri


class ExportLeakError(Exception):
    """The export's records hold original identifiers (or the key); nothing was written."""


@dataclass
class LeakCheck:
    """What the re-scan found."""

    records: int = 0
    strings: int = 0
    leaks: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    where: list[str] = field(default_factory=list)
    key_found: bool = False

    @property
    def clean(self) -> bool:
        """No original identifier and no key anywhere."""
        return not self.leaks and not self.key_found


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


class LeakScanner:
    """Matches records against the raw workspace's directory.

    Args:
        raw: the raw workspace (the one anonymized).
        key: the anonymization key.
        anonymized_fingerprint: the key fingerprint the anonymized workspace records, to check.
        threshold: the directory values audited, by confidence (the anonymizer's default: 0.8).

    Raises:
        ValueError: the key is not the one the anonymized workspace was made with.
    """

    def __init__(
        self, raw: Path, key: bytes, anonymized_fingerprint: str | None = None, threshold: float = 0.8
    ) -> None:
        if anonymized_fingerprint is not None and fingerprint(key) != anonymized_fingerprint:
            raise ValueError(
                f"this key (fingerprint {fingerprint(key)}) did not make the anonymized workspace "
                f"(fingerprint {anonymized_fingerprint})"
            )
        conn = sqlite3.connect(ro_uri(raw), uri=True)
        try:
            directory = build_directory(conn)
        finally:
            conn.close()
        self._matcher = Matcher(directory.values(threshold), directory.ticket_prefixes)
        self._needles = (key.hex(), key.hex().upper())

    def scan(self, records: Iterable[Mapping[str, Any]], label: str = "record") -> LeakCheck:
        """Every string of every record, matched."""
        found = LeakCheck()
        for at, record in enumerate(records):
            found.records += 1
            for text in _strings(record):
                found.strings += 1
                if any(n in text for n in self._needles):
                    found.key_found = True
                    found.where.append(f"{label} {at}: the key")
                for span in self._matcher.find(text):
                    found.leaks += 1
                    found.by_kind[span.kind] += 1
                    if len(found.where) < 20:
                        found.where.append(f"{label} {at}: a {span.kind}")
        return found


__all__ = ["ExportLeakError", "LeakCheck", "LeakScanner"]
