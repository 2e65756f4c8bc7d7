"""Anonymize a workspace: learn, rewrite, link again, audit; in one process, several, or on Ray.

1. **Directory.** The people of the workspace (:mod:`workgym.anonymize.directory`).
2. **Learn.** Every text is scanned by the free-text layers; every value found at or above the
   confidence threshold (a host name in one IRC join, a name after "Thanks") is learned, so that
   the rewrite replaces it everywhere it occurs, not only where its context gave it away.
3. **Rewrite.** Every row of every table by its plan (:data:`workgym.anonymize.rewrite.PLANS`).
   A row whose rewrite fails is withheld and reported, never passed through.
4. **Link.** References are extracted again from the anonymized text (:mod:`workgym.link.refs`).
5. **Audit.** Leaks and link preservation (:mod:`workgym.anonymize.audit`). On any leak the
   output is not written (fail closed); the audit says where the leaks were.

Steps 2 and 3 run over fixed chunks of rows. Every surrogate is a function of the key and the
value, and chunks are written in their order, so one worker, ``N`` workers and Ray give the same bytes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faker

from workgym import __version__
from workgym.anonymize.audit import LeakReport, LinkReport, link_preservation, scan_leaks
from workgym.anonymize.config import AnonConfig
from workgym.anonymize.directory import SYSTEM_SUBTYPES, Directory, Entry, Matcher, build_directory
from workgym.anonymize.keys import fingerprint
from workgym.anonymize.rewrite import PLANS, Plan, Rewriter
from workgym.anonymize.spans import LAYER_RANK, resolve
from workgym.link.refs import extract_refs
from workgym.link.stored import read_corpus
from workgym.store import Writer, connect, read_meta

CHUNK_ROWS = 2000
"""Rows per unit of work."""

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, stage)``."""

_TEXT_PLANS = {"prose", "struct", "name", "names", "list"}
_LEARNED_KINDS = {"person", "email", "phone", "ip", "mac", "hostname", "domain", "handle", "credit_card",
                  "iban", "ssn", "national_id", "driver_license", "street_address", "secret", "url"}  # fmt: skip
_ID_KINDS = {
    "ticket": "ticket", "ticket_comment": "ticket_comment", "message": "message", "channel": "channel",
    "document": "document", "email": "email", "calendar_event": "calendar_event", "commit": "commit",
}  # fmt: skip


class LeakError(Exception):
    """The audit found original identifiers in the output; nothing was written but the audit."""

    def __init__(self, audit: Audit) -> None:
        super().__init__(f"{audit.leaks.count} leak(s) found; the output was not written")
        self.audit = audit


@dataclass
class Audit:
    """What anonymizing did; written as ``<out>.audit.json``."""

    source: str
    out: str
    key_fingerprint: str
    records_in: dict[str, int]
    records_out: dict[str, int]
    replacements: Counter[str]
    replacements_by_source: dict[str, Counter[str]]
    learned: Counter[str]
    withheld: list[dict[str, Any]]
    leaks: LeakReport
    links: LinkReport
    threshold: float
    workers: int
    executor: str
    persons: int
    date_shift: str = "whole weeks (the offset is withheld)"

    def to_json(self) -> dict[str, Any]:
        """The audit as written to disk."""
        return {
            "workgym_version": __version__,
            "source": self.source,
            "out": self.out,
            "key_fingerprint": self.key_fingerprint,
            "leaks": self.leaks.count,
            "leaks_by_kind": dict(sorted(self.leaks.by_kind.items())),
            "leaks_by_table": dict(sorted(self.leaks.by_table.items())),
            "leak_locations": self.leaks.locations,
            "key_in_output": self.leaks.key_found,
            "link_preservation": round(self.links.ratio, 6),
            "links": {
                "resolved_before": self.links.resolved_before,
                "preserved": self.links.preserved,
                "lost_by_kind": dict(sorted(self.links.lost_by_kind.items())),
            },
            "records_in": self.records_in,
            "records_out": self.records_out,
            "withheld": self.withheld,
            "replacements": dict(sorted(self.replacements.items())),
            "replacements_by_source": {
                k: dict(sorted(v.items())) for k, v in sorted(self.replacements_by_source.items())
            },
            "learned_values": dict(sorted(self.learned.items())),
            "persons": self.persons,
            "threshold": self.threshold,
            "date_shift": self.date_shift,
        }


