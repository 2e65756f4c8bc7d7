"""Tracker: search, read, create and update tickets; comment on them; link them (Jira)."""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from workgym.world.context import ToolContext
from workgym.world.fts import columns_table, match_expression
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, cut, json_list, page_of, show_time, to_json_list
from workgym.world.tools.jql import Compiled, compile_jql, tokenize
from workgym.world.views import AS_OF_COLUMNS, AS_OF_TABLE, SPEC, Layout, sql_literal, visible

PAGE = 20
COMMENTS_PAGE = 10
TEXT_HITS = 200
"""How many tickets, and how many comments, a text clause's search reaches: its meaning."""
FIRST_HITS = 32
"""How deep a text clause is first searched when the page may not need TEXT_HITS (page 1 needs 21)."""
DEFAULT_LINK_TYPES = {
    "Relates": ("relates to", "relates to"),
    "Blocks": ("blocks", "is blocked by"),
    "Duplicate": ("duplicates", "is duplicated by"),
}


_GITHUB_KEY = re.compile(r"(?:(?:[\w.-]+/)?([\w.-]+)#|#)?([0-9]+)")
"""How GitHub names an issue or pull request: ``#12``, ``repo#12``, ``owner/repo#12`` (or just ``12``)."""


def find_ticket(ctx: ToolContext, key: str) -> sqlite3.Row:
    """The visible ticket with this key (any case); a GitHub ticket also as ``#12`` or ``owner/repo#12``.

    Raises:
        ToolError: there is none.
    """
    rows = ctx.state.query("SELECT * FROM ticket WHERE id = ?", (key.strip().upper(),))
    github = _GITHUB_KEY.fullmatch(key.strip()) if not rows else None
    if github and github[1]:  # a GitHub issue or pull request: "repo#12", "owner/repo#12"
        rows = ctx.state.query(
            "SELECT * FROM ticket WHERE id = ? COLLATE NOCASE", (f"{github[1]}#{github[2]}",)
        )
    elif github:  # "#12" or "12": the one repository's
        rows = ctx.state.query("SELECT * FROM ticket WHERE id LIKE ? LIMIT 2", (f"%#{github[2]}",))
        if len(rows) > 1:
            raise ToolError(f"#{github[2]} is in several repositories; name one, as in repo#{github[2]}")
    if not rows:
        raise ToolError(f"no ticket {clip(key, 40)!r}; search_tickets finds tickets")
    return rows[0]


def ticket_line(ctx: ToolContext, row: sqlite3.Row) -> str:
    """A ticket on one line: key, status, priority, summary, assignee, last update."""
    bits = [f"{row['id']} [{row['status'] or '?'}]"]
    if row["priority"]:
        bits[0] += f" {row['priority']}"
    bits.append(clip(row["summary"], 120))
    bits.append(f"assignee {ctx.name(row['assignee']) if row['assignee'] else 'none'}")
    bits.append(f"updated {show_time(row['updated'] or row['created'])}")
    return " · ".join(bits)


