"""Rewrite text and records: every span replaced by its surrogate, every table by its own plan.

A text is rewritten in one pass: the candidates of every layer (user config, the directory and
learned values, validated patterns, the name detector on prose) are resolved by the one overlap
rule of :mod:`workgym.anonymize.spans`, then each kept span is replaced by its surrogate. Prose
fields (message text, ticket descriptions, mail bodies) get every layer; structural fields (ids,
paths, locators, names, labels) get every layer but the name detector, so a path or id is rewritten
the same way wherever it is written. Dates written in ISO form and Slack timestamps are moved by
the date offset.

:data:`PLANS` says, for every column of every table, how it is rewritten.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workgym.anonymize.config import AnonConfig
from workgym.anonymize.detect import Layer, TextDetector
from workgym.anonymize.directory import SYSTEM_SUBTYPES, Directory, Entry, Matcher
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
HANDLE = "handle"
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
        "title": STRUCT, "timezone": KEEP, "is_bot": KEEP, "deleted": KEEP,
    },
    "identity": {
        "key": IDENTITY_KEY, "locator": STRUCT, "display_name": NAME, "real_name": NAME, "emails": EMAILS,
        "handle": HANDLE, "phones": PHONES, "title": STRUCT, "timezone": KEEP, "is_bot": KEEP,
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
        "thread_id": MESSAGE_ID, "subtype": KEEP, "edited": TIME, "files": LIST, "reactions": KEEP,
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
        "id": STRUCT, "ticket_id": TICKET, "body": PROSE, "locator": STRUCT, "author": KEEP,
        "created": TIME, "updated": TIME, "source_id": KEEP,
    },
    "ticket_link": {
        "ticket_id": TICKET, "other_id": TICKET, "link_type": STRUCT, "direction": KEEP, "label": STRUCT,
        "locator": STRUCT, "source_id": KEEP,
    },
    "ticket_event": {
        "id": STRUCT, "ticket_id": TICKET, "field": KEEP, "locator": STRUCT, "author": KEEP,
        "created": TIME, "from_value": PROSE, "to_value": PROSE, "source_id": KEEP,
    },
    "document": {
        "id": STRUCT, "title": PROSE, "body": PROSE, "text": PROSE, "format": KEEP, "locator": STRUCT,
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
"""How each column of each table is rewritten. The ``ref`` table is extracted again instead."""

ID_COLUMN: dict[str, str] = {
    "person": "id", "identity": "key", "channel": "id", "message": "id", "ticket": "id",
    "ticket_comment": "id", "ticket_event": "id", "document": "id", "email": "id",
    "calendar_event": "id", "commit": "id", "source": "id", "quarantine": "locator",
    "ticket_link": "ticket_id", "person_merge": "person_id",
}  # fmt: skip
"""The column that names a row in reports (never its value when anonymized: only its position)."""

_TIME_IN_TEXT = re.compile(
    r"(?<![\w.-])(?:(?:19|20)\d\d-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
    r"(?:Z|[+-][0-2]\d:?[0-5]\d)?)?|(?<=/p)\d{16}|\d{10}\.\d{6})(?![\w-])"
)
_REFERENCE_LIKE = re.compile(r"\b[A-Z][A-Z0-9_]+-\d+\b|https?://|\b[0-9a-f]{7,40}\b|#\d+")
"""What a guessing layer must not swallow: ticket keys, URLs, commit shas, issue numbers."""
_GUESSING_LAYERS = frozenset({"names", "ner"})
_DETECTED_MAX = 500_000
"""Texts whose free-text candidates one worker keeps between the learn and rewrite passes."""
_SLACK_ID = re.compile(r"([A-Z][A-Z0-9]+):(\d{10})\.(\d{6})")
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
        detected: a cache of the free-text layers' candidates by (prose, text), shared by the
            learn and rewrite passes of one run (those layers do not depend on what is learned).
    """

    def __init__(self, plan: Plan, detected: dict[tuple[bool, str], list[Span]] | None = None) -> None:
        self.plan = plan
        self._detected = detected if detected is not None else {}
        config = plan.config
        directory = plan.directory
        values = list(directory.values())
        for kind, words in sorted(config.dictionaries.items()):
            values.extend((w.lower(), Entry(kind, "", "value", layer="config")) for w in words)
        values.extend(plan.learned)
        self.matcher = Matcher(values)
        taken = frozenset(k for k, _ in values)
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

    def candidates(self, text: str, *, prose: bool, system: bool = False) -> list[Span]:
        """Every layer's candidate spans in ``text`` (allowed values left out)."""
        spans = self.matcher.find(text, system=system)
        # A website found by its shape alone stays: public sites are what links point at, and the
        # domains of the workspace's own people and organisations are the directory's to map.
        spans += (
            s for s in self._free_text(text, prose) if not (s.kind == "domain" and s.layer == "pattern")
        )
        for kind, pattern in self.patterns:
            spans.extend(
                Span(kind, m.start(), m.end(), 1.0, "config")
                for m in pattern.finditer(text)
                if m.end() > m.start()
            )
        for m in _TIME_IN_TEXT.finditer(text):
            spans.append(Span("date", m.start(), m.end(), 0.5, "pattern"))
        if self.ticket_re is not None:
            spans.extend(
                Span("ticket_key", m.start(), m.end(), 1.0, "config") for m in self.ticket_re.finditer(text)
            )
        if self.allow:
            spans = [s for s in spans if not self._allowed(text[s.start : s.end])]
        return self._without_risky_guesses(text, spans)

    def _free_text(self, text: str, prose: bool) -> list[Span]:
        """The free-text layers' candidates, computed once per text and run."""
        key = (prose, text)
        found = self._detected.get(key)
        if found is None:
            found = (self.detector if prose else self.structural).candidates(text)
            if len(self._detected) < _DETECTED_MAX:
                self._detected[key] = found
        return found

    def _without_risky_guesses(self, text: str, spans: list[Span]) -> list[Span]:
        """Drop guesses (names, NER) that touch a reference or are a word of the tools' vocabulary.

        A guess overlapping a ticket key, URL, sha or ``#N`` would cut a link the workspace keeps;
        a project key or status is never a name.
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
        # Structural values repeat (channel ids, folders, repositories): rewrite each once.
        cache = self._struct_cache
        found = cache.get(text)
        if found is None:
            counts = Counter(self.counts)
            found = self._rewrite(text, prose=False, system=False)
            if len(cache) < 200_000:
                cache[text] = found
                self._struct_counts[text] = self.counts - counts
        else:
            self.counts.update(self._struct_counts[text])
        return found

    def _rewrite(self, text: str, *, prose: bool, system: bool) -> str:
        spans = resolve(self.candidates(text, prose=prose, system=system))
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
            return self._time(value)
        if kind == "ticket_key":
            prefix, _, number = value.rpartition("-")
            return f"{s.ticket_prefix(prefix)}-{number}"
        if kind == "ip" and ":" in value:
            return s.formatted("ipv6", value.lower())
        return s.formatted(kind, value)

    def _time(self, value: str) -> str:
        s = self.surrogates
        if "." in value and len(value) == 17 and value[10] == ".":
            return f"{s.shift_epoch(int(value[:10]))}{value[10:]}"
        if value.isdigit() and len(value) == 16:
            return f"{s.shift_epoch(int(value[:10]))}{value[10:]}"
        return s.shift_iso(value)

    # -- ids ------------------------------------------------------------------------------------

    def ticket(self, value: str) -> str:
        """A ticket key or project with its prefix mapped."""
        if not value or not self.surrogates.ticket_prefixes:
            return value
        prefix, dash, number = value.partition("-")
        return self.surrogates.ticket_prefix(prefix) + dash + number

    def mail_id(self, value: str) -> str:
        """A Message-ID: a keyed local part at the surrogate domain."""
        if not value:
            return value
        local, at, domain = value.rpartition("@")
        if not at:
            return self.surrogates.keyed.hex("mail_id", value, max(12, min(len(value), 32)))
        hexed = self.surrogates.keyed.hex("mail_id", value, max(12, min(len(local), 32)))
        return f"{hexed}@{self.surrogates.domain(domain)}"

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
        return self.text(value, prose=False)

    def identity_key(self, key: str, person: str) -> str:
        """An identity key (``slack:U…``, ``email:…``, ``irc:nick``) with its value mapped."""
        namespace, colon, value = key.partition(":")
        if not colon or not value:
            return key
        if namespace == "email":
            return f"email:{self.surrogates.email(value, person)}"
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
        out: dict[str, Any] = {}
        for column, value in row.items():
            how = plan[column]
            out[column] = self._column(how, value, str(person), system, person_of_key)
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
        if how == TIME:
            return s.shift_iso(value)
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
            return self.text(value, prose=False)
        if how == NAMES:
            return _json([self.text(v, prose=False) for v in json.loads(value)])
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

    def _compact(self, day: str, time: str) -> str:
        iso = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        return self.surrogates.shift_iso(iso).replace("-", "") + time


def _json(values: list[str]) -> str:
    return json.dumps(values, ensure_ascii=False)


def _case_words(model: str, value: str) -> str:
    if model.isupper():
        return value.upper()
    if model[:1].isupper():
        return " ".join(w[:1].upper() + w[1:] for w in value.split(" ")).replace("- ", "-")
    return value