# -- units of work ------------------------------------------------------------------------------

Chunk = tuple[str, int, int]  # table, first rowid, last rowid


def _chunks(conn: sqlite3.Connection) -> list[Chunk]:
    out: list[Chunk] = []
    for table in PLANS:
        rowids = [r[0] for r in conn.execute(f'SELECT rowid FROM "{table}" ORDER BY rowid')]
        for at in range(0, len(rowids), CHUNK_ROWS):
            part = rowids[at : at + CHUNK_ROWS]
            out.append((table, part[0], part[-1]))
    return out


def _rows(conn: sqlite3.Connection, chunk: Chunk) -> Iterator[dict[str, Any]]:
    table, first, last = chunk
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    for row in cur.execute(
        f'SELECT * FROM "{table}" WHERE rowid BETWEEN ? AND ? ORDER BY rowid', (first, last)
    ):
        yield dict(row)


_STATE: dict[str, Any] = {}


def _init(plan: Plan, path: str) -> None:
    # Free-text candidates do not depend on what was learned: a worker that ran the learn pass
    # over a text reuses them when it rewrites it (the local executor always does). They depend
    # on the workspace and the detector's settings, so the cache is kept only for those.
    detecting = (path, plan.config.names, plan.config.ner)
    if _STATE.get("detecting") != detecting:
        _STATE["detecting"], _STATE["detected"] = detecting, {}
    _STATE["rewriter"] = Rewriter(plan, _STATE["detected"])
    _STATE["learned_from"] = set()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    _STATE["conn"] = conn
    _STATE["person_of_key"] = _person_of_key(conn)


def _person_of_key(conn: sqlite3.Connection) -> Callable[[str], str]:
    people = {
        f"{sid}:{key}": pid
        for sid, key, pid in conn.execute("SELECT source_id, key, person_id FROM identity")
    }
    return lambda sid_key: people.get(sid_key, "")


def _learn_chunk(chunk: Chunk) -> Counter[tuple[str, str, str, float]]:
    """Values found by the free-text layers in one chunk: (kind, lower value, layer, confidence) -> count."""
    rewriter: Rewriter = _STATE["rewriter"]
    threshold = rewriter.plan.config.threshold
    found: Counter[tuple[str, str, str, float]] = Counter()
    plan = PLANS[chunk[0]]
    seen: set[tuple[str, bool]] = _STATE["learned_from"]
    for row in _rows(_STATE["conn"], chunk):
        system = chunk[0] == "message" and row.get("subtype") in SYSTEM_SUBTYPES
        for column, value in row.items():
            how = plan[column]
            if how not in _TEXT_PLANS or not isinstance(value, str) or not value:
                continue
            texts = json.loads(value) if value.startswith("[") and how in {"names", "list"} else [value]
            for text in texts:
                if how != "prose":  # structural values repeat (authors, channels): learn from each once
                    if (text, system) in seen:
                        continue
                    if len(seen) < 200_000:
                        seen.add((text, system))
                spans = resolve(rewriter.candidates(text, prose=how == "prose", system=system))
                for span in spans:
                    if span.layer in ("directory", "config") or span.confidence < threshold:
                        continue
                    if span.kind not in _LEARNED_KINDS or span.end - span.start < 3:
                        continue
                    found[
                        (
                            span.kind,
                            text[span.start : span.end].lower(),
                            span.layer,
                            round(span.confidence, 3),
                        )
                    ] += 1
    return found


RewrittenChunk = tuple[list[tuple[str, dict[str, Any]]], list[dict[str, Any]], dict[str, Counter[str]]]


