"""What every family's generator shares: the world as SQL, names and aliases, phrasing, drafts.

A generator reads the workspace through an observer episode with no cutoff (``g.rows``: the
episode's views, so it sees what an agent would; ``main.<table>`` for the base as stored) and
returns :class:`Draft` tasks. Validation (:mod:`workgym.tasks.validate`) runs each draft's gold
and wrong actions, derives its state checks from what the gold actions changed, and keeps it only
if the oracle scores 1.0 and the noop and plausible-wrong agents 0.0.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from workgym.tasks.model import Call, Check, Evidence, UserFact
from workgym.world import Episode, World

_UNQUOTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""What a quote in an instruction leaves out of a record's text: control characters (a terminal
runs ESC and CSI sequences) and bidi controls (an override left open reverses the rest of the
instruction). Zero-width joiners stay: emoji sequences need them."""


def before(iso: str, seconds: int = 1) -> str:
    """The ISO time ``seconds`` before ``iso``: a cutoff just before something happened."""
    return (datetime.fromisoformat(iso) - timedelta(seconds=seconds)).isoformat()


def one_line(text: str) -> str:
    """A record's text as an instruction quotes it: on one line, spaces collapsed, controls left out."""
    return " ".join(_UNQUOTABLE.sub("", " ".join(text.split())).split())


SOURCE_OF: dict[str, str] = {
    "message": "chat",
    "channel": "chat",
    "ticket": "tracker",
    "ticket_comment": "tracker",
    "ticket_link": "tracker",
    "document": "docs",
    "email": "mail",
    "calendar_event": "calendar",
    "commit": "code",
    "person": "directory",
}
"""The app each record kind lives in: what a task's "sources" counts (the directory aside)."""

OPEN_STATUSES = (
    "Open",
    "In Progress",
    "Reopened",
    "In Review",
    "To Do",
    "Todo",
    "Backlog",
    "Blocked",
    "Triage",
)
"""Statuses that count as open work when a family asks about open tickets."""

_TICKET_KEY = re.compile(r"\b[A-Z][A-Z0-9_]+-[0-9]+\b")
_WORD4 = re.compile(r"[A-Za-z]{4,}")
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
"""SQLite's ``lower()`` without ICU: ASCII letters only."""

_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "that",
        "this",
        "into",
        "when",
        "than",
        "then",
        "have",
        "has",
        "not",
        "are",
        "was",
        "were",
        "will",
        "can",
        "cant",
        "does",
        "dont",
        "after",
        "before",
        "should",
        "would",
        "could",
        "about",
        "over",
        "under",
        "your",
        "their",
        "there",
        "what",
        "which",
        "while",
        "only",
        "also",
        "more",
        "most",
        "some",
        "such",
        "very",
        "just",
        "like",
        "make",
        "made",
        "need",
        "needs",
        "using",
        "used",
        "use",
        "onto",
        "off",
        "out",
        "all",
        "any",
        "but",
        "its",
        "it's",
        "per",
        "via",
    ]
)


@dataclass
class Draft:
    """A task before validation: what it asks, how it is done, what it is checked by.

    ``checks`` holds the checks the family knows (answers, references, fields it requires);
    validation adds the state checks the gold actions imply and the footprint.
    """

    family: str
    instruction: str
    gold: list[Call]
    wrong: list[Call]
    checks: list[Check]
    evidence: list[Evidence]
    entity: str
    cutoff: str | None = None
    persona: str | None = None
    hops: int = 1
    distractors: int = 1
    user: list[UserFact] = field(default_factory=list)
    derive_changes: bool = True
    policy: str = ""


