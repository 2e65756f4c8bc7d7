"""Scoring an episode against a task's checks: per-field diffs and normalised answers, never hashes.

* ``answer``: the submitted answer, normalised (case, spacing, punctuation). An entity passes when
  any of its aliases appears as whole words and no other person of the directory (or no other
  ``choice``) is named too, so listing every name does not pass. A number passes when the answer
  holds exactly that number and no other (numbers the instruction itself holds are ignored). A set
  of ticket keys passes when the keys named are exactly the set. A value passes when it is named
  and no other ``choice`` is.
* ``changes``: a row changed as expected, field by field (an inserted row is found by the fields
  that identify it; ids and times it cannot predict are left out). ``{"any": [...]}`` accepts
  any of several values; JSON lists compare as sets.
* ``no_collateral``: every row the episode changed is one the task expects changed, and only in
  the fields expected; new rows only where the task adds rows (a comment on the same ticket, a
  message in the same channel). Anything else is damage and fails.
* ``references``: some new row picked by ``where`` has text that references every required
  record, as the link extractor resolves it.
* ``forbids``: no new row picked by ``where`` (a policy: a ticket's history keeps a priority
  change even when it was undone, so an episode that broke the rule fails though its end state
  looks right).

``reward`` is 1.0 when every gating check passes, else 0.0; ``partial`` is the share of checks
passed. Both are recorded with each check's result.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workgym.link.refs import TextLinker
from workgym.link.stored import read_corpus
from workgym.tasks.model import Check, Task
from workgym.world import Episode, RowChange, StateDiff, World
from workgym.world.fts import ro_uri

ANCHORS: Mapping[str, str] = {
    "ticket_comment": "ticket_id",
    "ticket_event": "ticket_id",
    "ticket_link": "ticket_id",
    "message": "channel_id",
    "ticket": "project",
    "email": "in_reply_to",
    "document": "author",
    "calendar_event": "organizer",
}
"""The field whose value says where a new row went: what ``no_collateral`` allows new rows by."""

DELETED = "(deleted)"
"""In a ``no_collateral`` footprint: the row may be deleted."""

_KEY = re.compile(r"\b[A-Z][A-Z0-9_]+-[0-9]+\b")
_NUMBER = re.compile(r"(?<![\w.])-?[0-9]+(?:\.[0-9]+)?(?![\w.])")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's outcome."""

    kind: str
    passed: bool
    gate: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {"kind": self.kind, "passed": self.passed, "gate": self.gate, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Score:
    """An episode's score on a task: the reward, partial credit and every check's result."""

    reward: float
    partial: float
    results: tuple[CheckResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {"reward": self.reward, "partial": self.partial, "checks": [r.to_dict() for r in self.results]}


def normalize(text: str) -> str:
    """Lower case, accents kept, punctuation as spaces, one space between words."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w@.+-]+", " ", text).replace(". ", " ").split()).strip(" .")


def named(needle: str, hay: str) -> bool:
    """Whether normalised ``needle`` occurs in normalised ``hay`` as whole words."""
    if not needle:
        return False
    at = hay.find(needle)
    while at >= 0:
        before = hay[at - 1] if at else " "
        after = hay[at + len(needle)] if at + len(needle) < len(hay) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        at = hay.find(needle, at + 1)
    return False


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping) and "any" in expected:
        return any(_same(option, actual) for option in expected["any"])
    if isinstance(expected, str) and isinstance(actual, str) and expected.startswith("["):
        try:
            return sorted(json.loads(expected)) == sorted(json.loads(actual))
        except (json.JSONDecodeError, TypeError):
            return expected == actual
    return bool(expected == actual)


class Scorer:
    """Scores episodes of one world; builds the reference resolver once, when first needed."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._linker: TextLinker | None = None
        people = world.facts.people.values()
        self._names = sorted(
            {(normalize(p.name), p.id) for p in people if len(normalize(p.name)) >= 4}
            | {(p.id.casefold(), p.id) for p in people},
        )

    @property
    def linker(self) -> TextLinker:
        """The link extractor over the workspace's records."""
        if self._linker is None:
            conn = sqlite3.connect(ro_uri(self.world.path), uri=True)
            conn.row_factory = sqlite3.Row
            try:
                corpus, person_of = read_corpus(conn)
            finally:
                conn.close()
            self._linker = TextLinker(corpus, person_of)
        return self._linker

    def score(self, task: Task, episode: Episode) -> Score:
        """Score what ``episode`` did on ``task``."""
        diff = episode.state_diff()
        results = tuple(self.check(task, c, episode.answer, diff) for c in task.checks)
        gates = [r.passed for r in results if r.gate]
        reward = 1.0 if all(gates) else 0.0
        partial = sum(r.passed for r in results) / len(results) if results else 0.0
        return Score(reward, round(partial, 6), results)

    def check(self, task: Task, check: Check, answer: str | None, diff: StateDiff) -> CheckResult:
        """One check's result."""
        if check.kind == "answer":
            passed, detail = self._answer(task, check, answer)
        elif check.kind == "changes":
            passed, detail = _changes(check, diff)
        elif check.kind == "no_collateral":
            passed, detail = _no_collateral(check, diff)
        elif check.kind == "references":
            passed, detail = self._references(check, diff)
        elif check.kind == "forbids":
            passed, detail = _forbids(check, diff)
        else:
            passed, detail = False, f"unknown check kind {check.kind!r}"
        return CheckResult(check.kind, passed, check.gate, detail)

    def _answer(self, task: Task, check: Check, answer: str | None) -> tuple[bool, str]:
        if answer is None or not answer.strip():
            return False, "no answer submitted"
        said = normalize(answer)
        if check.match == "number":
            asked = {float(n) for n in _NUMBER.findall(normalize(task.instruction))}
            given = {float(n) for n in _NUMBER.findall(said)}
            number = float(check.expected)
            extra = given - asked - {number}
            ok = number in given and not extra
            return ok, f"numbers {sorted(given)}; expected {check.expected}"
        if check.match == "set":
            given_keys = set(_KEY.findall(answer.upper()))
            want_keys = set(check.expected)
            ok = given_keys == want_keys
            return ok, f"missing {sorted(want_keys - given_keys)}, extra {sorted(given_keys - want_keys)}"
        if check.match == "value":
            want = normalize(str(check.expected))
            others = [
                c for c in check.choices if (n := normalize(c)) != want and n not in want and named(n, said)
            ]
            ok = named(want, said) and not others
            return ok, f"expected {check.expected!r}" + (f"; also named {others}" if others else "")
        # entity
        hit = any(named(normalize(a), said) for a in check.aliases)
        if not hit:
            return False, f"does not name {check.expected}"
        # ``name in said`` first: most names are nowhere in the answer, and a substring test is cheap.
        others = [
            pid for name, pid in self._names if name in said and pid != check.expected and named(name, said)
        ]
        others += [c for c in check.choices if named(normalize(c), said)]
        if others:
            return False, f"names {check.expected} but also {sorted(set(others))[:5]}"
        return True, f"names {check.expected}"

    def _references(self, check: Check, diff: StateDiff) -> tuple[bool, str]:
        rows = [c.row for c in diff.of(check.table, "inserted") if _picks(check.where, c.row)]
        if not rows:
            return False, f"no new {check.table} row with {dict(check.where)}"
        want = {tuple(r) for r in check.required}
        best: set[tuple[str, str]] = set()
        for row in rows:
            text = str(row.get(check.text_field) or "")
            found = {(k, i) for _, k, i in self.linker.refs(text, kind=check.table) if i is not None}
            if want <= found:
                return True, f"references {sorted(want)}"
            best = max(best, found & want, key=len)
        return False, f"missing references {sorted(want - best)}"


def _picks(where: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    return all(_same(v, row.get(k)) for k, v in where.items())


def _forbids(check: Check, diff: StateDiff) -> tuple[bool, str]:
    """No row of the table that matches ``where`` was inserted (history rows record what was undone)."""
    broken = [c.key for c in diff.of(check.table, "inserted") if _picks(check.where, c.row)]
    if broken:
        return False, f"the policy forbids new {check.table} rows with {dict(check.where)}: {broken[:3]}"
    return True, f"no {check.table} row with {dict(check.where)}"


def _changes(check: Check, diff: StateDiff) -> tuple[bool, str]:
    if check.op == "inserted":
        rows = [c.row for c in diff.of(check.table, "inserted")]
        ok = any(_picks(check.fields, row) for row in rows)
        return ok, f"{'a' if ok else 'no'} new {check.table} row with {dict(check.fields)}"
    found = [c for c in diff.of(check.table, check.op) if c.key == check.key]
    if not found:
        return False, f"{check.table} {check.key} not {check.op}"
    if check.op == "deleted":
        return True, f"{check.table} {check.key} deleted"
    now = {f.field: f.new for f in found[0].fields}
    wrong = {k: now.get(k, "(unchanged)") for k, v in check.fields.items() if not _same(v, now.get(k))}
    if wrong:
        return False, f"{check.table} {check.key}: {wrong} instead of {dict(check.fields)}"
    return True, f"{check.table} {check.key}: {dict(check.fields)}"


def _no_collateral(check: Check, diff: StateDiff) -> tuple[bool, str]:
    allowed_fields: Mapping[str, Mapping[str, Sequence[str]]] = check.fields
    allowed_anchors: Mapping[str, Sequence[str]] = check.where
    damage: list[str] = []
    for change in diff.changes:
        if not _allowed(change, allowed_fields, allowed_anchors):
            damage.append(f"{change.table} {change.kind} {change.key}"[:80])
    if damage:
        return False, f"unexpected writes: {damage[:5]}"
    return True, "nothing else changed"


def _allowed(
    change: RowChange,
    fields: Mapping[str, Mapping[str, Sequence[str]]],
    anchors: Mapping[str, Sequence[str]],
) -> bool:
    if change.kind == "inserted":
        anchor = ANCHORS.get(change.table)
        values = anchors.get(change.table)
        if values is None:
            return False
        return anchor is None or str(change.row.get(anchor, "")) in values
    allowed = fields.get(change.table, {}).get(change.key)
    if allowed is None:
        return False
    if change.kind == "deleted":
        return DELETED in allowed
    return all(f.field in allowed for f in change.fields)


def footprint(diff: StateDiff) -> Check:
    """The ``no_collateral`` check allowing exactly what ``diff`` (the gold actions') changed."""
    fields: dict[str, dict[str, list[str]]] = {}
    anchors: dict[str, list[str]] = {}
    for change in diff.changes:
        if change.kind == "inserted":
            anchor = ANCHORS.get(change.table)
            value = str(change.row.get(anchor, "")) if anchor else ""
            values = anchors.setdefault(change.table, [])
            if value not in values:
                values.append(value)
        elif change.kind == "deleted":
            fields.setdefault(change.table, {})[change.key] = [DELETED]
        else:
            fields.setdefault(change.table, {})[change.key] = sorted(f.field for f in change.fields)
    return Check(kind="no_collateral", fields=fields, where=anchors)


__all__ = ["ANCHORS", "CheckResult", "Score", "Scorer", "footprint", "named", "normalize"]
