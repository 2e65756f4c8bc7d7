"""IRC chat logs, one file per day or per channel: PircBot's HTML fragments and plain-text logs.

Two formats, both recognised by content:

* ``pircbot``: the logs PircBot's LogBot writes (irclogs.duraspace.org), one file per day named
  ``YYYY-MM-DD.log``, one HTML fragment per line::

      <span class="irc-date">[15:34]</span> <span class="irc-black">&lt;nick&gt; text</span><br />

  The colour class says what the line is: black a message, brick an action (``/me``), brown a
  notice, green/navy/red an event (join, part, quit, nick, topic, mode, kick, disconnect).
* ``irclog``: plain-text client logs (irssi, and the ``[HH:MM] <nick> text`` shape most clients
  and bots write): ``[HH:MM]``/``[HH:MM:SS]``/``HH:MM`` stamps, ``-!-``/``***`` event lines, and
  ``--- Log opened``/``--- Day changed`` date markers.

Each line is one :class:`~workgym.model.Message` ``irc:<channel>:<file>:<line>`` in channel
``irc:<channel>``, with an :class:`~workgym.model.Identity` ``irc:<nick>`` for every nick the file
names (once per file). Chat lines keep the text after the nick; ``subtype`` is ``""`` for a
message, ``action``, ``notice`` or ``private`` for the other things people say, and ``join``,
``part``, ``quit``, ``nick``, ``topic``, ``mode``, ``kick``, ``ctcp`` or ``server`` for events,
whose text is the event as shown (without the leading ``*``/``-!-`` marker). Times are the file's
date (from its name or a date marker) with the line's clock, taken as UTC; ``""`` when no date is
known. Channel records are not yielded: the reader derives them from the messages' channel ids.

Locators are ``<file>:<line>`` (1-based). A line that cannot be read is quarantined with the
reason; blank lines and date markers are not records.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from workgym.ingest.base import SNIFF_BYTES, Format, Item, decode_utf8
from workgym.model import Identity, Message, Quarantined

# --- what both dialects share ------------------------------------------------------------------

_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # (subtype, pattern over the event text without its marker); the first match wins.
    ("join", re.compile(r"(?P<nick>\S+) [(\[][^)\]]*[)\]] has joined (?P<channel>\S+)")),
    ("join", re.compile(r"(?P<nick>\S+) has joined (?P<channel>#\S*)")),
    ("join", re.compile(r"Joins: (?P<nick>\S+)")),
    ("part", re.compile(r"(?P<nick>\S+) [(\[][^)\]]*[)\]] has left (?P<channel>\S+)")),
    ("part", re.compile(r"(?P<nick>\S+) has left (?P<channel>#\S*)")),
    ("part", re.compile(r"Parts: (?P<nick>\S+)")),
    ("quit", re.compile(r"(?P<nick>\S+) \([^)]*\) Quit\b")),  # PircBot
    ("quit", re.compile(r"(?P<nick>\S+) (?:[(\[][^)\]]*[)\]] )?has quit\b")),
    ("quit", re.compile(r"Quits: (?P<nick>\S+)")),
    ("nick", re.compile(r"(?P<nick>\S+) is now known as (?P<other>\S+)$")),
    ("topic", re.compile(r"Topic is '")),  # PircBot, on joining: the topic ...
    ("topic", re.compile(r"Set by (?P<nick>[^\s!]+)\S* on ")),  # ... and who set it
    ("topic", re.compile(r"(?P<nick>\S+) changes topic to ")),
    ("topic", re.compile(r"(?P<nick>\S+) changed the topic of \S+ to")),
    ("topic", re.compile(r"Topic for \S+: ")),
    ("topic", re.compile(r"Topic set by (?P<nick>[^\s!\[]+)")),
    ("mode", re.compile(r"(?P<nick>\S+) sets mode\b")),
    ("mode", re.compile(r"mode/\S+ \[[^\]]*\] by (?P<nick>\S+)$")),
    ("kick", re.compile(r"(?P<other>\S+) was kicked (?:from \S+ )?by (?P<nick>\S+)")),
    ("server", re.compile(r"Disconnected\b")),
    # Client logs pasted into a PircBot log (Textual/Adium): "nick left the room (quit: ...)."
    ("quit", re.compile(r"(?P<nick>\S+) left the room \(quit:")),
    ("part", re.compile(r"(?P<nick>\S+) left the room\b")),
    ("join", re.compile(r"(?P<nick>\S+) (?:\[[^\]]*\] )?entered the room\b")),
)
"""Event lines of PircBot, irssi, xchat/HexChat and mIRC; ``nick`` is who acted, ``other`` the nick
acted on (the new nick, the one kicked)."""

_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_CHANNEL_IN_NAME = re.compile(r"##?[\w\-]+")
_TRAILING_DATE = re.compile(r"[_.\-]?\d{4}-?\d{2}-?\d{2}$")
_MONTHS = {
    "Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
    "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}  # fmt: skip
"""English month abbreviations, as date markers write them (whatever the locale here)."""
_ZONES = {
    "UTC": 0, "GMT": 0, "WET": 0, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
"""Offsets (hours) of the zone abbreviations that pasted log lines carry; others are quarantined."""

Said = tuple[str, str, str, str]
"""What a line says: (subtype, nick who said or did it, other nick it names, text)."""


def _event(text: str) -> Said | None:
    """Classify an event's text (marker removed) by :data:`_EVENTS`."""
    for subtype, pattern in _EVENTS:
        found = pattern.match(text)
        if found is not None:
            groups = found.groupdict()
            return subtype, groups.get("nick") or "", groups.get("other") or "", text
    return None


