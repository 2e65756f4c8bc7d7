"""Calendars: iCalendar ``.ics`` files (Google Calendar, Outlook, Thunderbird exports).

Each VEVENT becomes one :class:`~workgym.model.CalendarEvent` and each ``mailto:`` organizer or
attendee one ``email:`` :class:`~workgym.model.Identity` (named by its ``CN``). Times are UTC:
a ``TZID`` is resolved through the file's VTIMEZONE definitions, IANA names and the Windows zone
names Outlook writes; a floating time, or one in a zone nobody defines, is taken as UTC. All-day
(``DATE``) values stay dates: ``2015-06-05``.

The file is cut into VEVENT blocks here, line by line, and each block is parsed on its own with
``icalendar``: so one broken event (an unparseable line, a bad date, no ``END:VEVENT``) is
quarantined alone, where parsing the whole file would lose every event or, for a missing
``END:VEVENT``, silently drop them. Locators are ``rel#N`` for the N-th VEVENT (0-based) in the
file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar, Component

from workgym.ingest.base import Format, Item
from workgym.ingest.timefmt import iso_utc
from workgym.model import CalendarEvent, Identity, Quarantined


@dataclass
class _Block:
    """The lines of one VEVENT or VTIMEZONE as written, and the line where it begins (1-based)."""

    line: int
    lines: list[str] = field(default_factory=list)
    closed: bool = False

    @property
    def text(self) -> str:
        return "\r\n".join(self.lines) + "\r\n"


@dataclass
class _Scan:
    """What a line scan of an iCalendar file found."""

    has_calendar: bool = False
    events: list[_Block] = field(default_factory=list)
    timezones: list[_Block] = field(default_factory=list)


class _EventError(ValueError):
    """A VEVENT that parsed but cannot be read as an event; the message is the quarantine reason."""


def detect_ics(path: Path, head: bytes) -> bool:
    """Recognise an iCalendar file: it opens with ``BEGIN:VCALENDAR``, or is named ``.ics``."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:15]
    return start.upper() == b"BEGIN:VCALENDAR" or path.suffix.lower() == ".ics"


def _decode(data: bytes) -> str:
    """The text of the file: UTF-8 as RFC 5545 asks, else Windows-1252, else Latin-1 (never fails)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _scan(text: str) -> _Scan:
    """Cut the file into VEVENT and VTIMEZONE blocks; a block left open is kept with closed=False."""
    found = _Scan()
    current: _Block | None = None
    kind = ""
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        marker = line.strip().upper()
        if marker == "BEGIN:VCALENDAR":
            found.has_calendar = True
        if current is None:
            if marker in ("BEGIN:VEVENT", "BEGIN:VTIMEZONE"):
                kind = marker[len("BEGIN:") :]
                current = _Block(line=number, lines=[line])
                (found.events if kind == "VEVENT" else found.timezones).append(current)
            continue
        if marker == f"END:{kind}":
            current.lines.append(line)
            current.closed = True
            current = None
        elif marker in ("BEGIN:VEVENT", "BEGIN:VTIMEZONE", "END:VCALENDAR"):
            # The block was never closed; this line begins what follows it.
            current = None
            if marker != "END:VCALENDAR":
                kind = marker[len("BEGIN:") :]
                current = _Block(line=number, lines=[line])
                (found.events if kind == "VEVENT" else found.timezones).append(current)
        else:
            current.lines.append(line)
    return found


def _register_timezones(blocks: list[_Block]) -> None:
    """Let icalendar resolve the TZIDs these VTIMEZONE definitions name.

    icalendar keeps custom zones in a process-wide cache, first definition of a name winning.
    """
    closed = [block.text for block in blocks if block.closed]
    if not closed:
        return
    try:
        Calendar.from_ical("BEGIN:VCALENDAR\r\n" + "".join(closed) + "END:VCALENDAR\r\n")
    except Exception:  # a broken definition: its events then read as floating times (UTC)
        return


def _single(component: Component, name: str) -> Any:
    """The one value of a property, or None; a property given twice is an error."""
    value = component.get(name)
    if isinstance(value, list):
        raise _EventError(f"{name} is given {len(value)} times")
    return value


def _text(component: Component, name: str) -> str:
    """A text property as text (escapes undone); the first when it is repeated."""
    value = component.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value)


def _moment(value: object) -> str:
    """A decoded DATE or DATE-TIME as the store keeps it."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise _EventError(f"not a date or time: {value!r}")


def _time(component: Component, name: str) -> str:
    if _single(component, name) is None:
        return ""
    return _moment(component.decoded(name))


def _end(component: Component) -> str:
    """DTEND, else DTSTART + DURATION, else ""."""
    if component.get("DTEND") is not None:
        return _time(component, "DTEND")
    if _single(component, "DURATION") is None:
        return ""
    duration = component.decoded("DURATION")
    start = component.decoded("DTSTART")
    if not isinstance(duration, timedelta) or not isinstance(start, date):
        raise _EventError(f"DURATION is not a duration: {duration!r}")
    return _moment(start + duration)


