"""Dates written in words or with slashes, as mail headers and reply attributions write them.

A reply quotes the time of the mail it answers (``On Wed, May 29, 2019 at 12:22, Jo wrote:``,
``Date: Wed, 29 May 2019 12:22:00 +0200``, ``On 2019/9/24 4:34, Jo wrote:``). Left as written
beside the moved date of the reply, it would give the date offset away, so
:mod:`workgym.anonymize.rewrite` moves it by the offset, in the same words (:func:`move`). A
month or weekday inside such a date is a date, not a name (``Jan``, ``May``), and so is the month
of an archive's ``YYYY-Month`` (:data:`ARCHIVE_MONTH`): the directory's matcher asks :func:`in_date`.

Dates of numbers alone (``9/10/2019``, ``10.09.2019``, ``10-09-2019``, with a time after or not)
are moved too (:func:`numeric_dates`, :func:`move_numeric`). Their order is what the date itself
says when one field is over 12 (``24/9/2019`` is day first), else what the other such dates of the
same text say, else the habit of the separator (dots day first, as in Europe; slashes and dashes
month first). Where that is only a habit, the reading chosen is one whose moved date is a real
date in both orders when there is such a reading, so that a reader of the other habit never
meets an impossible date (``9/24/2019`` read day first); the moved date is written with the same
separator and padding.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")  # fmt: skip

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
_WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)"

DATE_IN_WORDS = re.compile(
    # "29 May 2019" (RFC 2822) and "May 29, 2019" / "May 29th 2019"; a weekday before is kept as
    # written, the offset being whole weeks.
    rf"\b(?P<weekday>{_WEEKDAY}\.?,?[ \t]+)?"
    rf"(?:(?P<day>[0-3]?\d)[ \t]+(?P<month>{_MONTH})\.?,?[ \t]+"
    rf"|(?P<month2>{_MONTH})\.?[ \t]+(?P<day2>[0-3]?\d)(?P<ordinal>st|nd|rd|th)?,?[ \t]+)"
    r"(?P<year>(?:19|20)\d\d)\b"
)
"""A date in words (see :func:`date_of` for which matches name a day)."""

DATE_WITH_SLASHES = re.compile(
    r"(?<![\w/.-])(?P<year>(?:19|20)\d\d)/(?P<month>1[0-2]|0?[1-9])/(?P<day>3[01]|[12]\d|0?[1-9])(?![\w/-])"
)
"""A date written year first with slashes (``2019/9/24``): its order is never in doubt."""

DATE_WORDS: frozenset[str] = frozenset(
    [m.lower() for m in MONTHS] + [m[:3].lower() for m in MONTHS] + ["sept"]
    + ["mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun"]
    + [f"{d}day" for d in ["mon", "tues", "wednes", "thurs", "fri", "satur", "sun"]]
)  # fmt: skip
"""Months and weekdays, full and short: the words a date in words is made of."""


def date_of(m: re.Match[str]) -> datetime | None:
    """The day a match of :data:`DATE_IN_WORDS` or :data:`DATE_WITH_SLASHES` names, or None (``31 Feb``)."""
    month = m.groupdict().get("month2") or m["month"]
    if month.isdigit():
        number = int(month)
    else:
        low = month.lower()
        number = next((i for i, name in enumerate(MONTHS, 1) if name.lower().startswith(low[:3])), 0)
        if not number or not (MONTHS[number - 1].lower().startswith(low) or low == "sept"):
            return None  # "Marching", "Junk": no month
    try:
        return datetime(int(m["year"]), number, int(m.groupdict().get("day2") or m["day"]))
    except ValueError:
        return None


def move(m: re.Match[str], shift: timedelta) -> str:
    """The date of ``m`` moved by ``shift``, written as it was (month short or spelled, day padded or not)."""
    day = date_of(m)
    text = m.group(0)
    if day is None:
        return text
    moved = day + shift
    at = m.start()
    if m.re is DATE_WITH_SLASHES:
        padded = len(m["month"]) == 2 or len(m["day"]) == 2
        return (
            f"{moved.year}/{moved.month:02d}/{moved.day:02d}"
            if padded
            else f"{moved.year}/{moved.month}/{moved.day}"
        )
    month = m["month"] or m["month2"]
    short = month.lower() != MONTHS[day.month - 1].lower()  # "Jun", "Sept"
    if month == "May":  # short or full: short after a short weekday ("Wed, 29 May 2019")
        short = bool(m["weekday"]) and len(m["weekday"].rstrip(" \t,.")) == 3
    name = MONTHS[moved.month - 1]
    if short:
        name = "Sept" if month == "Sept" and moved.month == 9 else name[:3]
    written = m["day"] or m["day2"]
    number = f"{moved.day:02d}" if len(written) == 2 and written[0] == "0" else str(moved.day)
    if m["ordinal"]:
        number += (
            "th" if 10 <= moved.day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(moved.day % 10, "th")
        )
    if m["day"] is not None:  # "29 May 2019"
        head = text[: m.start("day") - at]
        between = text[m.end("day") - at : m.start("month") - at]
        after = text[m.end("month") - at : m.start("year") - at]
        return f"{head}{number}{between}{name}{after}{moved.year}"
    head = text[: m.start("month2") - at]
    between = text[m.end("month2") - at : m.start("day2") - at]
    after = text[m.end("ordinal" if m["ordinal"] else "day2") - at : m.start("year") - at]
    return f"{head}{name}{between}{number}{after}{moved.year}"


ARCHIVE_MONTH = re.compile(
    # Not inside a word or a longer id, but a file name's "_" is a boundary; "2016-May-3" is no month.
    r"(?<![^\W_])(?<![.-])(?:19|20)\d\d-(?:" + "|".join(MONTHS) + r")(?![^\W_])(?!-\d)"
)
"""A year and month as mail archives name their months (``.../pipermail/list/2016-June/...``).

