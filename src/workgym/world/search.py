"""Ranked full-text search of the base: one plan per query, each giving the rows FTS5's bm25 would.

Ranking every row a word matches costs a few µs a row in bm25, so a common word ("the", "error":
2,000-14,000 of titanium's comments) costs 3-60 ms. The sidecar keeps, for each word in more
than :data:`~workgym.world.fts.HOT_DF` rows, those rows best first with their bm25 score for the
word (see :mod:`workgym.world.fts`). A search of ``k`` rows, seen through the episode's filter
(cutoff, persona, the tool's own conditions, the overlay's rows left out), runs one of these plans:

- ``plain``: some word is rare, so few rows match: FTS5 ranks them all.
- ``walk``: one common word: its list is read best first through the filter; ``k`` rows and done.
- ``intersect``: every word common: FTS5 lists the rows having them all, without ranking them,
  and each row's score is the sum of its words' scores from the lists (bm25 of several phrases is
  that sum, to the last bit, when added in phrase order as bm25 adds it).
- ``threshold``: several common words whose rows in common are too many to score one by one
  (Fagin's threshold algorithm): the lists' best rows are read together, deeper each round,
  until the ``k``-th row kept scores below the sum of the lists' last scores read, which no row
  left unread can beat. An any-word query with a common word uses it too, its rare words' rows
  read whole.
- ``unranked``: a phrase of common words (``com.appcelerator``) has no list; when more than a
  rank limit of rows match a query holding one, they come newest-stored first, not ranked.

Every plan but the last orders rows by (bm25, rowid), so they agree with one another row for row.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from workgym.world.fts import (
    LONG,
    SCORE_KEY,
    columns_table,
    fts_table,
    hot_table,
    phrase_tokens,
    row_count,
    score_table,
    terms_table,
)

Plan = Literal["plain", "walk", "intersect", "threshold", "unranked"]

START_DEPTH = 64
"""Rows read from each list in a threshold plan's first round (each round reads four times more)."""

MAX_DEPTH = 4096
"""Rows an any-word threshold plan reads from a list at most before it hands the query to ``plain``."""

_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True, slots=True)
class BaseHits:
    """Keys of base rows best first; whether they are ranked; the plan that found them."""

    keys: list[str]
    ranked: bool
    plan: Plan


@dataclass(frozen=True, slots=True)
class _Phrase:
    text: str
    tid: int | None  # the word's list, for a phrase of one listed word
    df: int  # rows holding it: exact for a listed word, at most HOT_DF for a rare phrase
    common: bool  # every token is in more than HOT_DF rows


def _rows(table: str, conds: str) -> str:
    """Where the filter reads a candidate row: the sidecar's copy of its short columns, if enough."""
    if re.search(r'\bb\."?(?:' + "|".join(LONG[table]) + r")\b", conds):
        return f'main."{table}"'
    return f'fts."{columns_table(table)}"'


def _parse(match: str) -> tuple[list[str], bool] | None:
    """The phrases of an expression written by :func:`~workgym.world.fts.match_expression`, and any_word.

    None for any other FTS5 expression (it is then ranked whole, as FTS5 reads it).
    """
    texts = _PHRASE.findall(match)
    if not texts:
        return None
    for any_word in (False, True):
        if (" OR " if any_word else " ").join(f'"{t}"' for t in texts) == match:
            return texts, any_word
    return None


def _phrases(db: sqlite3.Connection, table: str, texts: list[str]) -> list[_Phrase]:
    tokens = [phrase_tokens(t) for t in texts]
    words = sorted({w for ts in tokens for w in ts})
    marks = ", ".join("?" for _ in words)
    stats: dict[str, tuple[int | None, int]] = {
        term: (tid, df)
        for term, tid, df in db.execute(
            f'SELECT term, tid, df FROM fts."{terms_table(table)}" WHERE term IN ({marks})', words
        )
    }
    out = []
    for text, ts in zip(texts, tokens, strict=True):
        common = bool(ts) and all(w in stats for w in ts)
        tid, df = stats[ts[0]] if common and len(ts) == 1 else (None, 0)
        out.append(_Phrase(text, tid, df, common))
    return out


