"""Explain leaks: each original value the audit found, where, and the layer that should have caught it.

The audit (:mod:`workgym.anonymize.audit`) counts leaks and names their places, never their values.
When it finds any, the run re-reads the leaking tables of the output it is about to discard with
the audit's own matcher and attributes every hit to one **cause**, from how the value became known
and where it was found:

=====================  ======================================================================
cause                  when
=====================  ======================================================================
``id rewriting``       found in a column rewritten as an id, a key, a time or kept as written
                       (its plan is not text): no detector reads it, its own rewriting should
                       have replaced it
``directory entry``    found in text; the value is a directory entry (a person's name, handle,
                       address, phone, user id, an organisation's domain)
``pattern kind``       found in text; learned from the pattern layer (the detail names the kind)
``name detector``      found in text; learned from the free-text name detector (or NER)
``address detector``   found in text; learned from the street-address detector
=====================  ======================================================================

The explanation is written, on request, as JSON with owner-only permissions (``0600``): it holds
the **original values**, so it belongs beside the raw workspace and never beside the output
(:func:`check_explain_path` refuses a path inside the output's folder). The causes alone, counted
by table and column, go into the audit, which names no value.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workgym import __version__
from workgym.anonymize.directory import SYSTEM_SUBTYPES, Directory, Entry, Matcher
from workgym.anonymize.rewrite import (
    LIST,
    MESSAGE_ID,
    NAME,
    NAMES,
    OWN_FIELDS,
    PLANS,
    PROSE,
    REACTIONS,
    RECORD_ID,
    SOURCE_PATH,
    STRUCT,
    TIMEZONE,
    is_zone,
)
from workgym.outputs import Kind, OutputError, Staged

ID_REWRITING, DIRECTORY_ENTRY, PATTERN_KIND, NAME_DETECTOR, ADDRESS_DETECTOR = (
    "id rewriting",
    "directory entry",
    "pattern kind",
    "name detector",
    "address detector",
)
CAUSES: dict[str, str] = {
    ID_REWRITING: "the column is rewritten as an id, key or time, or kept as written; no detector reads"
    " it and no dictionary entry reaches it: report a bug naming the table, column and kind",
    DIRECTORY_ENTRY: "the directory knows the value and the rewrite left it: if [anonymize] allow covers"
    " it, take it out of allow; otherwise report a bug naming the table, column and kind",
    PATTERN_KIND: "a pattern found the value elsewhere and it was learned, but it stayed here: add it to"
    " [anonymize.dictionaries] under its kind, and report a bug",
    NAME_DETECTOR: "the name detector found the value elsewhere and it was learned, but it stayed here:"
    " add it to [anonymize.dictionaries] person, and report a bug",
    ADDRESS_DETECTOR: "the address detector found the value elsewhere and it was learned, but it stayed"
    " here: add it to [anonymize.dictionaries] street_address, and report a bug",
}
"""Every cause, with what it means and what to do about it."""

TEXT_PLANS: frozenset[str] = frozenset(
    {PROSE, STRUCT, RECORD_ID, LIST, NAME, NAMES, MESSAGE_ID, REACTIONS, SOURCE_PATH}
)
"""Column plans whose values go through the detection layers (every other plan rewrites an id)."""

_TEXT_TABLES = frozenset({"ref"})
"""Tables without a plan whose text comes from rewritten text (references extracted again)."""

MARKER = "workgym_leak_explanation"
"""The key that marks an explanation file as workgym's."""

CONTEXT_CHARS = 40
"""Characters of context kept on each side of a leaking value."""


