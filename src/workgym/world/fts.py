"""The full-text index of a workspace: an FTS5 sidecar file built once, shared read-only by every episode.

The sidecar sits next to the workspace (``<name>.<fingerprint>.fts``), named from a hash of the
workspace's bytes, so a changed workspace gets a new index and an unchanged one is never rebuilt.
When the workspace's folder is not writable the sidecar goes to ``<tmp>/workgym-fts/``. Nothing is
written to the workspace file. Each indexed table gets a contentless FTS5 table whose rowids are
the base table's rowids and whose ``rank`` is bm25 with the table's column weights; the
episode's own rows are indexed apart, in its overlay (see
:mod:`workgym.world.state`).

Beside each full-text table the sidecar keeps, for every word in more than :data:`HOT_DF` rows,
that word's rows ordered by their bm25 score for it (``<table>_hot``, scores computed by FTS5
itself, and ``<table>_terms`` naming the words): ranking every row that has a common word costs
milliseconds, reading the best few of a list costs microseconds. :mod:`workgym.world.search`
reads them.

The sidecar also keeps each ticket's as-of-cutoff columns over spans of cutoffs
(``ticket_asof``, see :func:`workgym.world.views.as_of_points_sql`): an episode's ticket view
reads a ticket's span for its cutoff (one seek) instead of running correlated subqueries for
each ticket it shows.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import os
import re
import sqlite3
import tempfile
import threading
from pathlib import Path

from workgym.store import ro_uri as ro_uri  # re-exported: the world's modules open files with it

FTS_VERSION = "4"
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

LONG: dict[str, tuple[str, ...]] = {
    table: (*cols, *(("body",) if table == "document" else ())) for table, cols in INDEXED.items()
}
"""The long text columns of each indexed table: all but these are copied into ``<table>_cols``."""

WEIGHTS: dict[str, tuple[float, ...]] = {
    "ticket": (3.0, 1.0),
    "document": (3.0, 1.0),
    "email": (2.0, 1.0),
}
"""bm25 column weights where a title counts more than a body."""

HOT_DF = 256
"""Words in more rows than this get a score-ordered list in the sidecar; rarer ones FTS5 ranks whole.

Ranking a rare word's rows costs at most ~HOT_DF bm25 calls (~0.4 ms); the lists of titanium's
common words hold ~1M rows (~25 MB of the sidecar, a few seconds of the first ``World.open``).
"""

_MAX_PHRASES = 16
_CACHED_TEXT = 200  # tokenizations of texts up to this long are remembered


def fts_table(table: str) -> str:
    """The name of the full-text table indexing ``table``."""
    return f"{table}_fts"


def row_count(db: sqlite3.Connection, table: str, schema: str = "fts") -> int:
    """How many rows of ``table`` the index attached as ``schema`` holds."""
    row = db.execute(f'SELECT value FROM "{schema}".fts_meta WHERE key = ?', (f"rows:{table}",)).fetchone()
    return int(row[0]) if row is not None else 0


def columns_table(table: str) -> str:
    """The sidecar's copy of ``table``'s short columns, by rowid (a search filters rows on it).

    A search checks every candidate row's time and fields; in the base table those sit after the
    row's text, so reading them walks pages of a long ticket description or e-mail body.
    """
    return f"{table}_cols"


def hot_table(table: str) -> str:
    """The table of ``table``'s common words' rows, by word id then score: ``(tid, score, id)``."""
    return f"{table}_hot"


SCORE_KEY = 1 << 32
"""A row's score for a listed word is keyed ``tid * SCORE_KEY + rowid`` in ``<table>_score``."""


def score_table(table: str) -> str:
    """The table of each listed word's score for each of its rows: ``(key, score)``, by :data:`SCORE_KEY`.

    An integer key, so finding a row's score for a word is one rowid lookup (half the cost of a
    ``(tid, id)`` index's).
    """
    return f"{table}_score"


def terms_table(table: str) -> str:
    """The table of ``table``'s common words: ``(term, tid, df)``; ``tid`` NULL when not listed."""
    return f"{table}_terms"


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


