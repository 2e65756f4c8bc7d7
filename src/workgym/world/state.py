"""Copy-on-write state of one episode: a read-only base shared by every episode, a private overlay.

Each episode holds one SQLite connection. It opens the workspace read-only in SQLite's
shared-cache mode, so every episode of a process reads the base through one page cache, attaches
the full-text sidecar read-only (shared the same way) as ``fts``, and a private in-memory database
as ``ov`` (the overlay). Shared cache rather than ``mmap``: a mapping per connection counts its
pages once per episode in the process's RSS (256 episodes on titanium: 4.2 GB), and private
caches make every episode re-read the pages it scans. For every content table the
overlay holds the rows the episode inserted or changed (whole rows) and the keys it deleted
(``<table>__deleted``). A TEMP VIEW named like the table shadows it for every unqualified query::

    SELECT <cols> FROM main.t AS b WHERE <visible at the cutoff, to the persona>
        AND b.id NOT IN overlay AND b.id NOT IN deleted
    UNION ALL SELECT <cols> FROM ov.t

so tools write plain SQL against ``message`` or ``ticket`` and filters, ordering and paging work
unchanged (SQLite merges the two ordered branches). Reset empties the overlay tables the episode
touched; fork copies the overlay rows into a new connection: both cost in proportion to the
changes, never to the workspace. Nothing is ever written to the workspace file.

Which base rows an episode sees, and as of when, is the business of :mod:`workgym.world.views`.
The overlay's own full-text index is refreshed lazily, by the first search after a write.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workgym.world.fts import INDEXED, ro_uri
from workgym.world.search import search_base
from workgym.world.views import SPEC, TABLES, Layout, Scope, overlay_index_ddl, visible

Row = dict[str, Any]
"""A record as column name -> stored value (lists as JSON text, as in the store)."""


class StateError(Exception):
    """A write the state cannot make: an unknown or invisible row, a key already taken."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a row changed from ``old`` to ``new``."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row inserted, updated or deleted by an episode, against the base as of its cutoff.

    Attributes:
        table: the table.
        key: the row's key (for a table without one, the row as canonical JSON).
        kind: "inserted", "updated" or "deleted".
        row: the new row (inserted, updated) or the removed one (deleted).
        fields: for an update, each changed field.
    """

    table: str
    key: str
    kind: Literal["inserted", "updated", "deleted"]
    row: Mapping[str, Any]
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True, slots=True)
class StateDiff:
    """Every change an episode made, in table order then key order."""

    changes: tuple[RowChange, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def of(self, table: str, kind: str | None = None) -> list[RowChange]:
        """The changes to one table, optionally of one kind."""
        return [c for c in self.changes if c.table == table and (kind is None or c.kind == kind)]

    def to_dict(self) -> dict[str, dict[str, list[Any]]]:
        """As JSON-ready data: table -> inserted rows / updated {key, fields: {f: [old, new]}} / deleted keys."""
        out: dict[str, dict[str, list[Any]]] = {}
        for c in self.changes:
            entry = out.setdefault(c.table, {"inserted": [], "updated": [], "deleted": []})
            if c.kind == "inserted":
                entry["inserted"].append(dict(c.row))
            elif c.kind == "updated":
                entry["updated"].append({"key": c.key, "fields": {f.field: [f.old, f.new] for f in c.fields}})
            else:
                entry["deleted"].append(c.key)
        return out


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


RANK_LIMIT = 5000
"""Base rows matching a search above which they are listed unranked (bm25 costs ~1.5 µs a row)."""


@dataclass(frozen=True, slots=True)
class Found:
    """Search results: keys best first, and whether they are ranked by relevance."""

    keys: list[str]
    ranked: bool = True


EMPTY_HASH = hashlib.sha256(b"workgym-state\0").hexdigest()
"""The state hash of an episode that has changed nothing."""


class State:
    """One episode's view of a workspace: the shared read-only base plus its private overlay.

    Args:
        workspace: the workspace file (opened read-only).
        index: the full-text sidecar (opened read-only), from :func:`workgym.world.fts.ensure_index`.
        layout: the workspace's tables, from :meth:`workgym.world.views.Layout.read`.
        scope: what the episode sees of the base.
        cache_kib: the page cache shared by the episodes of this process, in KiB.
        mmap_bytes: how much of the base and index to memory-map (0, the default: see above).
    """

    def __init__(
        self,
        workspace: Path,
        index: Path,
        layout: Layout,
        scope: Scope,
        *,
        cache_kib: int = 32768,
        mmap_bytes: int = 0,
    ) -> None:
        self.layout = layout
        self.scope = scope
        conn = sqlite3.connect(
            ro_uri(workspace, shared=True), uri=True, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA cache_size = -{int(cache_kib)}")
            conn.execute(f"PRAGMA mmap_size = {int(mmap_bytes)}")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("ATTACH DATABASE ? AS fts", (ro_uri(index, shared=True),))
            conn.execute(f"PRAGMA fts.cache_size = -{int(cache_kib)}")
            conn.execute(f"PRAGMA fts.mmap_size = {int(mmap_bytes)}")
            conn.execute("ATTACH DATABASE ':memory:' AS ov")
            script, self._start_sql = layout.script(scope)
            conn.executescript(script)
        except BaseException:
            conn.close()
            raise
        conn.row_factory = sqlite3.Row
        self.db = conn
        self._dirty: set[str] = set()  # tables written since the last reset
        self._touched: set[str] = set()  # overlay tables written (a table, its index, its deletions)
        self._stale: set[str] = set()  # tables whose overlay full-text index is out of date
        self._indexes: set[str] = set()  # tables whose overlay full-text table exists

    # -- reading -------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read query against the episode's views."""
        return self.db.execute(sql, params).fetchall()

    def get(self, table: str, key: str) -> Row | None:
        """The row of ``table`` with this key as the episode sees it, or None."""
        k = self._key(table)
        row = self.db.execute(f'SELECT * FROM "{table}" WHERE "{k}" = ?', (key,)).fetchone()
        return dict(row) if row is not None else None

    def by_keys(self, table: str, keys: Sequence[str]) -> list[sqlite3.Row]:
        """The visible rows with these keys, in the order of ``keys`` (missing ones left out)."""
        if not keys:
            return []
        k = self._key(table)
        marks = ", ".join("?" for _ in keys)
        found = {
            r[k]: r for r in self.db.execute(f'SELECT * FROM "{table}" WHERE "{k}" IN ({marks})', list(keys))
        }
        return [found[k] for k in keys if k in found]

    def _start(self, table: str, key: str) -> Row | None:
        """The base row with this key as it stood at the cutoff (visible then), or None."""
        if table not in self._start_sql:
            return None
        sql = self._start_sql[table] + f' AND b."{self._key(table)}" = ?'
        row = self.db.execute(sql, (key,)).fetchone()
        return dict(row) if row is not None else None

    def search(
        self,
        table: str,
        match: str,
        where: str = "1",
        params: Sequence[Any] = (),
        *,
        limit: int = 10,
        offset: int = 0,
    ) -> Found:
        """Keys of visible rows matching an FTS5 query, best first.

        The episode's own text (new rows, rows whose text it changed), matched in its overlay
        index, comes first (it is the newest, and bm25 over a handful of rows is not comparable);
        then base rows by bm25 from the sidecar, with the column weights of ``fts.WEIGHTS``, ties
        by rowid (:func:`workgym.world.search.search_base` picks how). When more than
        :data:`RANK_LIMIT` base rows match a query the sidecar's lists cannot rank, ranking them
        all would cost more than the answer is worth: they come newest-stored first instead, and
        ``ranked`` is False.

        ``where`` is an SQL condition on the row written with ``{t}.`` before each column, applied
        to both sources, so it should test columns tools never change (channel, author, time);
        ``params`` are its parameters.
        """
        spec = SPEC[table]
        k = self._key(table)
        if table in self._stale:
            self._refresh_index(table)
        conds = [*visible(spec, self.scope, "b"), where.format(t="b")]
        own: list[str] = []
        if f"{table}__fts" in self._touched:
            conds.append(f'b."{k}" NOT IN (SELECT key FROM ov."{table}__fts")')
            own = [
                r[0]
                for r in self.db.execute(
                    f'SELECT o."{k}" FROM ov."{table}__fts" AS g JOIN ov."{table}" AS o ON o."{k}" = g.key '
                    f'WHERE g."{table}__fts" MATCH ? AND {where.format(t="o")} ORDER BY g.rank, o."{k}" LIMIT ?',
                    [match, *params, offset + limit],
                )
            ]
        if f"{table}__deleted" in self._touched:
            conds.append(f'b."{k}" NOT IN (SELECT key FROM ov."{table}__deleted")')
        base = search_base(
            self.db,
            table,
            k,
            match,
            " AND ".join(conds),
            params,
            offset + limit - len(own),
            rank_limit=RANK_LIMIT,
        )
        return Found((own + base.keys)[offset : offset + limit], base.ranked)

    # -- writing -------------------------------------------------------------------------------

    def _wrote(self, table: str) -> None:
        self._dirty.add(table)
        self._touched.add(table)
        if table in INDEXED:
            self._stale.add(table)

    def _key(self, table: str) -> str:
        """The key column of a table with keyed rows."""
        spec = SPEC.get(table)
        if spec is None or spec.key is None:
            raise StateError(f"{table!r} is not a table with keyed rows")
        return spec.key

    def _put(self, table: str, row: Mapping[str, Any]) -> None:
        cols = self.layout.columns[table]
        values = [int(row[c]) if isinstance(row.get(c), bool) else row.get(c) for c in cols]
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        self.db.execute(f'INSERT OR REPLACE INTO ov."{table}" ({names}) VALUES ({marks})', values)
        self._wrote(table)

    def _refresh_index(self, table: str) -> None:
        """Index the overlay rows of ``table`` whose text is not the base's (new rows, edited text).

        Run lazily, before a search, for tables written since the last one: writes and resets
        never touch the overlay's full-text tables.
        """
        name = f"{table}__fts"
        if table not in self._indexes:
            for statement in overlay_index_ddl(table):  # execute, not executescript: that would COMMIT
                self.db.execute(statement)
            self._indexes.add(table)
        if name in self._touched:
            self.db.execute(f'DELETE FROM ov."{name}"')
            self._touched.discard(name)
        self._stale.discard(table)
        k = self._key(table)
        cols = INDEXED[table]
        names = ", ".join(f'"{c}"' for c in cols)
        values = ", ".join(f'o."{c}"' for c in cols)
        differs = " OR ".join(f'b."{c}" IS NOT o."{c}"' for c in cols)
        cur = self.db.execute(
            f'INSERT INTO ov."{name}" (key, {names}) SELECT o."{k}", {values} FROM ov."{table}" AS o '
            f'LEFT JOIN main."{table}" AS b ON b."{k}" = o."{k}" WHERE b."{k}" IS NULL OR {differs}'
        )
        if cur.rowcount:
            self._touched.add(name)

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        """Add a new row (columns left out take the store's defaults; ``source_id`` is 0).

        Raises:
            StateError: the key is already used, in the base (visible or not) or the overlay.
        """
        spec = SPEC.get(table)
        if spec is None:
            raise StateError(f"no table {table!r}")
        unknown = set(row) - set(self.layout.columns[table])
        if unknown:
            raise StateError(f"{table} has no column(s) {sorted(unknown)}")
        full = {"source_id": 0, **row}
        if spec.key is None:
            cols = [c for c in self.layout.columns[table] if c in full]
            names = ", ".join(f'"{c}"' for c in cols)
            self.db.execute(
                f'INSERT INTO ov."{table}" ({names}) VALUES ({", ".join("?" for _ in cols)})',
                [full[c] for c in cols],
            )
            self._wrote(table)
            return
        key = row.get(spec.key)
        if not isinstance(key, str) or not key:
            raise StateError(f"a new {table} row needs a {spec.key}")
        if self._taken(table, key):
            raise StateError(f"{table} {key!r} already exists")
        self._put(table, {**self.layout.defaults[table], **full})

    def _taken(self, table: str, key: str) -> bool:
        k = self._key(table)
        if self.db.execute(f'SELECT 1 FROM ov."{table}" WHERE "{k}" = ?', (key,)).fetchone():
            return True
        if table in self._start_sql:
            return (
                self.db.execute(f'SELECT 1 FROM main."{table}" WHERE "{k}" = ?', (key,)).fetchone()
                is not None
            )
        return False

    def update(self, table: str, key: str, changes: Mapping[str, Any]) -> Row:
        """Change fields of a visible row; return the new row.

        A row changed back to exactly its state at the cutoff leaves the overlay, so equal states
        have equal hashes.

        Raises:
            StateError: no visible row has this key, or a column is unknown.
        """
        current = self.get(table, key)
        if current is None:
            raise StateError(f"no {table} {key!r}")
        unknown = set(changes) - set(current)
        if unknown:
            raise StateError(f"{table} has no column(s) {sorted(unknown)}")
        new = {**current, **changes}
        k = self._key(table)
        if new[k] != key:
            raise StateError("a row's key cannot change")
        if self._start(table, key) == new:
            self.db.execute(f'DELETE FROM ov."{table}" WHERE "{k}" = ?', (key,))
            self._wrote(table)
        else:
            self._put(table, new)
        return new

    def delete(self, table: str, key: str) -> None:
        """Remove a visible row.

        Raises:
            StateError: no visible row has this key.
        """
        k = self._key(table)
        if self.get(table, key) is None:
            raise StateError(f"no {table} {key!r}")
        self.db.execute(f'DELETE FROM ov."{table}" WHERE "{k}" = ?', (key,))
        if self._start(table, key) is not None:
            self.db.execute(f'INSERT OR IGNORE INTO ov."{table}__deleted" (key) VALUES (?)', (key,))
            self._touched.add(f"{table}__deleted")
        self._wrote(table)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make the writes inside one unit: all kept, or all undone if the block raises."""
        saved = set(self._dirty), set(self._touched), set(self._stale), set(self._indexes)
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            self._dirty, self._touched, self._stale, self._indexes = saved
            raise
        self.db.execute("COMMIT")

    # -- episode life --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every change: empty the overlay tables written since the last reset."""
        for name in sorted(self._touched):
            if name.endswith("__fts"):
                self._stale.add(name[: -len("__fts")])  # emptied lazily, by the next search
            else:
                self.db.execute(f'DELETE FROM ov."{name}"')
        self._dirty.clear()
        self._touched = {n for n in self._touched if n.endswith("__fts")}

    def snapshot(self) -> dict[str, tuple[list[tuple[Any, ...]], list[str]]]:
        """The overlay's rows and deleted keys, per table written (what a fork copies)."""
        out: dict[str, tuple[list[tuple[Any, ...]], list[str]]] = {}
        for table in sorted(self._dirty):
            rows = [tuple(r) for r in self.db.execute(f'SELECT * FROM ov."{table}"')]
            SPEC[table]
            deleted: list[str] = []
            if f"{table}__deleted" in self._touched:
                deleted = [r[0] for r in self.db.execute(f'SELECT key FROM ov."{table}__deleted"')]
            out[table] = (rows, deleted)
        return out

    def restore(self, snapshot: Mapping[str, tuple[Sequence[tuple[Any, ...]], Sequence[str]]]) -> None:
        """Replace the overlay with a snapshot taken from another state of the same layout."""
        self.reset()
        for table, (rows, deleted) in snapshot.items():
            cols = self.layout.columns[table]
            marks = ", ".join("?" for _ in cols)
            self.db.executemany(f'INSERT INTO ov."{table}" VALUES ({marks})', rows)
            self._wrote(table)
            if deleted:
                self.db.executemany(
                    f'INSERT INTO ov."{table}__deleted" (key) VALUES (?)', [(k,) for k in deleted]
                )
                self._touched.add(f"{table}__deleted")
            self._dirty.add(table)

    def _overlay_rows(self, table: str) -> list[Row]:
        return [dict(r) for r in self.db.execute(f'SELECT * FROM ov."{table}"')]

    def diff(self) -> StateDiff:
        """Every row the episode inserted, updated or deleted, against the base as of the cutoff."""
        changes: list[RowChange] = []
        for spec in TABLES:
            table = spec.name
            if table not in self._dirty:
                continue
            found: list[RowChange] = []
            for row in self._overlay_rows(table):
                if spec.key is None:
                    found.append(RowChange(table, _canonical(row), "inserted", row))
                    continue
                key = str(row[spec.key])
                before = self._start(table, key)
                if before is None:
                    found.append(RowChange(table, key, "inserted", row))
                    continue
                fields = tuple(FieldChange(c, before[c], row[c]) for c in row if before[c] != row[c])
                found.append(RowChange(table, key, "updated", row, fields))
            if spec.key is not None and not spec.ddl:
                for (key,) in self.db.execute(f'SELECT key FROM ov."{table}__deleted"'):
                    before = self._start(table, key)
                    found.append(RowChange(table, key, "deleted", before or {}))
            changes.extend(sorted(found, key=lambda c: (c.key, c.kind)))
        return StateDiff(tuple(changes))

    def hash(self) -> str:
        """sha256 of the canonical overlay; equal for equal changes, :data:`EMPTY_HASH` for none."""
        digest = hashlib.sha256(b"workgym-state\0")
        for spec in TABLES:
            table = spec.name
            if table not in self._dirty:
                continue
            rows = sorted(_canonical(r) for r in self._overlay_rows(table))
            deleted: list[str] = []
            if spec.key is not None and not spec.ddl:
                deleted = sorted(r[0] for r in self.db.execute(f'SELECT key FROM ov."{table}__deleted"'))
            if rows or deleted:
                digest.update(_canonical([table, rows, deleted]).encode())
        return digest.hexdigest()

    def written(self) -> Iterable[str]:
        """The tables written since the last reset."""
        return sorted(self._dirty)

    def close(self) -> None:
        """Close the connection (the overlay goes with it).

        Never while a query runs on it: closing a SQLite connection under a query on another
        thread crashes the process. :meth:`workgym.world.core.Episode.close` holds the episode's
        lock, as every query made through the episode does.
        """
        self.db.close()
