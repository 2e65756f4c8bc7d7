"""Tasks as wire data: frozen, JSON round-tripping, content-hashed. Behaviour lives elsewhere.

A task is one JSON object per line of ``tasks.jsonl`` (see docs/tasks.md)::

    {"id": "lookup-3f2a…", "family": "lookup", "instruction": "Who is working on …?",
     "cutoff": "2024-04-01T09:00:00+00:00", "persona": "P0003", "tools": [...],
     "gold": [{"name": "search_tickets", "arguments": {...}}, ...],
     "wrong": [...], "checks": [{"kind": "answer", ...}, {"kind": "no_collateral"}],
     "features": {"hops": 1, "sources": 1, ...}, "evidence": [...], "entity": "P0007",
     "split": "train", "user": null, "difficulty": null}

``gold`` are the actions that do the task (run by the oracle agent); ``wrong`` the same actions
aimed at a distractor (run by the plausible-wrong agent, which must fail). ``evidence`` names the
records that make the answer true, with why. ``entity`` is what the train/test split groups by.
``policy`` is the workplace policy the task is bound by (the rules its right answer depends on),
shown to the agent in its prompt; empty for tasks no policy bears on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from workgym import jsonl

CheckKind = Literal["answer", "changes", "forbids", "no_collateral", "references"]
AnswerMatch = Literal["entity", "number", "set", "value"]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call: a tool's name and its arguments."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As ``{"name", "arguments"}``, the shape :meth:`Episode.step` takes."""
        return {"name": self.name, "arguments": dict(self.arguments)}


@dataclass(frozen=True, slots=True)
class Check:
    """One check of an episode's outcome. Which fields matter depends on ``kind``.

    Attributes:
        kind: ``answer`` (the submitted answer), ``changes`` (a row changed as expected),
            ``no_collateral`` (nothing else written), ``references`` (a written text cites records),
            ``forbids`` (no row of ``table`` matching ``where`` was written: a policy the episode must
            not break on the way, even where the end state looks right).
        gate: whether the reward requires it (every check counts toward partial credit).
        match: for ``answer``: ``entity`` (any alias of ``expected``, and no other entity of its
            kind), ``number`` (exactly), ``set`` (ticket keys, order-free), ``value`` (a word or
            phrase among ``choices``).
        expected: for ``answer``: the entity id, number, keys or value.
        aliases: for ``answer`` with ``entity``: every string naming the expected entity.
        choices: for ``answer`` with ``value``: the values the answer must pick one of.
        table: for ``changes`` and ``references``: the table written.
        op: for ``changes``: ``inserted``, ``updated`` or ``deleted``.
        key: for ``changes`` with ``updated``/``deleted``: the row's key.
        fields: for ``changes``: field -> the value it must have after (inserted: the values that
            identify the row; unpredictable ones, ids and times, are left out).
        where: for ``references``: field -> value that picks the inserted rows to read; for
            ``forbids``: field -> value of the rows no write may leave.
        text_field: for ``references``: the field holding the written text.
        required: for ``references``: ``[dst_kind, dst_id]`` pairs the text must reference.
    """

    kind: CheckKind
    gate: bool = True
    match: AnswerMatch | None = None
    expected: Any = None
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    table: str = ""
    op: str = ""
    key: str = ""
    fields: Mapping[str, Any] = field(default_factory=dict)
    where: Mapping[str, Any] = field(default_factory=dict)
    text_field: str = ""
    required: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Only the fields that are set, for compact JSON."""
        out: dict[str, Any] = {"kind": self.kind}
        if not self.gate:
            out["gate"] = False
        for name in ("match", "expected", "table", "op", "key", "text_field"):
            value = getattr(self, name)
            if value not in (None, ""):
                out[name] = value
        for name in ("aliases", "choices", "required"):
            value = getattr(self, name)
            if value:
                out[name] = [list(v) if isinstance(v, tuple) else v for v in value]
        for name in ("fields", "where"):
            value = getattr(self, name)
            if value:
                out[name] = dict(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        """The check a :meth:`to_dict` gave."""
        return cls(
            kind=data["kind"],
            gate=bool(data.get("gate", True)),
            match=data.get("match"),
            expected=data.get("expected"),
            aliases=tuple(data.get("aliases", ())),
            choices=tuple(data.get("choices", ())),
            table=data.get("table", ""),
            op=data.get("op", ""),
            key=data.get("key", ""),
            fields=dict(data.get("fields", {})),
            where=dict(data.get("where", {})),
            text_field=data.get("text_field", ""),
            required=tuple((str(k), str(i)) for k, i in data.get("required", ())),
        )


@dataclass(frozen=True, slots=True)
class Evidence:
    """A record that makes the task's answer true, and why."""

    kind: str
    id: str
    why: str


