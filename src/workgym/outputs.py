"""Where a command writes, and what it may replace: one check before writing, one way to write.

Every command names its outputs (each with the :class:`Kind` of thing it writes there) and its
inputs to :func:`claim` before it writes anything. ``claim`` refuses, with a message that names
the file and says how to proceed:

* an output that is one of the inputs (``-o`` the same as ``--key``), always, even with ``force``;
* two outputs at one path (``tasks -o t.md`` would put the review on the tasks);
* a folder where a file goes, or a file where a folder goes;
* an existing, non-empty file that workgym did not write as that kind, unless ``force``. What
  workgym wrote is known by a marker in the thing itself: the ``meta`` row of a workspace, the
  keys of an audit or a difficulty file, a run folder's ``run.json``, the generator tag of a
  report, or the manifest an export writes beside its files (by name and sha256, so a file edited
  since is the user's). A key file is never taken for a replaceable output.

Then :class:`Staged` writes: each output goes to a temporary file in its own folder, and only
when everything is written are they renamed into place. A command that fails (a leak found, an
error half-way) removes its temporary files and leaves every pre-existing output as it was.

::

    claim([(out, TASKS), (review, REVIEW)], inputs=[workspace], force=force)
    with Staged() as stage:
        write_tasks(tasks, stage.path(out))
        stage.path(review).write_text(text, encoding="utf-8")
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

SNIFF_BYTES = 1 << 16
"""How much of a file is read to recognise it (a marker sits at its start)."""


class OutputError(Exception):
    """An output the command may not write; the message names it and says how to proceed."""


@dataclass(frozen=True)
class Kind:
    """A kind of output, and how workgym recognises one it wrote.

    Attributes:
        what: the thing, in a message's words ("a raw workspace").
        ours: whether an existing path is one workgym wrote as this kind (never raises).
        folder: the output is a folder (absent, empty, or ``ours``), not a file.
        hint: said when an existing one is refused (why it is kept).
    """

    what: str
    ours: Callable[[Path], bool]
    folder: bool = False
    hint: str = ""


def _safe(test: Callable[[Path], bool]) -> Callable[[Path], bool]:
    def ours(path: Path) -> bool:
        try:
            return bool(test(path))
        except (OSError, ValueError, sqlite3.Error, UnicodeDecodeError):
            return False

    return ours


def _head(path: Path, size: int = SNIFF_BYTES) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def _json_object(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    return value if isinstance(value, dict) else {}


def _meta(path: Path) -> dict[str, str]:
    """A SQLite file's ``meta`` table, read without writing anything (empty when it has none)."""
    if not _head(path, 16).startswith(b"SQLite format 3\x00"):
        return {}
    conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}
    finally:
        conn.close()


def _workspace(anonymized: str) -> Callable[[Path], bool]:
    def test(path: Path) -> bool:
        meta = _meta(path)
        return "schema_version" in meta and meta.get("anonymized") == anonymized

    return _safe(test)


def _json_with(*keys: str, **values: str) -> Callable[[Path], bool]:
    def test(path: Path) -> bool:
        data = _json_object(path)
        return all(k in data for k in keys) and all(data.get(k) == v for k, v in values.items())

    return _safe(test)


def _starts_with(marker: bytes) -> Callable[[Path], bool]:
    return _safe(lambda path: _head(path, len(marker)) == marker)


def _tasks_file(path: Path) -> bool:
    with path.open("rb") as f:
        first = json.loads(f.readline(SNIFF_BYTES * 64) or b"{}")
    return isinstance(first, dict) and {"id", "family", "instruction", "gold"} <= first.keys()


def _run_folder(path: Path) -> bool:
    info = _json_object(path / "run.json")
    return {"world", "agents", "trials"} <= info.keys()


REPORT_MARKER = '<meta name="generator" content="workgym">'
"""The tag every report.html carries in its head."""

LOG_HEADER = "# workgym demo: the MCP server's stderr\n"
"""The first line of the log the demo keeps of its MCP server."""

WORKSPACE = Kind("a raw workspace", _workspace("false"))
ANONYMIZED = Kind("an anonymized workspace", _workspace("true"))
AUDIT = Kind("an anonymization audit", _json_with("workgym_version", "key_fingerprint", "link_preservation"))
KEY = Kind(
    "a key file",
    lambda _path: False,
    hint="a key is never replaced unasked: what was anonymized with it could not be made again",
)
TASKS = Kind("a tasks file", _safe(_tasks_file))
REVIEW = Kind("a tasks review", _starts_with(b"# Tasks: a sample for review"))
DIFFICULTY = Kind("a difficulty file", _json_with("strongest", "agents", "tasks", model="rasch"))
REPORT = Kind(
    "a run report",
    _safe(lambda p: REPORT_MARKER.encode() in _head(p, 4096) or b"<title>workgym run" in _head(p, 4096)),
)  # reports written before the generator tag have the title
RUN = Kind("a run folder", _safe(_run_folder), folder=True, hint="a run folder has a run.json")
LOG = Kind("the demo's server log", _starts_with(LOG_HEADER.encode()))
FOLDER = Kind("a folder", lambda path: path.is_dir(), folder=True)
"""A folder that may already hold anything: what goes inside is claimed file by file."""


def sha256(path: Path) -> str:
    """The sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


MANIFEST_KEY = "workgym_manifest"
"""The key that marks a manifest as workgym's."""


