"""Focused tool sets: each task offers the tools its work needs and a few plausible others, not all.

All 28 tools' schemas are about 20,000 characters (some 6,000 tokens): a small model served on a
CPU reads them for two minutes before its first token, and a weak one drifts among tools it never
needs. A task's tools are instead, app by app in :data:`~workgym.world.tools.APPS` order:

- **needed apps**: the apps of its gold and plausible-wrong actions and of its evidence (a person
  among the evidence brings the directory): all their reading tools;
- **the writes it makes**, and one more writing tool of an app it writes in (so a change task
  still has to pick the right write among others);
- **the directory's** ``find_person`` (people are named everywhere), and ``submit_answer`` (how
  every episode ends), with ``ask_user`` when the task has a user to ask;
- **one decoy app**: the search tool of an app the task does not need (so the set does not say
  which app holds the answer by being exactly the needed one).

Both draws are a hash of the family and instruction: the same draft always gets the same tools.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from workgym.tasks.families.base import SOURCE_OF, Draft
from workgym.world.schema import REGISTRY
from workgym.world.tools import APPS

ALWAYS: tuple[str, ...] = ("find_person", "submit_answer")
"""Tools every focused set has."""

USER_TOOL = "ask_user"
"""Offered only to tasks with a simulated user."""

DECOY: dict[str, str] = {
    "chat": "search_messages",
    "tracker": "search_tickets",
    "docs": "search_docs",
    "mail": "search_mail",
    "calendar": "list_events",
    "code": "search_commits",
}
"""The tool a decoy app brings: its search (or listing) tool."""


def _apps_of(names: Iterable[str]) -> set[str]:
    apps = set()
    for name in names:
        tool = REGISTRY.get(name)
        if tool is not None:
            apps.add(tool.app)
    return apps


def focused_tools(draft: Draft) -> tuple[str, ...]:
    """The tools a task drafted as ``draft`` allows (see the module docstring for the rule)."""
    called = [c.name for c in (*draft.gold, *draft.wrong)]
    needed = _apps_of(called) | {SOURCE_OF.get(e.kind, e.kind) for e in draft.evidence}
    needed -= {"answer"}
    written = {t.app for name in called if (t := REGISTRY.get(name)) is not None and t.writes}
    chosen = set(called) | set(ALWAYS)
    chosen |= {t.name for t in REGISTRY if t.app in needed and not t.writes}
    digest = hashlib.sha256(f"{draft.family}\n{draft.instruction}".encode()).digest()
    draw = int.from_bytes(digest[:8], "big")
    spare_writes = [t.name for t in REGISTRY if t.app in written and t.writes and t.name not in chosen]
    if spare_writes:
        chosen.add(spare_writes[draw % len(spare_writes)])
    others = [app for app in DECOY if app not in needed]
    if others:
        chosen.add(DECOY[others[(draw >> 16) % len(others)]])
    if draft.user:
        chosen.add(USER_TOOL)
    else:
        chosen.discard(USER_TOOL)
    order = {app: i for i, app in enumerate(APPS)}
    rank = {tool.name: (order.get(tool.app, len(order)), i) for i, tool in enumerate(REGISTRY)}
    return tuple(sorted((n for n in chosen if n in rank), key=rank.__getitem__))


__all__ = ["ALWAYS", "DECOY", "USER_TOOL", "focused_tools"]
