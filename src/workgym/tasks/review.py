"""tasks.md: a human-readable review of a sample of tasks, with the evidence chain behind each.

For every family, a few tasks: the instruction, who acts and when, what is checked, the gold
actions, and each evidence record with an excerpt of it as the workspace stores it, so a reviewer
can see which records make the answer true without opening the database.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from workgym.tasks.families import FAMILIES
from workgym.tasks.model import Check, Task
from workgym.world import Episode, World

_EXCERPT = {
    "ticket": ("summary", "id"),
    "ticket_comment": ("body", "id"),
    "message": ("text", "id"),
    "email": ("subject", "id"),
    "document": ("title", "id"),
    "commit": ("message", "id"),
    "calendar_event": ("title", "id"),
    "person": ("name", "id"),
}


def _check_line(check: Check) -> str:
    if check.kind == "answer":
        return f"answer ({check.match}): `{json.dumps(check.expected, ensure_ascii=False)}`"
    if check.kind == "changes":
        where = f" {check.key}" if check.key else ""
        return (
            f"{check.op} {check.table}{where}: `{json.dumps(dict(check.fields), ensure_ascii=False)[:160]}`"
        )
    if check.kind == "references":
        return f"a new {check.table} with {dict(check.where)} references {[list(r) for r in check.required]}"
    if check.kind == "forbids":
        return f"the policy forbids any new {check.table} with {dict(check.where)}"
    return "nothing else changed"


LEVELS: tuple[tuple[int, int | None], ...] = ((1, 3), (4, 9), (10, None))
"""The levels tasks.md shows examples of: bands of gold length, in calls (None: no upper bound)."""


def _level_name(low: int, high: int | None) -> str:
    return f"{low}+ calls" if high is None else f"{low}–{high} calls"


def _level_of(task: Task) -> tuple[int, int | None]:
    n = len(task.gold)
    return next((lv for lv in LEVELS if n >= lv[0] and (lv[1] is None or n <= lv[1])), LEVELS[0])


def _short_args(arguments: Mapping[str, Any], width: int = 60) -> str:
    """The arguments as JSON, each long text cut to ``width`` characters (the JSON stays whole)."""
    short = {k: v[:width] + "…" if isinstance(v, str) and len(v) > width else v for k, v in arguments.items()}
    return json.dumps(short, ensure_ascii=False)


def by_level(tasks: Sequence[Task], per_level: int = 3) -> list[str]:
    """Markdown lines: for each family and level (:data:`LEVELS`), up to ``per_level`` instructions and their gold."""
    groups: dict[tuple[str, tuple[int, int | None]], list[Task]] = defaultdict(list)
    for task in tasks:
        groups[(task.family, _level_of(task))].append(task)
    lines = ["## Examples by family and level", ""]
    for family in FAMILIES:
        for level in LEVELS:
            found = groups.get((family, level), [])
            if not found:
                continue
            lines += [f"### {family}, {_level_name(*level)} ({len(found)} tasks)", ""]
            for task in found[:per_level]:
                gold = "; ".join(f"`{c.name}` {_short_args(c.arguments)}" for c in task.gold)
                lines += [f"1. > {task.instruction}", "", f"   gold ({len(task.gold)}): {gold}", ""]
    return lines


def review(world: World, tasks: Sequence[Task], per_family: int = 3) -> str:
    """The Markdown review: examples by family and level, then up to ``per_family`` tasks of each family in full."""
    by_family: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        by_family[task.family].append(task)
    lines = [
        "# Tasks: a sample for review",
        "",
        f"{len(tasks)} tasks in all: "
        + ", ".join(f"{f} {len(by_family[f])}" for f in FAMILIES if by_family.get(f))
        + ". Each was run by the oracle (scores 1.0), the noop agent (0.0) and a plausible-wrong agent (0.0).",
        "",
        *by_level(tasks, per_family),
        "## Tasks in full, with their evidence",
        "",
    ]
    with world.episode() as ep:
        for family in FAMILIES:
            shown = by_family.get(family, [])[:per_family]
            if not shown:
                continue
            lines += [f"## {family}", ""]
            for task in shown:
                who = world.facts.name(task.persona) if task.persona else "an observer"
                lines += [
                    f"### `{task.id}` ({task.split})",
                    "",
                    f"> {task.instruction}",
                    "",
                    f"As **{who}**, at **{task.cutoff or 'the end of the record'}**. "
                    f"Features: {', '.join(f'{k} {v}' for k, v in task.features.items())}.",
                    "",
                    *([*(f"> {line}" for line in task.policy.splitlines()), ""] if task.policy else []),
                    "Checks:",
                    *(f"- {_check_line(c)}" for c in task.checks),
                    "",
                    "Gold actions:",
                    *(
                        f"1. `{c.name}` {json.dumps(dict(c.arguments), ensure_ascii=False)[:160]}"
                        for c in task.gold
                    ),
                    "",
                    "Plausible-wrong actions (must fail): "
                    + "; ".join(
                        f"`{c.name}` {json.dumps(dict(c.arguments), ensure_ascii=False)[:80]}"
                        for c in task.wrong
                    ),
                    "",
                    "Evidence:",
                ]
                for e in task.evidence:
                    lines.append(f"- {e.kind} `{e.id}`: {e.why}{_excerpt(world, ep, e.kind, e.id)}")
                if task.user:
                    lines.append(f"- the user knows: {'; '.join(f.reply for f in task.user)}")
                lines.append("")
    return "\n".join(lines)


def _excerpt(world: World, ep: Episode, kind: str, record_id: str) -> str:
    if kind == "person":
        info = world.facts.people.get(record_id)
        return f" — {info.name}" if info else ""
    spec = _EXCERPT.get(kind)
    if spec is None:
        return ""
    column, key = spec
    rows = ep.state.query(f'SELECT "{column}" FROM "{kind}" WHERE "{key}" = ?', (record_id,))
    if not rows:
        return ""
    text = " ".join(str(rows[0][0]).split())
    return f" — “{text[:120]}{'…' if len(text) > 120 else ''}”"


__all__ = ["LEVELS", "by_level", "review"]
