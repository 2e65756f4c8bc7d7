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
import sqlite3
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import faker

from workgym import __version__
from workgym.anonymize.audit import LeakReport, LinkReport, link_preservation, scan_leaks
from workgym.anonymize.config import AnonConfig
from workgym.anonymize.detect import CandidateCache
from workgym.anonymize.directory import SYSTEM_SUBTYPES, Directory, Entry, Matcher, build_directory
from workgym.anonymize.explain import (
    EXPLANATION,
    cause_counts,
    check_explain_path,
    find_leaks,
    write_explanation,
)
from workgym.anonymize.keys import fingerprint
from workgym.anonymize.names import lexicon as name_lexicon
from workgym.anonymize.patterns import can_identify
from workgym.anonymize.rewrite import PLANS, Plan, Rewriter, check_plans
from workgym.anonymize.spans import LAYER_RANK, resolve
from workgym.link.refs import extract_refs
from workgym.link.stored import read_corpus
from workgym.outputs import ANONYMIZED, AUDIT, Kind, Staged, claim, remove_own, write_text
from workgym.store import Writer, connect, read_meta, ro_uri

CHUNK_ROWS = 2000
"""Rows per unit of work."""

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, stage)``."""

_TEXT_PLANS = {"prose", "struct", "name", "names", "list", "record_id"}
_LEARNED_KINDS = {"person", "email", "phone", "ip", "mac", "hostname", "domain", "handle", "credit_card",
                  "iban", "ssn", "national_id", "driver_license", "street_address", "secret", "url"}  # fmt: skip
_ID_KINDS = {
    "ticket": "ticket", "ticket_comment": "ticket_comment", "message": "message", "channel": "channel",
    "document": "document", "email": "email", "calendar_event": "calendar_event", "commit": "commit",
    "ticket_event": "ticket_event",  # a GitHub timeline's cross-references start there
}  # fmt: skip


class LeakError(Exception):
    """The audit found original identifiers in the output; nothing was written but the failed audit."""

    def __init__(self, audit: Audit, explanation: Path | None = None) -> None:
        super().__init__(
            f"{audit.leaks.count} leak(s) found; the output was not written (an existing one is as it was)"
        )
        self.audit = audit
        self.explanation = explanation
        """Where each leaking value and its cause were written (``explain``), if asked."""


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
    leak_causes: dict[str, dict[str, int]] = field(default_factory=dict)
    """Leaks per cause, per ``table.column`` (:func:`workgym.anonymize.explain.cause_counts`)."""

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
            "leaks_by_cause": {cause: sum(c.values()) for cause, c in self.leak_causes.items()},
            "leaks_by_cause_and_column": self.leak_causes,
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


def _init(plan: Plan, path: str, people: dict[str, str] | None = None) -> None:
    """Set up a worker for ``plan``: it reads its rows from the workspace at ``path``.

    With ``people`` (the identity table, as :func:`_people` reads it) the worker never opens
    ``path``: its rows come with each task (Ray), and ``path`` only names the workspace.
    """
    # Free-text candidates do not depend on what was learned: a worker that ran the learn pass
    # over a text reuses them when it rewrites it (the local executor always does). They depend
    # on the workspace and the detector's settings, so the cache is kept only for those.
    detecting = (path, plan.config.names, plan.config.ner)
    if _STATE.get("detecting") != detecting:
        _STATE["detecting"], _STATE["detected"] = detecting, CandidateCache()
    _STATE["rewriter"] = Rewriter(plan, _STATE["detected"])
    _STATE["learned_from"] = set()
    if people is None:
        conn = sqlite3.connect(ro_uri(path), uri=True)
        _STATE["conn"] = conn
        people = _people(conn)
    else:
        _STATE["conn"] = None
    known = people
    _STATE["person_of_key"] = lambda sid_key: known.get(sid_key, "")


def _people(conn: sqlite3.Connection) -> dict[str, str]:
    """``"<source id>:<identity key>"`` -> person id, for every identity of the workspace."""
    return {
        f"{sid}:{key}": pid
        for sid, key, pid in conn.execute("SELECT source_id, key, person_id FROM identity")
    }


def _learn_chunk(
    chunk: Chunk, rows: Iterable[dict[str, Any]] | None = None
) -> Counter[tuple[str, str, str, float]]:
    """Values found by the free-text layers in one chunk: (kind, lower value, layer, confidence) -> count.

    ``rows`` are the chunk's rows when they came with the task; else the worker reads them.
    """
    rewriter: Rewriter = _STATE["rewriter"]
    threshold = rewriter.plan.config.threshold
    found: Counter[tuple[str, str, str, float]] = Counter()
    plan = PLANS[chunk[0]]
    seen: set[tuple[str, bool]] = _STATE["learned_from"]
    for row in _rows(_STATE["conn"], chunk) if rows is None else rows:
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
                spans = resolve(
                    rewriter.candidates(
                        text, prose=how == "prose", system=system, record_id=how == "record_id"
                    )
                )
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


RewrittenChunk = tuple[
    list[tuple[str, dict[str, Any]]], list[dict[str, Any]], dict[str, Counter[str]], list[int]
]


def _rewrite_chunk(chunk: Chunk, rows: Iterable[dict[str, Any]] | None = None) -> RewrittenChunk:
    """One chunk rewritten: (old id, new row) pairs, withheld rows, replacements by source id, rowids.

    The last item holds the rowid of each rewritten row, in the order of the pairs.

    ``rows`` are the chunk's rows when they came with the task; else the worker reads them.
    """
    rewriter: Rewriter = _STATE["rewriter"]
    person_of_key = _STATE["person_of_key"]
    table = chunk[0]
    done: list[tuple[str, dict[str, Any]]] = []
    withheld: list[dict[str, Any]] = []
    counts: dict[str, Counter[str]] = {}
    rowids: list[int] = []
    for position, row in enumerate(_rows(_STATE["conn"], chunk) if rows is None else rows):
        old_id = str(row.get("id", row.get("key", "")))
        rewriter.counts = Counter()
        try:
            done.append((old_id, rewriter.row(table, row, person_of_key)))
        except Exception as exc:  # fail closed: withhold the row, report why, go on
            reason = withheld_reason(exc, rewriter)
            withheld.append({"table": table, "rowid": chunk[1] + position, "reason": reason})
            continue
        rowids.append(chunk[1] + position)
        source_id = str(row.get("source_id", "")) if table != "source" else str(row["id"])
        counts.setdefault(source_id or "-", Counter()).update(rewriter.counts)
    return done, withheld, counts, rowids


def insert_rows(
    conn: sqlite3.Connection, table: str, rows: Sequence[dict[str, Any]]
) -> list[tuple[int, str]]:
    """Insert rewritten ``rows`` into ``table``; the rows a constraint refused, with its message.

    Surrogates are keyed functions of each value, so two distinct ids can, however rarely, be
    given one surrogate (or one may equal an id kept as written). The row that comes second is
    then refused by the table's UNIQUE key; it is returned (position, message) to be withheld,
    never left to abort the run. Rows are inserted in one statement unless one is refused.
    """
    if not rows:
        return []
    columns = list(rows[0])
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    conn.execute("SAVEPOINT insert_rows")
    try:
        conn.executemany(sql, ([r[c] for c in columns] for r in rows))
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO insert_rows")
    else:
        conn.execute("RELEASE insert_rows")
        return []
    conn.execute("RELEASE insert_rows")
    refused: list[tuple[int, str]] = []
    for position, row in enumerate(rows):
        try:
            conn.execute(sql, [row[c] for c in columns])
        except sqlite3.IntegrityError as exc:
            refused.append((position, str(exc)))
    return refused


WITHHELD_REASON_CHARS = 300
"""The longest reason the audit gives for one withheld row."""


def withheld_reason(exc: BaseException, rewriter: Rewriter) -> str:
    """Why a row was withheld: the exception's type and message, every identifier in it redacted.

    A message may quote the value that failed (``invalid date '…'``, a person's address): each span
    the rewriter would replace is written as its kind (``<email>``), so the audit names no one.
    """
    message = " ".join([str(exc), *getattr(exc, "__notes__", ())]).strip()
    try:
        spans = resolve(rewriter.candidates(message, prose=True))
    except Exception:  # the rewriter cannot read its own error: give the type only
        return f"{type(exc).__name__} (message withheld: it could not be checked for identifiers)"
    out, at = [], 0
    for span in spans:
        out += [message[at : span.start], f"<{span.kind}>"]
        at = span.end
    redacted = "".join([*out, message[at:]])
    if len(redacted) > WITHHELD_REASON_CHARS:
        redacted = redacted[: WITHHELD_REASON_CHARS - 1] + "…"
    return f"{type(exc).__name__}: {redacted}" if redacted else type(exc).__name__


def _map(
    function: Callable[[Chunk], Any],
    chunks: Sequence[Chunk],
    plan: Plan,
    path: Path,
    workers: int,
    executor: str,
    progress: Progress | None,
    stage: str,
    address: str | None = None,
) -> list[Any]:
    results: list[Any] = []
    if executor == "ray":
        return _map_ray(function.__name__, chunks, plan, path, workers, address, progress, stage)
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


@dataclass(frozen=True)
class RayContext:
    """What every Ray task of one pass shares, put in the object store once.

    Attributes:
        plan: the directory, learned values, config and key.
        people: the identity table (:func:`_people`), so that no worker opens the workspace.
        workspace: names the workspace for the workers' detector cache; never opened.
    """

    plan: Plan
    people: dict[str, str]
    workspace: str


RAY_CHUNKS_PER_CPU = 2
"""Chunks in flight per CPU of the cluster: enough to keep it busy, few enough to bound memory."""


def _map_ray(
    name: str,
    chunks: Sequence[Chunk],
    plan: Plan,
    path: Path,
    workers: int,
    address: str | None,
    progress: Progress | None,
    stage: str,
) -> list[Any]:
    """Run one pass on Ray: the driver reads each chunk's rows and ships them with its task.

    No worker needs the workspace file (a cluster's nodes need not share a disk). Results come
    back in chunk order, whatever node ran them, so the output is the bytes one worker writes.
    """
    import ray  # an optional extra: imported only when asked for

    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    remote = ray.remote(_ray_task)
    results: list[Any] = []
    pending: deque[Any] = deque()

    def collect_oldest() -> None:
        results.append(ray.get(pending.popleft()))
        if progress:
            progress(len(results), len(chunks), stage)

    conn = sqlite3.connect(ro_uri(path), uri=True)
    try:
        # In a list, so that each task is handed the reference and fetches the context once.
        context = [ray.put(RayContext(plan, _people(conn), str(path)))]
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        window = max(2, RAY_CHUNKS_PER_CPU * int(cpus))
        for chunk in chunks:
            pending.append(remote.remote(name, context, chunk, list(_rows(conn, chunk))))
            if len(pending) >= window:
                collect_oldest()
    finally:
        conn.close()
    while pending:
        collect_oldest()
    return results


_TASKS: dict[str, Callable[[Chunk, list[dict[str, Any]]], Any]] = {
    "_learn_chunk": _learn_chunk,
    "_rewrite_chunk": _rewrite_chunk,
}


def _ray_task(name: str, context: list[Any], chunk: Chunk, rows: list[dict[str, Any]]) -> Any:
    """One chunk on a Ray worker, from the rows the task carries; the pass's context fetched once."""
    (ref,) = context
    if _STATE.get("context") != ref.hex():
        import ray

        shared: RayContext = ray.get(ref)
        _init(shared.plan, shared.workspace, shared.people)
        _STATE["context"] = ref.hex()
    return _TASKS[name](chunk, rows)


# -- the whole run ------------------------------------------------------------------------------


def anonymize_workspace(
    source: Path,
    out: Path,
    key: bytes,
    *,
    config: AnonConfig | None = None,
    workers: int = 1,
    executor: str = "local",
    address: str | None = None,
    progress: Progress | None = None,
    explain: Path | None = None,
) -> Audit:
    """Write an anonymized copy of workspace ``source`` to ``out`` and its audit beside it.

    ``out`` and its audit are written to temporary files and renamed into place together; on a
    leak or an error neither is, and an ``out`` already there is left as it was. Whether ``out``
    may be replaced at all is the caller's to check (:func:`workgym.outputs.claim`).

    Args:
        source: the raw workspace.
        out: the anonymized workspace to write.
        key: the secret key.
        config: the anonymizer's settings (the defaults when None).
        workers: worker processes (local), or CPUs of the local Ray cluster started for the run.
        executor: ``local`` or ``ray``.
        address: with ``ray``, an existing cluster's address (``host:port``); rows are shipped to
            its workers through Ray, so no node but this one needs the workspace file.
        progress: called as ``progress(done, total, stage)``.
        explain: on a leak, write each leaking original value, its place and its cause there
            (:mod:`workgym.anonymize.explain`; mode ``0600``); never inside ``out``'s folder.
            After a run without leaks, an explanation an earlier run wrote there is removed.

    Returns:
        The audit (also written to ``<out stem>.audit.json``; a stale ``.failed.audit.json`` is removed).

    Raises:
        StoreError: ``source`` is not a workspace.
        LeakError: the audit found leaks; ``out`` was not written, the audit went to
            :func:`failed_audit_path_for` ``(out)``.
        ValueError: ``executor`` is unknown, or ``address`` is given without ``ray``.
        OutputError: ``out`` or its audit is ``source``, or a folder; ``explain`` is inside
            ``out``'s folder.
    """
    if executor not in ("local", "ray"):
        raise ValueError(f"unknown executor {executor!r} (local or ray)")
    if address and executor != "ray":
        raise ValueError(f"address {address!r} is a Ray cluster's: it needs the ray executor")
    if explain is not None:
        check_explain_path(explain, source, out)
    claim(anonymize_outputs(out, explain), inputs=[source], force=True)
    config = config or AnonConfig()
    conn = connect(source)
    try:
        check_plans(conn)  # a column no plan names is an error before anything is read
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
    for part in _map(_learn_chunk, chunks, plan, source, workers, executor, progress, "learn", address):
        found.update(part)
    plan.learned = _learned_entries(found, directory)

    results = _map(_rewrite_chunk, chunks, plan, source, workers, executor, progress, "rewrite", address)
    for cached in ("detected", "detecting"):  # the local executor's cache, no longer needed
        _STATE.pop(cached, None)
    audit_matcher = Matcher([*directory.values(config.threshold), *plan.learned], directory.ticket_prefixes)

    stage = Staged()  # out and its audit land together; on a leak or an error, neither does
    try:
        tmp = stage.path(out)
        ids: dict[str, dict[str, str]] = {kind: {} for kind in _ID_KINDS.values()}
        replacements: Counter[str] = Counter()
        by_source: dict[str, Counter[str]] = {}
        withheld: list[dict[str, Any]] = []
        records_out: Counter[str] = Counter()
        raw_ids: dict[str, list[str]] = {}  # per table, each output row's id in the raw workspace
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
                for chunk, (done, held, counts, rowids) in zip(chunks, results, strict=True):
                    table = chunk[0]
                    withheld.extend(held)
                    for source_key, per_kind in counts.items():
                        replacements.update(per_kind)
                        by_source.setdefault(source_key, Counter()).update(per_kind)
                    if not done:
                        continue
                    refused = insert_rows(conn, table, [r for _, r in done])
                    if refused:  # a surrogate id that is another row's: withheld, with why
                        for position, message in refused:
                            withheld.append({
                                "table": table,
                                "rowid": rowids[position],
                                "reason": f"IntegrityError: {message} (its surrogate equals another"
                                " row's; the first row keeps it)",
                            })  # fmt: skip
                        gone = {p for p, _ in refused}
                        done = [d for p, d in enumerate(done) if p not in gone]
                    records_out[table] += len(done)
                    raw_ids.setdefault(table, []).extend(old for old, _ in done)
                    if table in ids:
                        ids[table].update((old, new["id"]) for old, new in done)
                corpus, person_of = read_corpus(conn)
                refs_after = extract_refs(corpus, person_of, config.link)
                Writer(conn, lambda _sid, k: k).refs(refs_after)
            leaks = scan_leaks(conn, audit_matcher, key)
            explained = (  # each leak's value and cause, read before the output is discarded
                find_leaks(conn, audit_matcher, directory, plan.learned, allow=config.allow,
                           tables=set(leaks.by_table), raw_ids=raw_ids)
                if leaks.count else []
            )  # fmt: skip
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
            leak_causes=cause_counts(explained),
        )
        text = json.dumps(audit.to_json(), indent=2, sort_keys=False) + "\n"
        if leaks.count or leaks.key_found:
            stage.abort()
            write_text(failed_audit_path_for(out), text)
            if explain is not None and explained:
                write_explanation(explain, explained, source=source, out=out)
                raise LeakError(audit, explain)
            raise LeakError(audit)
        stage.path(audit_path_for(out)).write_text(text, encoding="utf-8")
        stage.commit()
    finally:
        stage.abort()  # after a commit, nothing is left to remove
    remove_own(failed_audit_path_for(out), AUDIT)  # the audit of an earlier, failed run
    if explain is not None:
        remove_own(explain, EXPLANATION)  # original values of leaks that are gone
    return audit


def audit_path_for(out: Path) -> Path:
    """Where the audit of ``out`` is written: ``anon.db`` -> ``anon.audit.json``."""
    return out.with_name(f"{out.stem}.audit.json")


def failed_audit_path_for(out: Path) -> Path:
    """Where the audit of a run that found leaks goes: ``anon.db`` -> ``anon.failed.audit.json``.

    Apart from :func:`audit_path_for`, so that the audit beside an ``anon.db`` always describes it.
    """
    return out.with_name(f"{out.stem}.failed.audit.json")


def anonymize_outputs(out: Path, explain: Path | None = None) -> list[tuple[Path, Kind]]:
    """Every path anonymizing into ``out`` may write, with its kind (for :func:`workgym.outputs.claim`)."""
    outputs = [(out, ANONYMIZED), (audit_path_for(out), AUDIT), (failed_audit_path_for(out), AUDIT)]
    return [*outputs, (explain, EXPLANATION)] if explain is not None else outputs


def _learned_entries(
    found: Counter[tuple[str, str, str, float]], directory: Directory
) -> list[tuple[str, Entry]]:
    """Learned values as directory entries: the most confident finding of each (kind, value)."""
    best: dict[tuple[str, str], tuple[float, str]] = {}
    common_names = name_lexicon().common  # words of the language that are also names
    for kind, value, layer, confidence in found:
        if value in directory.entries or value in directory.common or not can_identify(value):
            continue  # known already, a word of the language or of the tools, or no one (****)
        if kind == "person" and " " not in value and value in common_names:
            continue  # "Hello, Doc:", "Hi Will,": replaced where found, but "doc" and "will" are words elsewhere
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