def _ours(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(256)
        return f'"{MARKER}"'.encode() in head
    except OSError:
        return False


EXPLANATION = Kind(
    "a leak explanation", _ours, hint="it holds original values; keep it beside the raw workspace"
)
"""The kind of output an explanation file is (for :func:`workgym.outputs.claim`)."""


@dataclass(frozen=True, slots=True)
class Leak:
    """One original value found in the output, and why it is there.

    Attributes:
        table: the output table.
        column: the column.
        rowid: the row's position in the output table (as the audit's ``leak_locations`` give it).
        raw_id: the row's id (or identity key) in the raw workspace, where one is known, else ``""``.
        kind: the span kind the value names (``person``, ``email``, ...; ``timezone``).
        value: the original value as written in the output.
        cause: one of :data:`CAUSES`.
        learned: how the value became known (``directory: email of P0003``, ``pattern: phone``).
        context: the text around the value.
    """

    table: str
    column: str
    rowid: int
    raw_id: str
    kind: str
    value: str
    cause: str
    learned: str
    context: str


def find_leaks(
    conn: sqlite3.Connection,
    matcher: Matcher,
    directory: Directory,
    learned: Iterable[tuple[str, Entry]] = (),
    *,
    allow: Collection[str] = (),
    tables: Collection[str] | None = None,
    raw_ids: Mapping[str, Sequence[str]] | None = None,
    plans: Mapping[str, Mapping[str, str]] = PLANS,
) -> list[Leak]:
    """Every leak in ``conn`` as :func:`workgym.anonymize.audit.scan_leaks` counts them, with its value and cause.

    Args:
        conn: the anonymized output.
        matcher: the audit's matcher (directory values and learned values).
        directory: the directory, to say which entry a value is.
        learned: the learned values, to say which layer found one.
        allow: the config's ``allow`` values (lower-cased), to say that one let a value through.
        tables: only these tables (those the audit found leaks in); all when None.
        raw_ids: per table, the raw id of each output row in output order (``""`` where none).
        plans: the column plans.
    """
    found_by = {value: entry for value, entry in learned}
    allowed = {a.lower() for a in allow}
    out: list[Leak] = []
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    for table in names:
        if tables is not None and table not in tables:
            continue
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        subtype_at = columns.index("subtype") if table == "message" else -1
        plan = plans.get(table, {})
        ids = (raw_ids or {}).get(table, ())
        for position, (rowid, *values) in enumerate(
            conn.execute(f'SELECT rowid, * FROM "{table}" ORDER BY rowid')
        ):
            system = subtype_at >= 0 and values[subtype_at] in SYSTEM_SUBTYPES
            raw_id = ids[position] if position < len(ids) else ""
            for column, value in zip(columns, values, strict=True):
                if not isinstance(value, str) or not value:
                    continue
                how = plan.get(column, "")
                if how == TIMEZONE:
                    if not is_zone(value):
                        out.append(
                            Leak(
                                table,
                                column,
                                rowid,
                                raw_id,
                                "timezone",
                                value,
                                ID_REWRITING,
                                "not an IANA zone name",
                                _context(value, 0, len(value)),
                            )
                        )
                    continue
                in_text = how in TEXT_PLANS or (not plan and table in _TEXT_TABLES)
                for span in matcher.find(value, system=system, whole=how in OWN_FIELDS):
                    text = value[span.start : span.end]
                    cause, learned_how = _attribute(
                        text.lower(),
                        span.kind,
                        span.layer,
                        span.entity,
                        in_text,
                        directory,
                        found_by,
                        allowed,
                    )
                    out.append(
                        Leak(
                            table,
                            column,
                            rowid,
                            raw_id,
                            span.kind,
                            text,
                            cause,
                            learned_how,
                            _context(value, span.start, span.end),
                        )
                    )
    return out


def _attribute(
    low: str,
    kind: str,
    layer: str,
    entity: str,
    in_text: bool,
    directory: Directory,
    found_by: Mapping[str, Entry],
    allowed: Collection[str],
) -> tuple[str, str]:
    """(cause, how the value became known) of one hit."""
    if layer in ("directory", "config"):
        entry = next(
            (e for e in directory.entries.get(low, ()) if e.kind == kind and e.entity == entity),
            None,
        )
        part = f" ({entry.part})" if entry is not None and entry.part not in ("", kind, "value") else ""
        owner = f" of {entity}" if entity else ""
        learned = f"{'dictionary' if layer == 'config' else 'directory'}: {kind}{part}{owner}"
    else:
        entry = found_by.get(low)
        confidence = f", confidence {entry.confidence:g}" if entry is not None else ""
        detector = "addresses" if kind == "street_address" else layer  # addresses report as names
        learned = f"learned from {detector}: {kind}{confidence}"
    if low in allowed or any(word in allowed for word in low.split()):
        learned += "; allowed by [anonymize] allow"
    if not in_text:
        return ID_REWRITING, learned
    if layer in ("directory", "config"):
        return DIRECTORY_ENTRY, learned
    if kind == "street_address":
        return ADDRESS_DETECTOR, learned
    if layer == "pattern":
        return PATTERN_KIND, learned
    return NAME_DETECTOR, learned


def _context(value: str, start: int, end: int) -> str:
    before = value[max(0, start - CONTEXT_CHARS) : start]
    after = value[end : end + CONTEXT_CHARS]
    return " ".join(f"{before}[[{value[start:end]}]]{after}".split())


def cause_counts(leaks: Iterable[Leak]) -> dict[str, dict[str, int]]:
    """Leaks per cause, and per ``table.column`` within each: what the audit and the CLI show (no values)."""
    by: dict[str, Counter[str]] = {}
    for leak in leaks:
        by.setdefault(leak.cause, Counter())[f"{leak.table}.{leak.column}"] += 1
    return {
        cause: dict(sorted(columns.items(), key=lambda kv: (-kv[1], kv[0])))
        for cause, columns in sorted(by.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    }


def check_explain_path(explain: Path, source: Path, out: Path) -> None:
    """Refuse an explanation path inside the output's folder (beside the raw workspace it may be).

    Raises:
        OutputError: ``explain`` is in ``out``'s folder or below it, and not in ``source``'s folder.
    """
    target = explain.resolve()
    out_folder = out.resolve().parent
    raw_folder = source.resolve().parent
    if target.parent != raw_folder and target.is_relative_to(out_folder):
        raise OutputError(
            f"{explain} is inside the output's folder ({out_folder}); the explanation holds original"
            " values and must never travel with the output. Write it beside the raw workspace,"
            f" e.g. --explain {raw_folder / (source.stem + '.explain.json')}"
        )


def explanation_text(leaks: Sequence[Leak], *, source: Path, out: Path) -> str:
    """The explanation file's JSON."""
    body: dict[str, Any] = {
        MARKER: 1,
        "warning": "This file holds ORIGINAL values of the raw workspace. Keep it beside the raw"
        " workspace; never ship it with the output, never share it.",
        "workgym_version": __version__,
        "workspace": str(source),
        "out": str(out),
        "leaks": len(leaks),
        "by_cause": cause_counts(leaks),
        "causes": CAUSES,
        "values": [asdict(leak) for leak in leaks],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write_explanation(path: Path, leaks: Sequence[Leak], *, source: Path, out: Path) -> Path:
    """Write the explanation to ``path``, readable by its owner only (``0600``) from the first byte."""
    with Staged() as stage:
        stage.path(path, mode=0o600).write_text(
            explanation_text(leaks, source=source, out=out), encoding="utf-8"
        )
    return path