def _address(value: object) -> tuple[str, str] | None:
    """(lowercased address, CN) of a ``mailto:`` calendar address, else None."""
    text = str(value).strip()
    if not text.lower().startswith("mailto:"):
        return None
    address = text[len("mailto:") :].strip().lower()
    if "@" not in address:
        return None
    params = getattr(value, "params", {})
    return address, str(params.get("CN", "")).strip()


def _recurrence(component: Component) -> str:
    value = component.get("RRULE")
    rules = value if isinstance(value, list) else [] if value is None else [value]
    return "\n".join(rule.to_ical().decode() for rule in rules)


def _event(block: _Block, locator: str) -> tuple[CalendarEvent, list[tuple[str, str]]]:
    """The event of one VEVENT block and the (address, CN) pairs it names.

    Raises:
        _EventError: the block cannot be read as an event; the message says why.
    """
    try:
        component = Component.from_ical(block.text)
    except Exception as exc:  # icalendar raises assorted errors on malformed input
        raise _EventError(f"unreadable VEVENT: {type(exc).__name__}: {exc}") from exc
    if component.errors:
        problems = "; ".join(f"{name or 'content line'}: {message}" for name, message in component.errors)
        raise _EventError(f"unreadable VEVENT: {problems}")
    if component.get("DTSTART") is None:
        raise _EventError("VEVENT without DTSTART")
    try:
        return _read_event(component, block, locator)
    except _EventError:
        raise
    except Exception as exc:  # a value icalendar parsed but cannot decode
        raise _EventError(f"unreadable VEVENT: {type(exc).__name__}: {exc}") from exc


def _read_event(
    component: Component, block: _Block, locator: str
) -> tuple[CalendarEvent, list[tuple[str, str]]]:
    """The fields of a parsed VEVENT; raises _EventError or whatever icalendar raises."""
    start = _time(component, "DTSTART")
    uid = _text(component, "UID").strip()
    recurrence_id = _time(component, "RECURRENCE-ID")
    if not uid:
        uid = f"workgym-{hashlib.sha1(block.text.encode()).hexdigest()[:16]}@generated"
    organizer = _address(_single(component, "ORGANIZER"))
    attendee_values = component.get("ATTENDEE")
    if not isinstance(attendee_values, list):
        attendee_values = [] if attendee_values is None else [attendee_values]
    attendees = [found for found in map(_address, attendee_values) if found is not None]
    event = CalendarEvent(
        id=f"{uid}@{recurrence_id}" if recurrence_id else uid,
        title=_text(component, "SUMMARY"),
        locator=locator,
        description=_text(component, "DESCRIPTION"),
        start=start,
        end=_end(component),
        location=_text(component, "LOCATION"),
        organizer=f"email:{organizer[0]}" if organizer else "",
        attendees=tuple(dict.fromkeys(f"email:{address}" for address, _ in attendees)),
        recurrence=_recurrence(component),
        status=_text(component, "STATUS"),
    )
    return event, ([organizer] if organizer else []) + attendees


def parse_ics(path: Path, rel: str) -> Iterator[Item]:
    """Read an iCalendar file into calendar events and identities; see the module docstring."""
    shown = rel or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Quarantined(locator=rel, reason=f"unreadable file: {shown}: {exc.strerror or exc}")
        return
    text = _decode(data)
    if not text.strip():
        return
    scan = _scan(text)
    if not scan.has_calendar:
        yield Quarantined(
            locator=rel, reason=f"not an iCalendar file: {shown} has no BEGIN:VCALENDAR", raw=text
        )
        return
    if not scan.events:
        try:
            Calendar.from_ical(text, multiple=True)
        except ValueError as exc:
            yield Quarantined(locator=rel, reason=f"unreadable iCalendar file: {shown}: {exc}", raw=text)
        return  # a calendar of to-dos or free/busy only holds no events
    _register_timezones(scan.timezones)
    named: dict[str, str] = {}
    for index, block in enumerate(scan.events):
        locator = f"{rel}#{index}"
        where = f"{shown} VEVENT #{index} at line {block.line}"
        if not block.closed:
            reason = f"VEVENT without END:VEVENT: {where}"
            yield Quarantined(locator=locator, reason=reason, raw=block.text)
            continue
        try:
            event, people = _event(block, locator)
        except _EventError as exc:
            yield Quarantined(locator=locator, reason=f"{exc}: {where}", raw=block.text)
            continue
        for address, name in people:
            key = f"email:{address}"
            if key not in named or (name and not named[key]):
                named[key] = name
                yield Identity(key=key, locator=locator, display_name=name, emails=(address,))
        yield event


FORMAT = Format(
    name="ics",
    description="iCalendar files (.ics) from Google Calendar, Outlook, Thunderbird",
    parse=parse_ics,
    detect_file=detect_ics,
    priority=30,
)

__all__ = ["FORMAT", "detect_ics", "parse_ics"]