@dataclass(frozen=True, slots=True)
class UserFact:
    """What a simulated user knows and the task leaves out: words a question about it uses, the reply."""

    about: tuple[str, ...]
    reply: str


@dataclass(frozen=True, slots=True)
class Task:
    """A task, as it ships in ``tasks.jsonl``; see the module docstring."""

    family: str
    instruction: str
    cutoff: str | None
    persona: str | None
    tools: tuple[str, ...]
    gold: tuple[Call, ...]
    checks: tuple[Check, ...]
    wrong: tuple[Call, ...] = ()
    features: Mapping[str, int] = field(default_factory=dict)
    evidence: tuple[Evidence, ...] = ()
    entity: str = ""
    user: tuple[UserFact, ...] = ()
    split: str = ""
    difficulty: float | None = None
    id: str = ""
    policy: str = ""

    def with_id(self) -> Task:
        """The task with its id: the family and a hash of what it asks and how it is checked."""
        asked: list[Any] = [self.instruction, self.cutoff, self.persona, [c.to_dict() for c in self.checks]]
        if self.policy:  # the policy changes the right answer; tasks without one keep their ids
            asked.append(self.policy)
        body = canonical_json(asked)
        return replace(self, id=f"{self.family}-{hashlib.sha256(body.encode()).hexdigest()[:12]}")

    @property
    def writes(self) -> bool:
        """Whether doing the task changes the workspace (a ``changes`` or ``references`` check)."""
        return any(c.kind in ("changes", "references") for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """As one line of ``tasks.jsonl``."""
        return {
            "id": self.id,
            "family": self.family,
            "instruction": self.instruction,
            "cutoff": self.cutoff,
            "persona": self.persona,
            "tools": list(self.tools),
            "gold": [c.to_dict() for c in self.gold],
            "wrong": [c.to_dict() for c in self.wrong],
            "checks": [c.to_dict() for c in self.checks],
            "features": dict(self.features),
            "evidence": [asdict(e) for e in self.evidence],
            "entity": self.entity,
            "user": [{"about": list(f.about), "reply": f.reply} for f in self.user] or None,
            "split": self.split,
            "difficulty": self.difficulty,
            "policy": self.policy or None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Task:
        """The task a :meth:`to_dict` (or a line of ``tasks.jsonl``) gave."""

        def calls(items: Sequence[Mapping[str, Any]]) -> tuple[Call, ...]:
            return tuple(Call(c["name"], dict(c.get("arguments") or {})) for c in items)

        return cls(
            id=data["id"],
            family=data["family"],
            instruction=data["instruction"],
            cutoff=data.get("cutoff"),
            persona=data.get("persona"),
            tools=tuple(data.get("tools", ())),
            gold=calls(data.get("gold", ())),
            wrong=calls(data.get("wrong", ())),
            checks=tuple(Check.from_dict(c) for c in data.get("checks", ())),
            features=dict(data.get("features", {})),
            evidence=tuple(Evidence(**e) for e in data.get("evidence", ())),
            entity=data.get("entity", ""),
            user=tuple(UserFact(tuple(f["about"]), f["reply"]) for f in data.get("user") or ()),
            split=data.get("split", ""),
            difficulty=data.get("difficulty"),
            policy=data.get("policy") or "",
        )


def _task(value: Any, where: str) -> Task:
    try:
        return Task.from_dict(value)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"{where}: not a task ({type(exc).__name__}: {exc})") from None


def read_tasks(lines: Sequence[str] | str) -> list[Task]:
    """Tasks from the lines (or the text) of a ``tasks.jsonl``; blank lines are skipped.

    Lines end at a newline only (text holds other line separators; see :mod:`workgym.jsonl`).

    Raises:
        ValueError: a line is not a task, naming its line number.
    """
    text = lines if isinstance(lines, str) else "\n".join(lines)
    try:
        return [_task(v, f"line {n}") for n, v in jsonl.iter_parse(text)]
    except jsonl.JsonlError as exc:
        raise ValueError(f"line {exc.line}: not a task ({exc.reason})") from None


def load_tasks(path: Path) -> list[Task]:
    """The tasks of a ``tasks.jsonl`` file.

    Raises:
        ValueError: a line is not a task, as ``<file>:<line>: ...``.
        OSError: the file cannot be read.
    """
    try:
        return [_task(v, f"{path}:{n}") for n, v in jsonl.iter_numbered(path)]
    except jsonl.JsonlError as exc:
        raise ValueError(f"{exc.source}:{exc.line}: not a task ({exc.reason})") from None


__all__ = [
    "AnswerMatch",
    "Call",
    "Check",
    "CheckKind",
    "Evidence",
    "Task",
    "UserFact",
    "canonical_json",
    "load_tasks",
    "read_tasks",
]