def _rewrite_chunk(chunk: Chunk) -> RewrittenChunk:
    """One chunk rewritten: (old id, new row) pairs, withheld rows, replacements by source id."""
    rewriter: Rewriter = _STATE["rewriter"]
    person_of_key = _STATE["person_of_key"]
    table = chunk[0]
    done: list[tuple[str, dict[str, Any]]] = []
    withheld: list[dict[str, Any]] = []
    counts: dict[str, Counter[str]] = {}
    for position, row in enumerate(_rows(_STATE["conn"], chunk)):
        old_id = str(row.get("id", row.get("key", "")))
        rewriter.counts = Counter()
        try:
            done.append((old_id, rewriter.row(table, row, person_of_key)))
        except Exception as exc:  # fail closed: withhold the row, report why, go on
            withheld.append({"table": table, "rowid": chunk[1] + position, "reason": type(exc).__name__})
            continue
        source_id = str(row.get("source_id", "")) if table != "source" else str(row["id"])
        counts.setdefault(source_id or "-", Counter()).update(rewriter.counts)
    return done, withheld, counts


def _map(
    function: Callable[[Chunk], Any],
    chunks: Sequence[Chunk],
    plan: Plan,
    path: Path,
    workers: int,
    executor: str,
    progress: Progress | None,
    stage: str,
) -> list[Any]:
    results: list[Any] = []
    if executor == "ray":
        import ray  # an optional extra: imported only when asked for

        if not ray.is_initialized():
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
        remote = ray.remote(_ray_task)
        plan_ref = ray.put(plan)
        futures = [remote.remote(function.__name__, plan_ref, str(path), c) for c in chunks]
        for i, future in enumerate(futures, start=1):
            results.append(ray.get(future))
            if progress:
                progress(i, len(chunks), stage)
        return results
    if workers <= 1:
        _init(plan, str(path))
        for i, chunk in enumerate(chunks, start=1):
            results.append(function(chunk))
            if progress:
                progress(i, len(chunks), stage)
        return results
    with ProcessPoolExecutor(max_workers=workers, initializer=_init, initargs=(plan, str(path))) as pool:
        for i, result in enumerate(pool.map(function, chunks), start=1):
            results.append(result)
            if progress:
                progress(i, len(chunks), stage)
    return results


def _ray_task(name: str, plan: Plan, path: str, chunk: Chunk) -> Any:
    if _STATE.get("plan_id") != id(plan):
        _init(plan, path)
        _STATE["plan_id"] = id(plan)
    return {"_learn_chunk": _learn_chunk, "_rewrite_chunk": _rewrite_chunk}[name](chunk)


# -- the whole run ------------------------------------------------------------------------------