def _date_in_name(name: str) -> date | None:
    """The first valid ``YYYY-MM-DD`` (or ``YYYYMMDD``) date in a file name."""
    for found in _DATE_IN_NAME.finditer(name):
        try:
            return date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            continue
    return None


def _clock(day: date | None, hour: int, minute: int, second: int) -> str | None:
    """ISO UTC time of a clock reading on a day; ``""`` with no day; None when the clock is invalid."""
    if hour > 23 or minute > 59 or second > 59:
        return None
    if day is None:
        return ""
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}+00:00"


def _read(path: Path, rel: str) -> bytes | Quarantined:
    """A file's bytes, or a Quarantined saying why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        return Quarantined(rel, f"unreadable file: {rel}: {exc.strerror or exc}")


def _lines(data: bytes, rel: str) -> Iterator[tuple[int, str] | Quarantined]:
    """A file's lines, numbered from 1, without line ends; a Quarantined for each undecodable line."""
    try:
        lines = data.decode("utf-8").removeprefix("\ufeff").split("\n")
    except UnicodeDecodeError:
        for number, raw in enumerate(data.split(b"\n"), 1):
            decoded = decode_utf8(raw, f"{rel}:{number}")
            if isinstance(decoded, Quarantined):
                yield replace(decoded, reason=f"{decoded.reason} of line {number} in {rel}")
            else:
                yield number, decoded.removeprefix("\ufeff").rstrip("\r")
        return
    for number, line in enumerate(lines, 1):
        yield number, line.rstrip("\r")


@dataclass
class _Log:
    """One log file being read: its channel and day, and the nicks it has named so far."""

    rel: str
    channel: str  # "#duraspace"
    day: date | None
    nicks: set[str] = field(default_factory=set)

    def records(self, number: int, ts: str, said: Said) -> Iterator[Item]:
        """The identities a line names first, then its message."""
        subtype, nick, other, text = said
        locator = f"{self.rel}:{number}"
        for name in (nick, other):
            if name and name not in self.nicks:
                self.nicks.add(name)
                yield Identity(key=f"irc:{name}", locator=locator, handle=name)
        yield Message(
            id=f"irc:{self.channel}:{locator}",
            channel_id=f"irc:{self.channel}",
            ts=ts,
            text=text,
            locator=locator,
            author=f"irc:{nick}" if nick else "",
            subtype=subtype,
        )

    def reject(self, number: int, what: str, line: str) -> Quarantined:
        """A line that cannot be read; the reason says what is wrong, then where."""
        return Quarantined(f"{self.rel}:{number}", f"{what} on line {number} of {self.rel}", line)