def search_base(
    db: sqlite3.Connection,
    table: str,
    key: str,
    match: str,
    conds: str,
    params: Sequence[Any],
    k: int,
    *,
    rank_limit: int,
) -> BaseHits:
    """The keys of the best ``k`` base rows of ``table`` matching ``match`` that pass ``conds``.

    Args:
        db: an episode's connection, with the sidecar attached as ``fts``.
        table: the indexed table.
        key: its key column.
        match: an FTS5 expression (from :func:`~workgym.world.fts.match_expression`, or any other).
        conds: an SQL condition on the base row, aliased ``b``.
        params: the parameters of ``conds``.
        k: how many keys at most.
        rank_limit: above this many matches of a query no list can answer, rows come unranked.
    """
    if k <= 0:
        return BaseHits([], True, "plain")
    parsed = _parse(match)
    if parsed is None:
        return _plain(db, table, key, match, conds, params, k, rank_limit)
    texts, any_word = parsed
    phrases = _phrases(db, table, texts)
    rare = [not p.common for p in phrases]
    if (not any_word and any(rare)) or (any_word and all(rare)):
        # At most HOT_DF rows match a rare word: ranking them all is cheap.
        return _plain(db, table, key, match, conds, params, k, None)
    if len({p.text for p in phrases}) == 1 and phrases[0].tid is not None:
        return _walk(db, table, key, phrases[0].tid, conds, params, k)
    if not any_word and all(p.tid is not None for p in phrases):
        return _every_word(db, table, key, phrases, match, conds, params, k)
    if any_word and all(p.tid is not None or r for p, r in zip(phrases, rare, strict=True)):
        found = _any_word(db, table, key, phrases, conds, params, k)
        if found is not None:
            return found
    return _plain(db, table, key, match, conds, params, k, rank_limit)


def rank_all(
    db: sqlite3.Connection,
    table: str,
    key: str,
    match: str,
    conds: str,
    params: Sequence[Any],
    k: int,
    *,
    rank_limit: int | None = None,
) -> BaseHits:
    """The reference every plan agrees with: FTS5 ranks every match (what ``plain`` does).

    Same arguments as :func:`search_base`; with ``rank_limit``, past that many matches the rows
    come newest-stored first, unranked (how every query was answered before the lists).
    """
    return _plain(db, table, key, match, conds, params, k, rank_limit)


def _plain(
    db: sqlite3.Connection,
    table: str,
    key: str,
    match: str,
    conds: str,
    params: Sequence[Any],
    k: int,
    rank_limit: int | None,
) -> BaseHits:
    """FTS5 ranks every match (or, past ``rank_limit`` matches, lists them newest-stored first)."""
    name = fts_table(table)
    ranked = True
    if rank_limit is not None:
        count = db.execute(f'SELECT COUNT(*) FROM fts."{name}" WHERE "{name}" MATCH ?', (match,))
        ranked = count.fetchone()[0] <= rank_limit
    order = "f.rank, f.rowid" if ranked else "f.rowid DESC"
    sql = (
        f'SELECT b."{key}" FROM fts."{name}" AS f CROSS JOIN {_rows(table, conds)} AS b ON b.rowid = f.rowid '
        f'WHERE f."{name}" MATCH ? AND {conds} ORDER BY {order} LIMIT ?'
    )
    keys = [r[0] for r in db.execute(sql, [match, *params, k])]
    return BaseHits(keys, ranked, "plain" if ranked else "unranked")


def _walk(
    db: sqlite3.Connection, table: str, key: str, tid: int, conds: str, params: Sequence[Any], k: int
) -> BaseHits:
    """One common word: its list read best first, through the filter, until ``k`` rows pass."""
    sql = (
        f'SELECT b."{key}" FROM fts."{hot_table(table)}" AS h CROSS JOIN {_rows(table, conds)} AS b '
        f"ON b.rowid = h.id WHERE h.tid = ? AND {conds} ORDER BY h.score, h.id LIMIT ?"
    )
    return BaseHits([r[0] for r in db.execute(sql, [tid, *params, k])], True, "walk")


def _every_word(
    db: sqlite3.Connection,
    table: str,
    key: str,
    phrases: list[_Phrase],
    match: str,
    conds: str,
    params: Sequence[Any],
    k: int,
) -> BaseHits:
    """Several common words, every one required: ``threshold`` while cheap, else ``intersect``.

    Scoring a candidate costs the same in both plans (a score looked up per word), so threshold
    rounds are tried only while the rows they read stay under a quarter of the rows the words are
    expected to have in common (as if they fell independently: rows x the product of their
    shares): a round that does not settle the query then costs little beside the intersection.
    """
    hot, name = hot_table(table), fts_table(table)
    rows = max(1, row_count(db, table))
    expected = rows * math.prod(p.df / rows for p in phrases)
    joins, total, keys = _score_joins(table, phrases, "CROSS JOIN")
    depth = max(START_DEPTH, 2 * k)
    while len(phrases) * depth * 4 <= expected:
        frontier = 0.0
        for p in phrases:
            row = db.execute(
                f'SELECT score FROM fts."{hot}" WHERE tid = ? ORDER BY score, id LIMIT 1 OFFSET ?',
                (p.tid, depth - 1),
            ).fetchone()
            if row is None:  # a list read to its end: every row in common has been read
                frontier = math.inf
                break
            frontier += row[0]
        firsts = " UNION ".join(
            f'SELECT id FROM (SELECT id FROM fts."{hot}" WHERE tid = ? ORDER BY score, id LIMIT ?)'
            for _ in phrases
        )
        sql = (  # the filter before the scores: a row it drops costs no lookups
            f'WITH c(id) AS ({firsts}) SELECT b."{key}", {total} FROM c CROSS JOIN {_rows(table, conds)} AS b '
            f"ON b.rowid = c.id {joins} WHERE {conds} ORDER BY 2, c.id LIMIT ?"
        )
        firsts_args = [a for p in phrases for a in (p.tid, depth)]
        found = db.execute(sql, [*firsts_args, *keys, *params, k]).fetchall()
        if (len(found) == k and found[-1][1] < frontier) or frontier == math.inf:
            return BaseHits([r[0] for r in found], True, "threshold")
        depth *= 4
    joins = joins.replace("c.id", "f.rowid")
    sql = (
        f'SELECT b."{key}" FROM fts."{name}" AS f CROSS JOIN {_rows(table, conds)} AS b ON b.rowid = f.rowid '
        f'{joins} WHERE f."{name}" MATCH ? AND {conds} ORDER BY {total}, f.rowid LIMIT ?'
    )
    return BaseHits([r[0] for r in db.execute(sql, [*keys, match, *params, k])], True, "intersect")


