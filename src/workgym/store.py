"""The workspace store: one SQLite file; the only module that speaks SQL DDL.

Tables per record kind (columns are the record's fields, in order, plus ``source_id``), plus
``person``, ``identity`` (each way a source names a person, with the person it was merged into),
``person_merge`` (the evidence for each merge), ``ref``, ``source``, ``quarantine`` and ``meta``.
Tuple fields are stored as JSON arrays; fields that name people hold person ids.

The schema is built by a registered list of migrations, each recorded in ``meta`` as
``schema_version``; :func:`connect` brings an older file up to date inside a transaction.
Writing is deterministic: the same records in the same order give a byte-identical file.
"""

from __future__ import annotations

import json
import sqlite3
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from operator import attrgetter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from workgym.model import (
    KIND_OF,
    CalendarEvent,
    Channel,
    Comment,
    Commit,
    Document,
    Email,
    Identity,
    Message,
    Person,
    Quarantined,
    Record,
    Ref,
    Ticket,
    TicketEvent,
)

SCHEMA_VERSION = 1

PERSON_FIELDS: dict[type, tuple[str, ...]] = {
    Channel: ("creator", "members"),
    Message: ("author",),
    Ticket: ("reporter", "assignee", "creator"),
    Comment: ("author",),
    TicketEvent: ("author",),
    Document: ("author",),
    Email: ("sender", "to", "cc"),
    CalendarEvent: ("organizer", "attendees"),
    Commit: ("author", "committer"),
}
"""Fields holding identity keys in a record, and person ids in the store."""

CONTENT_TABLES: tuple[str, ...] = (
    "channel",
    "message",
    "ticket",
    "ticket_comment",
    "ticket_link",
    "ticket_event",
    "document",
    "email",
    "calendar_event",
    "commit",
)
"""Tables holding records read from sources (besides ``identity``)."""

_INDEXES: tuple[tuple[str, str], ...] = (
    ("message", "channel_id, ts"),
    ("message", "thread_id"),
    ("ticket_comment", "ticket_id"),
    ("ticket_link", "ticket_id"),
    ("ticket_event", "ticket_id"),
    ("email", "thread_id"),
    ("identity", "person_id"),
    ("ref", "src_kind, src_id"),
    ("ref", "dst_kind, dst_id"),
)


class StoreError(Exception):
    """A workspace file that cannot be opened or is not a workspace."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One ingested source: what it was, where, its hash, and how many records it gave."""

    id: int
    format: str
    path: str
    sha256: str
    records: int
    quarantined: int


@dataclass(frozen=True, slots=True)
class Merge:
    """Evidence that two identities are one person."""

    person_id: str
    identity: str
    other: str
    reason: str


def _sql_type(hint: Any) -> str:
    if hint is bool or hint is int:
        return "INTEGER NOT NULL DEFAULT 0"
    if typing.get_origin(hint) is tuple:
        return "TEXT NOT NULL DEFAULT '[]'"
    if isinstance(hint, types.UnionType):  # str | None
        return "TEXT"
    return "TEXT NOT NULL DEFAULT ''"


def _columns(cls: type) -> list[tuple[str, str]]:
    hints = typing.get_type_hints(cls)
    return [(f.name, _sql_type(hints[f.name])) for f in fields(cls)]


def _record_table_ddl(table: str, cls: type, extra: Sequence[str] = ()) -> str:
    cols = [f'"{name}" {decl}' for name, decl in _columns(cls)]
    cols += list(extra)
    if any(name == "id" for name, _ in _columns(cls)):
        cols.append("PRIMARY KEY (id)")
    return f'CREATE TABLE "{table}" (\n  ' + ",\n  ".join(cols) + "\n)"


