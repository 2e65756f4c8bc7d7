"""What a source format is: how it is recognised and how it is read.

Each format module defines one module-level ``FORMAT = Format(...)``. A format is recognised
either as a whole folder (a Slack export, a maildir, a git repository) or file by file, from the
file's name *and* its first bytes (mailing-list archives are often mbox files named ``.txt``).

``parse(path, rel)`` yields records and :class:`~workgym.model.Quarantined` items, never raises
for bad input it can attribute to a record: a record it cannot read is yielded as ``Quarantined``
with a reason that names what was wrong. Locators start with ``rel`` (the path relative to the
source root; ``""`` for the root itself) and give a position:

* ``rel#N`` the N-th element (0-based) of a JSON array, or of ``"issues"`` in Jira search results;
* ``rel:N`` line N (1-based) of a line-based file (IRC logs, JSONL, mbox message start);
* ``rel`` alone for a file that is one record (a Jira issue file, a document).

A record's own sub-records extend the locator: ``ALOY/ALOY-1.json/comment#3``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workgym.model import Quarantined, Record

Item = Record | Quarantined
"""What a parser yields."""

SNIFF_BYTES = 8192
"""How many leading bytes of a file the detectors see."""


@dataclass(frozen=True, slots=True)
class Format:
    """A source format: its name, what it reads, how to recognise it and how to read it.

    Attributes:
        name: short name used in messages and the source table ("slack", "jira", "mbox").
        description: what it reads, in the words of its users; listed when a format is unknown.
        parse: reads a file or folder; ``rel`` is its path relative to the source root.
        detect_dir: recognises a folder (or None for file formats).
        detect_file: recognises a file from its path and first :data:`SNIFF_BYTES` bytes.
        priority: detectors run from high to low priority; the first that claims a path wins.
    """

    name: str
    description: str
    parse: Callable[[Path, str], Iterator[Item]]
    detect_dir: Callable[[Path], bool] | None = None
    detect_file: Callable[[Path, bytes], bool] | None = None
    priority: int = 0


def join_locator(rel: str, name: str) -> str:
    """Join a source-relative folder and a name into a locator prefix."""
    return f"{rel}/{name}" if rel else name


def json_kind(value: object) -> str:
    """The JSON name of a parsed value's type, for messages: ``null``, ``boolean``, ``number``, ...

    Anything JSON cannot hold is named by its Python type.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: a bool is an int to Python
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    names = {str: "string", list: "array", dict: "object"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), type(value).__name__)


def decode_utf8(data: bytes, locator: str) -> str | Quarantined:
    """Decode UTF-8 strictly; on failure, a Quarantined naming the byte offset of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Quarantined(
            locator=locator,
            reason=f"invalid UTF-8 at byte {exc.start}",
            raw=data.decode("utf-8", errors="replace"),
        )