# --- PircBot -----------------------------------------------------------------------------------

PIRCBOT_MARK = b'<span class="irc-date">'
"""How a PircBot log starts: every line opens with its time stamp span."""

_PIRC_LINE = re.compile(
    r'<span class="irc-date">(?P<time>[^<]*)</span>\s*<span class="irc-(?P<colour>[a-z]+)">'
    r"(?P<body>.*)</span>\s*<br\s*/?>\s*$"
)
_PIRC_CLOCK = re.compile(r"\[(\d{1,2}):(\d{2})(?::(\d{2}))?\]$")
_PIRC_LOCAL = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M)\s*([A-Z]{1,5})?$")  # pasted client logs
_TAG = re.compile(r"</?(?:a|span|br|b|i|u|font|strong|em)\b[^>]*>", re.IGNORECASE)
_JOINED = re.compile(rb"\) has joined (#[^\s<]+)")
_CHAT = re.compile(r"<(?P<nick>[^\s<>]+)> ?(?P<text>.*)$", re.DOTALL)
_PRIVATE = re.compile(r"<- \*(?P<nick>[^\s*]+)\* ?(?P<text>.*)$", re.DOTALL)
_PASTED_CHAT = re.compile(r"\s*(?P<nick>[^\s:<>]+): (?P<text>.*)$", re.DOTALL)  # "nick: text"
_STAR = re.compile(r"\* (?P<text>(?P<nick>\S+)(?: (?P<rest>.*))?)$", re.DOTALL)
_NOTICE = re.compile(r"-(?P<nick>\S+?)- ?(?P<text>.*)$", re.DOTALL)
_CTCP = re.compile(r"\[(?P<nick>\S+) [A-Z]+\]$")
_NEIGHBOURS = 8
"""How many files either side of a log without a join line are searched for the channel's name."""


def detect_pircbot(path: Path, head: bytes) -> bool:
    """Whether a file is a PircBot log: its first bytes hold a ``<span class="irc-date">``."""
    return PIRCBOT_MARK in head


def parse_pircbot(path: Path, rel: str) -> Iterator[Item]:
    """Read one PircBot log file into identities and messages.

    Args:
        path: the log file, named by its day (``2015-10-29.log``).
        rel: its path relative to the source root.

    Yields:
        For each line, the identities it names first, then its message; a
        :class:`~workgym.model.Quarantined` for each line that cannot be read.
    """
    where = rel or path.name
    data = _read(path, where)
    if isinstance(data, Quarantined):
        yield data
        return
    log = _Log(rel=where, channel=_pircbot_channel(path, data), day=_date_in_name(path.name))
    for numbered in _lines(data, log.rel):
        if isinstance(numbered, Quarantined):
            yield numbered
            continue
        number, line = numbered
        if not line.strip():
            continue
        found = _PIRC_LINE.match(line)
        if found is None:
            yield log.reject(
                number, "unrecognised PircBot line: not <span>time</span> <span>text</span><br />", line
            )
            continue
        ts = _pircbot_time(found["time"], log.day)
        if ts is None:
            yield log.reject(number, f"bad time: {found['time']!r}", line)
            continue
        body = found["body"]
        if "<" in body or "&" in body:
            body = html.unescape(_TAG.sub("", body))
        said = _pircbot_says(found["colour"], body)
        if said is None:
            yield log.reject(number, f"unrecognised {found['colour']} line: {body[:60]!r}", line)
            continue
        yield from log.records(number, ts, said)


def _pircbot_time(stamp: str, day: date | None) -> str | None:
    """A line's time as ISO UTC: ``[15:34]`` is UTC, ``2:55:07 PM CDT`` carries its own zone."""
    clock = _PIRC_CLOCK.match(stamp)
    if clock is not None:
        return _clock(day, int(clock[1]), int(clock[2]), int(clock[3] or 0))
    local = _PIRC_LOCAL.match(stamp.strip())
    if local is None:
        return None
    hour, minute, second = int(local[1]), int(local[2]), int(local[3] or 0)
    offset = _ZONES.get(local[5] or "UTC")
    if not 1 <= hour <= 12 or offset is None or _clock(day, hour, minute, second) is None:
        return None
    if day is None:
        return ""
    hour = hour % 12 + (12 if local[4] == "PM" else 0)
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
    return (moment - timedelta(hours=offset)).isoformat()