@dataclass(slots=True)
class _TextSearch:
    """The text clauses' searches of one query at one depth, each run once.

    A clause stands for the tickets among the ``depth`` best whose own text matches, then those of
    the ``depth`` best matching comments (the query's meaning is that at :data:`TEXT_HITS`). Read
    at a smaller depth, or without the comments (``comments`` false, for a ``text`` clause), the
    first ``certain[call]`` tickets of a clause are those it has at TEXT_HITS (all of them, inf,
    when neither search filled its depth).
    """

    ctx: ToolContext
    depth: int
    comments: bool = True
    seen: dict[tuple[str, str, int], list[str]] = field(default_factory=dict)  # shared by the tries
    found: dict[tuple[str, bool], list[str]] = field(default_factory=dict)
    certain: dict[tuple[str, bool], float] = field(default_factory=dict)
    filled: bool = False  # some clause's ticket search filled its depth

    def __call__(self, text: str, with_tickets: bool) -> list[str]:
        call = (text, with_tickets)
        if call not in self.found:
            self.found[call], self.certain[call] = self._run(text, with_tickets)
        return self.found[call]

    def _run(self, query: str, with_tickets: bool) -> tuple[list[str], float]:
        expr = match_expression(query)
        if expr is None:
            raise ToolError(f"{clip(query, 40)!r} has no words to search for")
        depth = self.depth
        ids = list(self._search("ticket", expr)) if with_tickets else []
        self.filled |= len(ids) == depth
        if with_tickets and not self.comments:
            return ids, float(len(ids))  # the tickets of matching comments would come after these
        comments = self._search("ticket_comment", expr)
        cut_tickets, cut_comments = len(ids) == depth, len(comments) == depth
        if comments:
            owner = _comment_tickets(self.ctx, comments)
            seen = set(ids)
            for comment in comments:
                ticket = owner.get(comment)
                if ticket is not None and ticket not in seen:
                    seen.add(ticket)
                    ids.append(ticket)
        if depth >= TEXT_HITS or (not cut_tickets and not cut_comments):
            return ids, math.inf
        return ids, float(depth if cut_tickets else len(ids))

    def _search(self, table: str, expr: str) -> list[str]:
        done = (table, expr, self.depth)
        if done not in self.seen:
            self.seen[done] = self.ctx.state.search(table, expr, limit=self.depth).keys
        return self.seen[done]

    def could_settle(self, needed: int) -> bool:
        """Whether a page needing ``needed`` ranked tickets may be settled by these searches."""
        if self.complete:
            return True
        return len(self.certain) == 1 and next(iter(self.certain.values())) >= needed

    @property
    def complete(self) -> bool:
        """Whether every clause came out as at :data:`TEXT_HITS`."""
        return all(c == math.inf for c in self.certain.values())

    def settles(self, deepest: float) -> bool:
        """Whether a page ordered by relevance, read down to rank ``deepest``, is the one TEXT_HITS gives.

        So it is when every clause is complete; or when there is one clause and the page needed
        only tickets it ranks before ``certain``: those are the first at any depth, each found
        by the clause at any depth, so the filter keeps the same ones, negated or not.
        """
        if self.complete:
            return True
        if len(self.certain) != 1:
            return False
        (certain,) = self.certain.values()
        return deepest < certain


def _compile(ctx: ToolContext, jql: str, search: _TextSearch) -> Compiled:
    return compile_jql(
        jql,
        now=ctx.now,
        persona=ctx.persona,
        people=lambda text: [p.id for p in ctx.facts.find_people(text)],
        text_ids=search,
    )


def _by_relevance(
    ctx: ToolContext, compiled: Compiled, search: _TextSearch, page: int
) -> tuple[list[sqlite3.Row], float]:
    """The page's tickets (and one more) in relevance order, and the deepest rank they needed.

    The text clauses rank the tickets they found; the filter keeps some. The ranked ones are
    filtered a chunk at a time, best first, until the page is full (a ticket the view shows
    costs its as-of columns, so only as many as the page needs are tested, on their short
    columns, and only the page's rows are read whole); tickets the filter keeps that no clause
    ranks follow, by key.
    """
    rank: dict[str, int] = {}
    for text in compiled.text:
        for i, key in enumerate(search(text, True)):
            rank[key] = min(rank.get(key, i), i)
    ranked = sorted(rank, key=lambda k: (rank[k], k))
    skip, want = (page - 1) * PAGE, PAGE + 1
    test = _Filter(ctx, compiled)
    keys: list[str] = []
    read: dict[str, sqlite3.Row] = {}
    passed, pos, size, deepest = 0, 0, skip + want, -1.0
    while pos < len(ranked) and passed < skip + want:
        chunk = ranked[pos : pos + size]
        if pos == 0 and page == 1:  # most of the first chunk is usually shown: read its rows whole
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT * FROM ticket AS t WHERE t.id IN ({marks}) AND {compiled.where}"
            read = {r["id"]: r for r in ctx.state.query(sql, [*chunk, *compiled.params])}
            kept = set(read)
        else:  # the rest on their short columns: a filter may keep few of them
            kept = test.passing(chunk)
        for key in chunk:
            deepest = float(rank[key])
            if key in kept:
                if passed >= skip:
                    keys.append(key)
                passed += 1
                if passed == skip + want:
                    break
        pos, size = pos + len(chunk), size * 2
    if passed < skip + want:
        deepest = math.inf
        # A literal list, which SQLite pushes into the view: the ranked rows are left out before
        # their as-of columns are computed.
        rest = ctx.state.query(
            f"SELECT t.id FROM ticket AS t WHERE {compiled.where} AND t.id NOT IN ({_keys_sql(ranked)}) "
            "ORDER BY t.id LIMIT ? OFFSET ?",
            [*compiled.params, skip + want - max(passed, skip), max(0, skip - passed)],
        )
        keys += [r[0] for r in rest]
    missing = _shown(ctx, [k for k in keys if k not in read])
    read.update((r["id"], r) for r in missing)
    return [read[k] for k in keys], deepest


