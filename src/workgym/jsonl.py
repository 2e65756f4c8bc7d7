r"""JSON Lines: the one reader and writer of every ``.jsonl`` file workgym writes or reads.

::

    jsonl.write(path, tasks)                     # atomic: a reader sees the old file or the new one
    records = jsonl.read(path)                   # JsonlError "path:12: not JSON (...)" on a bad line
    with path.open("a", encoding="utf-8") as f:  # streaming, one record a line
        f.write(jsonl.dumps(record) + "\n")

**A line ends at "\n" and nowhere else** (a "\r" before it is dropped, so CRLF files read too).
``str.splitlines()`` also ends lines at U+2028, U+2029, U+0085, \x0b, \x0c and \x1c-\x1e, all of
which real text holds (a ticket pasted from a web page brings U+2028): a reader built on it cuts a
record in two. Blank lines are passed over; a byte-order mark on the first line is dropped.

**The writer escapes every character some reader takes for a line end.** JSON escapes the control
characters anyway; U+0085, U+2028 and U+2029 it may leave raw (valid JSON, but cut by every
``splitlines``-based reader, by JavaScript before ES2019, and by some editors), so they are written
as ``\u0085``, ``\u2028`` and ``\u2029``. A lone surrogate (``"\ud83d"`` in a source's JSON) is
escaped too, since it cannot be encoded as UTF-8. Each escape is inside a JSON string, where it
reads back as the same character: the records round-trip equal, and a line is a line to any reader.

**A last line without its "\n"** is whole when it parses (a file written by another tool) and cut
off when it does not (a writer stopped mid-line). Readers never change a file: :func:`read` raises
on a cut-off line, or leaves it out with ``cut_off="skip"``. Only a writer about to append to the
file repairs it, with :func:`repair`, which says what it did.

This module imports nothing of workgym's, so every stage may use it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal

_SEPARATORS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
"""What ``json.dumps(ensure_ascii=False)`` leaves raw that some readers take for a line end."""
_SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone surrogate (a pair is one code point in a Python string): it cannot be encoded as UTF-8."""


