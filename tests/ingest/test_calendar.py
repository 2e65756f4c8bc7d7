"""iCalendar reading: events in UTC, all-day dates, recurrences, people, quarantine and detection."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from workgym.ingest import calendar
from workgym.ingest.base import SNIFF_BYTES, Item
from workgym.model import CalendarEvent, Identity, Quarantined

TEAM_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp//Calendar 1.0//EN
BEGIN:VTIMEZONE
TZID:Office Time
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:standup-1@example.com
SUMMARY:Daily standup
DESCRIPTION:Agenda:\\n- blockers\\, if any\\n- ALOY-1064
DTSTART;TZID=Office Time:20150605T093000
DTEND;TZID=Office Time:20150605T094500
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20151231T000000Z
LOCATION:Room 4
STATUS:CONFIRMED
ORGANIZER;CN="Smith, Jo":mailto:Jo@Example.com
ATTENDEE;CN=Bo Berg;ROLE=REQ-PARTICIPANT:mailto:bo@example.org
ATTENDEE;CN=Al:MAILTO:al@example.net
ATTENDEE;CN=Room 4:urn:uuid:room-4
END:VEVENT
BEGIN:VEVENT
UID:standup-1@example.com
RECURRENCE-ID;TZID=Office Time:20150608T093000
SUMMARY:Daily standup (moved)
DTSTART;TZID=America/New_York:20150608T100000
DURATION:PT30M
END:VEVENT
BEGIN:VEVENT
UID:offsite@example.com
SUMMARY:Offsite
DTSTART;VALUE=DATE:20150610
DTEND;VALUE=DATE:20150612
END:VEVENT
BEGIN:VEVENT
UID:broken@example.com
SUMMARY:Broken start
DTSTART:next tuesday
END:VEVENT
BEGIN:VEVENT
UID:nostart@example.com
SUMMARY:No start
END:VEVENT
BEGIN:VEVENT
SUMMARY:No UID
DTSTART:20150615T120000Z
DTEND:20150615T130000Z
ORGANIZER:mailto:bo@example.org
END:VEVENT
BEGIN:VEVENT
UID:outlook@example.com
SUMMARY:From Outlook
DTSTART;TZID=Eastern Standard Time:20150616T090000
DTEND;TZID=Eastern Standard Time:20150616T100000
END:VEVENT
END:VCALENDAR
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode())
    return path


def _events(items: Iterable[Item]) -> list[CalendarEvent]:
    return [item for item in items if isinstance(item, CalendarEvent)]


def _quarantined(items: Iterable[Item]) -> list[Quarantined]:
    return [item for item in items if isinstance(item, Quarantined)]


@pytest.fixture
def team_items(tmp_path: Path) -> list[Item]:
    path = _write(tmp_path / "team.ics", TEAM_ICS)
    return list(calendar.parse_ics(path, "cal/team.ics"))


@pytest.fixture
def by_locator(team_items: list[Item]) -> dict[str, CalendarEvent | Quarantined]:
    return {item.locator: item for item in team_items if isinstance(item, CalendarEvent | Quarantined)}


def test_when_ics_is_read_then_each_vevent_is_an_event_or_quarantined(team_items: list[Item]) -> None:
    assert len(_events(team_items)) + len(_quarantined(team_items)) == TEAM_ICS.count("BEGIN:VEVENT")
    assert len(_quarantined(team_items)) == 2


def test_when_tzid_names_a_vtimezone_then_times_are_utc(by_locator: dict[str, object]) -> None:
    standup = by_locator["cal/team.ics#0"]
    assert isinstance(standup, CalendarEvent)
    assert standup.id == "standup-1@example.com"
    assert standup.start == "2015-06-05T07:30:00+00:00"  # 09:30 at +02:00 (summer)
    assert standup.end == "2015-06-05T07:45:00+00:00"


def test_when_tzid_is_a_windows_zone_name_then_it_is_resolved(by_locator: dict[str, object]) -> None:
    outlook = by_locator["cal/team.ics#6"]
    assert isinstance(outlook, CalendarEvent)
    assert outlook.start == "2015-06-16T13:00:00+00:00"  # 09:00 EDT
    assert outlook.end == "2015-06-16T14:00:00+00:00"


def test_when_event_is_all_day_then_start_and_end_are_dates(by_locator: dict[str, object]) -> None:
    offsite = by_locator["cal/team.ics#2"]
    assert isinstance(offsite, CalendarEvent)
    assert (offsite.start, offsite.end) == ("2015-06-10", "2015-06-12")


def test_when_event_recurs_then_rrule_is_kept(by_locator: dict[str, object]) -> None:
    standup = by_locator["cal/team.ics#0"]
    assert isinstance(standup, CalendarEvent)
    assert standup.recurrence == "FREQ=WEEKLY;UNTIL=20151231T000000Z;BYDAY=MO,TU,WE,TH,FR"


def test_when_instance_is_overridden_then_id_adds_the_recurrence_id(by_locator: dict[str, object]) -> None:
    moved = by_locator["cal/team.ics#1"]
    assert isinstance(moved, CalendarEvent)
    assert moved.id == "standup-1@example.com@2015-06-08T07:30:00+00:00"
    assert moved.start == "2015-06-08T14:00:00+00:00"
    assert moved.end == "2015-06-08T14:30:00+00:00"  # DTSTART + DURATION
    assert moved.recurrence == ""


def test_when_text_has_ical_escapes_then_they_are_undone(by_locator: dict[str, object]) -> None:
    standup = by_locator["cal/team.ics#0"]
    assert isinstance(standup, CalendarEvent)
    assert standup.title == "Daily standup"
    assert standup.description == "Agenda:\n- blockers, if any\n- ALOY-1064"
    assert (standup.location, standup.status) == ("Room 4", "CONFIRMED")


def test_when_event_has_people_then_mailto_addresses_become_identities(team_items: list[Item]) -> None:
    standup = _events(team_items)[0]
    assert standup.organizer == "email:jo@example.com"
    assert standup.attendees == ("email:bo@example.org", "email:al@example.net")  # the room has no mailto
    identities = {item.key: item for item in team_items if isinstance(item, Identity)}
    assert identities["email:jo@example.com"].display_name == "Smith, Jo"
    assert identities["email:jo@example.com"].emails == ("jo@example.com",)
    assert identities["email:jo@example.com"].locator == "cal/team.ics#0"
    assert identities["email:bo@example.org"].display_name == "Bo Berg"
    assert identities["email:al@example.net"].display_name == "Al"
    assert len(identities) == 3


def test_when_uid_is_absent_then_id_is_a_stable_hash(tmp_path: Path, by_locator: dict[str, object]) -> None:
    no_uid = by_locator["cal/team.ics#5"]
    assert isinstance(no_uid, CalendarEvent)
    assert no_uid.id.startswith("workgym-") and no_uid.id.endswith("@generated")
    again = list(calendar.parse_ics(_write(tmp_path / "copy.ics", TEAM_ICS), "copy.ics"))
    assert no_uid.id in {event.id for event in _events(again)}


def test_when_dtstart_is_unparseable_then_the_event_is_quarantined(by_locator: dict[str, object]) -> None:
    broken = by_locator["cal/team.ics#3"]
    assert isinstance(broken, Quarantined)
    assert broken.reason.startswith("unreadable VEVENT: DTSTART")
    assert "cal/team.ics VEVENT #3 at line" in broken.reason
    assert "DTSTART:next tuesday" in broken.raw


def test_when_dtstart_is_missing_then_the_event_is_quarantined(by_locator: dict[str, object]) -> None:
    no_start = by_locator["cal/team.ics#4"]
    assert isinstance(no_start, Quarantined)
    assert no_start.reason.startswith("VEVENT without DTSTART")


@pytest.mark.parametrize(
    ("vevent", "reason"),
    [
        # a line that is no content line
        ("BEGIN:VEVENT\nUID:g\nDTSTART:20150101T100000Z\nthis is garbage\nEND:VEVENT\n", "unreadable VEVENT"),
        # never closed: the next VEVENT begins first
        ("BEGIN:VEVENT\nUID:open\nDTSTART:20150101T100000Z\n", "VEVENT without END:VEVENT"),
        # two starts
        (
            "BEGIN:VEVENT\nUID:two\nDTSTART:20150101T100000Z\nDTSTART:20150102T100000Z\nEND:VEVENT\n",
            "DTSTART is",
        ),
    ],
    ids=["garbage-line", "unclosed", "two-starts"],
)
def test_when_one_vevent_is_broken_then_only_it_is_quarantined(
    tmp_path: Path, vevent: str, reason: str
) -> None:
    good = "BEGIN:VEVENT\nUID:good\nDTSTART:20150102T100000Z\nEND:VEVENT\n"
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\n{vevent}{good}END:VCALENDAR\n"
    items = list(calendar.parse_ics(_write(tmp_path / "x.ics", text), "x.ics"))
    (bad,) = _quarantined(items)
    assert bad.locator == "x.ics#0"
    assert bad.reason.startswith(reason)
    assert [(e.id, e.locator) for e in _events(items)] == [("good", "x.ics#1")]


def test_when_last_vevent_is_not_closed_then_it_is_quarantined(tmp_path: Path) -> None:
    text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nDTSTART:20150101T100000Z\n"
    (bad,) = calendar.parse_ics(_write(tmp_path / "cut.ics", text), "cut.ics")
    assert isinstance(bad, Quarantined)
    assert bad.reason == "VEVENT without END:VEVENT: cut.ics VEVENT #0 at line 2"


@pytest.mark.parametrize(
    "text",
    [
        "hello, this is not a calendar\n",  # no VCALENDAR at all
        "BEGIN:VCALENDAR\nthis line is garbage\nEND:VCALENDAR\n",  # a calendar icalendar cannot parse
    ],
    ids=["not-ical", "garbage"],
)
def test_when_file_is_not_parseable_then_one_quarantined_for_the_file(tmp_path: Path, text: str) -> None:
    (bad,) = calendar.parse_ics(_write(tmp_path / "bad.ics", text), "cal/bad.ics")
    assert isinstance(bad, Quarantined)
    assert bad.locator == "cal/bad.ics"
    assert "cal/bad.ics" in bad.reason


def test_when_ics_is_empty_or_has_no_events_then_no_records(tmp_path: Path) -> None:
    assert list(calendar.parse_ics(_write(tmp_path / "empty.ics", ""), "empty.ics")) == []
    todo = "BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nSUMMARY:x\nEND:VTODO\nEND:VCALENDAR\n"
    assert list(calendar.parse_ics(_write(tmp_path / "todo.ics", todo), "todo.ics")) == []


def test_when_file_is_latin1_then_it_is_still_read(tmp_path: Path) -> None:
    text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:l\nSUMMARY:Réunion\nDTSTART:20150101T100000Z\nEND:VEVENT\nEND:VCALENDAR\n"
    path = tmp_path / "latin.ics"
    path.write_bytes(text.encode("latin-1"))
    (event,) = _events(calendar.parse_ics(path, "latin.ics"))
    assert event.title == "Réunion"


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("team.ics", TEAM_ICS.encode(), True),  # by content and name
        ("export.txt", b"\xef\xbb\xbfBEGIN:VCALENDAR\r\nVERSION:2.0\r\n", True),  # by content, BOM first
        ("empty.ics", b"", True),  # by name
        ("notes.txt", b"BEGIN:VCARD\nFN:Jo\nEND:VCARD\n", False),  # a vCard
        ("notes.md", b"# Calendar\n\nBEGIN:VCALENDAR", False),  # prose mentioning it
    ],
)
def test_when_file_is_sniffed_then_ics_is_recognised(name: str, head: bytes, expected: bool) -> None:
    assert calendar.detect_ics(Path(name), head[:SNIFF_BYTES]) is expected


def test_when_format_is_listed_then_it_reads_files() -> None:
    assert calendar.FORMAT.name == "ics"
    assert calendar.FORMAT.detect_file is not None and calendar.FORMAT.detect_dir is None
