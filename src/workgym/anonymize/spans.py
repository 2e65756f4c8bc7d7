"""The span every detection layer emits, and the one rule that settles overlaps between them.

A detector layer (directory, patterns, names, NER, user config) looks at a text and returns
:class:`Span` candidates. Candidates overlap: an e-mail address contains a handle, a full name
contains a first name, a street address contains a number. :func:`resolve` keeps one span per
character, by this rule, applied once, here and nowhere else:

1. the longer span wins (it carries more context: ``jo@example.com`` over ``jo``);
2. at equal length, the layer ranked first in :data:`LAYER_RANK` wins (user config, then the
   directory of known people, then validated patterns, then the name detector, then NER);
3. then the higher confidence, then the earlier start, then the kind name (so the order is total
   and the result never depends on the order candidates came in).

A candidate overlapping a span already kept is dropped whole, never trimmed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

LAYER_RANK: dict[str, int] = {"config": 0, "directory": 1, "pattern": 2, "names": 3, "ner": 4}
"""Detection layers, most trusted first (the tie-break of :func:`resolve`)."""

KINDS: tuple[str, ...] = (
    "person",  # a person's name (full, first or last)
    "handle",  # a chat nick, tracker username, commit login
    "user_id",  # a platform user id (Slack U…)
    "email",
    "phone",
    "ip",
    "mac",
    "hostname",  # a machine's host name (dynamic ISP hosts, people's machines)
    "domain",  # an organisation's or a person's domain
    "org",  # an organisation name
    "url",  # an identifying part of a URL (path segment or query value)
    "credit_card",
    "iban",
    "ssn",
    "national_id",  # other national ids (NINO, SIN, ...)
    "driver_license",
    "street_address",
    "secret",  # API keys, tokens, passwords
    "custom",  # a user-configured dictionary or pattern
    "date",  # a date or time written in text (moved by the date offset, not replaced)
    "ticket_key",  # a ticket key whose project prefix is mapped
)
"""Every span kind a layer may emit."""


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of text that identifies someone or something.

    Attributes:
        kind: one of :data:`KINDS`.
        start: offset of the first character.
        end: offset one past the last character.
        confidence: 0..1; directory and checksum-validated hits are near 1, cue-based guesses lower.
        layer: the layer that found it, a key of :data:`LAYER_RANK`.
        entity: the canonical entity when known (a person id such as ``"P0007"``), else ``""``:
            the surrogate is then derived from the kind and the normalised text.
    """

    kind: str
    start: int
    end: int
    confidence: float
    layer: str
    entity: str = ""

    def __len__(self) -> int:
        return self.end - self.start


def _rank(span: Span) -> tuple[int, int, float, int, str]:
    return (-(span.end - span.start), LAYER_RANK.get(span.layer, 99), -span.confidence, span.start, span.kind)


def resolve(candidates: Iterable[Span]) -> list[Span]:
    """Keep one span per character by the module's rule; return the kept spans by start offset."""
    ranked = sorted((s for s in candidates if s.end > s.start), key=_rank)
    if len(ranked) < 2:
        return ranked
    kept: list[Span] = []
    taken: list[tuple[int, int]] = []  # kept intervals, sorted by start
    for span in ranked:
        at = bisect_right(taken, (span.start, span.end))
        if at > 0 and taken[at - 1][1] > span.start:
            continue
        if at < len(taken) and taken[at][0] < span.end:
            continue
        taken.insert(at, (span.start, span.end))
        kept.append(span)
    kept.sort(key=lambda s: s.start)
    return kept