ORDERS_KEPT = 16
"""Base orders of the ticket view kept per process (one per cutoff and ordering; ~0.5 MB each on titanium)."""
WALK_MIN = 256
"""Tickets a filtered, ordered page probes in order at least before it sorts the whole filter instead."""
WALK_DEPTH = 8
"""... and at least this many times the tickets the page reaches down to."""
WALK_SHARE = 0.5
"""The walk is not tried when its budget reaches this share of the visible tickets: the sort is as cheap."""

Order = tuple[tuple[str, bool], ...]
"""An ordering: (column, descending) pairs; ties go by key, ascending."""


class _WorldCache:
    """Values computed once per world (its layout) and key; past ``size`` entries the least recently used go.

    The base never changes under a world, so what is read from it alone (never from an overlay)
    holds for every episode of the world. Each entry holds the layout, so its id is not reused.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], tuple[Layout, Any]] = OrderedDict()

    def get(self, ctx: ToolContext, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """The value for ``key`` in the world of ``ctx``, computed (outside the lock) when missing."""
        layout = ctx.state.layout
        full = (id(layout), *key)
        with self._lock:
            kept = self._kept.get(full)
            if kept is not None and kept[0] is layout:
                self._kept.move_to_end(full)
                return kept[1]
        value = compute()
        with self._lock:
            self._kept[full] = (layout, value)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return value


_orders = _WorldCache(ORDERS_KEPT)
_maps = _WorldCache(8)


def _base_order(ctx: ToolContext, order: Order) -> list[tuple[Any, ...]]:
    """``(key, rowid, *sort values)`` of each visible base ticket, sorted by ``order`` then key.

    Sorting every visible ticket costs its as-of columns for each (~15 ms on titanium at its
    median cutoff): each ordering is sorted once per world and cutoff, and a page walks it.
    """
    return cast(
        list[tuple[Any, ...]],
        _orders.get(
            ctx,
            (ctx.state.scope.cutoff, order),
            lambda: [tuple(r) for r in ctx.state.query(_base_sql(ctx, order))],
        ),
    )


def _base_rowids(ctx: ToolContext) -> dict[str, int]:
    """Every base ticket's key -> its rowid (the sidecar's short columns are read by rowid)."""
    return cast(
        dict[str, int],
        _maps.get(
            ctx,
            ("rowids",),
            lambda: {r[0]: r[1] for r in ctx.state.query('SELECT id, rowid FROM main."ticket"')},
        ),
    )


def _comment_tickets(ctx: ToolContext, comments: list[str]) -> dict[str, str]:
    """The ticket of each of these visible comments.

    A base comment's ticket never changes (no tool moves a comment), so they are read once per
    world; the overlay's comments are looked up in the episode's view.
    """
    owners = cast(
        dict[str, str],
        _maps.get(
            ctx,
            ("comment tickets",),
            lambda: {r[0]: r[1] for r in ctx.state.query('SELECT id, ticket_id FROM main."ticket_comment"')},
        ),
    )
    changed = {r[0] for r in ctx.state.query('SELECT id FROM ov."ticket_comment"')}
    out = {c: owners[c] for c in comments if c in owners and c not in changed}
    rest = [c for c in comments if c not in out]
    if rest:  # two columns of the comments, not whole rows: bodies run to pages of logs
        marks = ", ".join("?" for _ in rest)
        sql = f"SELECT id, ticket_id FROM ticket_comment WHERE id IN ({marks})"
        out.update({r[0]: r[1] for r in ctx.state.query(sql, rest)})
    return out


def _base_source(ctx: ToolContext, table: str) -> tuple[str, set[str]]:
    """The episode's ticket view's first arm without its overlay conditions, from ``table`` as ``b``.

    The FROM clause (the base row, joined to its as-of span for the cutoff, as
    :mod:`workgym.world.views` writes it) and the columns read from the span.
    """
    cutoff = ctx.state.scope.cutoff
    if cutoff is None:
        return f"{table} AS b", set()
    at = sql_literal(cutoff)
    return (
        f'{table} AS b CROSS JOIN fts."{AS_OF_TABLE}" AS h ON h.ticket_id = b."id" '
        f"AND h.until > {at} AND h.since <= {at}",
        set(AS_OF_COLUMNS),
    )


def _base_sql(ctx: ToolContext, order: Order) -> str:
    """Every visible base ticket (none of the overlay's) as ``(key, rowid, *order's values)``, sorted."""
    source, as_of = _base_source(ctx, 'main."ticket"')
    cols = [f'{"h" if col in as_of else "b"}."{col}"' for col, _ in order]
    conds = " AND ".join([*visible(SPEC["ticket"], ctx.state.scope, "b"), "1"])
    sort = ", ".join(f"{c} {'DESC' if desc else 'ASC'}" for c, (_, desc) in zip(cols, order, strict=True))
    return f'SELECT b."id", b.rowid, {", ".join(cols)} FROM {source} WHERE {conds} ORDER BY {sort}, b."id"'


_LONG_COLUMN = re.compile(r"\bt\.(?:summary|description|locator)\b")


def _probe_sql(ctx: ToolContext, where: str) -> str | None:
    """A query of the visible base tickets among the rowids of a JSON array that pass ``where`` (on ``t``).

    Read from the sidecar's copy of the tickets' short columns and their as-of spans, each
    ticket one rowid seek, as the view shows a base ticket; when the filter reads a long column
    (``summary ~``), None: the ticket view is asked instead, by keys.
    """
    if _LONG_COLUMN.search(where):
        return None
    source, as_of = _base_source(ctx, f'fts."{columns_table("ticket")}"')
    cols = ", ".join(
        f'{"h" if c in as_of else "b"}."{c}" AS "{c}"'
        for c in ctx.state.layout.columns["ticket"]
        if c not in ("summary", "description", "locator")
    )
    conds = " AND ".join([*visible(SPEC["ticket"], ctx.state.scope, "b"), "1"])
    return (
        f"SELECT t.id FROM (SELECT b.rowid AS row_id, {cols} FROM {source} WHERE {conds}) AS t "
        f"WHERE t.row_id IN (SELECT value FROM json_each(?)) AND {where}"
    )


class _Filter:
    """Which tickets of a list pass a compiled filter, as the episode's ticket view shows them.

    A base ticket the overlay neither replaced nor deleted is tested on the sidecar's short
    columns by rowid (no page of its description is read); the others through the view.
    """

    def __init__(self, ctx: ToolContext, compiled: Compiled) -> None:
        self.ctx, self.compiled = ctx, compiled
        self._probe: str | None = None
        self._replaced: set[str] | None = None
        self._rowids: dict[str, int] = {}

    @property
    def replaced(self) -> set[str]:
        """The keys the overlay changed, added or deleted (read when first needed)."""
        if self._replaced is None:
            rows = self.ctx.state.query(
                'SELECT id FROM ov."ticket" UNION ALL SELECT key FROM ov."ticket__deleted"'
            )
            self._replaced = {r[0] for r in rows}
            self._probe = _probe_sql(self.ctx, self.compiled.where)
            self._rowids = _base_rowids(self.ctx)
        return self._replaced

    def passing(self, keys: list[str]) -> set[str]:
        """The keys among ``keys`` of visible tickets that pass the filter."""
        replaced, where, params = self.replaced, self.compiled.where, self.compiled.params
        probe, base, others = self._probe, [], keys
        if probe is not None:
            base = [k for k in keys if k not in replaced and k in self._rowids]
            others = [k for k in keys if k in replaced or k not in self._rowids]
        passed: set[str] = set()
        if base and probe is not None:
            rowids = "[" + ",".join(str(self._rowids[k]) for k in base) + "]"
            passed.update(r[0] for r in self.ctx.state.query(probe, [rowids, *params]))
        if others:  # a list of literals, which SQLite pushes into the view (a parameter list it does not)
            sql = f"SELECT t.id FROM ticket AS t WHERE t.id IN ({_keys_sql(others)}) AND {where}"
            passed.update(r[0] for r in self.ctx.state.query(sql, params))
        return passed


def _precedes(a: tuple[Any, ...], b: tuple[Any, ...], order: Order) -> bool:
    """Whether ticket ``a`` sorts before ``b``, both ``(key, rowid, *values)``.

    Python orders strings by code point, as SQLite's BINARY collation orders their UTF-8 bytes.
    """
    for i, (_, desc) in enumerate(order, 2):
        if a[i] != b[i]:
            return bool(a[i] > b[i]) if desc else bool(a[i] < b[i])
    return bool(a[0] < b[0])


def _keys_sql(keys: list[str]) -> str:
    """Keys as a list of SQL literals."""
    return ", ".join(sql_literal(k) for k in keys)


def _shown(ctx: ToolContext, keys: list[str]) -> list[sqlite3.Row]:
    """The ticket view's rows of these keys, in their order (only a page of them: rows are wide)."""
    if not keys:
        return []
    rows = {
        r["id"]: r for r in ctx.state.query(f"SELECT * FROM ticket AS t WHERE t.id IN ({_keys_sql(keys)})")
    }
    return [rows[k] for k in keys]