def _score_joins(table: str, phrases: list[_Phrase], join: str) -> tuple[str, str, list[int]]:
    """Joins looking up the row ``c.id``'s score for each listed phrase, their sum, and their parameters.

    The sum is written left to right, in phrase order, as bm25 adds its phrases' scores.
    """
    score = score_table(table)
    listed = [i for i, p in enumerate(phrases) if p.tid is not None]
    joins = " ".join(f'{join} fts."{score}" AS h{i} ON h{i}.key = ? + c.id' for i in listed)
    total = " + ".join(f"h{i}.score" for i in listed)
    return joins, total, [p.tid * SCORE_KEY for p in phrases if p.tid is not None]


def _any_word(
    db: sqlite3.Connection,
    table: str,
    key: str,
    phrases: list[_Phrase],
    conds: str,
    params: Sequence[Any],
    k: int,
) -> BaseHits | None:
    """Any of several words, one common at least: the threshold algorithm.

    None (rank them all instead) when a round would read more than :data:`MAX_DEPTH` rows a list,
    or more rows in all than the lists hold.

    A row's score is the sum, in phrase order, of its scores for the phrases it has, as bm25 sums
    it. A rare phrase's rows are read whole (a few hundred at most). After ``depth`` rows of each
    list, a row not read yet scores at least the sum of the lists' last scores read (0.0 for a
    list read to its end), so once the ``k``-th row kept scores below that, the rows are final.
    """
    hot, name = hot_table(table), fts_table(table)
    rare: dict[int, dict[int, float]] = {}
    for i, p in enumerate(phrases):
        if p.tid is None:
            rows = db.execute(
                f'SELECT rowid, rank FROM fts."{name}" WHERE "{name}" MATCH ?', (f'"{p.text}"',)
            )
            rare[i] = dict(rows.fetchall())
    rare_ids = "[" + ",".join(str(r) for r in sorted({r for scores in rare.values() for r in scores})) + "]"
    union = sum(p.df for p in phrases if p.tid is not None)  # what ranking them all would score
    depth = max(START_DEPTH, 2 * k)
    while True:
        frontier = 0.0
        for p in phrases:
            if p.tid is not None and p.df > depth:
                frontier += db.execute(
                    f'SELECT score FROM fts."{hot}" WHERE tid = ? ORDER BY score, id LIMIT 1 OFFSET ?',
                    (p.tid, depth - 1),
                ).fetchone()[0]
        firsts = ["SELECT value FROM json_each(?)"]
        args: list[Any] = [rare_ids]
        for p in phrases:
            if p.tid is not None:
                firsts.append(
                    f'SELECT id FROM (SELECT id FROM fts."{hot}" WHERE tid = ? ORDER BY score, id LIMIT ?)'
                )
                args += [p.tid, depth]
        joins, total, keys = _score_joins(table, phrases, "LEFT JOIN")
        cols = total.replace(" + ", ", ")
        sql = (
            f"WITH c(id) AS ({' UNION '.join(firsts)}) "
            f'SELECT c.id, b."{key}", {cols} FROM c CROSS JOIN {_rows(table, conds)} AS b ON b.rowid = c.id '
            f"{joins} WHERE {conds}"
        )
        scored: list[tuple[float, int, str]] = []
        for row in db.execute(sql, [*args, *keys, *params]):
            rowid, listed, summed = row[0], iter(row[2:]), 0.0
            for i, p in enumerate(phrases):
                score = next(listed) if p.tid is not None else rare[i].get(rowid)
                if score is not None:
                    summed += score
            scored.append((summed, rowid, row[1]))
        scored.sort()
        if frontier == 0.0 or (len(scored) >= k and scored[k - 1][0] < frontier):
            return BaseHits([row_key for _, _, row_key in scored[:k]], True, "threshold")
        depth *= 4
        if depth > MAX_DEPTH or len(keys) * depth > union:
            return None