@dataclass
class Manifest:
    """The files one command wrote into a folder, by name, with their sha256.

    A file listed here and unchanged since is workgym's to replace; one edited since, or not
    listed, is the user's.
    """

    path: Path
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """The manifest at ``path``; empty when there is none, or it is not workgym's."""
        try:
            data = _json_object(path) if path.is_file() else {}
        except (OSError, ValueError, UnicodeDecodeError):
            data = {}
        files = data.get("files") if data.get(MANIFEST_KEY) == 1 else None
        if not isinstance(files, dict):
            return cls(path)
        plain = {
            str(n): str(h) for n, h in files.items() if isinstance(n, str) and n == Path(n).name
        }  # names only: a manifest never speaks for a file outside its folder
        return cls(path, plain)

    def made(self, what: str) -> Kind:
        """The kind of a file this manifest lists, unchanged since it was written."""

        def test(path: Path) -> bool:
            listed = self.files.get(path.name)
            return path.parent.resolve() == self.path.parent.resolve() and listed == sha256(path)

        return Kind(what, _safe(test), hint=f"{self.path.name} lists what workgym wrote here")

    def text(self, files: Mapping[str, str], **about: Any) -> str:
        """This manifest's JSON for ``files`` (name -> sha256), with ``about`` beside."""
        body = {MANIFEST_KEY: 1, **about, "files": dict(sorted(files.items()))}
        return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


MANIFEST = Kind("a workgym manifest", _json_with(MANIFEST_KEY))


def _same(one: Path, other: Path) -> bool:
    if one.exists() and other.exists():
        with contextlib.suppress(OSError):
            return os.path.samefile(one, other)
    return one.resolve() == other.resolve()


def claim(
    outputs: Iterable[tuple[Path, Kind]],
    *,
    inputs: Iterable[Path | None] = (),
    force: bool = False,
) -> None:
    """Check that a command may write each of ``outputs``; see the module doc.

    Raises:
        OutputError: an output is an input, is claimed twice, is a folder where a file goes (or
            a file where a folder goes), or holds something workgym did not write (unless ``force``).
    """
    sources = [p for p in inputs if p is not None]
    seen: list[Path] = []
    for path, kind in outputs:
        for source in sources:
            if _same(path, source):
                raise OutputError(
                    f"{path} is an input of this command (as {source}); writing there would destroy it."
                    " Choose another output path"
                )
        for earlier in seen:
            if _same(path, earlier):
                raise OutputError(
                    f"{path}: two outputs of this command would be written there; choose another output path"
                )
        seen.append(path)
        if kind.folder:
            if path.exists() and not path.is_dir():
                raise OutputError(f"{path} is a file, and {kind.what} goes there; name a folder")
            if path.is_dir() and any(path.iterdir()) and not force and not kind.ours(path):
                hint = f" ({kind.hint})" if kind.hint else ""
                raise OutputError(
                    f"{path} is a folder that holds files and is not {kind.what}{hint}; refusing to write"
                    " into it. Choose an empty or new folder, or pass --force"
                )
            continue
        if path.is_dir():
            raise OutputError(f"{path} is a folder, and {kind.what} goes there; name a file")
        if path.exists() and path.stat().st_size and not force and not kind.ours(path):
            hint = f" ({kind.hint})" if kind.hint else ""
            raise OutputError(
                f"{path} is already there and workgym did not write it as {kind.what}{hint};"
                " refusing to replace it. Move it aside, choose another output path, or pass --force"
            )


class Staged:
    """Outputs written to temporary files beside them, renamed into place together at the end.

    As a context manager: committed when the block ends normally, abandoned (every temporary
    file removed, every existing output untouched) when it raises.
    """

    def __init__(self) -> None:
        self._temps: dict[Path, Path] = {}

    def path(self, final: Path, *, mode: int = 0o666) -> Path:
        """A new, empty temporary file in ``final``'s folder (made as needed) to write ``final`` to.

        Args:
            final: the output it becomes.
            mode: its permissions before the umask (``0o600`` for a secret).
        """
        if final in self._temps:
            return self._temps[final]
        final.parent.mkdir(parents=True, exist_ok=True)
        while True:
            temp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
            try:
                os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
            except FileExistsError:
                continue
            break
        self._temps[final] = temp
        return temp

    def commit(self) -> list[Path]:
        """Rename every temporary file onto its output, in the order they were asked for."""
        done = []
        try:
            for final, temp in list(self._temps.items()):
                os.replace(temp, final)
                del self._temps[final]
                done.append(final)
        finally:
            self.abort()
        return done

    def abort(self) -> None:
        """Remove every temporary file not yet renamed; the outputs stay as they were."""
        for temp in self._temps.values():
            for leftover in (temp, *(temp.with_name(temp.name + s) for s in ("-journal", "-wal", "-shm"))):
                leftover.unlink(missing_ok=True)
        self._temps.clear()

    def __enter__(self) -> Staged:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a reader sees the old file or the whole new one)."""
    with Staged() as stage:
        stage.path(path).write_text(text, encoding="utf-8")
    return path


def remove_own(path: Path, kind: Kind) -> bool:
    """Remove ``path`` if it is a file workgym wrote as ``kind`` (a stale output); whether it did."""
    if path.is_file() and kind.ours(path):
        path.unlink()
        return True
    return False


__all__ = [
    "ANONYMIZED",
    "AUDIT",
    "DIFFICULTY",
    "FOLDER",
    "KEY",
    "LOG",
    "LOG_HEADER",
    "MANIFEST",
    "REPORT",
    "REPORT_MARKER",
    "REVIEW",
    "RUN",
    "TASKS",
    "WORKSPACE",
    "Kind",
    "Manifest",
    "OutputError",
    "Staged",
    "claim",
    "remove_own",
    "sha256",
    "write_text",
]
