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
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workgym.report.html import bar_chart, line_chart
from workgym.report.pages import a, e, form, layout, linked, pager, table, url
from workgym.report.pages import field as input_field
from workgym.rollout.replay import replay
from workgym.tasks import Scorer, ScriptedUser, Task
from workgym.world import Episode, World
from workgym.world.fts import INDEXED, match_expression, ro_uri
from workgym.world.text import clip

PAGE = 50
"""Rows per page of every list."""


@dataclass
class Run:
    """A run folder as the viewer shows it."""

    name: str
    summary: dict[str, Any]
    trajectories: list[dict[str, Any]]


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


def _page(state: ViewerState, title: str, body: str) -> HTMLResponse:
    banner = ""
    if state.operable:
        who = state.world.facts.name(state.episode.persona) if state.episode.persona else "an observer"
        task = f' · task <a href="/task/{quote(state.task.id)}">{e(state.task.id)}</a>' if state.task else ""
        banner = (
            f'<p class="flash">Operable: acting as <b>{e(who)}</b> at {e(state.episode.now[:16])}{task} · '
            f'<a href="/episode">the episode: changes, check, reset</a></p>'
        )
    return HTMLResponse(layout(title, body, banner=banner, flash=state.take_flash()))


def _people(state: ViewerState, stored: str) -> str:
    try:
        ids = json.loads(stored) if stored else []
    except json.JSONDecodeError:
        ids = []
    return ", ".join(state.person(p) for p in ids) or "-"


def _load_runs(path: Path | None) -> dict[str, Run]:
    if path is None:
        return {}
    folders = (
        [path]
        if (path / "summary.json").is_file()
        else sorted(p for p in path.iterdir() if (p / "summary.json").is_file())
    )
    runs = {}
    for folder in folders:
        lines = (folder / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()
        runs[folder.name] = Run(
            folder.name,
            json.loads((folder / "summary.json").read_text(encoding="utf-8")),
            [json.loads(line) for line in lines if line.strip()],
        )
    return runs


def _load_tasks(path: Path | None, runs: Mapping[str, Run], run_root: Path | None) -> dict[str, Task]:
    from workgym.tasks import read_tasks

    files = [path] if path else []
    if run_root is not None:
        for name in runs:
            info = (run_root / name / "run.json") if (run_root / name).is_dir() else (run_root / "run.json")
            if info.is_file():
                tasks_file = json.loads(info.read_text(encoding="utf-8")).get("tasks_file")
                if tasks_file and Path(tasks_file).is_file():
                    files.append(Path(tasks_file))
    out: dict[str, Task] = {}
    for f in files:
        for task in read_tasks(f.read_text(encoding="utf-8")):
            out.setdefault(task.id, task)
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
) -> FastAPI:
    """The viewer app.

    Args:
        world: the workspace to show.
        runs: a run folder, or a folder of run folders.
        tasks: a tasks.jsonl (default: the runs' own tasks files).
        operable: serve forms that act through the episode.
        persona: who acts in operable mode (default: the task's persona).
        cutoff: the world as it stood then (default: the task's cutoff, or all).
        task_id: a task whose episode (cutoff, persona, user) the viewer opens, to check it.
        raw: the raw workspace, for raw-versus-anonymized pages (loopback only; the CLI checks the key).

    Raises:
        ValueError: an unknown task, or a persona that names nobody.
    """
    run_map = _load_runs(runs)
    task_map = _load_tasks(tasks, run_map, runs)
    task = None
    if task_id is not None:
        if task_id not in task_map:
            raise ValueError(f"no task {task_id!r} in the tasks given (--tasks, or the runs' tasks files)")
        task = task_map[task_id]
    if task is not None:
        user = ScriptedUser(task.user) if task.user else None
        episode = world.episode(
            cutoff=task.cutoff, persona=persona or task.persona, tools=task.tools, user=user
        )
    else:
        episode = world.episode(cutoff=cutoff, persona=persona if operable else None)
    state = ViewerState(world, episode, task_map, run_map, task, operable, raw)
    app = FastAPI(title="workgym viewer", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.viewer = state
    _workspace_routes(app, state)
    _task_and_run_routes(app, state)
    if operable:
        _operable_routes(app, state)
    if raw is not None:
        _raw_routes(app, state, raw)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_: Request, exc: StarletteHTTPException) -> HTMLResponse:
        body = f"<p>{e(exc.detail)}</p><p><a href='/'>back to the workspace</a></p>"
        return HTMLResponse(layout(f"{exc.status_code}", body), status_code=exc.status_code)

    return app


