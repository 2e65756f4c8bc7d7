"""The SQL of an episode's view of the base: which rows it sees and how, table by table.

Each content table gets a TEMP VIEW of the same name in the episode's connection (see
:mod:`workgym.world.state`): the base rows visible at the cutoff and to the persona, minus the ones
the overlay replaced or deleted, plus the overlay's rows. The visibility rules, with the reasons:

- a row stamped after the cutoff is invisible (a row with no time is always visible);
- a ticket link is visible unless one of its tickets was created after the cutoff;
- a calendar event is visible if it starts before the cutoff plus a horizon (a calendar shows
  what is booked ahead; the source does not say when it was booked);
- a private channel, DM or group DM, and its messages, only to its members;
- a ticket shows its status as of the cutoff (rolled back through its status history) and no
  resolution if it was resolved later.

The ticket view reads those as-of columns from the sidecar's spans (:data:`AS_OF_TABLE`, written
when the index is built by the same expressions), so SQLite flattens the view into each query
and a ticket costs one seek; the episode's start rows run the expressions themselves, and
tests hold the two equal.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from workgym.world.fts import INDEXED, TOKENIZE, rank_function


class LayoutError(Exception):
    """A workspace whose tables are not as the store writes them."""


@dataclass(frozen=True, slots=True)
class TableSpec:
    """How one table takes part in the overlay.

    Attributes:
        name: the table's name, in the store and in the episode's views.
        key: the primary-key column; None for a table without one (its rows are only inserted).
        time: the columns giving a row's time, first non-empty wins; None when rows have no time.
        ddl: the overlay's DDL for a table the world adds (absent from the store); "" otherwise.
    """

    name: str
    key: str | None
    time: tuple[str, ...] | None
    ddl: str = ""


TABLES: tuple[TableSpec, ...] = (
    TableSpec("channel", "id", ("created",)),
    TableSpec("message", "id", ("ts",)),
    TableSpec("ticket", "id", ("created",)),
    TableSpec("ticket_comment", "id", ("created",)),
    TableSpec("ticket_link", None, None),
    TableSpec("ticket_event", "id", ("created",)),
    TableSpec("document", "id", ("created",)),
    TableSpec("email", "id", ("date",)),
    TableSpec("calendar_event", "id", ("start",)),
    TableSpec("commit", "id", ("committed", "authored")),
    TableSpec(
        "doc_comment",
        "id",
        ("created",),
        ddl="""CREATE TABLE ov."doc_comment" (
  "id" TEXT NOT NULL DEFAULT '', "document_id" TEXT NOT NULL DEFAULT '',
  "body" TEXT NOT NULL DEFAULT '', "author" TEXT NOT NULL DEFAULT '',
  "created" TEXT NOT NULL DEFAULT '', "anchor" TEXT NOT NULL DEFAULT '', PRIMARY KEY (id))""",
    ),
)
"""Every table an episode can read or write, in a fixed order (the order of diffs and hashes)."""

SPEC: dict[str, TableSpec] = {t.name: t for t in TABLES}


def sql_literal(value: str) -> str:
    """A string as an SQL literal (for the constants baked into an episode's views)."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class Scope:
    """What an episode sees of the base.

    Attributes:
        cutoff: records stamped after this ISO time are invisible; None shows every record.
        hidden_channels: channels (and their messages) the persona may not read.
        horizon: calendar events starting after this time are invisible; None shows all.
    """

    cutoff: str | None = None
    hidden_channels: frozenset[str] = frozenset()
    horizon: str | None = None


def _time_expr(spec: TableSpec, alias: str) -> str:
    assert spec.time is not None
    cols = [f'{alias}."{c}"' for c in spec.time]
    if len(cols) == 1:
        return cols[0]
    return "COALESCE(" + ", ".join(f"NULLIF({c}, '')" for c in cols[:-1]) + f", {cols[-1]})"


def visible(spec: TableSpec, scope: Scope, alias: str) -> list[str]:
    """SQL conditions on a base row (as ``alias``) for it to be visible in ``scope``."""
    conds: list[str] = []
    hidden = ", ".join(sql_literal(c) for c in sorted(scope.hidden_channels))
    if hidden and spec.name == "channel":
        conds.append(f"{alias}.id NOT IN ({hidden})")
    if hidden and spec.name == "message":
        conds.append(f"{alias}.channel_id NOT IN ({hidden})")
    if scope.cutoff is None:
        return conds
    cutoff = sql_literal(scope.cutoff)
    if spec.name == "calendar_event":
        if scope.horizon is not None:
            conds.append(f"{alias}.start <= {sql_literal(scope.horizon)}")
    elif spec.name == "ticket_link":
        for end in ("ticket_id", "other_id"):
            conds.append(
                f"NOT EXISTS (SELECT 1 FROM main.ticket t WHERE t.id = {alias}.{end} AND t.created > {cutoff})"
            )
    elif spec.time is not None:
        expr = _time_expr(spec, alias)
        conds.append(f"({expr} = '' OR {expr} <= {cutoff})")
    return conds


AS_OF_COLUMNS: tuple[str, ...] = ("status", "resolution", "resolved", "updated")
"""The ticket columns shown as they stood at the cutoff (the others are as stored)."""

AS_OF_TABLE = "ticket_asof"
"""The sidecar's table of each ticket's as-of columns over spans of cutoffs (see :func:`as_of_spans_sql`)."""


def _as_of(spec: TableSpec, scope: Scope, alias: str, open_status: dict[str, str]) -> dict[str, str]:
    """Column expressions showing a base row as it stood at the cutoff (where history allows).

    A ticket resolved after the cutoff with no status history at all (titanium's export has none)
    shows the status most unresolved tickets of its project have (``open_status``), not the final
    one: "Closed" with no resolution would be a state that never was.
    """
    if spec.name != "ticket" or scope.cutoff is None:
        return {}
    return as_of_exprs(alias, sql_literal(scope.cutoff), open_status)


def as_of_exprs(alias: str, cutoff: str, open_status: dict[str, str], schema: str = "main") -> dict[str, str]:
    """The expressions of :data:`AS_OF_COLUMNS` for the ticket ``alias`` at the cutoff ``cutoff``.

    Args:
        alias: the ticket row's alias.
        cutoff: an SQL expression giving the cutoff (a literal, or a column).
        open_status: each project's usual open status (see :func:`open_statuses`).
        schema: the schema holding the workspace's tables.
    """
    c = cutoff
    a = alias
    event = f'{schema}."ticket_event"'
    comment = f'{schema}."ticket_comment"'
    # Resolved after the cutoff; or with no resolution date, its status changed after the cutoff.
    later = (
        f"({a}.resolved != '' AND {a}.resolved > {c}) OR ({a}.resolved = '' AND {a}.resolution != '' AND "
        f"EXISTS (SELECT 1 FROM {event} e WHERE e.ticket_id = {a}.id AND e.field = 'status' "
        f"AND e.created > {c}))"
    )
    status = f"{a}.status"
    if open_status:
        cases = " ".join(
            f"WHEN {sql_literal(p)} THEN {sql_literal(s)}" for p, s in sorted(open_status.items())
        )
        status = (
            f"CASE WHEN {a}.resolved != '' AND {a}.resolved > {c} AND NOT EXISTS (SELECT 1 FROM "
            f"{event} e WHERE e.ticket_id = {a}.id AND e.field = 'status') "
            f"THEN CASE {a}.project {cases} ELSE {a}.status END ELSE {a}.status END"
        )
    return {
        "status": (
            f"COALESCE((SELECT e.from_value FROM {event} e WHERE e.ticket_id = "
            f"{a}.id AND e.field = 'status' AND e.created > {c} ORDER BY e.created, e.id LIMIT 1), {status})"
        ),
        "resolution": f"CASE WHEN {later} THEN '' ELSE {a}.resolution END",
        "resolved": f"CASE WHEN {later} THEN '' ELSE {a}.resolved END",
        "updated": (
            f"CASE WHEN {a}.updated > {c} THEN MAX({a}.created, "
            f"COALESCE((SELECT MAX(x.created) FROM {comment} x WHERE x.ticket_id = {a}.id "
            f"AND x.created <= {c}), ''), COALESCE((SELECT MAX(x.created) FROM {event} x "
            f"WHERE x.ticket_id = {a}.id AND x.created <= {c}), '')) ELSE {a}.updated END"
        ),
    }


def open_statuses(conn: sqlite3.Connection, schema: str = "main") -> dict[str, str]:
    """Each project's usual open status: the one most of its unresolved tickets have."""
    open_status: dict[str, str] = {}
    for project, status, _ in conn.execute(
        f"SELECT project, status, COUNT(*) AS n FROM {schema}.\"ticket\" WHERE resolution = '' AND status != '' "
        "GROUP BY project, status ORDER BY project, n DESC, status"
    ):
        open_status.setdefault(project, status)
    return open_status


SPAN_END = b""
"""The ``until`` of a ticket's last span: a BLOB, which SQLite orders after every text (every cutoff)."""


def as_of_points_sql(open_status: dict[str, str], schema: str = "base") -> str:
    """A query of every ticket's as-of columns at each cutoff where one of them may change.

    The as-of expressions compare the cutoff with times only (``x > c``, ``x <= c``, ``x``: a
    ticket's created, updated and resolved, its comments' and events' times), so they are
    constant on each span from one of those times up to the next. Evaluated at each time (and
    at '', before all of them), in order, per ticket: ``(ticket_id, since, *AS_OF_COLUMNS)``.
    The sidecar keeps the spans (:data:`AS_OF_TABLE`), and an episode's ticket view reads a
    ticket's span for its cutoff instead of running the expressions for each row it shows.
    """
    t, comment, event = f'{schema}."ticket"', f'{schema}."ticket_comment"', f'{schema}."ticket_event"'
    points = (
        f"SELECT id AS ticket_id, '' AS c FROM {t} UNION SELECT id, created FROM {t} "
        f"UNION SELECT id, updated FROM {t} UNION SELECT id, resolved FROM {t} "
        f"UNION SELECT ticket_id, created FROM {comment} UNION SELECT ticket_id, created FROM {event}"
    )
    exprs = as_of_exprs("b", "p.c", open_status, schema)
    cols = ", ".join(f'{exprs[c]} AS "{c}"' for c in AS_OF_COLUMNS)
    return (
        f"SELECT p.ticket_id, p.c, {cols} FROM ({points}) AS p JOIN {t} AS b ON b.id = p.ticket_id "
        "ORDER BY p.ticket_id, p.c"
    )


def overlay_index_ddl(table: str) -> tuple[str, str]:
    """The statements creating the overlay's full-text table for ``table`` (made when first searched)."""
    indexed = ", ".join(f'"{c}"' for c in INDEXED[table])
    rank = sql_literal(rank_function(table, leading=1))
    return (
        f"CREATE VIRTUAL TABLE ov.\"{table}__fts\" USING fts5(key UNINDEXED, {indexed}, tokenize='{TOKENIZE}')",
        f'INSERT INTO ov."{table}__fts"("{table}__fts", rank) VALUES (\'rank\', {rank})',
    )


def _default(decl_type: str, default: str | None) -> Any:
    """A column's default value from its declared type and DEFAULT clause."""
    if default is None:
        return 0 if decl_type.upper() == "INTEGER" else None
    if default.startswith("'"):
        return default[1:-1].replace("''", "'")
    return int(default)


@dataclass(slots=True)
class Layout:
    """The tables of one workspace (columns, DDL) and the setup script of an episode's connection.

    Built once per world; the scripts are cached per scope, so a new connection only runs them.
    """

    columns: dict[str, tuple[str, ...]]
    defaults: dict[str, dict[str, Any]]
    base_ddl: dict[str, str]
    open_status: dict[str, str] = field(default_factory=dict)
    _scripts: dict[Scope, tuple[str, dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> Layout:
        """Read the tables' columns and DDL from a workspace connection."""
        columns: dict[str, tuple[str, ...]] = {}
        defaults: dict[str, dict[str, Any]] = {}
        ddl: dict[str, str] = {}
        probe = sqlite3.connect(":memory:")
        probe.execute("ATTACH ':memory:' AS ov")
        try:
            for spec in TABLES:
                if spec.ddl:
                    ddl[spec.name] = spec.ddl
                else:
                    row = conn.execute(
                        "SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = ?", (spec.name,)
                    ).fetchone()
                    prefix = f'CREATE TABLE "{spec.name}"'
                    if row is None or not row[0].startswith(prefix):
                        raise LayoutError(f"the workspace has no table {spec.name!r} as the store writes it")
                    ddl[spec.name] = f'CREATE TABLE ov."{spec.name}"' + row[0][len(prefix) :]
                probe.execute(ddl[spec.name])
                info = probe.execute(f'PRAGMA ov.table_info("{spec.name}")').fetchall()
                columns[spec.name] = tuple(r[1] for r in info)
                defaults[spec.name] = {r[1]: _default(r[2], r[4]) for r in info}
        finally:
            probe.close()
        return cls(columns, defaults, ddl, open_statuses(conn))

    def script(self, scope: Scope) -> tuple[str, dict[str, str]]:
        """The SQL creating the overlay and views for ``scope``, and each table's as-of-cutoff query."""
        cached = self._scripts.get(scope)
        if cached is None:
            cached = self._build_script(scope)
            self._scripts[scope] = cached
        return cached

    def _build_script(self, scope: Scope) -> tuple[str, dict[str, str]]:
        statements: list[str] = []
        start: dict[str, str] = {}
        for spec in TABLES:
            name, cols = spec.name, self.columns[spec.name]
            statements.append(self.base_ddl[name])
            if spec.ddl:
                continue  # a world-only table: no base rows, its unqualified name is ov's
            if spec.key is not None:
                statements.append(f'CREATE TABLE ov."{name}__deleted" (key TEXT PRIMARY KEY)')
            as_of = _as_of(spec, scope, "b", self.open_status)
            select = ", ".join(f'{as_of[c]} AS "{c}"' if c in as_of else f'b."{c}"' for c in cols)
            conds = visible(spec, scope, "b")
            start[name] = f'SELECT {select} FROM main."{name}" AS b WHERE ' + " AND ".join([*conds, "1"])
            source = f'main."{name}" AS b'
            if as_of and scope.cutoff is not None:
                # The view reads the as-of columns from the sidecar's span for the cutoff (one
                # seek a row, and a view SQLite can flatten into the query); the start rows, a
                # row at a time, run the expressions themselves.
                at = sql_literal(scope.cutoff)
                source += (
                    f' CROSS JOIN fts."{AS_OF_TABLE}" AS h ON h.ticket_id = b."{spec.key}" '
                    f"AND h.until > {at} AND h.since <= {at}"
                )
                select = ", ".join(f'h."{c}" AS "{c}"' if c in as_of else f'b."{c}"' for c in cols)
            if spec.key is not None:
                k = spec.key
                conds += [
                    f'NOT EXISTS (SELECT 1 FROM ov."{name}" o WHERE o."{k}" = b."{k}")',
                    f'NOT EXISTS (SELECT 1 FROM ov."{name}__deleted" d WHERE d.key = b."{k}")',
                ]
            plain = ", ".join(f'"{c}"' for c in cols)
            statements.append(
                f'CREATE TEMP VIEW "{name}" AS SELECT {select} FROM {source} WHERE '
                + " AND ".join([*conds, "1"])
                + f' UNION ALL SELECT {plain} FROM ov."{name}"'
            )
        return ";\n".join(statements) + ";", start
