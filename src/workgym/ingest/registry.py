"""Every supported format, and discovery: which format reads which file or folder of a source.

A source path may be one file, a folder of one export (a Slack export, a maildir, a git
repository), a ``.zip`` of either, or a folder holding many files of several formats, walked
recursively in sorted order. Folder formats are tried first; then each file is recognised by
its name and first bytes, highest priority first. Files and folders whose name starts with a
dot are passed over (``.git`` internals, ``.DS_Store``).
"""

from __future__ import annotations

import difflib
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from workgym.ingest import calendar, chatlog, commits, documents, jira, mail, slack
from workgym.ingest.base import SNIFF_BYTES, Format, join_locator


class UnknownFormatError(ValueError):
    """A path that no supported format reads."""


@cache
def formats() -> tuple[Format, ...]:
    """All supported formats, highest priority first (ties in name order)."""
    found = [
        slack.FORMAT,
        *chatlog.FORMATS,
        jira.FORMAT,
        *commits.FORMATS,
        *mail.FORMATS,
        calendar.FORMAT,
        *documents.FORMATS,
    ]
    return tuple(sorted(found, key=lambda f: (-f.priority, f.name)))


def supported() -> str:
    """A list of the supported formats, one per line, for error messages and ``--help``."""
    return "\n".join(f"  {f.name:10} {f.description}" for f in formats())


def format_named(name: str) -> Format:
    """The format with this name.

    Raises:
        UnknownFormatError: no such format; the message suggests the closest name.
    """
    by_name = {f.name: f for f in formats()}
    if name in by_name:
        return by_name[name]
    close = difflib.get_close_matches(name, list(by_name), n=1)
    hint = f" Did you mean `{close[0]}`?" if close else ""
    raise UnknownFormatError(f"no format named `{name}`.{hint} Supported:\n{supported()}")


@dataclass(frozen=True, slots=True)
class Unit:
    """One file or folder to parse with one format; ``rel`` is its path relative to the source root."""

    format: Format
    path: Path
    rel: str


@dataclass
class Discovery:
    """What a walk of one source path found."""

    units: list[Unit] = field(default_factory=list)
    unrecognised: list[tuple[str, str]] = field(
        default_factory=list
    )  # (relative path, why no format reads it)


def _detect_dir(path: Path) -> Format | None:
    for fmt in formats():
        if fmt.detect_dir is not None and fmt.detect_dir(path):
            return fmt
    return None


def _detect_file(path: Path) -> Format | None:
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return None
    for fmt in formats():
        if fmt.detect_file is not None and fmt.detect_file(path, head):
            return fmt
    return None


def _safe_extract(archive: Path, into: Path) -> None:
    """Extract a zip, refusing members that would land outside ``into``."""
    with zipfile.ZipFile(archive) as zf:
        for member in sorted(zf.infolist(), key=lambda m: m.filename):
            name = PurePosixPath(member.filename)
            if name.is_absolute() or ".." in name.parts:
                continue
            zf.extract(member, into)


class Walker:
    """Walks source paths into units; extracted zips live until :meth:`close`."""

    def __init__(self) -> None:
        self._tmp: list[tempfile.TemporaryDirectory[str]] = []

    def close(self) -> None:
        """Remove extracted archives."""
        for tmp in self._tmp:
            tmp.cleanup()
        self._tmp.clear()

    def __enter__(self) -> Walker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def discover(self, path: Path) -> Discovery:
        """Find the units under one source path.

        Raises:
            FileNotFoundError: the path does not exist.
            UnknownFormatError: the path is a single file that no format reads.
        """
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        found = Discovery()
        if path.is_file() and not zipfile.is_zipfile(path):
            fmt = _detect_file(path)
            if fmt is None:
                what = "an empty file" if path.stat().st_size == 0 else "not a format workgym reads"
                raise UnknownFormatError(f"{path}: {what}. Supported:\n{supported()}")
            found.units.append(Unit(fmt, path, path.name))
            return found
        for unit_or_rel in self._walk(path, ""):
            if isinstance(unit_or_rel, Unit):
                found.units.append(unit_or_rel)
            else:
                found.unrecognised.append(unit_or_rel)
        return found

    def _walk(self, path: Path, rel: str) -> Iterator[Unit | tuple[str, str]]:
        if path.is_file() and zipfile.is_zipfile(path) and path.suffix.lower() == ".zip":
            tmp = tempfile.TemporaryDirectory(prefix="workgym-zip-")
            self._tmp.append(tmp)
            try:
                _safe_extract(path, Path(tmp.name))
            except (zipfile.BadZipFile, OSError) as exc:
                yield (rel or path.name, f"unreadable zip archive: {exc}")
                return
            root = Path(tmp.name)
            children = [c for c in root.iterdir() if not c.name.startswith(".") and c.name != "__MACOSX"]
            # An export zipped as one top folder reads the same as the folder itself.
            inner = children[0] if len(children) == 1 and children[0].is_dir() else root
            yield from self._walk(inner, rel)
            return
        if path.is_dir():
            fmt = _detect_dir(path)
            if fmt is not None:
                yield Unit(fmt, path, rel)
                return
            for child in sorted(path.iterdir(), key=lambda p: p.name):
                if child.name.startswith("."):
                    continue
                yield from self._walk(child, join_locator(rel, child.name))
            return
        if path.is_file():
            fmt = _detect_file(path)
            if fmt is not None:
                yield Unit(fmt, path, rel)
            elif path.stat().st_size == 0:
                yield (rel, "empty file")
            else:
                yield (rel, f"unrecognised format (supported: {', '.join(f.name for f in formats())})")