:mod:`workgym.anonymize.rewrite` moves it as a date (the month its middle moves to), so its
month is a date here too, never a name (``June``, ``April``, ``May`` are given names as well).
"""


def in_date(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is a month or weekday of a date in words, or an archive's month."""
    if text[start:end].lower() not in DATE_WORDS:
        return False
    if start >= 5 and text[start - 1] == "-" and text[start - 5 : start - 1].isdigit():
        m = ARCHIVE_MONTH.match(text, start - 5)
        if m is not None and m.end() == end:
            return True
    window = max(0, start - 16)
    for m in DATE_IN_WORDS.finditer(text, window, min(len(text), end + 24)):
        if m.start() <= start and end <= m.end() and date_of(m) is not None:
            return True
    return False


DATE_NUMERIC = re.compile(
    # Not inside a word, a path or a longer number, but a file name's "_" is a boundary.
    r"(?<![^\W_])(?<![/.:\-])(?P<first>3[01]|[12]\d|0?[1-9])(?P<sep>[/.\-])"
    r"(?P<second>3[01]|[12]\d|0?[1-9])(?P=sep)(?P<year>(?:19|20)\d\d)(?![^\W_]|[/\-]|[.:]\d)"
)
"""A date of numbers with the year last: ``9/10/2019``, ``10.09.2019``, ``notes_31-12-2019.txt``."""

DAY_FIRST, MONTH_FIRST = "dm", "md"
_HABIT = {".": DAY_FIRST, "/": MONTH_FIRST, "-": MONTH_FIRST}
"""The order a separator's dates are written in when nothing in the text says otherwise."""


def _real(year: int, month: int, day: int) -> bool:
    try:
        datetime(year, month, day)
    except ValueError:
        return False
    return True


def _order_of(first: int, second: int, year: int) -> str | None:
    """The only order in which ``first``/``second`` make a real date, or None (both or neither)."""
    as_md, as_dm = _real(year, first, second), _real(year, second, first)
    if as_md == as_dm:
        return None
    return MONTH_FIRST if as_md else DAY_FIRST


def numeric_dates(text: str) -> list[tuple[re.Match[str], str]]:
    """Every date of numbers in ``text`` that names a real day, with the order to read it in.

    The order is ``"md"`` (month first) or ``"dm"`` (day first); see the module's docstring.
    """
    found = list(DATE_NUMERIC.finditer(text))
    if not found:
        return []
    said: dict[str, set[str]] = {}
    for m in found:
        order = _order_of(int(m["first"]), int(m["second"]), int(m["year"]))
        if order is not None:
            said.setdefault(m["sep"], set()).add(order)
    out = []
    for m in found:
        first, second, year = int(m["first"]), int(m["second"]), int(m["year"])
        order = _order_of(first, second, year)
        if order is None:
            if not (_real(year, first, second) and _real(year, second, first)):
                continue  # no real day in either order
            told = said.get(m["sep"], set())
            order = next(iter(told)) if len(told) == 1 else ""
        out.append((m, order))
    return out


def _write(m: re.Match[str], day: datetime, order: str) -> str:
    padded = m["first"].startswith("0") or m["second"].startswith("0")
    fields = (day.month, day.day) if order == MONTH_FIRST else (day.day, day.month)
    a, b = (f"{f:02d}" if padded else str(f) for f in fields)
    return f"{a}{m['sep']}{b}{m['sep']}{day.year}"


def move_numeric(m: re.Match[str], order: str, shift: timedelta) -> str:
    """The date of ``m`` (a match of :data:`DATE_NUMERIC`) moved by ``shift``, written as it was.

    Args:
        m: the date.
        order: ``"md"`` or ``"dm"`` as the text settles it; ``""`` when only the separator's
            habit can: then a reading whose moved date is real in both orders is preferred.
        shift: the offset.
    """
    first, second, year = int(m["first"]), int(m["second"]), int(m["year"])
    habit = _HABIT[m["sep"]]
    orders = [order] if order else [habit, DAY_FIRST if habit == MONTH_FIRST else MONTH_FIRST]
    written = []
    for reading in orders:
        month, day = (first, second) if reading == MONTH_FIRST else (second, first)
        if not _real(year, month, day):
            continue
        moved = datetime(year, month, day) + shift
        written.append(_write(m, moved, reading))
        if order or (moved.day <= 12):  # real read either way (a month is always a real day)
            return written[-1]
    return written[0] if written else m.group(0)
