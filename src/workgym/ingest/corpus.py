"""The whole workspace in memory between parsing and writing, as the link stage sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from workgym.model import (
    CalendarEvent,
    Channel,
    Comment,
    Commit,
    Document,
    Email,
    Identity,
    Message,
    Record,
    Ticket,
    TicketEvent,
    TicketLink,
)

PersonOf = Callable[[int, str], str | None]
"""Maps (source id, identity key) to the person id it was merged into, or None when unknown."""


@dataclass
class Corpus:
    """Every record parsed, per kind, each paired with the id of the source it came from."""

    identities: list[tuple[int, Identity]] = field(default_factory=list)
    channels: list[tuple[int, Channel]] = field(default_factory=list)
    messages: list[tuple[int, Message]] = field(default_factory=list)
    tickets: list[tuple[int, Ticket]] = field(default_factory=list)
    comments: list[tuple[int, Comment]] = field(default_factory=list)
    ticket_links: list[tuple[int, TicketLink]] = field(default_factory=list)
    ticket_events: list[tuple[int, TicketEvent]] = field(default_factory=list)
    documents: list[tuple[int, Document]] = field(default_factory=list)
    emails: list[tuple[int, Email]] = field(default_factory=list)
    calendar_events: list[tuple[int, CalendarEvent]] = field(default_factory=list)
    commits: list[tuple[int, Commit]] = field(default_factory=list)

    def lists(self) -> Iterator[tuple[type, list[tuple[int, Record]]]]:
        """Each record class with its list, in store order."""
        yield Identity, self.identities  # type: ignore[misc]
        yield Channel, self.channels  # type: ignore[misc]
        yield Message, self.messages  # type: ignore[misc]
        yield Ticket, self.tickets  # type: ignore[misc]
        yield Comment, self.comments  # type: ignore[misc]
        yield TicketLink, self.ticket_links  # type: ignore[misc]
        yield TicketEvent, self.ticket_events  # type: ignore[misc]
        yield Document, self.documents  # type: ignore[misc]
        yield Email, self.emails  # type: ignore[misc]
        yield CalendarEvent, self.calendar_events  # type: ignore[misc]
        yield Commit, self.commits  # type: ignore[misc]

    def __post_init__(self) -> None:
        self._by_class: dict[type, list[tuple[int, Record]]] = dict(self.lists())

    def add(self, source_id: int, record: Record) -> None:
        """Append a record to the list of its kind."""
        self._by_class[type(record)].append((source_id, record))