def _pircbot_says(colour: str, body: str) -> Said | None:
    """What a line's text (tags stripped, entities decoded) says, by its colour."""
    if colour == "black":
        for pattern in (_CHAT, _PRIVATE, _PASTED_CHAT):
            found = pattern.match(body)
            if found is not None:
                return ("private" if pattern is _PRIVATE else ""), found["nick"], "", found["text"]
        return _event(body.strip())
    if colour == "brick":
        action = _STAR.match(body)
        return ("action", action["nick"], "", action["rest"] or "") if action else None
    if colour == "brown":
        notice = _NOTICE.match(body)
        if notice is None:
            return None
        if "." in notice["nick"]:  # a server, not a person
            return "server", "", "", body
        return "notice", notice["nick"], "", notice["text"]
    if colour == "red" and (ctcp := _CTCP.match(body)) is not None:
        return "ctcp", ctcp["nick"], "", body
    star = _STAR.match(body)
    return _event(star["text"]) if star else None


def _pircbot_channel(path: Path, data: bytes) -> str:
    """The channel a log records: from its join lines, else a neighbouring log's, else its folder's name."""
    found = _joined_channel(data)
    if found:
        return found
    try:
        siblings = sorted(p.name for p in path.parent.iterdir() if p.name != path.name and p.suffix == ".log")
    except OSError:
        siblings = []
    here = sum(1 for name in siblings if name < path.name)
    # Nearest first, alternating later and earlier days.
    order = (i for step in range(_NEIGHBOURS) for i in (here + step, here - step - 1))
    for index in (i for i in order if 0 <= i < len(siblings)):
        try:
            with (path.parent / siblings[index]).open("rb") as fh:
                found = _joined_channel(fh.read(4 * SNIFF_BYTES))
        except OSError:
            continue
        if found:
            return found
    return path.parent.name or path.stem


def _joined_channel(data: bytes) -> str:
    """The channel of the first PircBot join line in a log's bytes, ``""`` when none."""
    found = _JOINED.search(data)
    return html.unescape(found[1].decode("utf-8", errors="replace")) if found else ""


# --- plain text logs ---------------------------------------------------------------------------

_PLAIN_LINE = re.compile(
    r"\[?(?:(?P<day>\d{4}-\d{2}-\d{2})[ T])?(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\]?"
    r"\s+(?P<body>\S.*)$"
)
_PLAIN_CHAT = re.compile(r"<[ @+%&~]?(?P<nick>[^\s<>]+)> ?(?P<text>.*)$")
_PLAIN_MARKED_EVENT = re.compile(r"(?:-!-|\*\*\*|-->|<--|--) (?P<text>.*)$")
_PLAIN_ACTION = re.compile(r"\* (?P<text>(?P<nick>[^\s*]\S*)(?: (?P<rest>.*))?)$")
_PLAIN_NOTICE = re.compile(r"-(?P<nick>[^\s!-]\S*?)- ?(?P<text>.*)$")
_MARKER = re.compile(r"(?:---|\*\*\*\*) |Session \w+:")
_MARKER_DATE = re.compile(
    r"\b(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* +(?P<day>\d{1,2})"
    r"(?: \d{1,2}:\d{2}(?::\d{2})?)? (?P<year>\d{4})\b"
)
_PLAIN_SNIFF_LINES = 5
"""How many leading non-blank lines must all be log lines for a file to be a plain log."""