def anonymize_workspace(
    source: Path,
    out: Path,
    key: bytes,
    *,
    config: AnonConfig | None = None,
    workers: int = 1,
    executor: str = "local",
    progress: Progress | None = None,
) -> Audit:
    """Write an anonymized copy of workspace ``source`` to ``out`` and its audit beside it.

    Returns:
        The audit (also written to ``<out stem>.audit.json``).

    Raises:
        StoreError: ``source`` is not a workspace.
        LeakError: the audit found leaks; ``out`` was not written (the audit was).
        ValueError: ``executor`` is unknown, or ``source`` is ``out``.
    """
    if executor not in ("local", "ray"):
        raise ValueError(f"unknown executor {executor!r} (local or ray)")
    if source.resolve() == out.resolve():
        raise ValueError(f"{out}: the output must not be the workspace being anonymized")
    config = config or AnonConfig()
    conn = connect(source)
    try:
        directory = build_directory(conn)
        chunks = _chunks(conn)
        records_in = {
            table: int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]) for table in PLANS
        }
        meta = read_meta(conn)
        old_corpus, old_person_of = read_corpus(conn)
        refs_before = extract_refs(old_corpus, old_person_of, config.link)
    finally:
        conn.close()
    del old_corpus

    plan = Plan(key, directory, config)
    found: Counter[tuple[str, str, str, float]] = Counter()
    for part in _map(_learn_chunk, chunks, plan, source, workers, executor, progress, "learn"):
        found.update(part)
    plan.learned = _learned_entries(found, directory)

    results = _map(_rewrite_chunk, chunks, plan, source, workers, executor, progress, "rewrite")
    for cached in ("detected", "detecting"):  # the local executor's cache, no longer needed
        _STATE.pop(cached, None)
    audit_matcher = Matcher([*directory.values(config.threshold), *plan.learned])

    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    ids: dict[str, dict[str, str]] = {kind: {} for kind in _ID_KINDS.values()}
    replacements: Counter[str] = Counter()
    by_source: dict[str, Counter[str]] = {}
    withheld: list[dict[str, Any]] = []
    records_out: Counter[str] = Counter()
    conn = connect(tmp, create=True)
    conn.execute("PRAGMA foreign_keys = OFF")  # a withheld row may be referenced by others
    try:
        with conn:
            conn.execute("DELETE FROM meta WHERE key != 'schema_version'")
            values = {k: v for k, v in meta.items() if k != "schema_version"}
            values |= {
                "anonymized": "true",
                "key_fingerprint": fingerprint(key),
                "date_shift": "whole weeks (offset withheld)",
                "anonymized_by": f"workgym {__version__}, faker {faker.VERSION}",
            }
            Writer(conn, lambda _sid, k: k).meta(values)
            for chunk, (done, held, counts) in zip(chunks, results, strict=True):
                table = chunk[0]
                withheld.extend(held)
                for source_key, per_kind in counts.items():
                    replacements.update(per_kind)
                    by_source.setdefault(source_key, Counter()).update(per_kind)
                if not done:
                    continue
                columns = list(done[0][1])
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                conn.executemany(
                    f'INSERT INTO "{table}" ({names}) VALUES ({marks})',
                    ([r[c] for c in columns] for _, r in done),
                )
                records_out[table] += len(done)
                if table in ids:
                    ids[table].update((old, new["id"]) for old, new in done)
            corpus, person_of = read_corpus(conn)
            refs_after = extract_refs(corpus, person_of, config.link)
            Writer(conn, lambda _sid, k: k).refs(refs_after)
        leaks = scan_leaks(conn, audit_matcher, key)
    finally:
        conn.close()

    audit = Audit(
        source=source.name,
        out=out.name,
        key_fingerprint=fingerprint(key),
        records_in=records_in,
        records_out={t: records_out[t] for t in PLANS},
        replacements=replacements,
        replacements_by_source=by_source,
        learned=Counter(e.kind for _, e in plan.learned),
        withheld=withheld,
        leaks=leaks,
        links=link_preservation(refs_before, refs_after, ids),
        threshold=config.threshold,
        workers=workers,
        executor=executor,
        persons=len(directory.persons),
    )
    audit_path = audit_path_for(out)
    audit_path.write_text(json.dumps(audit.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    if leaks.count or leaks.key_found:
        tmp.unlink(missing_ok=True)
        out.unlink(missing_ok=True)
        raise LeakError(audit)
    os.replace(tmp, out)
    return audit


def audit_path_for(out: Path) -> Path:
    """Where the audit of ``out`` is written: ``anon.db`` -> ``anon.audit.json``."""
    return out.with_name(f"{out.stem}.audit.json")


def _learned_entries(
    found: Counter[tuple[str, str, str, float]], directory: Directory
) -> list[tuple[str, Entry]]:
    """Learned values as directory entries: the most confident finding of each (kind, value)."""
    best: dict[tuple[str, str], tuple[float, str]] = {}
    for kind, value, layer, confidence in found:
        if value in directory.entries or value in directory.common:
            continue  # known already, or a word of the language or of the tools (a project key)
        current = best.get((kind, value))
        candidate = (confidence, layer)
        if current is None or (candidate[0], -LAYER_RANK.get(layer, 9)) > (
            current[0],
            -LAYER_RANK.get(current[1], 9),
        ):
            best[(kind, value)] = candidate
    out = []
    for (kind, value), (confidence, layer) in sorted(best.items()):
        single_name = kind == "person" and " " not in value
        out.append((value, Entry(kind, "", "value", confidence, capitalised=single_name, layer=layer)))
    return out
