"""Rewrite text and records: every span replaced by its surrogate, every table by its own plan.

A text is rewritten in one pass: the candidates of every layer (user config, the directory and
learned values, validated patterns, the name detector on prose) are resolved by the one overlap
rule of :mod:`workgym.anonymize.spans`, then each kept span is replaced by its surrogate. Prose
fields (message text, ticket descriptions, mail bodies) get every layer; structural fields (ids,
paths, locators, names, labels) get every layer but the name detector, so a path or id is rewritten
the same way wherever it is written. Dates written in ISO form (in a file name too:
``list_2019-04-15.mbox``), as an archive's month (``2015-June``), Slack timestamps and the times
inside Slack permalinks (``/archives/C…/p<16 digits>``) are moved by the date offset.

Ids are rewritten by one function each, wherever they are written: a Message-ID in the ``email``
columns, in a quoted header line (``In-Reply-To: <…>``) and in an archive link
(``https://lore.kernel.org/r/<id>``) becomes the same keyed id (:meth:`Rewriter.mail_id`; its local
part, which often holds the sending time, is a keyed hash, and a host without a dot, the sender's
machine, is reshaped); a Slack message id and the permalink to it move by the same offset.

:data:`PLANS` says, for every column of every table, how it is rewritten; a column of the
workspace that no plan names is an error before anything is read (:func:`check_plans`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import zoneinfo
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workgym.anonymize.config import AnonConfig
from workgym.anonymize.dates import (
    DATE_IN_WORDS,
    DATE_NUMERIC,
    DATE_WITH_SLASHES,
    MONTHS,
    date_of,
    move,
    move_numeric,
    numeric_dates,
)
from workgym.anonymize.detect import CandidateCache, Layer, TextDetector
from workgym.anonymize.directory import (
    LOCAL_SUFFIXES,
    SYSTEM_SUBTYPES,
    Directory,
    Entry,
    Matcher,
    is_field_label,
    is_public_domain,
    registrable,
)
from workgym.anonymize.keys import Keyed
from workgym.anonymize.spans import Span, resolve
from workgym.anonymize.surrogates import Surrogates

PROSE, STRUCT, TIME, KEEP, LIST, TICKET, MAIL_ID, MAIL_IDS, EVENT_ID, MESSAGE_ID = (
    "prose",
    "struct",
    "time",
    "keep",
    "list",
    "ticket",
    "mail_id",
    "mail_ids",
    "event_id",
    "message_id",
)
HANDLE, REACTIONS, TIMEZONE, RECORD_ID = "handle", "reactions", "timezone", "record_id"
IDENTITY_KEY, PERSON_KEY, NAME, NAMES, HANDLES, EMAILS, PHONES, SOURCE_PATH, HASH, RRULE = (
    "identity_key",
    "person_key",
    "name",
    "names",
    "handles",
    "emails",
    "phones",
    "source_path",
    "hash",
    "rrule",
)

PLANS: dict[str, dict[str, str]] = {
    "source": {
        "id": KEEP, "format": KEEP, "path": SOURCE_PATH, "sha256": HASH, "records": KEEP, "quarantined": KEEP,
    },
    "person": {
        "id": KEEP, "name": NAME, "emails": EMAILS, "handles": HANDLES, "names": NAMES, "phones": PHONES,
        "title": STRUCT, "timezone": TIMEZONE, "is_bot": KEEP, "deleted": KEEP,
    },
    "identity": {
        "key": IDENTITY_KEY, "locator": STRUCT, "display_name": NAME, "real_name": NAME, "emails": EMAILS,
        "handle": HANDLE, "phones": PHONES, "title": STRUCT, "timezone": TIMEZONE, "is_bot": KEEP,
        "deleted": KEEP, "source_id": KEEP, "person_id": KEEP,
    },
    "person_merge": {"person_id": KEEP, "identity": PERSON_KEY, "other": PERSON_KEY, "reason": STRUCT},
    "channel": {
        "id": STRUCT, "name": STRUCT, "locator": STRUCT, "platform": KEEP, "kind": KEEP, "topic": PROSE,
        "purpose": PROSE, "created": TIME, "creator": KEEP, "members": KEEP, "archived": KEEP,
        "previous_names": LIST, "source_id": KEEP,
    },
    "message": {
        "id": MESSAGE_ID, "channel_id": STRUCT, "ts": TIME, "text": PROSE, "locator": STRUCT, "author": KEEP,
        "thread_id": MESSAGE_ID, "subtype": KEEP, "edited": TIME, "files": LIST, "reactions": REACTIONS,
        "source_id": KEEP,
    },
    "ticket": {
        "id": TICKET, "project": TICKET, "summary": PROSE, "locator": STRUCT, "description": PROSE,
        "type": KEEP, "status": KEEP, "priority": KEEP, "resolution": KEEP, "reporter": KEEP,
        "assignee": KEEP, "creator": KEEP, "created": TIME, "updated": TIME, "resolved": TIME,
        "labels": LIST, "components": LIST, "fix_versions": LIST, "affects_versions": LIST,
        "parent": TICKET, "environment": PROSE, "source_id": KEEP,
    },
    "ticket_comment": {
        "id": RECORD_ID, "ticket_id": TICKET, "body": PROSE, "locator": STRUCT, "author": KEEP,
        "created": TIME, "updated": TIME, "source_id": KEEP,
    },
    "ticket_link": {
        "ticket_id": TICKET, "other_id": TICKET, "link_type": STRUCT, "direction": KEEP, "label": STRUCT,
        "locator": STRUCT, "source_id": KEEP,
    },
    "ticket_event": {
        "id": RECORD_ID, "ticket_id": TICKET, "field": KEEP, "locator": STRUCT, "author": KEEP,
        "created": TIME, "from_value": PROSE, "to_value": PROSE, "source_id": KEEP,
    },
    "document": {
        "id": RECORD_ID, "title": PROSE, "body": PROSE, "text": PROSE, "format": KEEP, "locator": STRUCT,
        "url": STRUCT, "author": KEEP, "created": TIME, "updated": TIME, "source_id": KEEP,
    },
    "email": {
        "id": MAIL_ID, "subject": PROSE, "body": PROSE, "locator": STRUCT, "sender": KEEP, "to": KEEP,
        "cc": KEEP, "date": TIME, "in_reply_to": MAIL_ID, "references": MAIL_IDS, "thread_id": MAIL_ID,
        "mailbox": STRUCT, "attachments": LIST, "source_id": KEEP,
    },
    "calendar_event": {
        "id": EVENT_ID, "title": PROSE, "locator": STRUCT, "description": PROSE, "start": TIME, "end": TIME,
        "location": PROSE, "organizer": KEEP, "attendees": KEEP, "recurrence": RRULE, "status": KEEP,
        "source_id": KEEP,
    },
    "commit": {
        "id": KEEP, "message": PROSE, "locator": STRUCT, "repo": STRUCT, "parents": KEEP, "author": KEEP,
        "committer": KEEP, "authored": TIME, "committed": TIME, "files": LIST, "source_id": KEEP,
    },
    "quarantine": {"source_id": KEEP, "locator": STRUCT, "reason": STRUCT, "raw": PROSE},
}  # fmt: skip
"""How each column of each table is rewritten (:data:`REBUILT` tables are written anew instead).