def _migration_1(conn: sqlite3.Connection) -> None:
    ddl = [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE source (id INTEGER PRIMARY KEY, format TEXT NOT NULL, path TEXT NOT NULL,
             sha256 TEXT NOT NULL, records INTEGER NOT NULL, quarantined INTEGER NOT NULL)""",
        """CREATE TABLE quarantine (source_id INTEGER NOT NULL REFERENCES source(id),
             locator TEXT NOT NULL, reason TEXT NOT NULL, raw TEXT NOT NULL)""",
        _record_table_ddl("person", Person),
        _record_table_ddl(
            "identity",
            Identity,
            [
                "source_id INTEGER NOT NULL REFERENCES source(id)",
                "person_id TEXT NOT NULL REFERENCES person(id)",
            ],
        ).replace("PRIMARY KEY (id)", ""),
        """CREATE TABLE person_merge (person_id TEXT NOT NULL REFERENCES person(id),
             identity TEXT NOT NULL, other TEXT NOT NULL, reason TEXT NOT NULL)""",
        _record_table_ddl("ref", Ref),
    ]
    for cls, table in KIND_OF.items():
        if cls is Identity:
            continue
        ddl.append(_record_table_ddl(table, cls, ["source_id INTEGER NOT NULL REFERENCES source(id)"]))
    for statement in ddl:
        conn.execute(statement)
    conn.execute('CREATE UNIQUE INDEX "identity_key" ON identity(source_id, key)')
    for table, cols in _INDEXES:
        name = f"{table}_{cols.replace(', ', '_')}"
        conn.execute(f'CREATE INDEX "{name}" ON "{table}"({cols})')


MIGRATIONS: tuple[tuple[int, str, Callable[[sqlite3.Connection], None]], ...] = (
    (1, "initial schema: record tables, identity, person_merge, ref, source, quarantine, meta", _migration_1),
)
"""Registered migrations: (version, what it does, function). Applied in order, each in a transaction."""


def _schema_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration newer than the file's schema version; return the version reached."""
    version = _schema_version(conn)
    for number, _, apply in MIGRATIONS:
        if number <= version:
            continue
        with conn:
            # sqlite3 begins no transaction before DDL: without this BEGIN each CREATE commits alone
            # (a migration cut short would be half applied, and each commit waits for the disk).
            conn.execute("BEGIN")
            apply(conn)
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)", (str(number),)
            )
        version = number
    return version


def ro_uri(path: str | Path, *, shared: bool = False) -> str:
    """A ``file:`` URI opening ``path`` read-only, for ``sqlite3.connect(..., uri=True)``.

    Every ``file:`` URI of the project is built here: the path is made absolute and
    percent-quoted, so a ``#``, ``?``, ``%41``, space or non-ASCII letter in it names that file and
    not another (unquoted, ``r%41.db`` opens ``rA.db``, ``a#b.db`` opens ``a``). ``shared`` adds
    SQLite's shared-cache mode.
    """
    absolute = Path(path).resolve().as_posix()
    if not absolute.startswith("/"):  # a drive letter: file:///C:/...
        absolute = "/" + absolute
    return f"file://{quote(absolute)}?mode=ro" + ("&cache=shared" if shared else "")


def connect(path: str | Path, *, create: bool = False) -> sqlite3.Connection:
    """Open a workspace file (creating it when ``create``), migrated to the current schema.

    Raises:
        StoreError: the file is missing (and ``create`` is false) or is not a workspace.
    """
    path = Path(path)
    if not create and not path.exists():
        raise StoreError(f"{path}: no such workspace file")
    try:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
        if not create:
            version = _schema_version(conn)
            if version == 0:
                raise StoreError(f"{path}: not a workgym workspace (no meta table)")
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{path}: schema version {version} is newer than this workgym ({SCHEMA_VERSION})"
                )
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a workgym workspace ({exc})") from exc
    return conn


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return json.dumps(list(value), ensure_ascii=False)
    if isinstance(value, bool):
        return int(value)
    return value


def _insert(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)


