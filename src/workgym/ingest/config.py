"""How far ingest may unpack archives: the ``[ingest]`` section of the config TOML.

An archive (a ``.zip`` source, or one found in a source folder, or one inside another) is checked
against these caps from its table of contents before anything is unpacked, so a zip bomb costs
neither memory nor disk. The defaults read every real export met so far::

    [ingest]
    max_archive_bytes = "8 GiB"     # what one archive may unpack to, the archives inside it included
    max_member_bytes = "2 GiB"      # what one file in an archive may unpack to
    max_members = 500_000           # files one archive may hold, the archives inside it included
    max_depth = 3                   # archives inside archives: 1 reads no zip inside a zip
    max_ratio = 100                 # unpacked / packed size of an archive that unpacks past 16 MiB

Sizes are a number of bytes or a string with a unit (``"512 MiB"``, ``"2 GB"``). An archive over a
cap is quarantined, a member over ``max_member_bytes`` is quarantined alone, and the quarantine
reason names the cap to raise.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

RATIO_FLOOR_BYTES = 16 * 2**20
"""``max_ratio`` applies only to an archive that unpacks to more than this: a small file of blanks
compresses a thousandfold and harms nobody."""

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps on unpacking archives; the defaults suit real exports and refuse zip bombs."""

    max_archive_bytes: int = 8 * 2**30
    """Bytes one archive may unpack to, the archives nested in it included."""
    max_member_bytes: int = 2 * 2**30
    """Bytes one member of an archive may unpack to; a larger member is quarantined alone."""
    max_members: int = 500_000
    """Members one archive may hold, the archives nested in it included."""
    max_depth: int = 3
    """How deep archives may nest: 1 unpacks no archive found inside an archive."""
    max_ratio: float = 100.0
    """How many times its own size an archive may unpack to, once past :data:`RATIO_FLOOR_BYTES`
    (real exports compress 4 to 25 times; a zip bomb about a thousand)."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value < 1:
                raise ValueError(f"{item.name} is {value}, expected 1 or more")


_KEYS = tuple(f.name for f in fields(ArchiveLimits))


def parse_size(value: object, key: str) -> int:
    """A size in bytes from a TOML value: an integer, or a string such as ``"512 MiB"``.

    Raises:
        ValueError: the value is neither; the message names ``key``.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (found := _SIZE.fullmatch(value)):
        unit = found.group(2).lower()
        if unit in _UNITS:
            return int(float(found.group(1)) * _UNITS[unit])
    raise ValueError(f"{key} must be a number of bytes or a size such as '512 MiB', got {value!r}")


def human_size(size: int) -> str:
    """A byte count for people: ``"200.0 MiB"``, ``"512 B"``."""
    amount = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def read_toml(path: Path) -> dict[str, object]:
    """The TOML document at ``path``, every stage's config file.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not TOML; the message names the file.
    """
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML: {err}") from None


def load_ingest_config(path: str | Path) -> ArchiveLimits:
    """Read the ``[ingest]`` section of a TOML file; a file without one gives the defaults.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not TOML, or an entry is wrong; the message names the file and the entry.
    """
    path = Path(path)
    document = read_toml(path)
    section = document.get("ingest", {})
    if not isinstance(section, dict):
        raise ValueError(f"{path}: [ingest] must be a table")
    values: dict[str, int | float] = {}
    try:
        for key, value in section.items():
            if key not in _KEYS:
                close = difflib.get_close_matches(key, _KEYS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown key {key!r}{hint} (known: {', '.join(_KEYS)})")
            if key.endswith("_bytes"):
                values[key] = parse_size(value, key)
            elif key == "max_ratio" and isinstance(value, int | float) and not isinstance(value, bool):
                values[key] = float(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                values[key] = value
            else:
                raise ValueError(f"{key} must be a number, got {value!r}")
        return ArchiveLimits(**values)  # type: ignore[arg-type]
    except ValueError as err:
        raise ValueError(f"{path}: [ingest]: {err}") from None
