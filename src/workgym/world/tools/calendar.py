"""Calendar: list events (recurring ones expanded), find a free slot for several people, book an event."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from workgym.world.context import ToolContext
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, iso, json_list, page_of, parse_iso, show_time, to_json_list, when

PAGE = 20
STEP = timedelta(minutes=15)
WORK_START, WORK_END = time(9), time(17)
MAX_OCCURRENCES = 500
MAX_WALK = 20_000
"""Most occurrences of one rule walked through to reach a range (see :func:`_ahead`)."""
PERIODS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
"""The rule frequencies whose period has one length, so a rule can be started whole periods later."""
MONTHS = {"MONTHLY": 1, "YEARLY": 12}
"""The rule frequencies counted in months: started whole periods later when the day is one every month has."""
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
"""The calendar's range: a day inside the years a datetime holds, so time zones and durations fit."""


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of an event (a recurring event has many)."""

    start: datetime
    end: datetime
    row: sqlite3.Row


def _occurrences(row: sqlite3.Row, lo: datetime, hi: datetime) -> list[Occurrence]:
    """The occurrences of an event overlapping [lo, hi)."""
    if not row["start"]:
        return []
    start = parse_iso(row["start"])
    end = parse_iso(row["end"]) if row["end"] else start + timedelta(hours=1)
    length = max(end - start, timedelta(0))
    starts = [start]
    if row["recurrence"]:
        try:
            rule = rrulestr(row["recurrence"], dtstart=_ahead(row["recurrence"], start, lo - length))
            starts = []
            for walked, moment in enumerate(rule):
                if moment >= hi or len(starts) >= MAX_OCCURRENCES or walked >= MAX_WALK:
                    break
                if moment + length > lo:
                    starts.append(moment)
        except (ValueError, TypeError, OverflowError):
            starts = [start]  # an RRULE we cannot read (or one reaching past 9999): the first occurrence only
    return [Occurrence(s, s + length, row) for s in starts if s < hi and s + length > lo]


def _ahead(recurrence: str, start: datetime, lo: datetime) -> datetime:
    """The rule's start moved ahead by whole cycles to just before ``lo``, where that keeps its occurrences.

    dateutil walks a rule from its start: a weekly meeting since 2024, asked about the year 9000,
    would walk 365,000 weeks. A rule without a COUNT repeats every INTERVAL periods, so starting
    it a whole number of cycles later gives the same occurrences from there on: for periods of
    one length (weekly or shorter; times are UTC, so no daylight saving), and for months and
    years when the start's day (the rule's implied day of the month) is one every month has. Any
    other rule (a COUNT, the 31st, several lines) starts where it did, and :data:`MAX_WALK`
    bounds the walk.
    """
    text = recurrence.strip()
    if "\n" in text:
        return start
    fields = {}
    for part in text.upper().removeprefix("RRULE:").split(";"):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip()
    freq, interval = fields.get("FREQ", ""), fields.get("INTERVAL", "1")
    if "COUNT" in fields or not interval.isdigit() or int(interval) < 1:
        return start
    period = PERIODS.get(freq)
    if period is not None:
        cycle = period * int(interval)
        cycles = (lo - start) // cycle - 1
        return start + cycles * cycle if cycles > 0 else start
    if freq in MONTHS and start.day <= 28:
        cycle_months = MONTHS[freq] * int(interval)
        cycles = ((lo.year - start.year) * 12 + lo.month - start.month) // cycle_months - 1
        return start + relativedelta(months=cycles * cycle_months) if cycles > 0 else start
    return start


def _events(ctx: ToolContext, lo: datetime, hi: datetime, person: str | None = None) -> list[Occurrence]:
    rows = ctx.state.query(
        "SELECT * FROM calendar_event WHERE start != '' AND start < ? AND (\"end\" > ? OR recurrence != '' "
        "OR \"end\" = '') AND lower(status) != 'cancelled' ORDER BY start, id",
        (iso(hi), iso(lo)),
    )
    out: list[Occurrence] = []
    for row in rows:
        if person and row["organizer"] != person and person not in json_list(row["attendees"]):
            continue
        out.extend(_occurrences(row, lo, hi))
    return sorted(out, key=lambda o: (o.start, o.row["id"]))


def _within(moment: datetime, name: str) -> datetime:
    """``moment`` checked to lie in the calendar's range (:data:`EARLIEST` to :data:`LATEST`).

    Raises:
        ToolError: it does not.
    """
    if not EARLIEST <= moment <= LATEST:
        raise ToolError(
            f"{name} {show_time(iso(moment))} is outside the calendar "
            f"({show_time(iso(EARLIEST))} to {show_time(iso(LATEST))})"
        )
    return moment


def _range(ctx: ToolContext, after: str, before: str, days: int) -> tuple[datetime, datetime]:
    if after:
        lo = _within(parse_iso(when(after, name="after")), "after")
    else:
        lo = _within(parse_iso(ctx.now), "now, the start,")
    if before:
        hi = _within(parse_iso(when(before, end=True, name="before")), "before")
    else:
        hi = lo + timedelta(days=days) if lo <= LATEST - timedelta(days=days) else LATEST
    if hi <= lo:
        raise ToolError("before must be later than after")
    if hi - lo > timedelta(days=366):
        raise ToolError("the range is longer than a year; narrow it")
    return lo, hi


@tool("calendar")
def list_events(ctx: ToolContext, after: str = "", before: str = "", person: str = "", page: int = 1) -> str:
    """List calendar events in a time range (default: the next 7 days), recurring events expanded.

    Args:
        after: the range's start (ISO 8601); default now.
        before: the range's end (ISO 8601; a bare date is the whole day); default 7 days after the start.
        person: only events this person organizes or attends.
        page: which page of events (20 per page).
    """
    lo, hi = _range(ctx, after, before, 7)
    pid = ctx.person(person).id if person else None
    found = _events(ctx, lo, hi, pid)
    p = page_of(page, PAGE, len(found))
    lines = [f"events {show_time(iso(lo))} – {show_time(iso(hi))}" + (f" for {ctx.name(pid)}" if pid else "")]
    for o in found[p.offset : p.offset + PAGE]:
        r = o.row
        bits = [f"{show_time(iso(o.start))}–{iso(o.end)[11:16]} {clip(r['title'], 80)} ({r['id']})"]
        bits.append(f"organizer {ctx.name(r['organizer'])}")
        attendees = json_list(r["attendees"])
        if attendees:
            names = ", ".join(ctx.name(a) for a in attendees[:4])
            bits.append(f"with {names}{' …' if len(attendees) > 4 else ''}")
        if r["location"]:
            bits.append(clip(r["location"], 40))
        if r["recurrence"]:
            bits.append("recurring")
        lines.append(" · ".join(bits))
    lines.append(p.footer("events"))
    return "\n".join(lines)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _working(moment: datetime, end: datetime, zones: list[ZoneInfo]) -> bool:
    for zone in zones:
        a, b = moment.astimezone(zone), (end - timedelta(microseconds=1)).astimezone(zone)
        if a.date() != b.date() or a.weekday() >= 5 or a.time() < WORK_START or b.time() >= WORK_END:
            return False
    return True


@tool("calendar")
def find_free_slot(
    ctx: ToolContext, attendees: list[str], duration_minutes: int = 30, after: str = "", before: str = ""
) -> str:
    """Find the first times when everyone (you included) is free, within working hours (9–17, Monday–Friday, each person's time zone).

    Args:
        attendees: the people who must attend (names, handles, e-mail addresses or ids).
        duration_minutes: how long the meeting is.
        after: the earliest start (ISO 8601); default now.
        before: the latest end (ISO 8601); default 14 days after the start.
    """
    if not 5 <= duration_minutes <= 8 * 60:
        raise ToolError("duration_minutes must be between 5 and 480")
    people = [ctx.person(a, what="attendee").id for a in attendees]
    if ctx.persona and ctx.persona not in people:
        people.append(ctx.persona)
    if not people:
        raise ToolError("give at least one attendee")
    lo, hi = _range(ctx, after, before, 14)
    length = timedelta(minutes=duration_minutes)
    zones = [_zone(ctx.facts.people[p].timezone) for p in people if p in ctx.facts.people]
    busy = sorted({(o.start, o.end) for p in people for o in _events(ctx, lo, hi, p)})
    # Round up to the next quarter hour, then walk.
    moment = lo.replace(second=0, microsecond=0)
    moment += timedelta(minutes=(-moment.minute) % 15)
    slots: list[tuple[datetime, datetime]] = []
    while moment + length <= hi and len(slots) < 3:
        end = moment + length
        clash = next((b for b in busy if b[0] < end and b[1] > moment), None)
        if clash is not None:
            moment = max(moment + STEP, clash[1])
            moment += timedelta(minutes=(-moment.minute) % 15)
            continue
        if _working(moment, end, zones):
            slots.append((moment, end))
            moment = end
        else:
            moment += STEP
    names = ", ".join(ctx.name(p) for p in people)
    if not slots:
        return f"no common free {duration_minutes}-minute slot for {names} in that range"
    lines = [f"free for {names} ({duration_minutes} min):"]
    lines += [f"  {iso(a)} – {iso(b)}" for a, b in slots]
    return "\n".join(lines)


@tool("calendar", writes=True)
def create_event(
    ctx: ToolContext,
    title: str,
    start: str,
    duration_minutes: int = 30,
    attendees: list[str] | None = None,
    description: str = "",
    location: str = "",
) -> str:
    """Book a calendar event organized by you and invite people; says if an invitee is busy then.

    Args:
        title: the event's title.
        start: when it starts (ISO 8601 date-time; UTC unless an offset is given).
        duration_minutes: how long it lasts.
        attendees: who to invite (names, handles, e-mail addresses or ids).
        description: the agenda or notes.
        location: a room or a call link.
    """
    me = ctx.me()
    if not title.strip():
        raise ToolError("the title is empty")
    if not 5 <= duration_minutes <= 24 * 60:
        raise ToolError("duration_minutes must be between 5 and 1440")
    begin = _within(parse_iso(when(start, name="start")), "start")
    if begin < parse_iso(ctx.now):
        raise ToolError(f"{show_time(iso(begin))} is in the past (it is now {show_time(ctx.now)})")
    end = _within(begin + timedelta(minutes=duration_minutes), "the end")
    people = [ctx.person(a, what="attendee").id for a in attendees or []]
    clashes = sorted({ctx.name(p) for p in [me, *people] if _events(ctx, begin, end, p)})
    event_id = f"{ctx.new_id('calendar_event')}@workgym"
    ctx.state.insert(
        "calendar_event",
        {
            "id": event_id,
            "title": title.strip(),
            "locator": "world",
            "description": description,
            "start": iso(begin),
            "end": iso(end),
            "location": location,
            "organizer": me,
            "attendees": to_json_list(people),
            "status": "CONFIRMED",
        },
    )
    note = f"; busy then: {', '.join(clashes)}" if clashes else ""
    return f"booked {event_id}: {clip(title, 80)} {show_time(iso(begin))}–{iso(end)[11:16]}{note}"