class Gen:
    """The generators' view of a world: rows, people, phrasing, a seeded random source."""

    def __init__(self, world: World, seed: int, level: Mapping[str, int] | None = None) -> None:
        self.world = world
        self.facts = world.facts
        self.level: Mapping[str, int] = dict(level or {})
        """The difficulty asked for (``min_actions``, ``hops``, ``apps``, ``distractors``; 0 or absent: any)."""
        self.rng = random.Random(seed)
        self.ep: Episode = world.episode()
        self._titles: dict[str, str | None] | None = None
        self._tickets: list[sqlite3.Row] | None = None  # the observer's ticket view, in its scan order
        self._lowered: list[str] = []  # their summaries as SQLite's lower() gives them (ASCII only)
        self._containing: dict[str, list[int]] = {}  # a word: the tickets whose lowered summary has it
        self._summary_words: dict[int, frozenset[str]] = {}  # a ticket: its summary's words, lowered

    def close(self) -> None:
        """Release the observer episode."""
        self.ep.close()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a query over the workspace as an observer with no cutoff sees it."""
        return self.ep.state.query(sql, params)

    def sample(self, items: Sequence[Any], n: int) -> list[Any]:
        """Up to ``n`` of ``items``, in a seeded random order."""
        items = list(items)
        self.rng.shuffle(items)
        return items[:n]

    def pick(self, *variants: str) -> str:
        """One of several phrasings."""
        return self.rng.choice(variants)

    # -- people ------------------------------------------------------------------------------

    def name(self, person_id: str) -> str:
        """A person's display name, its spacing tidied (a directory may keep "Name " as typed)."""
        return " ".join(self.facts.name(person_id).split())

    def is_person(self, person_id: str) -> bool:
        """Whether the id names a real person with a usable name (not a bot, not blank)."""
        info = self.facts.people.get(person_id)
        return bool(info and info.name and not info.is_bot and len(info.name) >= 4)

    def answer_person(self, person_id: str) -> Check:
        """The check that the answer names this person (by any alias) and nobody else."""
        info = self.facts.people[person_id]
        aliases = sorted(
            {a for a in (info.name, *info.names, *info.emails, *info.handles, info.id) if len(a) >= 3}
        )
        return Check(kind="answer", match="entity", expected=person_id, aliases=tuple(aliases))

    # -- text --------------------------------------------------------------------------------

    @staticmethod
    def quote(text: str, width: int = 90) -> str:
        """A title as people quote it: one line, clipped at a word, in quotes."""
        line = one_line(text)
        if len(line) > width:
            line = line[:width].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
        return f"“{line}”"

    @staticmethod
    def words(text: str, n: int = 4) -> str:
        """The most telling words of a text, for a search: longer ones first, in text order."""
        # Words in any script: an ASCII-only pattern cuts "Ångström" into "ngstr" and quotes what nobody wrote.
        found = [w for w in re.findall(r"[^\W\d_]\w{3,}", text) if w.lower() not in _STOP]
        seen: list[str] = []
        for w in found:
            if w.lower() not in (s.lower() for s in seen):
                seen.append(w)
        keep = set(sorted(seen, key=lambda w: (-len(w), w))[:n])
        return " ".join(w for w in seen if w in keep)

    @staticmethod
    def month(iso: str) -> tuple[str, str, str]:
        """(``"March 2024"``, first day, first day of the next month) of a time."""
        names = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ]
        year, mon = int(iso[:4]), int(iso[5:7])
        nxt = (year + (mon == 12), mon % 12 + 1)
        return f"{names[mon - 1]} {year}", f"{year:04d}-{mon:02d}-01", f"{nxt[0]:04d}-{nxt[1]:02d}-01"

    def title(self, ticket: sqlite3.Row | Mapping[str, Any]) -> str | None:
        """How people name a ticket: its quoted summary, with project and filing date when needed.

        The qualifiers tell it from tickets of the same summary; None when even they do not.
        """
        if self._titles is None:
            rows = self.rows("SELECT id, summary, project, substr(created, 1, 10) AS day FROM main.ticket")
            counts: Counter[tuple[str, ...]] = Counter()
            for r in rows:
                s = " ".join(r["summary"].split()).lower()
                counts.update([(s,), (s, r["project"]), (s, r["project"], r["day"])])
            self._titles = {}
            for r in rows:
                s = " ".join(r["summary"].split()).lower()
                if not s:
                    self._titles[r["id"]] = None
                elif counts[(s,)] == 1:
                    self._titles[r["id"]] = self.quote(r["summary"])
                elif counts[(s, r["project"])] == 1:
                    self._titles[r["id"]] = f"{self.quote(r['summary'])} in {r['project']}"
                elif counts[(s, r["project"], r["day"])] == 1:
                    self._titles[r["id"]] = f"{self.quote(r['summary'])} in {r['project']}, filed {r['day']}"
                else:
                    self._titles[r["id"]] = None
        return self._titles.get(str(ticket["id"]))

    def commit(self, sha: str) -> tuple[str, list[Call]] | None:
        """How people name a commit, and the gold calls that find and read it.

        By its subject line, quoted, when that says what the change does and names no ticket (a
        key would give a chain's next hop away); else by its short sha, as people
        paste it, with its date. None when the commit is not visible.
        """
        row = self.rows('SELECT message, author, committed FROM "commit" WHERE id = ?', (sha,))
        if not row:
            return None
        head = " ".join(row[0]["message"].split("\n", 1)[0].split())
        read = Call("get_commit", {"sha": sha})
        descriptive = (
            len(head.split()) >= 3 and len(head) >= 15 and not head.lower().startswith(("merge ", "wip"))
        )
        if descriptive and not _TICKET_KEY.search(head) and len(head) <= 120:
            return f"the commit {self.quote(head)}", [
                Call("search_commits", {"query": self.words(head)}),
                read,
            ]
        return f"commit {sha[:10]} ({row[0]['committed'][:10]})", [read]

    def unique(self, table: str, column: str, value: str) -> bool:
        """Whether exactly one visible row of ``table`` has this ``column`` value."""
        row = self.rows(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = ?', (value,))
        return int(row[0][0]) == 1

    def open_tickets_by_assignee(self, most: int) -> list[sqlite3.Row]:
        """(project, assignee, keys, n) for everyone with 1 to ``most`` open tickets in a project."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        return self.rows(
            f"SELECT project, assignee, group_concat(id, ' ') AS keys, COUNT(*) AS n FROM ticket "
            f"WHERE assignee != '' AND status IN ({marks}) GROUP BY 1, 2 HAVING n BETWEEN 1 AND ? ORDER BY 1, 2",
            (*OPEN_STATUSES, most),
        )

    def decoy_ticket(self, ticket: sqlite3.Row, role: str) -> sqlite3.Row | None:
        """The most similar other ticket whose ``role`` (assignee, reporter) is another real person."""
        person = ticket[role]
        similar = self.similar_tickets(ticket["id"], ticket["summary"])
        return next((d for d in similar if self.is_person(d[role]) and d[role] != person), None)

    def similar_tickets(self, ticket_id: str, summary: str, n: int = 5) -> list[sqlite3.Row]:
        """Other tickets whose summaries share words with this one, most alike first (distractors)."""
        # What ``SELECT * FROM ticket WHERE id != ? AND (lower(summary) LIKE '%w%' OR ...) LIMIT 400``
        # returns, most alike first, without a scan per call: the view is read once (the observer
        # never writes), each word's matches once, and each summary's words once.
        mine = {w.lower() for w in _WORD4.findall(summary)} - _STOP
        if not mine:
            return []
        if self._tickets is None:
            self._tickets = self.rows("SELECT * FROM ticket")
            self._lowered = [(r["summary"] or "").translate(_ASCII_LOWER) for r in self._tickets]
        tickets = self._tickets
        hits: set[int] = set()
        for w in mine:
            if w not in self._containing:
                self._containing[w] = [i for i, s in enumerate(self._lowered) if w in s]
            hits.update(self._containing[w])
        found = [i for i in sorted(hits) if tickets[i]["id"] != ticket_id][:400]

        def words(i: int) -> frozenset[str]:
            if i not in self._summary_words:
                self._summary_words[i] = frozenset(w.lower() for w in _WORD4.findall(tickets[i]["summary"]))
            return self._summary_words[i]

        scored = sorted(found, key=lambda i: (-len(mine & words(i)), tickets[i]["id"]))
        return [tickets[i] for i in scored[:n]]


def evidence(kind: str, record_id: str, why: str) -> Evidence:
    """One record of a task's evidence chain."""
    return Evidence(kind, record_id, why)


def submit(text: str) -> Call:
    """The gold action that ends a question."""
    return Call("submit_answer", {"text": text})


__all__ = ["OPEN_STATUSES", "SOURCE_OF", "Draft", "Gen", "evidence", "submit"]