def _is_sidecar(path: Path, workspace: Path) -> bool:
    """Whether ``path`` is an index this module built for ``workspace`` (only those are replaced)."""
    if not re.fullmatch(re.escape(workspace.name) + r"\.[0-9a-f]{16}\.fts", path.name):
        return False
    try:
        conn = sqlite3.connect(ro_uri(path), uri=True)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT 1 FROM fts_meta WHERE key = 'fingerprint'").fetchone() is not None
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()


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
        conn.execute("PRAGMA cache_size = -65536")  # the lists' b-trees stay in memory while built
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
            _build_lists(conn, table)
            short = [
                r[1] for r in conn.execute(f'PRAGMA base.table_info("{table}")') if r[1] not in LONG[table]
            ]
            names = ", ".join(f'"{c}"' for c in short)
            conn.execute(f'CREATE TABLE "{columns_table(table)}" ("rowid" INTEGER PRIMARY KEY, {names})')
            conn.execute(
                f'INSERT INTO "{columns_table(table)}" SELECT rowid, {names} FROM base."{table}" ORDER BY rowid'
            )
            rows = conn.execute(f'SELECT COUNT(*) FROM base."{table}"').fetchone()[0]
            conn.execute("INSERT INTO fts_meta(key, value) VALUES (?, ?)", (f"rows:{table}", str(rows)))
        _build_as_of(conn)
        conn.executemany(
            "INSERT INTO fts_meta(key, value) VALUES (?, ?)",
            [("fingerprint", digest), ("version", FTS_VERSION), ("workspace", workspace.name)],
        )
        conn.commit()
        conn.execute("DETACH DATABASE base")
    finally:
        conn.close()
    os.replace(partial, target)


def _build_lists(conn: sqlite3.Connection, table: str) -> None:
    """Write ``table``'s common words and, for each, its rows best first with their bm25 scores.

    A word's list is what a query for it matches: the rows FTS5 finds for a word it reads back as
    the term. The Porter stemmer is not idempotent (``pleas``, from "please", stems to ``plea``),
    so a term that is not read back as itself is found through a form that is (the term with a
    suffix the stemmer strips: "please"); one with no such form is unlisted, and keeps its
    ``df`` so a search knows it is common.
    """
    name, hot, terms = fts_table(table), hot_table(table), terms_table(table)
    conn.execute(
        f'CREATE TABLE "{terms}" (term TEXT PRIMARY KEY, tid INTEGER, df INTEGER NOT NULL) WITHOUT ROWID'
    )
    conn.execute(
        f'CREATE TABLE "{hot}" (tid INTEGER NOT NULL, score REAL NOT NULL, id INTEGER NOT NULL, '
        "PRIMARY KEY (tid, score, id)) WITHOUT ROWID"
    )
    conn.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, '{name}', 'row')")
    try:
        common = conn.execute(
            "SELECT term, doc FROM temp.vocab WHERE doc > ? ORDER BY term", (HOT_DF,)
        ).fetchall()
    finally:
        conn.execute("DROP TABLE temp.vocab")
    for tid, (term, df) in enumerate(common, 1):
        found = next((w for w in (term, *(term + s for s in _SUFFIXES)) if phrase_tokens(w) == (term,)), None)
        conn.execute(
            f'INSERT INTO "{terms}" (term, tid, df) VALUES (?, ?, ?)', (term, tid if found else None, df)
        )
        if found:  # in score order, so the rows are appended to the table's b-tree
            conn.execute(
                f'INSERT INTO "{hot}" (tid, score, id) SELECT ?, rank, rowid FROM "{name}" '
                f'WHERE "{name}" MATCH ? ORDER BY rank, rowid',
                (tid, f'"{found}"'),
            )
    conn.execute(f'CREATE TABLE "{score_table(table)}" (key INTEGER PRIMARY KEY, score REAL NOT NULL)')
    conn.execute(
        f'INSERT INTO "{score_table(table)}" (key, score) SELECT tid * {SCORE_KEY} + id, score FROM "{hot}" '
        "ORDER BY tid, id"
    )


