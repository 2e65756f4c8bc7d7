"""Every supported format, and discovery: which format reads which file or folder of a source.

A source path may be one file, a folder of one export (a Slack export, a maildir, a git
repository), a ``.zip`` of either, or a folder holding many files of several formats, walked
recursively in sorted order. Folder formats are tried first; then each file is recognised by
its name and first bytes, highest priority first. Files and folders whose name starts with a
dot are passed over (``.git`` internals, ``.DS_Store``).

The walk survives hostile trees. A zip is unpacked member by member within the caps of
:class:`~workgym.ingest.config.ArchiveLimits`, checked before anything is written: an archive over a
cap is refused whole, a member over ``max_member_bytes``, unreadable (bad CRC, truncated, encrypted)
or pointing outside the archive is refused alone, and the other members are read. A folder or file
reached again through a link (a folder linked into itself, two folders linking each other) is read
once; broken links, pipes and unreadable folders are refused. Every refusal is a
:class:`~workgym.model.Quarantined` naming the path and why.
"""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from workgym.ingest import calendar, chatlog, commits, documents, github, github_archive, jira, mail, slack
from workgym.ingest.base import SNIFF_BYTES, Format, join_locator
from workgym.ingest.config import RATIO_FLOOR_BYTES, ArchiveLimits, human_size
from workgym.model import Quarantined


class UnknownFormatError(ValueError):
    """A path that no supported format reads."""


@cache
def formats() -> tuple[Format, ...]:
    """All supported formats, highest priority first (ties in name order)."""
    found = [
        slack.FORMAT,
        *chatlog.FORMATS,
        jira.FORMAT,
        github.FORMAT,
        github_archive.FORMAT,
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
    refused: list[Quarantined] = field(default_factory=list)
    """Paths not read: archives over a cap, unreadable archive members, links to what was read."""


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


def _detect_dir_safely(path: Path) -> Format | None:
    try:
        return _detect_dir(path)
    except OSError:  # an unreadable folder is reported when the walk lists it
        return None


def _raise_hint(cap: str) -> str:
    return f"raise {cap} under [ingest] in the --config TOML to read it"


_CHUNK = 1 << 20
"""Members are unpacked this many bytes at a time, however large they are."""

_UNPACK_ERRORS = (
    zipfile.BadZipFile,  # bad CRC, truncated member, bad local header
    zlib.error,
    EOFError,
    OSError,  # disk errors
    RuntimeError,  # encrypted member
    ValueError,
)
"""What reading one member of a zip may raise; each leaves the other members readable."""


_STREAMED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
"""Compression methods whose members ``zipfile`` unpacks a bounded chunk at a time. It hands a
bzip2 or LZMA decompressor a whole read of packed bytes at once, and those can grow a millionfold."""

_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "Deflate64", 99: "AES encryption"}


@dataclass
class _Budget:
    """What the outermost archive being unpacked, and the archives inside it, may still use."""

    bytes_left: int
    members_left: int


@dataclass
class _Unpacked:
    """The result of unpacking one zip: why it was refused as a whole, else each member not unpacked."""

    refused: str = ""
    members: list[tuple[str, str]] = field(default_factory=list)  # (member name, reason)