# -- the workspace ---------------------------------------------------------------------------------


def _workspace_routes(app: FastAPI, s: ViewerState) -> None:
    @app.get("/", response_class=HTMLResponse)
    def home() -> HTMLResponse:
        counts = []
        for table_name, path, label in (
            ("message", "/chat", "chat messages"),
            ("ticket", "/tickets", "tickets"),
            ("ticket_comment", "/tickets", "ticket comments"),
            ("document", "/docs", "documents"),
            ("email", "/mail", "e-mails"),
            ("calendar_event", "/calendar", "calendar events"),
            ("commit", "/commits", "commits"),
        ):
            n = s.rows(f'SELECT COUNT(*) FROM "{table_name}"')[0][0]
            counts.append([f'<a href="{path}">{label}</a>', f"<span class=num>{n:,}</span>"])
        counts.append(
            ['<a href="/people">people</a>', f"<span class=num>{len(s.world.facts.people):,}</span>"]
        )
        extra = f"<p>{len(s.tasks):,} tasks, {len(s.runs)} runs loaded.</p>"
        return _page(s, "Workspace", table(["what", "how many"], counts) + extra)

    @app.get("/chat", response_class=HTMLResponse)
    def channels() -> HTMLResponse:
        rows = s.rows(
            "SELECT c.id, c.name, c.kind, c.topic, (SELECT COUNT(*) FROM message m WHERE m.channel_id = c.id) AS n "
            "FROM channel c ORDER BY c.name"
        )
        body = table(
            ["channel", "kind", "messages", "topic"],
            [
                [a("channel", r["id"], f"#{r['name']}"), e(r["kind"]), str(r["n"]), e(r["topic"])]
                for r in rows
            ],
        )
        return _page(s, "Chat", body)

    def message_html(m: sqlite3.Row, replies: int = 0) -> str:
        thread = f' · <a href="{url("message", m["id"])}">{replies} replies</a>' if replies else ""
        reactions = (
            f" <span class=muted>{e(m['reactions'])}</span>" if m["reactions"] not in ("", "[]", None) else ""
        )
        return (
            f'<div class="msg" id="m-{e(m["id"])}"><span class="who">{s.person(m["author"])}</span>'
            f'<span class="when"><a href="{url("message", m["id"])}">{e(m["ts"][:16].replace("T", " "))}</a></span>{thread}'
            f'<div class="body">{s.text("message", m["id"], "text", m["text"])}</div>{reactions}</div>'
        )

    @app.get("/chat/{channel_id}", response_class=HTMLResponse)
    def channel(channel_id: str, page: int = 1) -> HTMLResponse:
        c = s.one("SELECT * FROM channel WHERE id = ? OR name = ?", (channel_id, channel_id))
        rows = s.rows(
            "SELECT * FROM message WHERE channel_id = ? AND (thread_id = '' OR thread_id = id) ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?",
            (c["id"], PAGE + 1, (max(page, 1) - 1) * PAGE),
        )
        more = len(rows) > PAGE
        shown = list(reversed(rows[:PAGE]))
        ids = [m["id"] for m in shown]
        replies: dict[str, int] = {}
        if ids:
            marks = ", ".join("?" for _ in ids)
            for r in s.rows(
                f"SELECT thread_id, COUNT(*) FROM message WHERE thread_id IN ({marks}) AND id != thread_id GROUP BY 1",
                ids,
            ):
                replies[r[0]] = r[1]
        body = f"<p class=muted>{e(c['topic'] or c['purpose'] or '')}</p>" + "".join(
            message_html(m, replies.get(m["id"], 0)) for m in shown
        )
        body += pager(f"/chat/{quote(c['id'])}", page, more)
        if s.operable:
            body += form(
                "/op/post_message",
                [input_field("text", "Message", kind="textarea")],
                "Post",
                {"channel": c["name"], "back": f"/chat/{c['id']}"},
            )
        return _page(s, f"#{c['name']}", body)

    @app.get("/message/{message_id:path}", response_class=HTMLResponse)
    def message(message_id: str) -> HTMLResponse:
        m = s.one("SELECT * FROM message WHERE id = ?", (message_id,))
        c = s.one("SELECT * FROM channel WHERE id = ?", (m["channel_id"],))
        root = m["thread_id"] or m["id"]
        thread = s.rows("SELECT * FROM message WHERE (id = ? OR thread_id = ?) ORDER BY ts, id", (root, root))
        body = f"<p>in {a('channel', c['id'], '#' + c['name'])}</p>" + "".join(
            message_html(x) for x in thread
        )
        if s.operable:
            body += form(
                "/op/post_message",
                [input_field("text", "Reply", kind="textarea")],
                "Reply in thread",
                {"channel": c["name"], "thread_id": root, "back": url("message", root)},
            )
        return _page(s, f"Message in #{c['name']}", body)

    @app.get("/tickets", response_class=HTMLResponse)
    def tickets(project: str = "", status: str = "", q: str = "", page: int = 1) -> HTMLResponse:
        page = max(page, 1)
        if q:
            expr = match_expression(q)
            keys = (
                s.episode.state.search("ticket", expr, limit=PAGE + 1, offset=(page - 1) * PAGE).keys
                if expr
                else []
            )
            rows = s.episode.state.by_keys("ticket", keys)
        else:
            conds, params = ["1"], []
            if project:
                conds.append("project = ?")
                params.append(project)
            if status:
                conds.append("status = ?")
                params.append(status)
            rows = s.rows(
                f"SELECT * FROM ticket WHERE {' AND '.join(conds)} ORDER BY updated DESC, id LIMIT ? OFFSET ?",
                [*params, PAGE + 1, (page - 1) * PAGE],
            )
        more = len(rows) > PAGE
        projects = sorted(s.world.facts.workflows)
        filters = (
            '<form action="/tickets">'
            + input_field("project", "project", value=project, options=["", *projects])
            + input_field("status", "status", value=status)
            + input_field("q", "words", value=q)
            + "<button>filter</button></form>"
        )
        body = filters + table(
            ["key", "summary", "status", "priority", "assignee", "updated"],
            [
                [
                    a("ticket", r["id"]),
                    e(r["summary"]),
                    e(r["status"]),
                    e(r["priority"]),
                    s.person(r["assignee"]),
                    e(r["updated"][:10]),
                ]
                for r in rows[:PAGE]
            ],
        )
        body += pager("/tickets", page, more, {"project": project, "status": status, "q": q})
        return _page(s, "Tickets", body)

    @app.get("/ticket/{key}", response_class=HTMLResponse)
    def ticket(key: str) -> HTMLResponse:
        t = s.one("SELECT * FROM ticket WHERE id = ?", (key,))
        fields = table(
            ["field", "value"],
            [
                ["project", e(t["project"])],
                ["type", e(t["type"])],
                ["status", e(t["status"]) + (f" ({e(t['resolution'])})" if t["resolution"] else "")],
                ["priority", e(t["priority"])],
                ["assignee", s.person(t["assignee"])],
                ["reporter", s.person(t["reporter"])],
                ["created", e(t["created"][:16])],
                ["updated", e(t["updated"][:16])],
                ["labels", e(", ".join(json.loads(t["labels"] or "[]")))],
            ],
        )
        description = f'<h2>Description</h2><div class="body">{s.text("ticket", t["id"], "description", t["description"])}</div>'
        links = s.rows(
            "SELECT * FROM ticket_link WHERE ticket_id = ? ORDER BY link_type, other_id", (t["id"],)
        )
        linked_html = "<h2>Links</h2>" + (
            "<ul>"
            + "".join(
                f"<li>{e(x['label'] or x['link_type'])} {a('ticket', x['other_id'])}</li>" for x in links
            )
            + "</ul>"
            if links
            else "<p class=muted>none</p>"
        )
        events = s.rows("SELECT * FROM ticket_event WHERE ticket_id = ? ORDER BY created, id", (t["id"],))
        history = "<h2>History</h2>" + (
            table(
                ["when", "who", "field", "from", "to"],
                [
                    [
                        e(x["created"][:16]),
                        s.person(x["author"]),
                        e(x["field"]),
                        e(x["from_value"]),
                        e(x["to_value"]),
                    ]
                    for x in events
                ],
            )
            if events
            else "<p class=muted>none</p>"
        )
        comments = s.rows("SELECT * FROM ticket_comment WHERE ticket_id = ? ORDER BY created, id", (t["id"],))
        said = "<h2>Comments</h2>" + "".join(
            f'<div class="msg" id="c-{e(c["id"])}"><span class="who">{s.person(c["author"])}</span><span class="when">{e(c["created"][:16])}</span>'
            f'<div class="body">{s.text("ticket_comment", c["id"], "body", c["body"])}</div></div>'
            for c in comments
        )
        body = fields + description + linked_html + history + said
        if s.operable:
            workflow = s.world.facts.workflows.get(t["project"])
            statuses = ["", *(workflow.allowed(t["status"]) if workflow else ())]
            back = {"key": t["id"], "back": url("ticket", t["id"])}
            body += form(
                "/op/comment_ticket", [input_field("body", "Comment", kind="textarea")], "Comment", back
            )
            body += form(
                "/op/update_ticket",
                [
                    input_field("status", "status", options=statuses),
                    input_field("priority", "priority", options=["", *s.world.facts.priorities]),
                    input_field("assignee", "assignee (name, handle or id)"),
                ],
                "Update",
                back,
            )
        return _page(s, f"{t['id']}: {t['summary']}", body)

    @app.get("/comment/{comment_id:path}")
    def comment(comment_id: str) -> RedirectResponse:
        c = s.one("SELECT ticket_id FROM ticket_comment WHERE id = ?", (comment_id,))
        return RedirectResponse(f"{url('ticket', c['ticket_id'])}#c-{quote(comment_id)}", status_code=303)

    @app.get("/docs", response_class=HTMLResponse)
    def documents(page: int = 1) -> HTMLResponse:
        rows = s.rows(
            "SELECT id, title, author, updated FROM document ORDER BY id LIMIT ? OFFSET ?",
            (PAGE + 1, (max(page, 1) - 1) * PAGE),
        )
        body = table(
            ["document", "title", "author", "updated"],
            [
                [a("document", r["id"]), e(r["title"]), s.person(r["author"]), e(r["updated"][:10])]
                for r in rows[:PAGE]
            ],
        )
        return _page(s, "Documents", body + pager("/docs", page, len(rows) > PAGE))

    @app.get("/doc/{doc_id:path}", response_class=HTMLResponse)
    def document(doc_id: str) -> HTMLResponse:
        d = s.one("SELECT * FROM document WHERE id = ?", (doc_id,))
        head = f"<p class=muted>{e(d['id'])} · by {s.person(d['author'])} · {e(d['updated'][:10])}</p>"
        return _page(
            s,
            d["title"] or d["id"],
            head + f'<div class="body">{s.text("document", d["id"], "body", d["body"])}</div>',
        )

    @app.get("/mail", response_class=HTMLResponse)
    def mails(page: int = 1) -> HTMLResponse:
        rows = s.rows(
            "SELECT id, subject, sender, date FROM email ORDER BY date DESC, id LIMIT ? OFFSET ?",
            (PAGE + 1, (max(page, 1) - 1) * PAGE),
        )
        body = table(
            ["subject", "from", "date"],
            [
                [
                    a("email", r["id"], r["subject"] or "(no subject)"),
                    s.person(r["sender"]),
                    e(r["date"][:16]),
                ]
                for r in rows[:PAGE]
            ],
        )
        return _page(s, "Mail", body + pager("/mail", page, len(rows) > PAGE))

    @app.get("/mail/{email_id:path}", response_class=HTMLResponse)
    def mail(email_id: str) -> HTMLResponse:
        m = s.one("SELECT * FROM email WHERE id = ?", (email_id,))
        thread = s.rows(
            "SELECT * FROM email WHERE thread_id = ? OR id = ? ORDER BY date, id",
            (m["thread_id"] or m["id"], m["id"]),
        )
        body = "".join(
            f'<div class="msg" id="e-{e(x["id"])}"><b>{s.text("email", x["id"], "subject", x["subject"])}</b><br>'
            f'<span class="who">{s.person(x["sender"])}</span> to {_people(s, x["to"])}<span class="when">{e(x["date"][:16])}</span>'
            f'<div class="body">{s.text("email", x["id"], "body", x["body"])}</div></div>'
            for x in thread
        )
        if s.operable:
            body += form(
                "/op/send_email",
                [input_field("body", "Reply", kind="textarea")],
                "Send reply",
                {"reply_to": m["id"], "back": url("email", m["id"])},
            )
        return _page(s, m["subject"] or "(no subject)", body)

    @app.get("/calendar", response_class=HTMLResponse)
    def calendar(page: int = 1) -> HTMLResponse:
        rows = s.rows(
            "SELECT * FROM calendar_event ORDER BY start, id LIMIT ? OFFSET ?",
            (PAGE + 1, (max(page, 1) - 1) * PAGE),
        )
        body = table(
            ["when", "event", "organizer", "attendees"],
            [
                [
                    e(r["start"][:16]),
                    a("calendar_event", r["id"], r["title"]),
                    s.person(r["organizer"]),
                    _people(s, r["attendees"]),
                ]
                for r in rows[:PAGE]
            ],
        )
        body += pager("/calendar", page, len(rows) > PAGE)
        if s.operable:
            body += form(
                "/op/create_event",
                [
                    input_field("title", "title"),
                    input_field("start", "start (ISO 8601)", value=s.episode.now[:16]),
                    input_field("duration_minutes", "minutes", kind="number", value="30"),
                    input_field("attendees", "attendees (comma-separated)"),
                ],
                "Book",
                {"back": "/calendar"},
            )
        return _page(s, "Calendar", body)

    @app.get("/event/{event_id:path}", response_class=HTMLResponse)
    def event(event_id: str) -> HTMLResponse:
        r = s.one("SELECT * FROM calendar_event WHERE id = ?", (event_id,))
        body = table(
            ["field", "value"],
            [
                ["start", e(r["start"])],
                ["end", e(r["end"])],
                ["organizer", s.person(r["organizer"])],
                ["attendees", _people(s, r["attendees"])],
                ["location", e(r["location"])],
            ],
        )
        body += (
            f'<div class="body">{s.text("calendar_event", r["id"], "description", r["description"])}</div>'
        )
        return _page(s, r["title"], body)

    @app.get("/people", response_class=HTMLResponse)
    def people(page: int = 1) -> HTMLResponse:
        everyone = sorted(s.world.facts.people.values(), key=lambda p: (p.name.lower(), p.id))
        shown = everyone[(max(page, 1) - 1) * PAGE : max(page, 1) * PAGE]
        body = table(
            ["person", "title", "addresses"],
            [[a("person", p.id, p.name or p.id), e(p.title), e(", ".join(p.emails))] for p in shown],
        )
        return _page(s, "People", body + pager("/people", page, len(everyone) > max(page, 1) * PAGE))

    @app.get("/person/{person_id}", response_class=HTMLResponse)
    def person(person_id: str) -> HTMLResponse:
        info = s.world.facts.people.get(person_id)
        if info is None:
            raise HTTPException(404, f"no person {person_id!r}")
        body = table(
            ["field", "value"],
            [
                ["id", e(info.id)],
                ["title", e(info.title)],
                ["time zone", e(info.timezone)],
                ["addresses", e(", ".join(info.emails))],
                ["handles", e(", ".join(info.handles))],
            ],
        )
        assigned = s.rows(
            "SELECT id, summary, status FROM ticket WHERE assignee = ? ORDER BY updated DESC LIMIT 20",
            (person_id,),
        )
        body += "<h2>Assigned tickets</h2>" + table(
            ["key", "summary", "status"],
            [[a("ticket", t["id"]), e(t["summary"]), e(t["status"])] for t in assigned],
        )
        commits = s.rows(
            'SELECT id, message, committed FROM "commit" WHERE author = ? ORDER BY committed DESC LIMIT 10',
            (person_id,),
        )
        body += "<h2>Recent commits</h2>" + table(
            ["commit", "message"],
            [
                [a("commit", c["id"], c["id"][:10]), e(clip(c["message"].split("\n", 1)[0], 100))]
                for c in commits
            ],
        )
        return _page(s, info.name or info.id, body)

    @app.get("/commits", response_class=HTMLResponse)
    def commits(page: int = 1) -> HTMLResponse:
        rows = s.rows(
            'SELECT id, repo, author, committed, message FROM "commit" ORDER BY committed DESC, id LIMIT ? OFFSET ?',
            (PAGE + 1, (max(page, 1) - 1) * PAGE),
        )
        body = table(
            ["commit", "repo", "author", "when", "message"],
            [
                [
                    a("commit", r["id"], r["id"][:10]),
                    e(r["repo"]),
                    s.person(r["author"]),
                    e(r["committed"][:10]),
                    e(clip(r["message"].split("\n", 1)[0], 90)),
                ]
                for r in rows[:PAGE]
            ],
        )
        return _page(s, "Commits", body + pager("/commits", page, len(rows) > PAGE))

    @app.get("/commit/{sha}", response_class=HTMLResponse)
    def commit(sha: str) -> HTMLResponse:
        c = s.one('SELECT * FROM "commit" WHERE id = ?', (sha,))
        head = f"<p class=muted>{e(c['repo'])} · {s.person(c['author'])} · {e(c['committed'][:16])}</p>"
        files = ", ".join(e(f) for f in json.loads(c["files"] or "[]")[:50])
        return _page(
            s,
            f"Commit {c['id'][:10]}",
            head
            + f'<div class="body">{s.text("commit", c["id"], "message", c["message"])}</div><p class=muted>{files}</p>',
        )

    @app.get("/search", response_class=HTMLResponse)
    def search(q: str = "") -> HTMLResponse:
        expr = match_expression(q) if q else None
        if expr is None:
            return _page(s, "Search", "<p>Give some words to look for.</p>")
        sections = []
        titles = {
            "message": ("chat", "text"),
            "ticket": ("tickets", "summary"),
            "ticket_comment": ("ticket comments", "body"),
            "document": ("documents", "title"),
            "email": ("mail", "subject"),
            "commit": ("commits", "message"),
        }
        for table_name in INDEXED:
            keys = s.episode.state.search(table_name, expr, limit=10).keys
            if not keys:
                continue
            label, column = titles[table_name]
            rows = s.episode.state.by_keys(table_name, keys)
            key = "id"
            items = "".join(
                f"<li>{a(table_name, r[key], clip(' '.join(str(r[column]).split()), 110) or r[key])}</li>"
                for r in rows
            )
            sections.append(f"<h2>{e(label)}</h2><ul>{items}</ul>")
        return _page(s, f"Search: {q}", "".join(sections) or "<p>Nothing matches.</p>")