def _ordered_page(
    ctx: ToolContext, compiled: Compiled, order: Order, page: int, among: set[str] | None = None
) -> list[sqlite3.Row] | None:
    """The page's tickets (and one more) in ``order``, found by walking the base order; None when too costly.

    Equal to ``SELECT * FROM ticket AS t WHERE <filter> ORDER BY <order>, t.id LIMIT 21 OFFSET ...``:
    base tickets are tested against the filter a chunk at a time, best first; the overlay's
    tickets (new or changed) that pass it are merged in by their own values, and the base
    tickets they replace or that were deleted are left out. None when the page is not filled
    after :data:`WALK_MIN` tickets (or :data:`WALK_DEPTH` times the page's depth): sorting the
    filter's tickets in SQL then costs less than walking on. With ``among``, the keys outside
    which the filter keeps no ticket (a text clause's hits), only those are walked, to the end
    if need be: a few hundred at most.
    """
    skip, want = (page - 1) * PAGE, PAGE + 1
    base = _base_order(ctx, order)
    budget = max(WALK_MIN, WALK_DEPTH * (skip + want))
    if among is not None:
        base, budget = [r for r in base if r[0] in among], len(base)
    elif budget >= WALK_SHARE * len(base):
        return None
    test = _Filter(ctx, compiled)
    own: list[tuple[Any, ...]] = []
    if test.replaced:
        cols = ", ".join(f'o."{col}"' for col, _ in order)
        changed = [
            (r[0], -1, *r[1:]) for r in ctx.state.query(f'SELECT o."id", {cols} FROM ov."ticket" AS o')
        ]
        kept = test.passing([r[0] for r in changed])
        for row in sorted((r for r in changed if r[0] in kept), key=lambda r: r[0]):
            at = len(own)  # insertion by the order: the overlay holds a handful of tickets
            while at > 0 and _precedes(row, own[at - 1], order):
                at -= 1
            own.insert(at, row)
    found: list[str] = []
    pos, size, probed = 0, skip + want + PAGE // 2, 0
    while len(found) < skip + want and pos < len(base):
        if probed >= budget:
            return None
        chunk = [r for r in base[pos : pos + size] if r[0] not in test.replaced]
        probed += len(chunk)
        passed = test.passing([r[0] for r in chunk]) if chunk else set()
        for row in chunk:
            if row[0] in passed:
                while own and _precedes(own[0], row, order):
                    found.append(own.pop(0)[0])
                found.append(row[0])
        pos, size = pos + size, size * 2
    found += [r[0] for r in own]
    return _shown(ctx, found[skip : skip + want])


