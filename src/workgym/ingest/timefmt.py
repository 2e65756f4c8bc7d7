"""Timestamps as the store keeps them: ISO 8601 in UTC, seconds precision unless the source has more."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation


def iso_utc(moment: datetime) -> str:
    """An aware or naive (taken as UTC) datetime as ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_epoch(value: str | float | int) -> str:
    """A Unix time (Slack's ``"1433558319.000002"`` included) as ISO UTC; microseconds kept.

    Raises:
        ValueError: the value is not a number.
    """
    try:
        seconds = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a Unix time: {value!r}") from exc
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    return iso_utc(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=whole, microseconds=micros))


_UTC_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?:Z|[+-]00:?00)")
"""A time already in UTC, as Jira and most exports write them: reformatted without parsing."""


def from_iso(value: str) -> str:
    """An ISO 8601 time as written by Jira (``2014-06-30T19:28:17.000+0000``) or git, in UTC.

    A time without offset is taken as UTC. Raises ValueError when it is not a time.
    """
    text = value.strip()
    fast = _UTC_ISO.fullmatch(text)
    if fast is not None:
        base, fraction = fast.groups()
        micros = int(fraction.ljust(6, "0")) if fraction else 0
        return f"{base}.{micros:06d}+00:00" if micros else f"{base}+00:00"
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return iso_utc(moment)


__all__ = ["from_epoch", "from_iso", "iso_utc"]
