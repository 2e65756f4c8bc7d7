"""Read a stored workspace back into a :class:`~workgym.ingest.corpus.Corpus` (for linking again).

Person fields of stored records hold person ids, not identity keys; the returned ``person_of``
resolves both (a person id resolves to itself), which is all reference extraction needs.
"""

from __future__ import annotations

import json
import sqlite3
import typing
from dataclasses import fields

from workgym.ingest.corpus import Corpus, PersonOf
from workgym.model import KIND_OF, Record
from workgym.store import rows


def _decoder(cls: type) -> typing.Callable[[sqlite3.Row], Record]:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls)]
    lists = {n for n in names if typing.get_origin(hints[n]) is tuple}
    flags = {n for n in names if hints[n] is bool}

    def decode(row: sqlite3.Row) -> Record:
        values = {}
        for name in names:
            value = row[name]
            if name in lists:
                value = tuple(json.loads(value))
            elif name in flags:
                value = bool(value)
            values[name] = value
        return cls(**values)  # type: ignore[no-any-return]

    return decode


def read_corpus(conn: sqlite3.Connection) -> tuple[Corpus, PersonOf]:
    """Every stored record (in store order) and a ``person_of`` over identities and person ids."""
    corpus = Corpus()
    for cls, table in KIND_OF.items():
        decode = _decoder(cls)
        for row in rows(conn, f'SELECT * FROM "{table}" ORDER BY rowid'):
            corpus.add(int(row["source_id"]), decode(row))
    person_ids = {r[0] for r in conn.execute("SELECT id FROM person")}
    by_key: dict[tuple[int, str], str] = {}
    by_address: dict[str, str] = {}
    for source_id, key, person_id in conn.execute("SELECT source_id, key, person_id FROM identity"):
        by_key[(source_id, key)] = person_id
        if key.startswith("email:"):
            by_address.setdefault(key.lower(), person_id)

    def person_of(source_id: int, key: str) -> str | None:
        found = by_key.get((source_id, key))
        if found is None and key.startswith("email:"):
            found = by_address.get(key.lower())
        if found is None and key in person_ids:
            found = key
        return found

    return corpus, person_of
