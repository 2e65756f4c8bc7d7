"""What a world reads once from its workspace and every episode shares: people, workflows, channels.

All of it is small (one row per person, project, channel or link type) and never changes while
the world is open, so tools look it up in memory instead of querying per call.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PersonInfo:
    """A person of the directory, as tools show and look them up."""

    id: str
    name: str
    emails: tuple[str, ...]
    handles: tuple[str, ...]
    names: tuple[str, ...]
    title: str
    timezone: str
    is_bot: bool
    deleted: bool

    def aliases(self) -> tuple[str, ...]:
        """Every string naming this person, lower-cased: id, names, addresses, handles."""
        return tuple(k.lower() for k in (self.id, self.name, *self.names, *self.emails, *self.handles) if k)


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel's access facts: its kind, members and creation time."""

    id: str
    name: str
    kind: str
    members: frozenset[str]
    created: str


@dataclass(frozen=True, slots=True)
class Workflow:
    """A project's ticket workflow as observed in its status history.

    Attributes:
        transitions: status -> statuses a ticket moved to from it (sorted).
        statuses: every status seen in the project (tickets and history).
        initial: the status new tickets start in.
        observed: False when the project has no status history; then any seen status is allowed.
    """

    transitions: dict[str, tuple[str, ...]]
    statuses: tuple[str, ...]
    initial: str
    observed: bool

    def allowed(self, current: str) -> tuple[str, ...]:
        """The statuses a ticket in ``current`` may move to."""
        if not self.observed:
            return tuple(s for s in self.statuses if s != current)
        return self.transitions.get(current, ())


PRIVATE_KINDS = frozenset({"private", "dm", "mpim"})
"""Channel kinds only their members may read."""

_TIMED = (
    ("message", "ts"),
    ("ticket", "created"),
    ("ticket", "updated"),
    ("ticket_comment", "created"),
    ("email", "date"),
    ("commit", "committed"),
    ("document", "created"),
)
"""Columns whose times bound a workspace's history (calendar events may lie in its future)."""


def _time_bound(conn: sqlite3.Connection, agg: str) -> str:
    parts = [f'SELECT {agg}(NULLIF("{col}", \'\')) AS t FROM main."{table}"' for table, col in _TIMED]
    row = conn.execute(f"SELECT {agg}(t) FROM ({' UNION ALL '.join(parts)})").fetchone()
    return str(row[0] or "")


def _json_tuple(text: str | None) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(text)) if text else ()


