"""What a workspace holds, read back from the store: counts, the most-linked records, cross-source hubs.

Used by ``workgym inspect`` and the demo; returns plain data, prints nothing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from workgym.store import CONTENT_TABLES, SourceInfo, count, read_sources

_TITLE_SQL: dict[str, str] = {
    "ticket": "SELECT summary FROM ticket WHERE id = ?",
    "ticket_comment": "SELECT ticket_id || ': ' || body FROM ticket_comment WHERE id = ?",
    "message": "SELECT text FROM message WHERE id = ?",
    "commit": 'SELECT message FROM "commit" WHERE id = ?',
    "document": "SELECT title FROM document WHERE id = ?",
    "email": "SELECT subject FROM email WHERE id = ?",
    "calendar_event": "SELECT title FROM calendar_event WHERE id = ?",
    "person": "SELECT name FROM person WHERE id = ?",
    "channel": "SELECT '#' || name FROM channel WHERE id = ?",
}

# Comments count as their ticket, so a chain through a ticket's discussion shows the ticket.
_REFS = """
WITH r AS (
  SELECT CASE WHEN src_kind = 'ticket_comment' THEN 'ticket' ELSE src_kind END AS sk,
         CASE WHEN src_kind = 'ticket_comment'
              THEN (SELECT ticket_id FROM ticket_comment c WHERE c.id = ref.src_id) ELSE src_id END AS sid,
         dst_kind AS dk, dst_id AS did, ref_kind
  FROM ref WHERE dst_id IS NOT NULL AND dst_kind NOT IN ('person', 'channel')
)
"""


@dataclass(frozen=True, slots=True)
class Node:
    """A record named by kind and id, with a one-line description."""

    kind: str
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Hub:
    """A record that records of several other kinds point to (or that points to them)."""

    node: Node
    neighbours: tuple[tuple[str, Node], ...]  # (arrow "<-" or "->", neighbour)


@dataclass(frozen=True, slots=True)
class Overview:
    """A workspace at a glance."""

    counts: dict[str, int]
    sources: list[SourceInfo]
    quarantine: list[tuple[str, int]]
    refs: list[tuple[str, int, int]]  # (ref kind, resolved, unresolved)
    most_linked: list[tuple[Node, int]]
    hubs: list[Hub]


def describe(conn: sqlite3.Connection, kind: str, record_id: str, width: int = 72) -> Node:
    """A record's one-line description (the first line of its title or text)."""
    sql = _TITLE_SQL.get(kind)
    row = conn.execute(sql, (record_id,)).fetchone() if sql else None
    text = (row[0] or "") if row else ""
    # The first line as the text ends lines (CR, LF): splitlines would also cut at U+2028 or a form feed.
    line = " ".join(re.split(r"\r\n|\r|\n", text.strip(), maxsplit=1)[0].split())
    if len(line) > width:
        line = line[: width - 1] + "…"
    return Node(kind, record_id, line)


def overview(conn: sqlite3.Connection, *, top: int = 5) -> Overview:
    """Read the overview of a workspace."""
    counts = {t: count(conn, t) for t in ("person", "identity", *CONTENT_TABLES, "ref", "quarantine")}
    quarantine = list(
        conn.execute(
            "SELECT reason, COUNT(*) AS n FROM quarantine GROUP BY reason ORDER BY n DESC, reason LIMIT ?",
            (top,),
        )
    )
    refs = list(
        conn.execute(
            "SELECT ref_kind, SUM(dst_id IS NOT NULL), SUM(dst_id IS NULL) FROM ref "
            "GROUP BY ref_kind ORDER BY COUNT(*) DESC, ref_kind"
        )
    )
    most = conn.execute(
        _REFS + "SELECT dk, did, COUNT(DISTINCT sk || ':' || sid) AS n FROM r WHERE dk != sk "
        "GROUP BY dk, did ORDER BY n DESC, dk, did LIMIT ?",
        (top,),
    ).fetchall()
    most_linked = [(describe(conn, kind, rid), n) for kind, rid, n in most]
    return Overview(counts, read_sources(conn), quarantine, refs, most_linked, _hubs(conn, top))


def _hubs(conn: sqlite3.Connection, top: int) -> list[Hub]:
    """Records linked with the most other kinds of record: the cross-source chains of the workspace."""
    edges = conn.execute(
        _REFS + "SELECT dk, did, '<-', sk, sid FROM r WHERE sk != dk "
        "UNION SELECT sk, sid, '->', dk, did FROM r WHERE sk != dk"
    ).fetchall()
    around: dict[tuple[str, str], dict[str, tuple[str, str, str]]] = {}
    for kind, rid, arrow, other_kind, other_id in sorted(edges):
        around.setdefault((kind, rid), {}).setdefault(other_kind, (arrow, other_kind, other_id))
    ranked = sorted(around.items(), key=lambda item: (-len(item[1]), item[0]))
    hubs = []
    for (kind, rid), neighbours in ranked[:top]:
        if len(neighbours) < 2:
            break
        hubs.append(
            Hub(
                describe(conn, kind, rid),
                tuple((arrow, describe(conn, k, i, 60)) for arrow, k, i in neighbours.values()),
            )
        )
    return hubs
