"""A small JQL: the ticket filter language people already type into Jira, compiled to SQL.

Supported::

    project = ENG AND status in ("In Progress", "In Review") AND assignee = currentUser()
    text ~ "login timeout" AND created >= 2024-03-01 AND updated >= -7d ORDER BY updated DESC
    reporter = nora OR (labels = flaky AND priority != Low)
    assignee is EMPTY

Fields: project, key, status, priority, type, resolution, assignee, reporter, creator, labels,
components, fixVersion, parent, summary, description, comment, text, created, updated, resolved.
Operators: ``= != ~ !~ > >= < <= in, not in, is [not] empty``; ``AND``, ``OR``, ``NOT`` and
parentheses. Dates are ISO 8601 or relative to the episode's time (``-7d``, ``-2w``, ``-3h``).
Text (``~`` on text, summary, description, comment) uses the full-text index; ``~`` elsewhere
is a substring match. People are matched like :func:`~workgym.world.facts.Facts.find_people`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from workgym.world.schema import ToolError
from workgym.world.text import clip, iso, like, parse_iso, when

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>!=|>=|<=|!~|=|~|>|<|\(|\)|,)
    | (?P<word>[^\s=!~<>(),"']+(?:\(\))?)
    )""",
    re.VERBOSE,
)

PLAIN = {
    "project": "project",
    "status": "status",
    "priority": "priority",
    "type": "type",
    "issuetype": "type",
    "resolution": "resolution",
    "parent": "parent",
    "key": "id",
    "id": "id",
    "issue": "id",
    "issuekey": "id",
    "state": "status",  # GitHub's words for the same fields
    "repo": "project",
    "repository": "project",
}
PEOPLE = {"assignee": "assignee", "reporter": "reporter", "creator": "creator", "author": "reporter"}
LISTS = {
    "labels": "labels",
    "label": "labels",
    "component": "components",
    "components": "components",
    "fixversion": "fix_versions",
    "fixversions": "fix_versions",
    "affectedversion": "affects_versions",
    "milestone": "fix_versions",
}
TEXTS = {
    "summary": "summary",
    "description": "description",
    "environment": "environment",
    "title": "summary",
    "body": "description",
}
DATES = {
    "created": "created",
    "updated": "updated",
    "resolved": "resolved",
    "resolutiondate": "resolved",
    "closed": "resolved",
}
FULL_TEXT = {"text", "comment"}
ORDERABLE = {**{k: v for k, v in PLAIN.items()}, **DATES, "summary": "summary", "assignee": "assignee"}

MAX_DEPTH = 32
"""Deepest nesting of parentheses and NOTs a query may have (people nest a handful)."""

MAX_CLAUSES = 200
"""Most comparisons a query may make, each value of an ``in (...)`` list counting as one.

Both limits keep a hostile query from exhausting Python's stack or SQLite's expression depth
(1,000): past them the query is refused with a message, not crashed on.
"""


@dataclass(frozen=True, slots=True)
class Token:
    """A token: its kind (str, op, word) and text (quotes removed for strings)."""

    kind: str
    text: str


def tokenize(query: str) -> list[Token]:
    """Split a query into tokens.

    Raises:
        ToolError: a character that starts no token (an unclosed quote).
    """
    tokens: list[Token] = []
    pos = 0
    query = query.rstrip()
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            raise ToolError(f"cannot read the query at {clip(query[pos:], 30)!r} (an unclosed quote?)")
        if m.group("str") is not None:
            raw = m.group("str")[1:-1]
            tokens.append(Token("str", re.sub(r"\\(.)", r"\1", raw)))
        elif m.group("op") is not None:
            tokens.append(Token("op", m.group("op")))
        else:
            tokens.append(Token("word", m.group("word")))
        pos = m.end()
    return tokens


@dataclass(slots=True)
class Compiled:
    """A query as SQL over the ``ticket`` view (alias ``t``), with its ordering and text terms."""

    where: str
    params: list[Any]
    order: list[tuple[str, bool]]  # (column, descending)
    text: list[str] = field(default_factory=list)  # full-text queries, for relevance order
    bound: bool = False  # the filter keeps only tickets its text or comment clauses found