class JsonlError(ValueError):
    """A line that is not a JSON value, as ``<file>:<line>: <why>``."""

    def __init__(self, source: str, line: int, reason: str) -> None:
        super().__init__(f"{source}:{line}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def dumps(value: Any, *, sort_keys: bool = True) -> str:
    """One JSON line, without its newline: UTF-8 as written, line separators and lone surrogates escaped."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)
    if text.isascii():
        return text
    for raw, escaped in _SEPARATORS.items():
        text = text.replace(raw, escaped)  # a fast scan when absent, as it nearly always is
    try:
        text.encode("utf-8")  # ten times faster than searching for surrogates
    except UnicodeEncodeError:
        text = _SURROGATE.sub(_escape, text)
    return text


def _value(raw: bytes, source: str, number: int) -> Any:
    """The JSON value of one line's bytes (its LF, and a CR before it, already cut)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonlError(source, number, f"not UTF-8 (byte {exc.start + 1} of the line)") from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonlError(source, number, f"not JSON ({exc.msg}, column {exc.colno})") from None
    except RecursionError:
        raise JsonlError(source, number, "JSON nested too deeply to read") from None


def _blank(raw: bytes) -> bool:
    """Whether a line holds nothing but spaces, tabs (and a byte-order mark)."""
    return not raw.removeprefix(b"\xef\xbb\xbf").strip(b" \t\r")


def _records(
    lines: Iterable[bytes], source: str, cut_off: Literal["raise", "skip"]
) -> Iterator[tuple[int, Any]]:
    for number, raw in enumerate(lines, 1):
        ended = raw.endswith(b"\n")
        body = raw.removesuffix(b"\n").removesuffix(b"\r")
        if _blank(body):
            continue
        try:
            yield number, _value(body, source, number)
        except JsonlError as exc:
            if ended:
                raise
            if cut_off == "skip":
                return
            raise JsonlError(
                source, number, f"cut off: the last line has no line end and is not whole ({exc.reason})"
            ) from None


def iter_numbered(path: Path, *, cut_off: Literal["raise", "skip"] = "raise") -> Iterator[tuple[int, Any]]:
    """Each JSON value of a ``.jsonl`` file with its line number, in order, read as a stream.

    Args:
        path: the file.
        cut_off: what to do with a last line that has no line end and is not whole JSON: ``raise``,
            or ``skip`` it (a file another process is writing, or one whose writer was killed).

    Raises:
        JsonlError: a line that is not UTF-8 JSON, naming the file and the line.
        OSError: the file cannot be read.
    """
    with path.open("rb") as f:
        yield from _records(f, str(path), cut_off)


def iter_read(path: Path, *, cut_off: Literal["raise", "skip"] = "raise") -> Iterator[Any]:
    """Each JSON value of a ``.jsonl`` file, in order; see :func:`iter_numbered`."""
    for _, value in iter_numbered(path, cut_off=cut_off):
        yield value


def read(path: Path, *, cut_off: Literal["raise", "skip"] = "raise") -> list[Any]:
    """Every JSON value of a ``.jsonl`` file; see :func:`iter_read`."""
    return list(iter_read(path, cut_off=cut_off))


def iter_parse(text: str | bytes, *, source: str = "<text>") -> Iterator[tuple[int, Any]]:
    """Each JSON value of JSON Lines held in memory, with its line number; errors name ``source``."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    return _records(lines, source, "raise")


def parse(text: str | bytes, *, source: str = "<text>") -> list[Any]:
    """Every JSON value of JSON Lines held in memory; see :func:`iter_parse`."""
    return [value for _, value in iter_parse(text, source=source)]


def write(path: Path, values: Iterable[Any], *, sort_keys: bool = True) -> int:
    """Write one JSON line per value, atomically (through a temporary file beside it); returns how many.

    Raises:
        OSError: the folder cannot be written.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as f:
            for value in values:
                f.write(dumps(value, sort_keys=sort_keys) + "\n")
                count += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


@dataclass(frozen=True, slots=True)
class Tail:
    """A file's last line when it has no line end.

    Attributes:
        line: its number (from 1).
        offset: the byte where it starts.
        whole: whether it is whole JSON (only its newline is missing) or cut off.
    """

    line: int
    offset: int
    whole: bool


def unended_tail(path: Path) -> Tail | None:
    """The file's last line if it lacks its newline (None if the file ends with one, or is empty)."""
    with path.open("rb") as f:
        return _tail(f, str(path))


def _tail(f: BinaryIO, source: str) -> Tail | None:
    size = f.seek(0, os.SEEK_END)
    if size == 0:
        return None
    f.seek(size - 1)
    if f.read(1) == b"\n":
        return None
    f.seek(0)
    offset = 0
    for number, raw in enumerate(f, 1):
        if not raw.endswith(b"\n"):
            body = raw.removesuffix(b"\r")
            if _blank(body):
                return Tail(number, offset, True)
            try:
                _value(body, source, number)
            except JsonlError:
                return Tail(number, offset, False)
            return Tail(number, offset, True)
        offset += len(raw)
    return None


def repair(path: Path) -> str | None:
    """Make the file end with a whole line before appending to it; returns what was done, or None.

    A last line that is whole JSON gets its newline; one cut off mid-line (a writer killed) is
    removed. Only a writer about to append may call this: readers never change a file.
    """
    if not path.is_file():
        return None
    with path.open("r+b") as f:
        tail = _tail(f, str(path))
        if tail is None:
            return None
        if tail.whole:
            f.seek(0, os.SEEK_END)
            f.write(b"\n")
            return f"{path}:{tail.line}: the last line had no line end; ended it"
        f.truncate(tail.offset)
        return f"{path}:{tail.line}: removed the last line, cut off mid-way (a run killed while writing)"


__all__ = [
    "JsonlError",
    "Tail",
    "dumps",
    "iter_numbered",
    "iter_parse",
    "iter_read",
    "parse",
    "read",
    "repair",
    "unended_tail",
    "write",
]