@dataclass(frozen=True, slots=True)
class Facts:
    """The shared, read-once facts of a workspace."""

    people: dict[str, PersonInfo]
    channels: dict[str, ChannelInfo]
    workflows: dict[str, Workflow]
    link_types: dict[str, tuple[str, str]]
    priorities: tuple[str, ...]
    resolutions: tuple[str, ...]
    latest: str
    earliest: str
    _index: list[tuple[PersonInfo, tuple[str, ...], str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._index.extend((p, p.aliases(), "\n".join(p.aliases())) for p in self.people.values())

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Facts:
        """Read the facts from a workspace connection (its ``main`` tables)."""
        people = {
            r[0]: PersonInfo(
                r[0],
                r[1],
                _json_tuple(r[2]),
                _json_tuple(r[3]),
                _json_tuple(r[4]),
                r[5],
                r[6],
                bool(r[7]),
                bool(r[8]),
            )
            for r in conn.execute(
                "SELECT id, name, emails, handles, names, title, timezone, is_bot, deleted FROM main.person "
                "ORDER BY id"
            )
        }
        channels = {
            r[0]: ChannelInfo(r[0], r[1], r[2], frozenset(_json_tuple(r[3])), r[4])
            for r in conn.execute("SELECT id, name, kind, members, created FROM main.channel ORDER BY id")
        }
        link_types: dict[str, tuple[str, str]] = {}
        labels: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for link_type, direction, label in conn.execute(
            "SELECT link_type, direction, label FROM main.ticket_link"
        ):
            labels[(link_type, direction)][label] += 1
        for link_type in sorted({t for t, _ in labels}):
            out = labels.get((link_type, "outward"), Counter()).most_common(1)
            inw = labels.get((link_type, "inward"), Counter()).most_common(1)
            link_types[link_type] = (
                out[0][0] if out else link_type.lower(),
                inw[0][0] if inw else link_type.lower(),
            )
        priorities = tuple(
            r[0]
            for r in conn.execute("SELECT DISTINCT priority FROM main.ticket WHERE priority != '' ORDER BY 1")
        )
        resolutions = tuple(
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT resolution FROM main.ticket WHERE resolution != '' ORDER BY 1"
            )
        )
        return cls(
            people,
            channels,
            _workflows(conn),
            link_types,
            priorities,
            resolutions,
            _time_bound(conn, "MAX"),
            _time_bound(conn, "MIN"),
        )

    def hidden_channels(self, persona: str | None) -> frozenset[str]:
        """Channels ``persona`` may not read (none for an observer with no persona)."""
        if persona is None:
            return frozenset()
        return frozenset(
            c.id for c in self.channels.values() if c.kind in PRIVATE_KINDS and persona not in c.members
        )

    def name(self, person_id: str) -> str:
        """A person's display name (the id itself when unknown, "nobody" when empty)."""
        if not person_id:
            return "nobody"
        info = self.people.get(person_id)
        return info.name or person_id if info else person_id

    def find_people(self, text: str) -> list[PersonInfo]:
        """People matching a fragment of any name, address, handle or id; best matches first.

        Exact matches come first, then matches at the start of a word, then anywhere.
        """
        needle = text.strip().lstrip("@").lower()
        if not needle:
            return []
        scored: list[tuple[int, str, str, PersonInfo]] = []
        for info, keys, haystack in self._index:
            if needle not in haystack:
                continue
            best = 3
            for key in keys:
                if key == needle:
                    best = 0
                    break
                if key.startswith(needle) or f" {needle}" in key or f".{needle}" in key:
                    best = min(best, 1)
                elif needle in key:
                    best = min(best, 2)
            if best < 3:
                scored.append((best, info.name.lower(), info.id, info))
        scored.sort(key=lambda s: s[:3])
        return [s[3] for s in scored]


def _workflows(conn: sqlite3.Connection) -> dict[str, Workflow]:
    transitions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    statuses: dict[str, set[str]] = defaultdict(set)
    first_from: dict[str, Counter[str]] = defaultdict(Counter)
    seen_ticket: set[str] = set()
    for project, ticket_id, old, new in conn.execute(
        "SELECT t.project, e.ticket_id, e.from_value, e.to_value FROM main.ticket_event e "
        "JOIN main.ticket t ON t.id = e.ticket_id WHERE lower(e.field) = 'status' "
        "ORDER BY e.ticket_id, e.created, e.id"
    ):
        if old and new and old != new:
            transitions[project][old].add(new)
        statuses[project].update(s for s in (old, new) if s)
        if ticket_id not in seen_ticket and old:
            seen_ticket.add(ticket_id)
            first_from[project][old] += 1
    current: dict[str, Counter[str]] = defaultdict(Counter)
    for project, status, n in conn.execute(
        "SELECT project, status, COUNT(*) FROM main.ticket WHERE status != '' GROUP BY project, status"
    ):
        current[project][status] += n
        statuses[project].add(status)
    out: dict[str, Workflow] = {}
    for project in sorted(statuses):
        observed = bool(transitions.get(project))
        if first_from[project]:
            initial = first_from[project].most_common(1)[0][0]
        elif "Open" in statuses[project]:
            initial = "Open"
        else:
            initial = current[project].most_common(1)[0][0] if current[project] else "Open"
        out[project] = Workflow(
            {k: tuple(sorted(v)) for k, v in sorted(transitions.get(project, {}).items())},
            tuple(sorted(statuses[project])),
            initial,
            observed,
        )
    return out