@dataclass(slots=True)
class _Parser:
    """A recursive-descent parser; resolvers turn people and text into SQL values."""

    tokens: list[Token]
    now: str
    people: Callable[[str], list[str]]
    text_ids: Callable[[str, bool], list[str]]
    persona: str | None
    pos: int = 0
    params: list[Any] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    depth: int = 0
    clauses: int = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def is_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.lower() in words

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise ToolError("the query ends too early")
        self.pos += 1
        return tok

    def expect_op(self, op: str) -> None:
        tok = self.take()
        if tok.kind != "op" or tok.text != op:
            raise ToolError(f"expected {op!r} but found {tok.text!r}")

    def parse(self) -> Compiled:
        where, bound = "1", False
        if self.peek() is not None and not self.is_word("order"):
            where, bound = self.expr()
        order: list[tuple[str, bool]] = []
        if self.is_word("order"):
            self.take()
            if not self.is_word("by"):
                raise ToolError("expected BY after ORDER")
            self.take()
            while True:
                name = self.take().text.lower()
                if name not in ORDERABLE:
                    raise ToolError(f"cannot order by {name!r}; use one of {sorted(set(ORDERABLE))}")
                desc = False
                if self.is_word("asc", "desc"):
                    desc = self.take().text.lower() == "desc"
                order.append((ORDERABLE[name], desc))
                tok = self.peek()
                if tok is None or tok.text != ",":
                    break
                self.take()
        if self.peek() is not None:
            raise ToolError(f"unexpected {self.peek().text!r} (join conditions with AND or OR)")  # type: ignore[union-attr]
        return Compiled(where, self.params, order, self.text, bound)

    # Each part of the filter comes with whether it keeps only tickets its text clauses found.

    def expr(self) -> tuple[str, bool]:
        parts = [self.term()]
        while self.is_word("or"):
            self.take()
            parts.append(self.term())
        bound = all(b for _, b in parts)
        return (parts[0][0] if len(parts) == 1 else "(" + " OR ".join(p for p, _ in parts) + ")"), bound

    def term(self) -> tuple[str, bool]:
        parts = [self.factor()]
        while self.is_word("and"):
            self.take()
            parts.append(self.factor())
        bound = any(b for _, b in parts)
        return (parts[0][0] if len(parts) == 1 else "(" + " AND ".join(p for p, _ in parts) + ")"), bound

    def factor(self) -> tuple[str, bool]:
        if self.is_word("not"):
            self.take()
            with self.nested():
                return f"NOT ({self.factor()[0]})", False
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.text == "(":
            self.take()
            with self.nested():
                inner = self.expr()
            self.expect_op(")")
            return inner
        return self.clause()

    @contextmanager
    def nested(self) -> Iterator[None]:
        """One level deeper into parentheses or NOT; refused past :data:`MAX_DEPTH`."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ToolError(
                f"the query nests more than {MAX_DEPTH} levels of parentheses or NOT; simplify it"
            )
        try:
            yield
        finally:
            self.depth -= 1

    def values(self) -> list[str]:
        self.expect_op("(")
        out: list[str] = []
        while True:
            tok = self.take()
            if tok.kind == "op":
                raise ToolError(f"expected a value in the list, found {tok.text!r}")
            out.append(tok.text)
            sep = self.take()
            if sep.text == ")":
                return out
            if sep.text != ",":
                raise ToolError(f"expected ',' or ')' in the list, found {sep.text!r}")

    def clause(self) -> tuple[str, bool]:
        name_tok = self.take()
        name = name_tok.text.lower()
        known = {*PLAIN, *PEOPLE, *LISTS, *TEXTS, *DATES, *FULL_TEXT}
        if name_tok.kind != "word" or name not in known:
            raise ToolError(f"unknown field {name_tok.text!r}; fields: {', '.join(sorted(known))}")
        if self.is_word("is"):
            self.take()
            negate = False
            if self.is_word("not"):
                self.take()
                negate = True
            if not self.is_word("empty", "null"):
                raise ToolError("expected EMPTY after IS")
            self.take()
            return self.empty(name, negate), False
        if self.is_word("in", "not"):
            negate = self.take().text.lower() == "not"
            if negate:
                if not self.is_word("in"):
                    raise ToolError("expected IN after NOT")
                self.take()
            values = self.values()
            parts = [self.compare(name, "=", v) for v in values]
            joined = "(" + " OR ".join(parts) + ")"
            return (f"NOT {joined}", False) if negate else (joined, name in FULL_TEXT)
        op = self.take()
        if op.kind != "op" or op.text not in ("=", "!=", "~", "!~", ">", ">=", "<", "<="):
            raise ToolError(f"expected an operator after {name!r}, found {op.text!r}")
        value = self.take()
        if value.kind == "op":
            raise ToolError(f"expected a value after {name} {op.text}, found {value.text!r}")
        if value.kind == "word" and value.text.lower() in ("empty", "null") and op.text in ("=", "!="):
            return self.empty(name, op.text == "!="), False
        return self.compare(name, op.text, value.text), name in FULL_TEXT and op.text in ("=", "~")

    def empty(self, name: str, negate: bool) -> str:
        col = {**PLAIN, **PEOPLE, **TEXTS, **DATES}.get(name) or LISTS.get(name)
        if col is None:
            raise ToolError(f"{name} cannot be EMPTY")
        test = f"t.{col} IN ('', '[]')"
        return f"NOT {test}" if negate else test

    def compare(self, name: str, op: str, value: str) -> str:
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise ToolError(
                f"the query makes more than {MAX_CLAUSES} comparisons; split it or use fewer values"
            )
        negate = op in ("!=", "!~")
        base = {"!=": "=", "!~": "~"}.get(op, op)
        sql = self._compare(name, base, value)
        return f"NOT {sql}" if negate else sql

    def _compare(self, name: str, op: str, value: str) -> str:
        if name in DATES:
            if op not in (">", ">=", "<", "<=", "="):
                raise ToolError(f"compare {name} with =, >, >=, < or <=")
            moment = self.date(value, end=op in (">", "<="))
            col = f"t.{DATES[name]}"
            if op == "=":
                self.params += [self.date(value), self.date(value, end=True)]
                return f"({col} != '' AND {col} BETWEEN ? AND ?)"
            self.params.append(moment)
            return f"({col} != '' AND {col} {op} ?)"
        if op in (">", ">=", "<", "<="):
            raise ToolError(f"{name} is not a date; use =, !=, ~ or IN")
        if name in FULL_TEXT:
            if name == "text":
                self.text.append(value)
            # A list of literals, not json_each(?): SQLite pushes it into the ticket view and looks
            # the keys up; a subquery it cannot push, and every ticket's as-of columns get computed.
            keys = ", ".join(
                "'" + key.replace("'", "''") + "'" for key in self.text_ids(value, name == "text")
            )
            return f"t.id IN ({keys})"
        if name in TEXTS:
            self.params.append(like(value))
            return f"t.{TEXTS[name]} LIKE ? ESCAPE '\\'"
        if name in PEOPLE:
            if value.lower() in ("currentuser()", "me"):
                if self.persona is None:
                    raise ToolError("currentUser() needs an episode with a persona")
                ids = [self.persona]
            else:
                ids = self.people(value)
                if not ids:
                    raise ToolError(f"no person matches {value!r}; try find_person")
            self.params.append(json.dumps(ids))
            return f"t.{PEOPLE[name]} IN (SELECT value FROM json_each(?))"
        if name in LISTS:
            cmp = "LIKE ? ESCAPE '\\'" if op == "~" else "= ? COLLATE NOCASE"
            self.params.append(like(value) if op == "~" else value)
            return f"EXISTS (SELECT 1 FROM json_each(t.{LISTS[name]}) WHERE value {cmp})"
        col = PLAIN[name]
        if op == "~":
            self.params.append(like(value))
            return f"t.{col} LIKE ? ESCAPE '\\'"
        self.params.append(value)
        return f"t.{col} = ? COLLATE NOCASE"

    def date(self, value: str, *, end: bool = False) -> str:
        rel = re.fullmatch(r"([-+]?)(\d+)([mhdw])", value.strip().lower())
        if rel:
            sign = -1 if rel.group(1) == "-" else 1
            unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[rel.group(3)]
            try:
                delta = timedelta(**{unit: sign * int(rel.group(2))})
                return iso(parse_iso(self.now) + delta)
            except (OverflowError, ValueError):  # -99999999999d: before year 1 (or past 9999)
                raise ToolError(
                    f"the relative date {clip(value, 30)!r} reaches outside the years 0001-9999"
                ) from None
        return when(value, end=end, name="date")


def compile_jql(
    query: str,
    *,
    now: str,
    persona: str | None,
    people: Callable[[str], list[str]],
    text_ids: Callable[[str, bool], list[str]],
) -> Compiled:
    """Compile a query to SQL over the ``ticket`` view.

    ``people`` maps a name to person ids; ``text_ids(query, with_tickets)`` gives the ids of
    tickets whose text (or only comments, when ``with_tickets`` is false) matches. A query with no operator at all is taken as words to search for (``text ~ "..."``).

    Raises:
        ToolError: the query cannot be read; the message says where.
    """
    tokens = tokenize(query)
    if (
        tokens
        and not any(t.kind == "op" for t in tokens)
        and not any(t.kind == "word" and t.text.lower() in ("order", "is") for t in tokens)
    ):
        tokens = [Token("word", "text"), Token("op", "~"), Token("str", query)]
    parser = _Parser(tokens, now, people, text_ids, persona)
    return parser.parse()