def detect_plain(path: Path, head: bytes) -> bool:
    """Whether a file is a plain-text IRC log: its first non-blank lines are all log lines or date markers."""
    lines = head.decode("utf-8", errors="replace").removeprefix("\ufeff").split("\n")
    if len(head) >= SNIFF_BYTES:
        lines = lines[:-1]  # the last one may be cut short
    checked = said = 0
    for line in lines:
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if _MARKER.match(line) is None:
            stamped = _PLAIN_LINE.match(line)
            if stamped is None or _plain_says(stamped["body"]) is None:
                return False
            said += 1
        checked += 1
        if checked >= _PLAIN_SNIFF_LINES:
            break
    return said > 0


def parse_plain(path: Path, rel: str) -> Iterator[Item]:
    """Read one plain-text IRC log into identities and messages.

    Args:
        path: the log file; a ``#channel`` and a ``YYYY-MM-DD`` in its name give channel and day.
        rel: its path relative to the source root.

    Yields:
        For each line, the identities it names first, then its message; a
        :class:`~workgym.model.Quarantined` for each line that cannot be read.
    """
    where = rel or path.name
    data = _read(path, where)
    if isinstance(data, Quarantined):
        yield data
        return
    log = _Log(rel=where, channel=_plain_channel(path), day=_date_in_name(path.name))
    for numbered in _lines(data, log.rel):
        if isinstance(numbered, Quarantined):
            yield numbered
            continue
        number, line = numbered
        if not line.strip():
            continue
        if _MARKER.match(line) is not None:
            marked = _MARKER_DATE.search(line)
            if marked is not None:
                try:
                    log.day = date(int(marked["year"]), _MONTHS[marked["mon"]], int(marked["day"]))
                except ValueError:
                    yield log.reject(number, f"bad date in marker: {marked[0]!r}", line)
            continue
        stamped = _PLAIN_LINE.match(line)
        if stamped is None:
            yield log.reject(number, "unrecognised log line: no [HH:MM] time stamp", line)
            continue
        if stamped["day"]:
            try:
                log.day = date.fromisoformat(stamped["day"])
            except ValueError:
                yield log.reject(number, f"bad date: {stamped['day']!r}", line)
                continue
        ts = _clock(log.day, int(stamped["h"]), int(stamped["m"]), int(stamped["s"] or 0))
        if ts is None:
            yield log.reject(number, f"bad time: {line[: stamped.start('body')].strip()!r}", line)
            continue
        said = _plain_says(stamped["body"])
        if said is None:
            yield log.reject(number, f"unrecognised log line: {stamped['body'][:60]!r}", line)
            continue
        yield from log.records(number, ts, said)


def _plain_says(body: str) -> Said | None:
    """What the text after a plain log line's time stamp says."""
    chat = _PLAIN_CHAT.match(body)
    if chat is not None:
        return "", chat["nick"], "", chat["text"]
    marked = _PLAIN_MARKED_EVENT.match(body)
    if marked is not None:
        return _event(marked["text"]) or ("server", "", "", marked["text"])
    action = _PLAIN_ACTION.match(body)
    if action is not None:
        return _event(action["text"]) or ("action", action["nick"], "", action["rest"] or "")
    notice = _PLAIN_NOTICE.match(body)
    if notice is not None:
        if "." in notice["nick"]:
            return "server", "", "", body
        return "notice", notice["nick"], "", notice["text"]
    return None


def _plain_channel(path: Path) -> str:
    """A plain log's channel: a ``#name`` in its file name, else in its folder's name, else its stem."""
    for name in (path.name, path.parent.name):
        found = _CHANNEL_IN_NAME.search(name)
        if found is not None:
            return _TRAILING_DATE.sub("", found[0]) or found[0]
    return path.stem


FORMAT_PIRCBOT = Format(
    name="pircbot",
    description="IRC logs by PircBot's LogBot: HTML lines <span class=irc-date>[HH:MM]</span> <span ...",
    parse=parse_pircbot,
    detect_file=detect_pircbot,
    priority=60,
)
FORMAT_PLAIN = Format(
    name="irclog",
    description="plain-text IRC logs: [HH:MM] <nick> text, irssi -!- events, --- Day changed markers",
    parse=parse_plain,
    detect_file=detect_plain,
    priority=50,
)
FORMATS = (FORMAT_PIRCBOT, FORMAT_PLAIN)
"""Both chat-log formats, for the registry."""
