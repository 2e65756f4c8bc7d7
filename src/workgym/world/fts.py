"""The full-text index of a workspace: an FTS5 sidecar file built once, shared read-only by every episode.

The sidecar sits next to the workspace (``<name>.<fingerprint>.fts``), named from a hash of the
workspace's bytes, so a changed workspace gets a new index and an unchanged one is never rebuilt.
When the workspace's folder is not writable the sidecar goes to ``<tmp>/workgym-fts/``. Nothing is
written to the workspace file. Each indexed table gets a contentless FTS5 table whose rowids are
the base table's rowids and whose ``rank`` is bm25 with the table's column weights; the
episode's own rows are indexed apart, in its overlay (see
:mod:`workgym.world.state`).
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

FTS_VERSION = "1"
"""Bumped whenever the index layout changes; an index of another version is rebuilt."""

TOKENIZE = "porter unicode61 remove_diacritics 2"
"""Stemmed (``timeouts`` finds ``timeout``), case- and accent-blind."""

INDEXED: dict[str, tuple[str, ...]] = {
    "message": ("text",),
    "ticket": ("summary", "description"),
    "ticket_comment": ("body",),
    "document": ("title", "text"),
    "email": ("subject", "body"),
    "commit": ("message",),
}
"""Tables with a full-text index and the text columns indexed, in column order."""

WEIGHTS: dict[str, tuple[float, ...]] = {
    "ticket": (3.0, 1.0),
    "document": (3.0, 1.0),
    "email": (2.0, 1.0),
}
"""bm25 column weights where a title counts more than a body."""

_MAX_PHRASES = 16


def fts_table(table: str) -> str:
    """The name of the full-text table indexing ``table``."""
    return f"{table}_fts"


def rank_function(table: str, *, leading: int = 0) -> str:
    """The bm25 call ranking ``table`` (``leading`` unindexed columns first get weight 0)."""
    weights = WEIGHTS.get(table, (1.0,) * len(INDEXED[table]))
    return "bm25(" + ", ".join(["0.0"] * leading + [str(w) for w in weights]) + ")"


_hash_cache: dict[tuple[str, int, int], str] = {}
_build_lock = threading.Lock()


def fingerprint(path: Path) -> str:
    """sha256 of a file's bytes (cached in-process by path, size and modification time)."""
    stat = path.stat()
    cache_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    cached = _hash_cache.get(cache_key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    value = digest.hexdigest()
    _hash_cache[cache_key] = value
    return value


def ro_uri(path: Path, *, shared: bool = False) -> str:
    """A ``file:`` URI opening ``path`` read-only (in SQLite's shared-cache mode when ``shared``)."""
    return f"file:{quote(str(path.resolve()))}?mode=ro" + ("&cache=shared" if shared else "")


def _writable(folder: Path) -> bool:
    try:
        fd, probe = tempfile.mkstemp(prefix=".workgym-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    Path(probe).unlink(missing_ok=True)
    return True


def _sidecar_name(workspace: Path, digest: str) -> str:
    return f"{workspace.name}.{digest[:16]}.fts"


def _fallback_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "workgym-fts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _is_current(path: Path, digest: str) -> bool:
    try:
        conn = sqlite3.connect(ro_uri(path), uri=True)
    except sqlite3.Error:
        return False
    try:
        meta = dict(conn.execute("SELECT key, value FROM fts_meta"))
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return meta.get("fingerprint") == digest and meta.get("version") == FTS_VERSION


def _build(workspace: Path, target: Path, digest: str) -> None:
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.unlink(missing_ok=True)
    conn = sqlite3.connect(partial)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("ATTACH DATABASE ? AS base", (ro_uri(workspace),))
        conn.execute("CREATE TABLE fts_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for table, cols in INDEXED.items():
            name = fts_table(table)
            col_list = ", ".join(f'"{c}"' for c in cols)
            conn.execute(
                f"CREATE VIRTUAL TABLE \"{name}\" USING fts5({col_list}, content='', tokenize='{TOKENIZE}')"
            )
            conn.execute(
                f'INSERT INTO "{name}"("{name}", rank) VALUES (\'rank\', ?)', (rank_function(table),)
            )
            conn.execute(
                f'INSERT INTO "{name}"(rowid, {col_list}) SELECT rowid, {col_list} FROM base."{table}"'
            )
            conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'optimize\')')
        conn.executemany(
            "INSERT INTO fts_meta(key, value) VALUES (?, ?)",
            [("fingerprint", digest), ("version", FTS_VERSION), ("workspace", workspace.name)],
        )
        conn.commit()
        conn.execute("DETACH DATABASE base")
    finally:
        conn.close()
    os.replace(partial, target)


def ensure_index(workspace: Path) -> Path:
    """The path of an up-to-date index of ``workspace``, building it when missing or stale.

    The index is built beside the workspace when that folder is writable, else in a temp folder;
    it is written to a partial file and renamed into place, so a reader never sees half an index.
    """
    digest = fingerprint(workspace)
    name = _sidecar_name(workspace, digest)
    beside = workspace.resolve().parent / name
    with _build_lock:
        if _is_current(beside, digest):
            return beside
        target = beside if _writable(beside.parent) else _fallback_dir() / name
        if not _is_current(target, digest):
            _build(workspace, target, digest)
            for old in target.parent.glob(f"{workspace.name}.*.fts"):
                if old != target:
                    old.unlink(missing_ok=True)
    return target


def match_expression(text: str, *, any_word: bool = False) -> str | None:
    """An FTS5 query from free text: each whitespace-separated chunk a quoted phrase of its words.

    Quoting every phrase means no input is FTS5 syntax (``NEAR``, ``*``, ``"`` and ``:`` are plain
    text), so a query never fails to parse. Chunks are ANDed, or ORed when ``any_word``; None when
    the text holds no word at all.
    """
    phrases: list[str] = []
    for chunk in text.split():
        words = re.findall(r"\w+", chunk)
        if words:
            phrases.append('"' + " ".join(words) + '"')
        if len(phrases) == _MAX_PHRASES:
            break
    if not phrases:
        return None
    return (" OR " if any_word else " ").join(phrases)


def terms(text: str) -> list[str]:
    """The lower-cased words of a query, for highlighting snippets."""
    return [w.lower() for w in re.findall(r"\w+", text)][: _MAX_PHRASES * 4]