# -- tasks and runs --------------------------------------------------------------------------------


def _task_and_run_routes(app: FastAPI, s: ViewerState) -> None:
    @app.get("/tasks", response_class=HTMLResponse)
    def tasks(family: str = "", page: int = 1) -> HTMLResponse:
        chosen = [t for t in s.tasks.values() if not family or t.family == family]
        page = max(page, 1)
        shown = chosen[(page - 1) * PAGE : page * PAGE]
        families = sorted({t.family for t in s.tasks.values()})
        picker = " · ".join(f'<a href="/tasks?{urlencode({"family": f})}">{e(f)}</a>' for f in families)
        rows = [
            [
                f'<a href="/task/{quote(t.id)}">{e(t.id)}</a>',
                e(t.family),
                e(t.instruction),
                e("-" if t.difficulty is None else f"{t.difficulty:+.2f}"),
            ]
            for t in shown
        ]
        body = (
            f"<p>{picker}</p>"
            + table(["task", "family", "instruction", "difficulty"], rows)
            + pager("/tasks", page, len(chosen) > page * PAGE, {"family": family})
        )
        return _page(s, "Tasks" if s.tasks else "Tasks (none loaded: --tasks tasks.jsonl)", body)

    @app.get("/task/{task_id}", response_class=HTMLResponse)
    def task(task_id: str) -> HTMLResponse:
        t = s.tasks.get(task_id)
        if t is None:
            raise HTTPException(404, f"no task {task_id!r}")
        who = s.world.facts.name(t.persona) if t.persona else "an observer"
        body = f"<blockquote>{e(t.instruction)}</blockquote><p>As <b>{e(who)}</b>, at {e(t.cutoff or 'the end of the record')} · {e(t.split)} · difficulty {e(t.difficulty)}</p>"
        body += (
            "<h2>Evidence</h2><ul>"
            + "".join(f"<li>{a(x.kind, x.id)}: {e(x.why)}</li>" for x in t.evidence)
            + "</ul>"
        )
        body += (
            "<h2>Checks</h2><ul>"
            + "".join(
                f"<li><code>{e(json.dumps(c.to_dict(), ensure_ascii=False)[:300])}</code></li>"
                for c in t.checks
            )
            + "</ul>"
        )
        body += (
            "<h2>Gold actions</h2><ol>"
            + "".join(
                f"<li><code>{e(c.name)} {e(json.dumps(dict(c.arguments), ensure_ascii=False))}</code></li>"
                for c in t.gold
            )
            + "</ol>"
        )
        tries = [
            (name, i, tr)
            for name, run in s.runs.items()
            for i, tr in enumerate(run.trajectories)
            if tr["task_id"] == t.id
        ]
        if tries:
            body += "<h2>Tries</h2>" + table(
                ["run", "agent", "try", "reward"],
                [
                    [
                        e(n),
                        e(tr["agent"]),
                        f'<a href="/run/{quote(n)}/t/{i}">{tr["trial"]}</a>',
                        e(tr["reward"]),
                    ]
                    for n, i, tr in tries
                ],
            )
            body += f'<p><a href="/run/{quote(tries[0][0])}/compare?{urlencode({"task": t.id})}">two tries side by side</a></p>'
        return _page(s, f"Task {t.id}", body)

    @app.get("/runs", response_class=HTMLResponse)
    def runs() -> HTMLResponse:
        rows = [
            [
                f'<a href="/run/{quote(n)}">{e(n)}</a>',
                str(r.summary["episodes"]),
                f"{r.summary['success_rate']:.1%}",
                e(", ".join(r.summary.get("agents", []))),
            ]
            for n, r in s.runs.items()
        ]
        return _page(
            s,
            "Runs" if s.runs else "Runs (none loaded: --runs runs/)",
            table(["run", "episodes", "success", "agents"], rows),
        )

    def run_of(name: str) -> Run:
        run = s.runs.get(name)
        if run is None:
            raise HTTPException(404, f"no run {name!r}")
        return run

    @app.get("/run/{name}", response_class=HTMLResponse)
    def run(name: str, page: int = 1) -> HTMLResponse:
        r = run_of(name)
        agents = r.summary.get("by_agent") or {}
        hat = {ag: {int(k): v for k, v in x["pass_hat_k"].items()} for ag, x in agents.items()}
        at = {ag: {int(k): v for k, v in x["pass_at_k"].items()} for ag, x in agents.items()}
        fam = {ag: {f: v["success_rate"] for f, v in x["by_family"].items()} for ag, x in agents.items()}
        body = (
            "<h2>pass^k (solid), pass@k (dashed)</h2>"
            + line_chart(hat, "by k", at)
            + "<h2>Success by family</h2>"
            + bar_chart(fam, "success rate")
        )
        page = max(page, 1)
        shown = list(enumerate(r.trajectories))[(page - 1) * PAGE : page * PAGE]
        body += "<h2>Trajectories</h2>" + table(
            ["#", "task", "family", "agent", "try", "reward", "steps"],
            [
                [
                    f'<a href="/run/{quote(name)}/t/{i}">{i}</a>',
                    f'<a href="/task/{quote(t["task_id"])}">{e(t["task_id"])}</a>',
                    e(t["family"]),
                    e(t["agent"]),
                    str(t["trial"]),
                    e(t["reward"]),
                    str(len(t["steps"])),
                ]
                for i, t in shown
            ],
        )
        body += pager(f"/run/{quote(name)}", page, len(r.trajectories) > page * PAGE)
        return _page(s, f"Run {name}", body)

    def trajectory_html(t: Mapping[str, Any], with_state: bool) -> str:
        task = s.tasks.get(t["task_id"])
        states: dict[int, str] = {}
        if with_state and task is not None:
            for step in replay(s.world, t, task.to_dict()):
                states[step.step] = json.dumps(step.diff.to_dict(), ensure_ascii=False, indent=1)[:4000]
        parts = [
            f"<p><b>{e(t['agent'])}</b>, try {t['trial']}: reward {e(t['reward'])} (partial {e(t['partial'])})</p><ol>"
        ]
        for i, step in enumerate(t["steps"]):
            call = (
                step["call"]
                if isinstance(step["call"], str)
                else json.dumps(step["call"], ensure_ascii=False)
            )
            status = (
                f'<span class="bad">{e(step["error"])}</span>'
                if step["error"]
                else '<span class="ok">ok</span>'
            )
            state = (
                f"<details><summary>state after this step</summary><pre>{e(states[i])}</pre></details>"
                if i in states
                else ""
            )
            parts.append(
                f'<li class="step">{status} <code>{e(call[:300])}</code><pre>{e(step["observation"][:3000])}</pre>{state}</li>'
            )
        parts.append(
            "</ol><ul>"
            + "".join(
                f"<li>{'✔' if c['passed'] else '✘'} {e(c['kind'])}: {e(c['detail'])}</li>"
                for c in t["checks"]
            )
            + "</ul>"
        )
        return "".join(parts)

    @app.get("/run/{name}/t/{index}", response_class=HTMLResponse)
    def trajectory(name: str, index: int) -> HTMLResponse:
        r = run_of(name)
        if not 0 <= index < len(r.trajectories):
            raise HTTPException(404, f"run {name} has no trajectory {index}")
        t = r.trajectories[index]
        intro = f'<p>Task <a href="/task/{quote(t["task_id"])}">{e(t["task_id"])}</a>: {e(t.get("instruction", ""))}</p>'
        return _page(s, f"Trajectory {index} of {name}", intro + trajectory_html(t, with_state=True))

    @app.get("/run/{name}/compare", response_class=HTMLResponse)
    def compare(name: str, task: str) -> HTMLResponse:
        r = run_of(name)
        tries = [t for t in r.trajectories if t["task_id"] == task]
        good = [t for t in tries if t["reward"] >= 1.0]
        bad = [t for t in tries if t["reward"] < 1.0]
        pair = (good[:1] + bad[:1]) if good and bad else tries[:2]
        if len(pair) < 2:
            raise HTTPException(404, f"run {name} has fewer than two tries of {task}")
        cols = "".join(f'<div class="traj">{trajectory_html(t, with_state=False)}</div>' for t in pair)
        return _page(s, f"Two tries of {task}", f'<div class="side">{cols}</div>')


