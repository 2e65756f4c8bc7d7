"""The records every stage shares: frozen, typed, and free of behaviour.

A parser yields these records; the store writes them; later stages read them back.
Text fields keep the original text exactly as written (markup, quoting, typos).

People are referred to by *identity keys*: ``"<namespace>:<value>"`` strings naming a person the
way one source names them (``"slack:U061A1R2R"``, ``"jira:skypanther"``, ``"email:jo@example.com"``,
``"irc:tdonohue"``). The ``email:`` namespace is global (an address is the same person in every
source); every other namespace is local to its source. Linking merges identities into one
:class:`Person` each, and the store writes person ids in place of identity keys.

Times are ISO 8601 strings in UTC (``2015-06-05T14:31:59+00:00``), or ``""`` when unknown.
Every record carries a ``locator``: where in its source it came from (``"general/2015-06-05.json#3"``,
``"list.mbox:120"``), relative to the source path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

IdentityKey: TypeAlias = str
"""``"<namespace>:<value>"``, e.g. ``"email:jo@example.com"``; see the module docstring."""


@dataclass(frozen=True, slots=True)
class Identity:
    """One way a source names a person: a chat profile, a tracker user, a mail address, a commit author."""

    key: IdentityKey
    locator: str
    display_name: str = ""
    real_name: str = ""
    emails: tuple[str, ...] = ()
    handle: str = ""
    phones: tuple[str, ...] = ()
    title: str = ""
    timezone: str = ""
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    """One human (or bot) across all sources, merged from identities by the link stage."""

    id: str
    name: str
    emails: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    title: str = ""
    timezone: str = ""
    is_bot: bool = False
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Channel:
    """A chat channel, private group, DM or multi-person DM (Slack), or an IRC channel."""

    id: str
    name: str
    locator: str
    platform: str = "slack"
    kind: str = "channel"  # channel | private | dm | mpim
    topic: str = ""
    purpose: str = ""
    created: str = ""
    creator: IdentityKey = ""
    members: tuple[IdentityKey, ...] = ()
    archived: bool = False
    previous_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message (or channel event such as a join) as the platform recorded it."""

    id: str
    channel_id: str
    ts: str
    text: str
    locator: str
    author: IdentityKey = ""
    thread_id: str = ""  # id of the thread's root message, "" when not in a thread
    subtype: str = ""  # "" for a plain message; channel_join, file_share, bot_message, action, ...
    edited: str = ""  # time of the last edit
    files: tuple[str, ...] = ()  # file names or permalinks shared with the message
    reactions: tuple[str, ...] = ()  # "name:count"


@dataclass(frozen=True, slots=True)
class Ticket:
    """An issue-tracker ticket (a Jira issue)."""

    id: str  # the ticket key, e.g. "ALOY-1064"
    project: str
    summary: str
    locator: str
    description: str = ""
    type: str = ""
    status: str = ""
    priority: str = ""
    resolution: str = ""
    reporter: IdentityKey = ""
    assignee: IdentityKey = ""
    creator: IdentityKey = ""
    created: str = ""
    updated: str = ""
    resolved: str = ""
    labels: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    fix_versions: tuple[str, ...] = ()
    affects_versions: tuple[str, ...] = ()
    parent: str = ""
    environment: str = ""


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on a ticket."""

    id: str
    ticket_id: str
    body: str
    locator: str
    author: IdentityKey = ""
    created: str = ""
    updated: str = ""


@dataclass(frozen=True, slots=True)
class TicketLink:
    """An issue link as one ticket lists it; a link listed on both ends is stored twice."""

    ticket_id: str  # the ticket whose data lists the link
    other_id: str  # the ticket at the other end
    link_type: str  # "Relates", "Blocks", ...
    direction: str  # "outward" (ticket_id -> other_id) or "inward" (other_id -> ticket_id)
    label: str  # the phrase as Jira words it from ticket_id's side: "blocks", "is blocked by"
    locator: str


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """One field change in a ticket's history (a Jira changelog item)."""

    id: str
    ticket_id: str
    field: str
    locator: str
    author: IdentityKey = ""
    created: str = ""
    from_value: str = ""
    to_value: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """A document: Markdown, HTML, DOCX, PDF or plain text."""

    id: str  # the path relative to the source, e.g. "design/auth.md"
    title: str
    body: str  # the original text as written (Markdown source, HTML source); extracted text for DOCX/PDF
    text: str  # readable plain text (equal to body for Markdown and plain text)
    format: str  # markdown | html | docx | pdf | text
    locator: str
    url: str = ""
    author: IdentityKey = ""
    created: str = ""
    updated: str = ""


@dataclass(frozen=True, slots=True)
class Email:
    """An e-mail message."""

    id: str  # the Message-ID without angle brackets (synthesised from content when absent)
    subject: str
    body: str  # the text/plain body as written, quoting included
    locator: str
    sender: IdentityKey = ""
    to: tuple[IdentityKey, ...] = ()
    cc: tuple[IdentityKey, ...] = ()
    date: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    thread_id: str = ""  # the id of the thread's first message; filled by the link stage
    mailbox: str = ""  # list or folder name
    attachments: tuple[str, ...] = ()  # attachment file names (their content is not stored)


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    """A calendar event (a VEVENT)."""

    id: str  # the UID (plus the recurrence id for an overridden instance)
    title: str
    locator: str
    description: str = ""
    start: str = ""
    end: str = ""
    location: str = ""
    organizer: IdentityKey = ""
    attendees: tuple[IdentityKey, ...] = ()
    recurrence: str = ""  # the RRULE as written
    status: str = ""


@dataclass(frozen=True, slots=True)
class Commit:
    """A version-control commit."""

    id: str  # the full sha
    message: str
    locator: str
    repo: str = ""  # "owner/name" or "name" when known, e.g. "alloy"
    parents: tuple[str, ...] = ()
    author: IdentityKey = ""
    committer: IdentityKey = ""
    authored: str = ""
    committed: str = ""
    files: tuple[str, ...] = ()  # "M\tpath" as `git log --name-status` prints


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference from a span of one record's field to another record (or to nothing, if unresolved)."""

    src_kind: str
    src_id: str
    field: str
    start: int
    end: int
    ref_kind: str  # ticket | pull_request | issue | commit | url | user_mention | channel_mention | ...
    raw: str
    dst_kind: str = ""
    dst_id: str | None = None  # None when the target is not in the workspace


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A record that could not be read, kept with the reason and the raw input."""

    locator: str
    reason: str
    raw: str = ""


Record: TypeAlias = (
    Identity
    | Channel
    | Message
    | Ticket
    | Comment
    | TicketLink
    | TicketEvent
    | Document
    | Email
    | CalendarEvent
    | Commit
)
"""Anything a parser yields besides :class:`Quarantined`."""

KIND_OF: dict[type, str] = {
    Identity: "identity",
    Channel: "channel",
    Message: "message",
    Ticket: "ticket",
    Comment: "ticket_comment",
    TicketLink: "ticket_link",
    TicketEvent: "ticket_event",
    Document: "document",
    Email: "email",
    CalendarEvent: "calendar_event",
    Commit: "commit",
}
"""The record kind (and store table) of each record class."""
