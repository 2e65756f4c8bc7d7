"""Helpers the app modules share: full-text search with an any-word fallback, time ranges, footers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from workgym.world.context import ToolContext
from workgym.world.fts import match_expression
from workgym.world.schema import ToolError
from workgym.world.text import when


@dataclass(frozen=True, slots=True)
class Hits:
    """One page of search results: keys best first, whether more follow, and a note for the reader."""

    keys: list[str]
    more: bool
    note: str = ""


def full_text(
    ctx: ToolContext,
    table: str,
    query: str,
    where: str = "1",
    params: Sequence[Any] = (),
    *,
    page: int,
    size: int,
) -> Hits:
    """Search ``table`` for every word of ``query``; when nothing has them all, for any of them.

    Raises:
        ToolError: the query holds no word, or the page number is below 1.
    """
    if page < 1:
        raise ToolError("page starts at 1")
    expr = match_expression(query)
    if expr is None:
        raise ToolError("the query has no words to search for")
    offset = (page - 1) * size
    found = ctx.state.search(table, expr, where, params, limit=size + 1, offset=offset)
    notes: list[str] = []
    if not found.keys and page == 1:
        loose = match_expression(query, any_word=True)
        if loose is not None and loose != expr:
            found = ctx.state.search(table, loose, where, params, limit=size + 1, offset=offset)
            if found.keys:
                notes.append("nothing has every word; these have some of them")
    if not found.ranked:
        notes.append("too many matches to rank; add words to narrow")
    note = f"({'; '.join(notes)})" if notes else ""
    return Hits(found.keys[:size], len(found.keys) > size, note)


@dataclass(slots=True)
class Where:
    """SQL conditions built up with their parameters; columns written as ``{t}.col``."""

    conds: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, cond: str, *params: Any) -> None:
        """Add a condition."""
        self.conds.append(cond)
        self.params.extend(params)

    def between(self, column: str, after: str, before: str) -> None:
        """Keep rows whose ``column`` lies in [after, before] (each optional; a bare date is a whole day)."""
        if after:
            self.add(f"{{t}}.{column} >= ?", when(after, name="after"))
        if before:
            self.add(f"{{t}}.{column} <= ?", when(before, end=True, name="before"))

    def sql(self, alias: str | None = None) -> str:
        """The conditions ANDed; with ``alias`` the ``{t}`` placeholders are filled in."""
        text = " AND ".join(self.conds) or "1"
        return text if alias is None else text.format(t=alias)


def more_footer(page: int, shown: int, more: bool, noun: str) -> str:
    """A footer for a list whose total is not counted: what is shown and how to see more."""
    if shown == 0:
        return f"no {noun}" if page == 1 else f"no more {noun} (page {page} is past the end)"
    tail = f"; more: page={page + 1}" if more else ""
    return f"page {page}: {shown} {noun}{tail}"