``keep`` columns hold the tools' vocabularies, counts, flags and person ids; ``timezone`` keeps an
IANA zone name (``America/Santiago``) and clears anything else; ``reactions`` rewrites each emoji
name as the same name is rewritten in text (a custom emoji is often a person's handle);
``record_id`` is a row's own id, rewritten as structure but never read as a number that
identifies someone (``194980-1`` is a comment, not a phone), so ids stay distinct.
"""

REBUILT: dict[str, tuple[str, ...]] = {
    "ref": ("src_kind", "src_id", "field", "start", "end", "ref_kind", "dst_kind", "dst_id", "raw"),
    "meta": ("key", "value"),
}
"""Tables the run writes anew: references extracted again from the output, and its own meta."""

ID_COLUMN: dict[str, str] = {
    "person": "id", "identity": "key", "channel": "id", "message": "id", "ticket": "id",
    "ticket_comment": "id", "ticket_event": "id", "document": "id", "email": "id",
    "calendar_event": "id", "commit": "id", "source": "id", "quarantine": "locator",
    "ticket_link": "ticket_id", "person_merge": "person_id",
}  # fmt: skip
"""The column that names a row in reports (never its value when anonymized: only its position)."""

_TIME_IN_TEXT = re.compile(
    # Not inside a word, but a file name's "_" is a boundary (list_2019-04-15_to_2019-11-28.mbox).
    r"(?<![^\W_])(?<![.-])(?:(?:19|20)\d\d-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"(?:Z|[+-][0-2]\d:?[0-5]\d)?)?|(?:19|20)\d\d-(?:" + "|".join(MONTHS) + r")|\d{10}\.\d{6})"
    r"(?![^\W_])(?!-\d)"
    r"|(?<=/p)\d{16}(?!\d)"  # the time of a Slack permalink (/archives/C…/p1616519608110500)
)
_ID_NUMBER_KINDS = frozenset({"phone", "credit_card", "ssn", "national_id", "driver_license", "iban"})
"""Pattern kinds that a record id's digits may spell by chance, and that an id never is."""
_REFERENCE_LIKE = re.compile(r"\b[A-Z][A-Z0-9_]+-\d+\b|https?://|\b[0-9a-f]{7,40}\b|#\d+")
"""What a guessing layer must not swallow: ticket keys, URLs, commit shas, issue numbers."""
_GUESSING_LAYERS = frozenset({"names", "ner"})
_SLACK_ID = re.compile(r"([A-Z][A-Z0-9]+):(\d{10})\.(\d{6})")
_URL_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"'|\])]+", re.IGNORECASE)
_ID_IN_URL = re.compile(r"(?<=[/=])[^/\s@?#&=<>]+@[^/\s@?#&=<>]+")
"""A Message-ID as an archive link writes it: a path segment or query value with an ``@`` in it."""
_ID_HEADER_LINE = re.compile(
    r"^[ \t>]*(?:message-id|in-reply-to|references|original-message-id)[ \t]*:[^\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_ID_IN_HEADER = re.compile(r"<([^<>\s]+@[^<>\s]+)>")
_ZONES = frozenset(zoneinfo.available_timezones())
_KEPT_HOSTS = frozenset({"localhost", "localhost.localdomain", "generated"})
"""Hosts of Message-IDs that name no one (``generated``: the ids ingest makes for mails without one)."""
_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")
"""A GitHub project: ``owner/repo`` (``rust-lang/rust``, ``alice/dot-files``)."""
_COMPACT_TIME = re.compile(r"\b((?:19|20)\d{6})(T\d{6}Z?)?\b")


@dataclass
class Plan:
    """Everything a worker needs to rewrite any record: picklable, built once by the coordinator."""

    key: bytes
    directory: Directory
    config: AnonConfig
    learned: list[tuple[str, Entry]] = field(default_factory=list)


def _ner_layers(wanted: bool) -> list[Layer]:
    """The optional NER layer (Presidio), built only when configured; its absence is an error then."""
    if not wanted:
        return []
    from workgym.anonymize.ner import PresidioLayer

    return [PresidioLayer()]


class Rewriter:
    """Rewrites texts and rows under one plan; counts what it replaced by kind.

    Args:
        plan: the directory, learned values, config and key.
        detected: a cache of the free-text layers' candidates, shared by the learn and rewrite
            passes of one run (those layers do not depend on what is learned).
    """

    def __init__(self, plan: Plan, detected: CandidateCache | None = None) -> None:
        self.plan = plan
        self._detected = detected if detected is not None else CandidateCache()
        config = plan.config
        directory = plan.directory
        values = list(directory.values())
        for kind, words in sorted(config.dictionaries.items()):
            values.extend((w.lower(), Entry(kind, "", "value", layer="config")) for w in words)
        values.extend(plan.learned)
        self.matcher = Matcher(values, directory.ticket_prefixes)
        # No surrogate may be an original value, nor the label of an original domain (``rice`` of
        # ``rice.edu``, which is a word and so not a value of its own).
        taken = frozenset(k for k, _ in values) | {
            registrable(d).partition(".")[0] for d in directory.domains
        }
        self.surrogates = Surrogates(Keyed(plan.key), directory, taken, self._prefix_map())
        self.detector = TextDetector(names=config.names, extra=_ner_layers(config.ner))
        self.structural = TextDetector(names=False)
        self.allow = {a.lower() for a in config.allow}
        self.patterns = [(kind, re.compile(regex)) for kind, regex in config.patterns]
        self.ticket_re = (
            re.compile(
                r"\b(" + "|".join(map(re.escape, sorted(self.surrogates.ticket_prefixes))) + r")-(\d+)\b"
            )
            if self.surrogates.ticket_prefixes
            else None
        )
        self.counts: Counter[str] = Counter()
        self._source: int | None = None  # the source of the row being rewritten (see row)
        self._struct_cache: dict[str, str] = {}
        self._struct_counts: dict[str, Counter[str]] = {}

    def _prefix_map(self) -> dict[str, str]:
        """Configured prefix surrogates, and keyed ones for every other prefix when asked."""
        config = self.plan.config
        mapping = dict(config.ticket_prefixes)
        if config.map_ticket_prefixes:
            keyed = Keyed(self.plan.key)
            existing = set(self.plan.directory.ticket_prefixes)
            used = set(mapping.values()) | existing
            for prefix in self.plan.directory.ticket_prefixes:
                if prefix in mapping or not re.fullmatch(r"[A-Z][A-Z0-9_]+", prefix):
                    continue
                for attempt in range(1000):
                    rng = keyed.rng("ticket_prefix", f"{prefix}\0{attempt}")
                    candidate = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in prefix)
                    if candidate not in used:
                        break
                used.add(candidate)
                mapping[prefix] = candidate
        return mapping

    # -- text -----------------------------------------------------------------------------------

    def candidates(
        self, text: str, *, prose: bool, system: bool = False, record_id: bool = False, whole: bool = False
    ) -> list[Span]:
        """Every layer's candidate spans in ``text`` (allowed values left out).

        With ``record_id`` the text is a row's own id: a number found in it by its shape alone
        (a phone, a card) is part of the id, not a person's. With ``whole`` the text is a person's
        own name field (see :meth:`workgym.anonymize.directory.Matcher.find`).
        """
        # Known values (the directory's and the learned ones) are replaced wherever the audit looks
        # for them, by the one rule both read (Matcher.find); only fresh guesses are held back
        # where they touch a reference (_without_risky_guesses).
        known = self.matcher.find(text, system=system, whole=whole)
        # A website found by its shape alone stays: public sites are what links point at, and the
        # domains of the workspace's own people and organisations are the directory's to map.
        spans = [s for s in self._free_text(text, prose) if not (s.kind == "domain" and s.layer == "pattern")]
        for kind, pattern in self.patterns:
            spans.extend(
                Span(kind, m.start(), m.end(), 1.0, "config")
                for m in pattern.finditer(text)
                if m.end() > m.start()
            )
        for m in _TIME_IN_TEXT.finditer(text):
            spans.append(Span("date", m.start(), m.end(), 0.5, "pattern"))
        for found in (DATE_IN_WORDS.finditer(text), DATE_WITH_SLASHES.finditer(text)):
            spans.extend(Span("date", m.start(), m.end(), 0.5, "pattern") for m in found if date_of(m))
        if "/" in text or "." in text or "-" in text:  # 9/10/2019, 10.09.2019: the order rides along
            spans.extend(
                Span("date", m.start(), m.end(), 0.5, "pattern", order) for m, order in numeric_dates(text)
            )
        if "@" in text:
            spans.extend(_message_ids_in_text(text))
        if self.ticket_re is not None:
            spans.extend(
                Span("ticket_key", m.start(), m.end(), 1.0, "config") for m in self.ticket_re.finditer(text)
            )
        if self.allow:
            spans = [s for s in spans if not self._allowed(text[s.start : s.end])]
        if record_id:
            spans = [s for s in spans if not (s.layer == "pattern" and s.kind in _ID_NUMBER_KINDS)]
        spans = self._without_risky_guesses(text, spans)
        if self.allow:
            known = [s for s in known if not self._allowed(text[s.start : s.end])]
        return known + spans

    def _free_text(self, text: str, prose: bool) -> Sequence[Span]:
        """The free-text layers' candidates, computed once per text and run (within the cache's budget)."""
        kept = self._detected.get(prose, text)
        if kept is not None:
            return kept
        found = (self.detector if prose else self.structural).candidates(text)
        self._detected.put(prose, text, found)
        return found

    def _without_risky_guesses(self, text: str, spans: list[Span]) -> list[Span]:
        """Drop fresh guesses (names, NER) that touch a reference, are a word of the tools' vocabulary or a label.

        A guess overlapping a ticket key, URL, sha or ``#N`` would cut a link the workspace keeps;
        a project key or status is never a name, nor is the label of a header or trailer line
        (``Link:`` among ``Signed-off-by:`` lines, see :func:`workgym.anonymize.directory.is_field_label`). Values already known (learned at the threshold,
        or the directory's) are not guesses: the audit looks for them everywhere, so the rewrite
        replaces them everywhere, but in a ticket key of the workspace's own project.
        """
        if not any(s.layer in _GUESSING_LAYERS for s in spans):
            return spans
        references = [(m.start(), m.end()) for m in _REFERENCE_LIKE.finditer(text)]
        common = self.plan.directory.common
        kept = []
        for span in spans:
            if span.layer in _GUESSING_LAYERS and (
                text[span.start : span.end].lower() in common
                or any(start < span.end and span.start < end for start, end in references)
                or is_field_label(text, span.start, span.end)
            ):
                continue
            kept.append(span)
        return kept

    def _allowed(self, value: str) -> bool:
        low = value.lower()
        return low in self.allow or any(word in self.allow for word in low.split())

    def text(self, text: str, *, prose: bool, system: bool = False) -> str:
        """``text`` with every span replaced by its surrogate."""
        if not text:
            return text
        if prose or system:
            return self._rewrite(text, prose=prose, system=system)
        # Structural values repeat (channel ids, folders, repositories): rewrite each once (per
        # source, where a value two people share names the one known there).
        cache = self._struct_cache
        at = f"{self._source}\0{text}"
        found = cache.get(at)
        if found is None:
            counts = Counter(self.counts)
            found = self._rewrite(text, prose=False, system=False)
            if len(cache) < 200_000:
                cache[at] = found
                self._struct_counts[at] = self.counts - counts
        else:
            self.counts.update(self._struct_counts[at])
        return found

    def record_id(self, value: str) -> str:
        """A row's own id rewritten as structure, no digit run in it read as a phone or card."""
        if not value:
            return value
        cache = self._struct_cache
        at = f"\0id\0{self._source}\0{value}"
        found = cache.get(at)
        if found is None:
            counts = Counter(self.counts)
            found = self._rewrite(value, prose=False, system=False, record_id=True)
            if len(cache) < 200_000:
                cache[at] = found
                self._struct_counts[at] = self.counts - counts
        else:
            self.counts.update(self._struct_counts[at])
        return found

    def _rewrite(
        self,
        text: str,
        *,
        prose: bool,
        system: bool,
        entity: str = "",
        record_id: bool = False,
        whole: bool = False,
    ) -> str:
        spans = self.candidates(text, prose=prose, system=system, record_id=record_id, whole=whole)
        if entity:  # a value several people share (two John Vogts) names this row's person here
            own = {(s.start, s.end, s.kind) for s in spans if s.entity == entity}
            spans = [s for s in spans if s.entity == entity or (s.start, s.end, s.kind) not in own]
        if self._source is not None:
            spans = self._known_here(spans, self._source)
        spans = resolve(spans)
        if not spans:
            return text
        out: list[str] = []
        at = 0
        for span in spans:
            out.append(text[at : span.start])
            out.append(self.replace(span, text[span.start : span.end]))
            at = span.end
        out.append(text[at:])
        return "".join(out)

    def _known_here(self, spans: list[Span], source: int) -> list[Span]:
        """Of the people a value names (a handle two people share), those known in ``source``, if any.

        ``[~jgo]`` in a Jira comment is the Jira user ``jgo`` (the link layer resolves it through the
        source's identity ``jira:jgo``), not a chat user of another source with that handle; the
        identity key is rewritten with its own person's surrogate, so the mention must be too.
        """
        persons = self.plan.directory.persons
        by_place: dict[tuple[int, int, str], set[str]] = {}
        for span in spans:
            if span.entity:
                by_place.setdefault((span.start, span.end, span.kind), set()).add(span.entity)
        shared = {}
        for place, entities in by_place.items():
            if len(entities) > 1:
                here = {e for e in entities if e in persons and source in persons[e].sources}
                if here and here != entities:
                    shared[place] = here
        if not shared:
            return spans
        return [
            s
            for s in spans
            if (s.start, s.end, s.kind) not in shared or s.entity in shared[(s.start, s.end, s.kind)]
        ]

    def replace(self, span: Span, value: str) -> str:
        """The surrogate of one span's text."""
        s = self.surrogates
        kind = span.kind
        if kind != "date":
            self.counts[kind] += 1
        if kind == "person":
            return s.person(value, span.entity)
        if kind == "handle":
            return s.handle(value, span.entity)
        if kind == "email":
            return s.email(value, span.entity)
        if kind == "user_id":
            return value[0] + s.formatted("user_id", value[1:])
        if kind in {"domain", "org"}:
            if kind == "org":
                mapped = s.org_label(value.lower().replace(" ", "-"))
                mapped = mapped.replace("-", " ") if " " in value else mapped
                return _case_words(value, mapped)
            return s.domain(value)
        if kind == "hostname":
            return s.hostname(value)
        if kind == "street_address":
            return s.street_address(value)
        if kind == "date":
            return self._time(value, span.entity)
        if kind == "message_id":
            return self.mail_id(value)
        if kind == "ticket_key":
            prefix, _, number = value.rpartition("-")
            return f"{s.ticket_prefix(prefix)}-{number}"
        if kind == "ip" and ":" in value:
            return s.formatted("ipv6", value.lower())
        return s.formatted(kind, value)

    def _time(self, value: str, order: str = "") -> str:
        """A date or time written in text, moved by the offset (``order``: of a date of numbers)."""
        s = self.surrogates
        written = DATE_IN_WORDS.fullmatch(value) or DATE_WITH_SLASHES.fullmatch(value)
        if written is not None:
            return move(written, s.shift)
        numeric = DATE_NUMERIC.fullmatch(value)
        if numeric is not None:
            return move_numeric(numeric, order, s.shift)
        year, dash, month = value.partition("-")
        if dash and month in MONTHS:  # an archive's month: the month its middle moves to
            moved = s.shift_iso(f"{year}-{MONTHS.index(month) + 1:02d}-15")
            return f"{moved[:4]}-{MONTHS[int(moved[5:7]) - 1]}"
        if "." in value and len(value) == 17 and value[10] == ".":
            return f"{s.shift_epoch(int(value[:10]))}{value[10:]}"
        if value.isdigit() and len(value) == 16:
            return f"{s.shift_epoch(int(value[:10]))}{value[10:]}"
        return s.shift_iso(value)

    # -- ids ------------------------------------------------------------------------------------

    def ticket(self, value: str) -> str:
        """A ticket key or project with its prefix mapped; a GitHub project ``owner/repo`` with its owner's.

        The owner of a personal repository is a login: it becomes the same surrogate as the login
        does everywhere else (its identity ``github:<login>``, ``@login``, ``owner/repo#N`` and
        ``github.com/owner/repo`` in text, which the directory's matcher reads as a handle there);
        the repository's name, which the links compare, is kept.
        """
        owner, slash, repo = value.partition("/")
        if slash and owner and repo and _REPOSITORY.fullmatch(value):
            return f"{self._rewrite(owner, prose=False, system=False, whole=True)}/{self._repo(repo)}"
        repo, hash_, number = value.partition("#")
        if hash_ and repo and number.isdigit() and _REPOSITORY.fullmatch(f"x/{repo}"):
            return f"{self._repo(repo)}#{number}"
        if not value or not self.surrogates.ticket_prefixes:
            return value
        prefix, dash, number = value.partition("-")
        return self.surrogates.ticket_prefix(prefix) + dash + number

    def _repo(self, name: str) -> str:
        """A repository's name with any login in it (``alice/alice.github.io``) mapped as a login."""
        return self._rewrite(name, prose=False, system=False)

    def mail_id(self, value: str) -> str:
        """A Message-ID: a keyed local part at the surrogate of its host.

        The same id gives the same surrogate wherever it is written (a column, a quoted header, a
        link). The local part is hashed (it often holds the sending time and the sender's login); a
        host without a dot or on a private network (``jane-Laptop-E7470``, ``box.localdomain``) is a
        machine and is reshaped; a public one (``mail.gmail.com``) is kept; any other is mapped as
        a domain is.
        """
        if not value:
            return value
        local, at, domain = value.rpartition("@")
        if not at:
            return self.surrogates.keyed.hex("mail_id", value, max(12, min(len(value), 32)))
        hexed = self.surrogates.keyed.hex("mail_id", value, max(12, min(len(local), 32)))
        return f"{hexed}@{self._mail_host(domain)}"

    def _mail_host(self, host: str) -> str:
        low = host.lower()
        if low in _KEPT_HOSTS or is_public_domain(low):
            return host
        if "." not in low.strip(".") or low.endswith(LOCAL_SUFFIXES):
            return (
                self.surrogates.hostname(host) if "." in low else self.surrogates.formatted("hostname", host)
            )
        return self.surrogates.domain(host)

    def event_id(self, value: str) -> str:
        """A calendar UID (and recurrence suffix) as a keyed value."""
        if not value:
            return value
        uid, sep, recurrence = value.partition("@") if value.count("@") == 1 else (value, "", "")
        if sep and not re.fullmatch(r"[\w.-]+\.[a-z]{2,}", recurrence):
            return self.mail_id(uid) + sep + self._time(recurrence)
        return self.mail_id(value)

    def message_id(self, value: str) -> str:
        """A chat message id: a Slack ``channel:ts`` with the time moved; else rewritten as structure."""
        m = _SLACK_ID.fullmatch(value)
        if m:
            return f"{self.text(m[1], prose=False)}:{self.surrogates.shift_epoch(int(m[2]))}.{m[3]}"
        return self.record_id(value)

    def reaction(self, value: str) -> str:
        """A reaction ``name:count``, its emoji name rewritten as the same name is in text."""
        name, colon, count = value.rpartition(":")
        if not colon or not count.isdigit():
            return self.text(value, prose=False)
        return f"{self.text(name, prose=False)}:{count}"

    def identity_key(self, key: str, person: str) -> str:
        """An identity key (``slack:U…``, ``email:…``, ``irc:nick``) with its value mapped."""
        namespace, colon, value = key.partition(":")
        if not colon or not value:
            return key
        if namespace == "email":
            return f"email:{self.surrogates.email(value, person)}"
        if namespace == "name":  # a mail sender known by name alone
            return f"name:{self.surrogates.person(value, person)}"
        if namespace == "slack" and re.fullmatch(r"[UW][A-Z0-9]{6,}", value):
            return f"slack:{value[0]}{self.surrogates.formatted('user_id', value[1:])}"
        if namespace in {"irc", "jira", "git", "github"}:
            return f"{namespace}:{self.surrogates.handle(value, person)}"
        return f"{namespace}:{self.text(value, prose=False)}"

    # -- rows -----------------------------------------------------------------------------------

    def row(self, table: str, row: dict[str, Any], person_of_key: Callable[[str], str]) -> dict[str, Any]:
        """One row of ``table`` rewritten by its plan.

        Args:
            table: the table's name (a key of :data:`PLANS`).
            row: column -> stored value.
            person_of_key: the person id of a ``"<source id>:<identity key>"`` (for ``person_merge``).
        """
        plan = PLANS[table]
        person = row.get("person_id") or (row.get("id") if table == "person" else "") or ""
        system = table == "message" and row.get("subtype") in SYSTEM_SUBTYPES
        source = row.get("source_id")
        # A value two people share (a handle of a chat user and of a Jira user) names, in this row,
        # the one its source knows, as the link layer reads it (see _known_here).
        self._source = source if isinstance(source, int) and table != "source" else None
        out: dict[str, Any] = {}
        try:
            for column, value in row.items():
                how = plan[column]
                out[column] = self._column(how, value, str(person), system, person_of_key)
        finally:
            self._source = None
        return out

    def _column(
        self, how: str, value: Any, person: str, system: bool, person_of_key: Callable[[str], str]
    ) -> Any:
        if how == KEEP or value is None or value == "":
            return value
        s = self.surrogates
        if how == PROSE:
            return self.text(value, prose=True, system=system)
        if how == STRUCT:
            return self.text(value, prose=False, system=system)
        if how == RECORD_ID:
            return self.record_id(value)
        if how == TIME:
            return s.shift_iso(value)
        if how == TIMEZONE:
            return value if is_zone(value) else ""
        if how == REACTIONS:
            return _json([self.reaction(v) for v in json.loads(value)])
        if how == LIST:
            return _json([self.text(v, prose=False) for v in json.loads(value)])
        if how == TICKET:
            return self.ticket(value)
        if how == MAIL_ID:
            return self.mail_id(value)
        if how == MAIL_IDS:
            return _json([self.mail_id(v) for v in json.loads(value)])
        if how == EVENT_ID:
            return self.event_id(value)
        if how == MESSAGE_ID:
            return self.message_id(value)
        if how == IDENTITY_KEY:
            return self.identity_key(value, person)
        if how == PERSON_KEY:
            sid, _, key = value.partition(":")
            return f"{sid}:{self.identity_key(key, person_of_key(value))}"
        if how == NAME:
            return self._own_name(value, person)
        if how == NAMES:
            return _json([self._own_name(v, person) for v in json.loads(value)])
        if how == HANDLES:
            return _json([s.handle(v, person) for v in json.loads(value)])
        if how == HANDLE:
            return s.handle(value, person)
        if how == EMAILS:
            return _json([s.email(v, person) for v in json.loads(value)])
        if how == PHONES:
            return _json([s.formatted("phone", v) for v in json.loads(value)])
        if how == SOURCE_PATH:
            return self.text(value.replace("\\", "/").rstrip("/").rpartition("/")[2], prose=False)
        if how == HASH:
            return s.keyed.hex("source", value, len(value))
        if how == RRULE:
            return _COMPACT_TIME.sub(lambda m: self._compact(m[1], m[2] or ""), value)
        raise ValueError(f"unknown column plan {how!r}")

    def _own_name(self, value: str, person: str) -> str:
        """A name in a person's (or identity's) own row: where others share it, it is theirs.

        The whole value is a name or handle whatever it looks like (a display name that is the
        person's handle ``big-data-fan``, made of words, is still their handle): the audit reads
        these columns by the same rule (:data:`OWN_FIELDS`).
        """
        if person:
            return self._rewrite(value, prose=False, system=False, entity=person, whole=True)
        return self._rewrite(value, prose=False, system=False, whole=True)

    def _compact(self, day: str, time: str) -> str:
        iso = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        return self.surrogates.shift_iso(iso).replace("-", "") + time