# -- operable mode ---------------------------------------------------------------------------------

_OPERATIONS = {"post_message", "comment_ticket", "update_ticket", "send_email", "create_event"}


def _operable_routes(app: FastAPI, s: ViewerState) -> None:
    @app.post("/op/{tool}")
    async def operate(tool: str, request: Request) -> RedirectResponse:
        if tool not in _OPERATIONS:
            raise HTTPException(404, f"no operation {tool!r}")
        data = {k: str(v) for k, v in (await request.form()).items()}
        back = data.pop("back", "/")
        arguments: dict[str, Any] = {k: v for k, v in data.items() if v.strip()}
        if tool == "create_event":
            if "duration_minutes" in arguments:
                arguments["duration_minutes"] = (
                    int(arguments["duration_minutes"])
                    if arguments["duration_minutes"].isdigit()
                    else arguments["duration_minutes"]
                )
            if "attendees" in arguments:
                arguments["attendees"] = [x.strip() for x in arguments["attendees"].split(",") if x.strip()]
        observation = s.episode.step({"name": tool, "arguments": arguments})
        s.flash = (observation.text, observation.info.get("error") is not None)
        return RedirectResponse(back if back.startswith("/") else "/", status_code=303)

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
            body += form("/episode/check", [], "Check against the task", {})
        body += form("/episode/reset", [], "Reset the episode", {})
        return _page(s, "The episode", body)

    @app.post("/episode/check")
    def check() -> RedirectResponse:
        if s.task is None:
            raise HTTPException(404, "no task to check against (start with --task ID)")
        score = Scorer(s.world).score(s.task, s.episode)
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
    """Serve the viewer until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["PAGE", "ViewerState", "create_viewer", "serve_viewer"]