@tool("tracker")
def search_tickets(ctx: ToolContext, jql: str = "", page: int = 1) -> str:
    """Search tickets with a JQL-like filter; plain words search the tickets' and comments' text.

    Fields: project, key, status, priority, type, resolution, assignee, reporter, creator, labels,
    components, fixVersion, parent, summary, description, comment, text, created, updated, resolved.
    Operators: = != ~ !~ > >= < <= IN, NOT IN, IS EMPTY, IS NOT EMPTY; AND, OR, NOT, parentheses;
    ORDER BY field [ASC|DESC]. Dates are ISO 8601 or relative (-7d, -2w); currentUser() is you.
    A clause is a field, an operator and a value; quote values with spaces.

    Args:
        jql: the filter (empty lists every ticket, most recently updated first). GitHub issues and
            pull requests: key repo#N, type issue or "pull request", status open, closed or merged;
            state, author and milestone mean status, reporter and fixVersion.
        page: which page of results (20 per page).
    """
    # Text clauses are first searched only as deep as the page needs, and for tickets alone (a
    # ticket's own text ranks it before any comment does); while the page could differ from what
    # the full searches give, they are run again: with the comments when the tickets ran out
    # first, else at TEXT_HITS.
    if any(t.kind == "word" and t.text.lower() == "order" for t in tokenize(jql)):
        depth, comments = TEXT_HITS, True
    else:
        depth, comments = min(TEXT_HITS, max(FIRST_HITS, page * PAGE + 1 + PAGE // 2)), False
    seen: dict[tuple[str, str, int], list[str]] = {}
    while True:
        search = _TextSearch(ctx, depth, comments, seen)
        compiled = _compile(ctx, jql, search)
        if page < 1:
            raise ToolError("page starts at 1")
        final = depth >= TEXT_HITS and comments
        if compiled.order or not compiled.text:
            if search.complete or final:
                order = tuple(compiled.order or [("updated", True)])
                among = {k for keys in search.found.values() for k in keys} if compiled.bound else None
                walked = _ordered_page(ctx, compiled, order, page, among)
                if walked is not None:
                    rows = walked
                    break
                order_sql = ", ".join(f"t.{col} {'DESC' if desc else 'ASC'}" for col, desc in order)
                rows = ctx.state.query(
                    f"SELECT * FROM ticket AS t WHERE {compiled.where} ORDER BY {order_sql}, t.id "
                    "LIMIT ? OFFSET ?",
                    [*compiled.params, PAGE + 1, (page - 1) * PAGE],
                )
                break
            depth, comments = TEXT_HITS, True
            continue
        if final or search.could_settle(page * PAGE + 1):
            rows, deepest = _by_relevance(ctx, compiled, search, page)
            if final or search.settles(deepest):
                break
        if comments or search.filled:
            depth, comments = TEXT_HITS, True
        else:
            comments = True
    more = len(rows) > PAGE
    lines = [ticket_line(ctx, r) for r in rows[:PAGE]]
    if not lines:
        return "no tickets match" if page == 1 else f"no more tickets (page {page} is past the end)"
    tail = f"; more: page={page + 1}" if more else ""
    return "\n".join([*lines, f"page {page}: {len(lines)} tickets{tail}"])


def _person_field(ctx: ToolContext, person_id: str) -> str:
    return f"{ctx.name(person_id)} ({person_id})" if person_id else "none"


@tool("tracker")
def get_ticket(ctx: ToolContext, key: str, comments_page: int = 1) -> str:
    """Show a ticket: its fields, description, links, history and comments (10 per page, oldest first).

    A GitHub issue or pull request shows its labels, milestone (as fix version) and timeline
    (cross-references, commits that referenced it, closing and merging) as its history.

    Args:
        key: the ticket's key, e.g. ABC-123; a GitHub issue or pull request as repo#123 (or #123).
        comments_page: which page of comments to show.
    """
    t = find_ticket(ctx, key)
    lines = [f"{t['id']}: {t['summary']}"]
    status = t["status"] + (f" (resolution {t['resolution']})" if t["resolution"] else "")
    lines.append(
        f"project {t['project']} · {t['type'] or 'ticket'} · status {status} · priority {t['priority'] or '-'}"
    )
    lines.append(
        f"reporter {_person_field(ctx, t['reporter'])} · assignee {_person_field(ctx, t['assignee'])}"
    )
    times = f"created {show_time(t['created'])} · updated {show_time(t['updated'])}"
    lines.append(times + (f" · resolved {show_time(t['resolved'])}" if t["resolved"] else ""))
    for label, col in (
        ("labels", "labels"),
        ("components", "components"),
        ("fix versions", "fix_versions"),
        ("affects versions", "affects_versions"),
    ):
        values = json_list(t[col])
        if values:
            lines.append(f"{label}: {', '.join(values)}")
    if t["parent"]:
        lines.append(f"parent: {t['parent']}")
    if t["description"]:
        lines += ["description:", cut(t["description"].strip(), 1500)]
    # Views are looked up one by one, never joined: a join would materialize a whole view.
    links = ctx.state.query(
        "SELECT label, other_id FROM ticket_link WHERE ticket_id = ? ORDER BY link_type, other_id", (t["id"],)
    )
    if links:
        others = {r["id"]: r for r in ctx.state.by_keys("ticket", [r["other_id"] for r in links])}
        lines.append("links:")
        for r in links:
            o = others.get(r["other_id"])
            other = f" ({clip(o['summary'], 80)}) [{o['status']}]" if o is not None else ""
            lines.append(f"  {r['label']} {r['other_id']}{other}")
    events = ctx.state.query(
        "SELECT * FROM ticket_event WHERE ticket_id = ? ORDER BY created DESC, id DESC LIMIT 11", (t["id"],)
    )
    if events:
        lines.append("history (latest 10):" if len(events) > 10 else "history:")
        for e in reversed(events[:10]):
            lines.append(
                f"  {show_time(e['created'])} {ctx.name(e['author'])}: {e['field']} "
                f"{clip(e['from_value'] or '-', 60)} -> {clip(e['to_value'] or '-', 60)}"
            )
    total = ctx.state.query("SELECT COUNT(*) FROM ticket_comment WHERE ticket_id = ?", (t["id"],))[0][0]
    if total:
        p = page_of(comments_page, COMMENTS_PAGE, total)
        rows = ctx.state.query(
            "SELECT * FROM ticket_comment WHERE ticket_id = ? ORDER BY created, id LIMIT ? OFFSET ?",
            (t["id"], COMMENTS_PAGE, p.offset),
        )
        lines.append(f"comments ({p.footer('comments').replace('next: page', 'next: comments_page')}):")
        for c in rows:
            lines.append(f"  [{show_time(c['created'])}] {ctx.name(c['author'])} (comment {c['id']}):")
            lines.append("    " + cut(c["body"].strip(), 600).replace("\n", "\n    "))
    elif comments_page != 1:
        raise ToolError("the ticket has no comments")
    return "\n".join(lines)


def _canonical(value: str, known: list[str], what: str) -> str:
    for option in known:
        if option.lower() == value.strip().lower():
            return option
    raise ToolError(f"{what} {clip(value, 40)!r} is not one of: {', '.join(known)}")


def _event(ctx: ToolContext, ticket: str, field: str, old: str, new: str) -> None:
    ctx.state.insert(
        "ticket_event",
        {
            "id": ctx.new_id("ticket_event"),
            "ticket_id": ticket,
            "field": field,
            "locator": "world",
            "author": ctx.me(),
            "created": ctx.now,
            "from_value": old,
            "to_value": new,
        },
    )


@tool("tracker", writes=True)
def create_ticket(
    ctx: ToolContext,
    project: str,
    summary: str,
    description: str = "",
    type: str = "Task",
    priority: str = "",
    assignee: str = "",
    labels: list[str] | None = None,
) -> str:
    """Create a ticket in a project, reported by you; it starts in the project's first status.

    Args:
        project: the project's key, e.g. ABC.
        summary: a one-line title.
        description: the body (Jira wiki markup is fine).
        type: the issue type, e.g. Task, Bug, Story.
        priority: the priority, one of those used in the tracker (e.g. High); empty leaves it unset.
        assignee: who to assign it to (name, handle, e-mail or id); empty leaves it unassigned.
        labels: labels to put on it.
    """
    me = ctx.me()
    workflow = ctx.facts.workflows.get(project.strip().upper())
    if workflow is None:
        raise ToolError(
            f"no project {clip(project, 20)!r}; projects: {', '.join(sorted(ctx.facts.workflows))}"
        )
    key_prefix = project.strip().upper()
    if not summary.strip():
        raise ToolError("the summary is empty")
    # Numbers already used after the cutoff (in main) are skipped too: a key is never reused.
    rows = ctx.state.query(
        "SELECT MAX(CAST(substr(id, length(?) + 2) AS INTEGER)) FROM (SELECT id FROM main.ticket "
        "WHERE project = ? UNION ALL SELECT id FROM ticket WHERE project = ?)",
        (key_prefix, key_prefix, key_prefix),
    )
    key = f"{key_prefix}-{(rows[0][0] or 0) + 1}"
    ctx.new_id("ticket")
    known = list(ctx.facts.priorities)
    chosen = _canonical(priority, known, "priority") if priority and known else priority.strip()
    ctx.state.insert(
        "ticket",
        {
            "id": key,
            "project": key_prefix,
            "summary": summary.strip(),
            "locator": "world",
            "description": description,
            "type": type.strip() or "Task",
            "status": workflow.initial,
            "priority": chosen,
            "reporter": me,
            "assignee": ctx.person(assignee, what="assignee").id if assignee else "",
            "creator": me,
            "created": ctx.now,
            "updated": ctx.now,
            "labels": to_json_list([label.strip() for label in labels or [] if label.strip()]),
        },
    )
    return f"created {key} [{workflow.initial}]: {clip(summary, 120)}"


@tool("tracker", writes=True)
def update_ticket(
    ctx: ToolContext,
    key: str,
    status: str = "",
    assignee: str = "",
    priority: str = "",
    labels: list[str] | None = None,
    resolution: str = "",
) -> str:
    """Change a ticket's status (only along its project's workflow), assignee, priority, labels or resolution.

    Args:
        key: the ticket's key, e.g. ABC-123; a GitHub issue or pull request as repo#123 (or #123).
        status: the new status; it must be a transition seen in the project's history (on GitHub:
            closed to close an issue, open to reopen it).
        assignee: the new assignee (name, handle, e-mail or id), or "none" to unassign.
        priority: the new priority, one of those used in the tracker.
        labels: the ticket's new labels (they replace the old ones; [] removes all).
        resolution: how it was resolved, one of those used in the tracker (e.g. Fixed, Duplicate).
    """
    ctx.me()
    t = find_ticket(ctx, key)
    changes: dict[str, str] = {}
    said: list[str] = []
    if status:
        workflow = ctx.facts.workflows.get(t["project"])
        allowed = list(workflow.allowed(t["status"])) if workflow else []
        if not allowed:
            raise ToolError(f"no status change from {t['status']!r} is seen in {t['project']}'s workflow")
        new = _canonical(status, allowed, f"from {t['status']!r} the status")
        changes["status"] = new
        _event(ctx, t["id"], "status", t["status"], new)
        said.append(f"status {t['status']} -> {new}")
    if assignee:
        new_id = "" if assignee.strip().lower() in ("none", "unassigned") else ctx.person(assignee).id
        if new_id != t["assignee"]:
            changes["assignee"] = new_id
            _event(
                ctx,
                t["id"],
                "assignee",
                ctx.name(t["assignee"]) if t["assignee"] else "",
                ctx.name(new_id) if new_id else "",
            )
            said.append(f"assignee {ctx.name(t['assignee'])} -> {ctx.name(new_id)}")
    if priority:
        known = list(ctx.facts.priorities)
        new = _canonical(priority, known, "priority") if known else priority.strip()
        if new != t["priority"]:
            changes["priority"] = new
            _event(ctx, t["id"], "priority", t["priority"], new)
            said.append(f"priority {t['priority'] or '-'} -> {new}")
    if labels is not None:
        new_labels = [label.strip() for label in labels if label.strip()]
        old = json_list(t["labels"])
        if new_labels != old:
            changes["labels"] = to_json_list(new_labels)
            _event(ctx, t["id"], "labels", " ".join(old), " ".join(new_labels))
            said.append(f"labels [{', '.join(old)}] -> [{', '.join(new_labels)}]")
    if resolution:
        known = list(ctx.facts.resolutions)
        new = _canonical(resolution, known, "resolution") if known else resolution.strip()
        if new != t["resolution"]:
            changes["resolution"] = new
            changes["resolved"] = ctx.now
            _event(ctx, t["id"], "resolution", t["resolution"], new)
            said.append(f"resolution {t['resolution'] or '-'} -> {new}")
    if not status and not assignee and not priority and labels is None and not resolution:
        raise ToolError("nothing to change: give status, assignee, priority, labels or resolution")
    if not changes:
        return f"{t['id']} already has those values; nothing changed"
    changes["updated"] = ctx.now
    ctx.state.update("ticket", t["id"], changes)
    return f"updated {t['id']}: " + "; ".join(said)


@tool("tracker", writes=True)
def comment_ticket(ctx: ToolContext, key: str, body: str) -> str:
    """Add a comment to a ticket (on GitHub: an issue or pull request) as yourself.

    Args:
        key: the ticket's key, e.g. ABC-123; a GitHub issue or pull request as repo#123 (or #123).
        body: the comment (Jira wiki markup is fine).
    """
    me = ctx.me()
    t = find_ticket(ctx, key)
    if not body.strip():
        raise ToolError("the comment is empty")
    comment_id = ctx.new_id("ticket_comment")
    ctx.state.insert(
        "ticket_comment",
        {
            "id": comment_id,
            "ticket_id": t["id"],
            "body": body,
            "locator": "world",
            "author": me,
            "created": ctx.now,
            "updated": ctx.now,
        },
    )
    ctx.state.update("ticket", t["id"], {"updated": ctx.now})
    return f"commented on {t['id']} (comment {comment_id})"


@tool("tracker", writes=True)
def link_tickets(ctx: ToolContext, key: str, other: str, link_type: str = "Relates") -> str:
    """Link two tickets, e.g. ABC-1 blocks ABC-2 (link_type "Blocks"); the link shows on both.

    Args:
        key: the ticket the link goes out from, e.g. ABC-1.
        other: the ticket it points to, e.g. ABC-2.
        link_type: the kind of link, as the tracker names it: Relates, Blocks, Duplicate, ...
    """
    ctx.me()
    a, b = find_ticket(ctx, key), find_ticket(ctx, other)
    if a["id"] == b["id"]:
        raise ToolError("a ticket cannot be linked to itself")
    types = ctx.facts.link_types or DEFAULT_LINK_TYPES
    kind = _canonical(link_type, sorted(types), "link type")
    outward, inward = types[kind]
    exists = ctx.state.query(
        "SELECT 1 FROM ticket_link WHERE ticket_id = ? AND other_id = ? AND link_type = ? AND direction = 'outward'",
        (a["id"], b["id"], kind),
    )
    if exists:
        return f"{a['id']} already {outward} {b['id']}; nothing changed"
    for ticket, other_id, direction, label in (
        (a["id"], b["id"], "outward", outward),
        (b["id"], a["id"], "inward", inward),
    ):
        ctx.state.insert(
            "ticket_link",
            {
                "ticket_id": ticket,
                "other_id": other_id,
                "link_type": kind,
                "direction": direction,
                "label": label,
                "locator": "world",
            },
        )
    return f"linked: {a['id']} {outward} {b['id']}"