OWN_FIELDS: frozenset[str] = frozenset({NAME, NAMES, HANDLE, HANDLES})
"""Plans of a person's own name and handle fields, matched whole (``Matcher.find(whole=True)``)."""


def is_zone(value: str) -> bool:
    """Whether ``value`` is an IANA time zone name (``America/Santiago``, ``UTC``)."""
    return value in _ZONES


def _message_ids_in_text(text: str) -> list[Span]:
    """Message-IDs where only a Message-ID is written: quoted header lines and archive links.

    Ids the workspace knows are found anywhere by the directory; these are the others (mails
    outside the archive), which carry times and logins all the same.
    """
    spans = []
    for line in _ID_HEADER_LINE.finditer(text):
        for m in _ID_IN_HEADER.finditer(line.group(0)):
            spans.append(
                Span("message_id", line.start() + m.start(1), line.start() + m.end(1), 1.0, "directory")
            )
    for url in _URL_IN_TEXT.finditer(text):
        host_end = text.find("/", url.start() + url.group(0).index("//") + 2, url.end())
        if host_end < 0:
            continue
        for m in _ID_IN_URL.finditer(text, host_end, url.end()):
            end = m.end()
            while end > m.start() and text[end - 1] in ".,;:!?":
                end -= 1
            spans.append(Span("message_id", m.start(), end, 1.0, "directory"))
    return spans


def check_plans(conn: sqlite3.Connection) -> None:
    """Raise ValueError naming every column of the workspace that no plan names (and every plan without its column)."""
    problems = []
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in tables:
        if table.startswith("sqlite_"):
            continue
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        planned = set(PLANS.get(table, {})) or set(REBUILT.get(table, ()))
        if not planned:
            problems.append(f"table {table} has no plan")
            continue
        problems.extend(f"column {table}.{c} has no plan" for c in columns if c not in planned)
    for table in PLANS:
        if table not in tables:
            problems.append(f"table {table} is planned but missing")
    if problems:
        raise ValueError("the anonymizer does not know how to rewrite: " + "; ".join(problems))


def _json(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _case_words(model: str, value: str) -> str:
    if model.isupper():
        return value.upper()
    if model[:1].isupper():
        return " ".join(w[:1].upper() + w[1:] for w in value.split(" ")).replace("- ", "-")
    return value