def _member_parts(name: str) -> tuple[str, ...] | None:
    """A member's path parts, or None when the path would land outside the folder unpacked into."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or ".." in path.parts:
        return None
    return path.parts


def _unpack(
    archive: Path, into: Path, name: str, limits: ArchiveLimits, budget: _Budget, nested: bool
) -> _Unpacked:
    """Unpack a zip into ``into`` member by member, within the caps, streaming each member.

    The caps are checked against the archive's table of contents before anything is unpacked;
    ``zipfile`` never yields more than a member's listed size (a member that holds more fails
    its CRC), so the listed sizes bound what is written.
    """
    done = _Unpacked()
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        done.refused = f"unreadable zip archive: {name}: {exc}"
        return done
    around = " (the archives around it included)" if nested else ""
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        if len(members) > budget.members_left:
            done.refused = (
                f"archive over max_members: {name} holds {len(members):,} files, "
                f"over the cap of {limits.max_members:,}{around}; {_raise_hint('max_members')}"
            )
            return done
        plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        names: set[tuple[str, ...]] = set()
        for member in sorted(members, key=lambda m: m.filename):
            parts = _member_parts(member.filename)
            if parts is None:
                done.members.append(
                    (
                        member.filename,
                        f"archive member outside the archive: {member.filename} of {name} not unpacked",
                    )
                )
            elif parts in names:
                done.members.append(
                    (
                        member.filename,
                        f"duplicate archive member: {member.filename} of {name} is listed twice; the first is read",
                    )
                )
            elif member.compress_type not in _STREAMED_METHODS:
                method = _METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
                done.members.append(
                    (
                        member.filename,
                        f"archive member packed with {method}: {member.filename} of {name} is not unpacked; "
                        "only stored and deflated members are (others may unpack without bound in memory, "
                        "or cannot be read at all): repack the archive with deflate, zip's default",
                    )
                )
            elif member.file_size > limits.max_member_bytes:
                done.members.append(
                    (
                        member.filename,
                        f"archive member over max_member_bytes: {member.filename} of {name} unpacks to "
                        f"{human_size(member.file_size)}, over the cap of {human_size(limits.max_member_bytes)}; "
                        + _raise_hint("max_member_bytes"),
                    )
                )
            else:
                names.add(parts)
                plan.append((member, parts))
        total = sum(member.file_size for member, _ in plan)
        if total > budget.bytes_left:
            done.refused = (
                f"archive over max_archive_bytes: {name} unpacks to {human_size(total)}, over the "
                f"{human_size(budget.bytes_left)} left of the cap of {human_size(limits.max_archive_bytes)}"
                if nested
                else f"archive over max_archive_bytes: {name} unpacks to {human_size(total)}, over the cap "
                f"of {human_size(limits.max_archive_bytes)}"
            ) + f"; {_raise_hint('max_archive_bytes')}"
            return done
        packed = max(archive.stat().st_size, 1)
        if total > RATIO_FLOOR_BYTES and total > limits.max_ratio * packed:
            done.refused = (
                f"archive over max_ratio: {name} unpacks to {total / packed:,.0f} times its size "
                f"({human_size(total)} from {human_size(packed)}), over the cap of {limits.max_ratio:g} "
                f"times (a zip bomb?); {_raise_hint('max_ratio')}"
            )
            return done
        budget.bytes_left -= total
        budget.members_left -= len(members)
        for member, parts in plan:
            target = into.joinpath(*parts)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                out = target.open("xb")
            except OSError as exc:
                done.members.append(
                    (
                        member.filename,
                        f"archive member not unpacked: {member.filename} of {name}: {exc.strerror or exc}",
                    )
                )
                continue
            try:
                with out, zf.open(member) as source:
                    shutil.copyfileobj(source, out, _CHUNK)
            except _UNPACK_ERRORS as exc:
                target.unlink(missing_ok=True)
                done.members.append(
                    (member.filename, f"unreadable archive member: {member.filename} of {name}: {exc}")
                )
    return done


_Entry = tuple[Path, str, int, "_Budget | None"]
"""A path to walk: the path, its locator, how many archives deep it lies, and their budget."""


class Walker:
    """Walks source paths into units; extracted zips live until :meth:`close`.

    Args:
        limits: how far archives may be unpacked (the defaults of :class:`ArchiveLimits` when None).
    """

    def __init__(self, limits: ArchiveLimits | None = None) -> None:
        self._limits = limits or ArchiveLimits()
        self._tmp: list[tempfile.TemporaryDirectory[str]] = []
        self._seen: dict[str, str] = {}  # real path -> locator it was first read at

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
        self._seen = {}
        for item in self._walk(path):
            if isinstance(item, Unit):
                found.units.append(item)
            elif isinstance(item, Quarantined):
                found.refused.append(item)
            else:
                found.unrecognised.append(item)
        return found

    def _walk(self, top: Path) -> Iterator[Unit | Quarantined | tuple[str, str]]:
        # Depth first in name order, with a stack rather than recursion: an archive may hold
        # folders nested deeper than Python's recursion limit.
        stack: list[Iterator[_Entry]] = [iter([(top, "", 0, None)])]
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
                continue
            path, rel, level, budget = entry
            shown = rel or path.name
            if not path.exists():
                yield Quarantined(shown, f"broken link: {shown} points to nothing")
                continue
            real = os.path.realpath(path)
            if real in self._seen:
                what = "folder" if path.is_dir() else "file"
                first = self._seen[real] or "the source itself"
                yield Quarantined(
                    shown, f"link to a {what} already read: {shown} leads to {first}, read once"
                )
                continue
            self._seen[real] = rel
            if path.is_file() and path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
                inner = yield from self._unzip(path, rel, level + 1, budget)
                if inner is not None:
                    stack.append(iter([inner]))
            elif path.is_dir():
                fmt = _detect_dir_safely(path)
                if fmt is not None:
                    yield Unit(fmt, path, rel)
                    continue
                try:
                    children = sorted(path.iterdir(), key=lambda p: p.name)
                except OSError as exc:
                    yield Quarantined(shown, f"unreadable folder: {shown}: {exc.strerror or exc}")
                    continue
                # A list, not a generator: ``rel``, ``level`` and ``budget`` change as the walk goes on.
                entries = [
                    (child, join_locator(rel, child.name), level, budget)
                    for child in children
                    if not child.name.startswith(".")
                ]
                stack.append(iter(entries))
            elif path.is_file():
                fmt = _detect_file(path)
                if fmt is not None:
                    yield Unit(fmt, path, rel)
                elif path.stat().st_size == 0:
                    yield (rel, "empty file")
                else:
                    yield (rel, f"unrecognised format (supported: {', '.join(f.name for f in formats())})")
            else:
                yield Quarantined(
                    shown, f"not a regular file: {shown} (a pipe, socket or device) is not read"
                )

    def _unzip(
        self, path: Path, rel: str, level: int, budget: _Budget | None
    ) -> Generator[Quarantined, None, _Entry | None]:
        """Unpack one zip, yielding what it refused; returns the folder to walk in its place, if any."""
        name = rel or path.name
        limits = self._limits
        if level > limits.max_depth:
            yield Quarantined(
                name,
                f"archive nested too deep: {name} lies {level} archives deep, over max_depth = "
                f"{limits.max_depth}; {_raise_hint('max_depth')}",
            )
            return None
        budget = budget or _Budget(limits.max_archive_bytes, limits.max_members)
        tmp = tempfile.TemporaryDirectory(prefix="workgym-zip-")
        self._tmp.append(tmp)
        root = Path(tmp.name)
        done = _unpack(path, root, name, limits, budget, nested=level > 1)
        if done.refused:
            yield Quarantined(name, done.refused)
            return None
        children = [c for c in root.iterdir() if not c.name.startswith(".") and c.name != "__MACOSX"]
        # An export zipped as one top folder reads the same as the folder itself.
        inner = children[0] if len(children) == 1 and children[0].is_dir() else root
        for member, reason in done.members:
            parts = PurePosixPath(member).parts
            if inner is not root and parts[:1] == (inner.name,):
                parts = parts[1:]
            yield Quarantined(join_locator(rel, "/".join(parts) or member), reason)
        return (inner, rel, level, budget)
