"""The web viewer: the workspace, its tasks and its runs as pages, and (``--episode``) operable.

``workgym view anon.db --runs runs/ [--episode --task ID]`` serves server-rendered pages with
FastAPI on loopback: chat, tickets, documents, mail, calendar, people and commits, full-text
search across all of them, tasks with their evidence, and runs with each trajectory replayed step
by step with the state after each step. Every reference in a text is a link to its target.

Every page reads through one :class:`~workgym.world.core.Episode`: an observer's by default, or in
operable mode the persona's (of a task, when ``--task`` is given). The forms (post a message,
comment on or update a ticket, reply to a mail, book a meeting) are tool calls on that episode,
so what a person or a browser agent does is checked by the same task checks (``/episode``).

No asset comes from the network: the pages carry their CSS and SVG, and there is no script.
Every request passes :class:`~workgym.report.viewer_guard.ViewerGuard`: the token of this start
(the address :func:`viewer_address` gives carries it once, then a cookie keeps it), the Host the
viewer bound, the Origin of a write and the form token every form carries; every answer carries a
Content-Security-Policy with no script, and the headers that keep the pages out of frames.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workgym.report.operations import operation_routes
from workgym.report.pages import e, form, layout, table
from workgym.report.run_fields import summary as read_summary
from workgym.report.run_fields import trajectory as read_trajectory
from workgym.report.run_pages import task_and_run_routes
from workgym.report.view_state import PAGE, Run, ViewerState
from workgym.report.view_state import page as _page
from workgym.report.viewer_guard import ViewerGuard, ViewerSecrets, allowed_hosts
from workgym.report.workspace_pages import workspace_routes
from workgym.tasks import Task, TaskEnv
from workgym.world import World
from workgym.world.fts import ro_uri


def _run_folders(path: Path | None) -> list[Path]:
    if path is None:
        return []
    if (path / "summary.json").is_file():
        return [path]
    return sorted(p for p in path.iterdir() if (p / "summary.json").is_file())


def _load_runs(folders: Sequence[Path]) -> dict[str, Run]:
    from workgym.report import load_run

    runs = {}
    for folder in folders:
        summary, trajectories, _ = load_run(folder)
        runs[folder.name] = Run(
            folder.name, read_summary(summary), [read_trajectory(t) for t in trajectories]
        )
    return runs


def _load_tasks(path: Path | None, folders: Sequence[Path]) -> dict[str, Task]:
    from workgym.rollout import run_tasks
    from workgym.tasks import load_tasks

    out: dict[str, Task] = {t.id: t for t in load_tasks(path)} if path else {}
    for folder in folders:
        for task_id, data in run_tasks(folder).items():
            out.setdefault(task_id, Task.from_dict(data))
    return out


def create_viewer(
    world: World,
    *,
    runs: Path | None = None,
    tasks: Path | None = None,
    operable: bool = False,
    persona: str | None = None,
    cutoff: str | None = None,
    task_id: str | None = None,
    raw: Path | None = None,
    host: str = "127.0.0.1",
    token: str | None = None,
) -> FastAPI:
    """The viewer app, behind its guard (see :mod:`workgym.report.viewer_guard`).

    Args:
        world: the workspace to show.
        runs: a run folder, or a folder of run folders.
        tasks: a tasks.jsonl (default: the runs' own tasks files).
        operable: serve forms that act through the episode.
        persona: who acts in operable mode (default: the task's persona).
        cutoff: the world as it stood then (default: the task's cutoff, or all).
        task_id: a task whose episode (cutoff, persona, user) the viewer opens, to check it.
        raw: the raw workspace, for raw-versus-anonymized pages (loopback only; the CLI checks the key).
        host: the address it will be served on; a request whose Host names another is refused
            (on loopback, 127.0.0.1, localhost and ::1 are one).
        token: the token every request must carry (default: a random one, made now); the
            address to open is :func:`viewer_address`.

    Raises:
        ValueError: an unknown task, a persona that names nobody, or a token under 16 characters.
    """
    secrets = ViewerSecrets(token) if token is not None else ViewerSecrets()
    folders = _run_folders(runs)
    run_map = _load_runs(folders)
    task_map = _load_tasks(tasks, folders)
    task = None
    if task_id is not None:
        if task_id not in task_map:
            raise ValueError(f"no task {task_id!r} in the tasks given (--tasks, or the runs' tasks files)")
        task = task_map[task_id]
    task_env = None
    if task is not None:  # the task's own environment: its episode, and its scorer for /episode/check
        task_env = TaskEnv(world, replace(task, persona=persona) if persona else task)
        episode = task_env.episode
    else:
        episode = world.episode(cutoff=cutoff, persona=persona if operable else None)
    state = ViewerState(world, episode, task_map, run_map, task, operable, raw, form_token=secrets.form_token)
    app = FastAPI(title="workgym viewer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.viewer = state
    app.state.task_env = task_env
    app.state.secrets = secrets
    app.state.hosts = allowed_hosts(host)
    app.add_middleware(ViewerGuard, tokens=secrets, hosts=app.state.hosts)
    workspace_routes(app, state)
    task_and_run_routes(app, state)
    if operable:
        _operable_routes(app, state)
    if raw is not None:
        _raw_routes(app, state, raw)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_: Request, exc: StarletteHTTPException) -> HTMLResponse:
        body = f"<p>{e(exc.detail)}</p><p><a href='/'>back to the workspace</a></p>"
        return HTMLResponse(layout(f"{exc.status_code}", body), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> HTMLResponse:
        said = "; ".join(
            f"{'.'.join(str(x) for x in error.get('loc', ())[1:]) or 'request'}: {error.get('msg', '')}"
            for error in exc.errors()[:5]
        )
        body = f"<p>bad request: {e(said)}</p><p><a href='/'>back to the workspace</a></p>"
        return HTMLResponse(layout("400", body), status_code=400)

    return app


def viewer_address(app: FastAPI, base: str) -> str:
    """The address to open: ``base`` (``http://127.0.0.1:8300``) with the viewer's token, once.

    The viewer answers it with a cookie that keeps the token and a redirect to the page without it.
    """
    return f"{base.rstrip('/')}/?{urlencode({'token': app.state.secrets.token})}"


# -- operable mode ---------------------------------------------------------------------------------


def _operable_routes(app: FastAPI, s: ViewerState) -> None:
    operation_routes(app, s)  # a form for every write tool (and asking the user), typed by each tool's schema

    @app.get("/episode", response_class=HTMLResponse)
    def episode() -> HTMLResponse:
        diff = s.episode.state_diff()
        rows = [
            [
                e(c.table),
                e(c.kind),
                e(c.key),
                e(", ".join(f"{f.field}: {f.old!r} → {f.new!r}" for f in c.fields) if c.fields else ""),
            ]
            for c in diff.changes
        ]
        body = (
            f"<p>{s.episode.steps} steps · state hash <code>{e(s.episode.state_hash()[:16])}</code></p>"
            + table(["table", "change", "key", "fields"], rows)
        )
        if s.task is not None:
            body += form("/episode/check", [], "Check against the task", token=s.form_token)
        body += form("/episode/reset", [], "Reset the episode", token=s.form_token)
        return _page(s, "The episode", body)

    @app.post("/episode/check")
    def check() -> RedirectResponse:
        if s.task is None:
            raise HTTPException(404, "no task to check against (start with --task ID)")
        score = app.state.task_env.score()
        detail = "; ".join(f"{'✔' if r.passed else '✘'} {r.kind}: {r.detail}" for r in score.results)
        s.flash = (
            f"reward {score.reward:.1f}, partial credit {score.partial:.2f} — {detail}",
            score.reward < 1.0,
        )
        return RedirectResponse("/episode", status_code=303)

    @app.post("/episode/reset")
    def reset() -> RedirectResponse:
        s.episode.reset()
        s.flash = ("the episode is back to its start", False)
        return RedirectResponse("/episode", status_code=303)


# -- raw versus anonymized -------------------------------------------------------------------------


def _raw_routes(app: FastAPI, s: ViewerState, raw: Path) -> None:
    columns = {
        "ticket": ("summary", "description"),
        "message": ("text",),
        "document": ("title", "body"),
        "email": ("subject", "body"),
        "commit": ("message",),
        "ticket_comment": ("body",),
    }

    @app.get("/compare/{kind}/{record_id:path}", response_class=HTMLResponse)
    def compare(kind: str, record_id: str) -> HTMLResponse:
        if kind not in columns:
            raise HTTPException(404, f"no side-by-side view of {kind!r}")
        cols = ", ".join(f'"{c}"' for c in columns[kind])
        anon = s.one(f'SELECT {cols} FROM "{kind}" WHERE id = ?', (record_id,))
        conn = sqlite3.connect(ro_uri(raw), uri=True)
        try:
            found = conn.execute(f'SELECT {cols} FROM "{kind}" WHERE id = ?', (record_id,)).fetchone()
        finally:
            conn.close()
        left = (
            "".join(f'<div class="body">{e(v)}</div>' for v in found)
            if found
            else "<p class=muted>not under this id in the raw workspace</p>"
        )
        right = "".join(f'<div class="body">{e(v)}</div>' for v in anon)
        body = f'<div class="cols"><div><h2>raw</h2>{left}</div><div><h2>anonymized</h2>{right}</div></div>'
        return _page(s, f"{kind} {record_id}: raw and anonymized", body)


def serve_viewer(app: FastAPI, *, host: str, port: int) -> None:
    """Serve the viewer until interrupted.

    Raises:
        ValueError: ``host`` is not the address the viewer was made for (its guard would refuse every request).
    """
    import uvicorn

    if host.strip("[]").lower() not in app.state.hosts:
        raise ValueError(f"this viewer was made for {sorted(app.state.hosts)}, not {host}")

    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["PAGE", "ViewerState", "create_viewer", "serve_viewer", "viewer_address"]