class Writer:
    """Writes a whole workspace into a new file, in one transaction.

    Args:
        conn: a connection from ``connect(path, create=True)`` on an empty file.
        person_of: maps (source id, identity key) to a person id; used for every person field.
    """

    def __init__(self, conn: sqlite3.Connection, person_of: Callable[[int, str], str]) -> None:
        self.conn = conn
        self.person_of = person_of

    def meta(self, values: dict[str, str]) -> None:
        """Set meta keys."""
        _insert(self.conn, "meta", ("key", "value"), sorted(values.items()))

    def sources(self, sources: Iterable[SourceInfo]) -> None:
        """Write the source table."""
        cols = [f.name for f in fields(SourceInfo)]
        _insert(self.conn, "source", cols, ([getattr(s, c) for c in cols] for s in sources))

    def quarantine(self, items: Iterable[tuple[int, Quarantined]]) -> None:
        """Write quarantined records with their source id."""
        _insert(
            self.conn,
            "quarantine",
            ("source_id", "locator", "reason", "raw"),
            ((sid, q.locator, q.reason, q.raw) for sid, q in items),
        )

    def persons(self, persons: Iterable[Person], merges: Iterable[Merge]) -> None:
        """Write merged persons and the evidence of each merge."""
        cols = [f.name for f in fields(Person)]
        _insert(self.conn, "person", cols, ([_encode(getattr(p, c)) for c in cols] for p in persons))
        _insert(
            self.conn,
            "person_merge",
            ("person_id", "identity", "other", "reason"),
            ((m.person_id, m.identity, m.other, m.reason) for m in merges),
        )

    def records(self, cls: type, items: Iterable[tuple[int, Record]]) -> None:
        """Write records of one class, each with its source id; person fields become person ids."""
        table = KIND_OF[cls]
        columns = _columns(cls)
        cols = [name for name, _ in columns]
        get = attrgetter(*cols)
        person_cols = set(PERSON_FIELDS.get(cls, ()))
        people = [i for i, c in enumerate(cols) if c in person_cols]
        lists = [i for i, (c, decl) in enumerate(columns) if "'[]'" in decl and c not in person_cols]
        flags = [i for i, (_, decl) in enumerate(columns) if decl.startswith("INTEGER")]
        is_identity = cls is Identity
        extra = ["source_id", "person_id"] if is_identity else ["source_id"]
        person_of = self.person_of

        def row(sid: int, record: Record) -> list[Any]:
            out: list[Any] = list(get(record))
            for i in people:
                value = out[i]
                if isinstance(value, tuple):
                    out[i] = json.dumps([person_of(sid, v) for v in value], ensure_ascii=False)
                elif value:
                    out[i] = person_of(sid, value)
            for i in lists:
                out[i] = json.dumps(list(out[i]), ensure_ascii=False)
            for i in flags:
                out[i] = int(out[i])
            out.append(sid)
            if is_identity:
                out.append(person_of(sid, record.key))  # type: ignore[union-attr]
            return out

        _insert(self.conn, table, cols + extra, (row(sid, r) for sid, r in items))

    def refs(self, refs: Iterable[Ref]) -> None:
        """Write extracted references."""
        cols = [f.name for f in fields(Ref)]
        _insert(self.conn, "ref", cols, ([getattr(r, c) for c in cols] for r in refs))


def rows(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
    """Run a read query and yield rows addressable by column name."""
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    yield from cur.execute(sql, params)


def count(conn: sqlite3.Connection, table: str) -> int:
    """Number of rows in a table."""
    return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])


def read_sources(conn: sqlite3.Connection) -> list[SourceInfo]:
    """The source table, in id order."""
    return [
        SourceInfo(*r)
        for r in conn.execute("SELECT id, format, path, sha256, records, quarantined FROM source ORDER BY id")
    ]


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    """The meta table as a dict."""
    return dict(conn.execute("SELECT key, value FROM meta"))
