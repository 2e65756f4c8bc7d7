"""What every viewer page reads and how it is framed: the world through one episode, tasks, runs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import HTTPException, Query
from fastapi.responses import HTMLResponse

from workgym.report.pages import a, e, layout, linked, q
from workgym.report.run_fields import Summary, Trajectory
from workgym.tasks import Task
from workgym.world import Episode, World

PAGE = 50
"""Rows per page of every list."""

MAX_PAGE = 1_000_000
"""The highest page number a list takes (a higher one is a 400, not an offset SQLite cannot hold)."""

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE)]
"""The ``page`` query parameter of every list."""


@dataclass
class Run:
    """A run folder as the viewer shows it."""

    name: str
    summary: Summary
    trajectories: list[Trajectory]


@dataclass
class ViewerState:
    """What the pages read: the world, the episode, tasks, runs, and the last operation's message."""

    world: World
    episode: Episode
    tasks: dict[str, Task] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)
    task: Task | None = None
    operable: bool = False
    raw: Path | None = None
    flash: tuple[str, bool] | None = None
    form_token: str = ""
    agent: bool = False
    """Serve only what an agent may see: the workspace and its forms, no tasks, runs or checks."""
    _tickets: frozenset[str] | None = None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows through the episode's views (its own writes included)."""
        return self.episode.state.query(sql, params)

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row:
        """The one row, or a 404."""
        found = self.rows(sql, params)
        if not found:
            raise HTTPException(404, "no such record (or not visible in this episode)")
        return found[0]

    def spans(self, kind: str, record_id: str, field_name: str) -> list[tuple[int, int, str, str]]:
        """The references the ref table records in one field of a record."""
        return [
            (r["start"], r["end"], r["dst_kind"], r["dst_id"])
            for r in self.rows(
                "SELECT start, end, dst_kind, dst_id FROM main.ref WHERE src_kind = ? AND src_id = ? AND field = ? "
                "AND dst_id IS NOT NULL",
                (kind, record_id, field_name),
            )
        ]

    def text(self, kind: str, record_id: str, field_name: str, value: str) -> str:
        """A field's text with its references as links (ticket keys, for text with none recorded)."""
        spans = self.spans(kind, record_id, field_name)
        return linked(value or "", spans, None if spans else self.tickets)

    @property
    def tickets(self) -> frozenset[str]:
        """Every ticket key of the workspace (read once)."""
        if self._tickets is None:
            self._tickets = frozenset(r[0] for r in self.rows("SELECT id FROM main.ticket"))
        return self._tickets

    def person(self, person_id: str) -> str:
        """A link to a person, by name."""
        return a("person", person_id, self.world.facts.name(person_id)) if person_id else "-"

    def take_flash(self) -> tuple[str, bool] | None:
        """The last operation's message, once."""
        shown, self.flash = self.flash, None
        return shown


def page(state: ViewerState, title: str, body: str) -> HTMLResponse:
    """A page in the viewer's frame: the operable banner and the last operation's message."""
    banner = ""
    if state.operable:
        who = state.world.facts.name(state.episode.persona) if state.episode.persona else "an observer"
        if state.agent:
            ask = (
                ' · <a href="/ask" id="nav-ask">ask the person who gave you the task</a>'
                if "ask_user" in state.episode.tools
                else ""
            )
            banner = f'<p class="flash" id="banner">Acting as <b>{e(who)}</b> at {e(state.episode.now[:16])}{ask}</p>'
        else:
            task = f' · task <a href="/task/{q(state.task.id)}">{e(state.task.id)}</a>' if state.task else ""
            banner = (
                f'<p class="flash">Operable: acting as <b>{e(who)}</b> at {e(state.episode.now[:16])}{task} · '
                f'<a href="/episode">the episode: changes, check, reset</a></p>'
            )
    return HTMLResponse(
        layout(title, body, banner=banner, flash=state.take_flash(), workspace_only=state.agent)
    )


def people(state: ViewerState, stored: str) -> str:
    """A stored JSON list of person ids as links."""
    try:
        ids = json.loads(stored) if stored else []
    except json.JSONDecodeError:
        ids = []
    return ", ".join(state.person(p) for p in ids) or "-"


__all__ = ["MAX_PAGE", "PAGE", "PageNumber", "Run", "ViewerState", "page", "people"]
