"""Small helpers for tool observations: times in and out, clipping, paging, JSON list columns."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from workgym.world.schema import ToolError

_WS = re.compile(r"\s+")


def iso(moment: datetime) -> str:
    """A datetime as the store writes times: UTC, ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``."""
    return moment.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    """A stored ISO time back to an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def normalize_time(value: str | datetime) -> str:
    """A time given by a caller (ISO string or datetime; naive means UTC) in the store's format.

    Raises:
        ValueError: the text is not an ISO date or time.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        text = value.strip()
        if not text:
            raise ValueError("empty time")
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return iso(moment)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last UTC time a datetime holds
        raise ValueError("the time is outside the years 0001-9999 in UTC") from None


def when(text: str, *, end: bool = False, name: str = "time") -> str:
    """A tool's time argument in the store's format; a bare date means its start (or its end).

    Raises:
        ToolError: the text is not an ISO date or date-time.
    """
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if end:
                moment += timedelta(days=1, microseconds=-1)
            return iso(moment)
        return normalize_time(text)
    except ValueError:
        raise ToolError(
            f"{name} {clip(text, 40)!r} is not a date or time; use ISO 8601, e.g. 2024-03-05 or 2024-03-05T14:30"
        ) from None


def show_time(stored: str) -> str:
    """A stored time for reading: ``2024-03-04 09:25`` (UTC), or ``?`` when unknown."""
    if not stored:
        return "?"
    return stored[:16].replace("T", " ")


def clip(text: str, limit: int) -> str:
    """Text on one line, whitespace collapsed, cut to ``limit`` characters with an ellipsis."""
    flat = _WS.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)].rstrip() + "…"


def snippet(text: str, words: list[str], limit: int = 240) -> str:
    """A one-line excerpt of ``text`` around the first of ``words`` found (a word's stem counts)."""
    if len(text) <= limit:
        return clip(text, limit)
    lower = text.lower()
    hits = [i for w in words if (i := lower.find(w[: max(3, len(w) - 2)])) >= 0]
    if not hits:
        return clip(text[: limit * 2], limit)
    start = max(0, min(hits) - limit // 3)
    piece = clip(text[start : start + limit * 2], limit)
    return ("…" if start else "") + piece


def cut(text: str, limit: int) -> str:
    """Text kept as written (lines and all) but cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f"\n[… {len(text) - limit:,} more characters]"


def like(value: str) -> str:
    r"""A LIKE pattern (used with ``ESCAPE '\\'``) matching ``value`` anywhere, its % and _ taken literally."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def json_list(stored: str | None) -> list[str]:
    """A JSON list column as a list of strings."""
    if not stored:
        return []
    value = json.loads(stored)
    return [str(v) for v in value] if isinstance(value, list) else []


def to_json_list(values: list[str]) -> str:
    """A list of strings as the store writes list columns."""
    return json.dumps(values, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a result list."""

    number: int
    size: int
    total: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.number - 1) * self.size

    @property
    def count(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, math.ceil(self.total / self.size))

    def footer(self, noun: str) -> str:
        """``page 1 of 3 (52 messages); next: page=2``, or just the count on a single page."""
        if self.total == 0:
            return f"no {noun}"
        if self.count == 1:
            return f"{self.total:,} {noun}"
        more = f"; next: page={self.number + 1}" if self.number < self.count else ""
        return f"page {self.number} of {self.count} ({self.total:,} {noun}){more}"


def page_of(number: int, size: int, total: int) -> Page:
    """A page, checked to exist.

    Raises:
        ToolError: the page number is below 1 or past the last page.
    """
    page = Page(number, size, total)
    if number < 1:
        raise ToolError("page starts at 1")
    if number > page.count:
        raise ToolError(f"there are only {page.count} page(s)")
    return page