_SUFFIXES = ("e", "s", "ed", "ing")
"""Suffixes tried, in turn, on a term the stemmer does not read back as itself, to find a word that is."""


def _build_as_of(conn: sqlite3.Connection) -> None:
    """Write each ticket's as-of-cutoff columns over spans of cutoffs (:data:`~workgym.world.views.AS_OF_TABLE`).

    One row per ticket and span ``[since, until)`` of cutoffs on which its as-of columns hold
    (consecutive spans with the same values are merged; the last ends at
    :data:`~workgym.world.views.SPAN_END`), computed by the very expressions an episode's view
    ran per row before (:func:`~workgym.world.views.as_of_points_sql`).
    """
    from workgym.world.views import AS_OF_COLUMNS, AS_OF_TABLE, SPAN_END, as_of_points_sql, open_statuses

    values = ", ".join(f'"{c}"' for c in AS_OF_COLUMNS)
    # TEXT, as the ticket's own columns: SQLite flattens a view's UNION ALL into the query only
    # when its arms' columns have the same affinity.
    typed = ", ".join(f'"{c}" TEXT NOT NULL' for c in AS_OF_COLUMNS)
    conn.execute(
        f'CREATE TABLE "{AS_OF_TABLE}" (ticket_id TEXT NOT NULL, until NOT NULL, since TEXT NOT NULL, '
        f"{typed}, PRIMARY KEY (ticket_id, until)) WITHOUT ROWID"
    )
    rows: list[tuple[object, ...]] = []
    last: tuple[object, ...] | None = None  # the span being read: (ticket, since, *values)
    for ticket, since, *shown in conn.execute(as_of_points_sql(open_statuses(conn, "base"))):
        if last is not None and last[0] == ticket:
            if list(last[2:]) == shown:
                continue  # the same values: the span goes on
            rows.append((ticket, since, *last[1:]))
        elif last is not None:
            rows.append((last[0], SPAN_END, *last[1:]))
        last = (ticket, since, *shown)
    if last is not None:
        rows.append((last[0], SPAN_END, *last[1:]))
    marks = ", ".join("?" for _ in range(3 + len(AS_OF_COLUMNS)))
    conn.executemany(
        f'INSERT INTO "{AS_OF_TABLE}" (ticket_id, until, since, {values}) VALUES ({marks})', rows
    )


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
            for old in target.parent.glob(f"{glob.escape(workspace.name)}.*.fts"):
                if old != target and _is_sidecar(old, workspace):
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


class _Tokenizer:
    """FTS5's own tokenizer (:data:`TOKENIZE`), reached through a one-row table in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def tokens(self, text: str) -> tuple[str, ...]:
        with self._lock:
            if self._conn is None:
                conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(text, tokenize='{TOKENIZE}')")
                conn.execute("CREATE VIRTUAL TABLE words_seen USING fts5vocab(words, 'instance')")
                self._conn = conn
            self._conn.execute("INSERT INTO words (rowid, text) VALUES (1, ?)", (text,))
            try:
                found = self._conn.execute('SELECT term, "offset" FROM words_seen').fetchall()
            finally:
                self._conn.execute("DELETE FROM words WHERE rowid = 1")
        return tuple(term for term, _ in sorted(found, key=lambda r: r[1]))


_tokenizer = _Tokenizer()


@functools.lru_cache(maxsize=8192)
def _cached_tokens(text: str) -> tuple[str, ...]:
    return _tokenizer.tokens(text)


def phrase_tokens(text: str) -> tuple[str, ...]:
    """The tokens FTS5 makes of ``text``, in order: ``"Timeouts, in login"`` -> ``("timeout", "in", "login")``."""
    return _cached_tokens(text) if len(text) <= _CACHED_TEXT else _tokenizer.tokens(text)


def terms(text: str) -> list[str]:
    """The lower-cased words of a query, for highlighting snippets."""
    return [w.lower() for w in re.findall(r"\w+", text)][: _MAX_PHRASES * 4]
