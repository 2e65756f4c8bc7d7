"""The viewer's workspace pages: chat, tickets, documents, mail, calendar, people, code, search.

Every page reads through the viewer's episode, so in operable mode it shows the episode's own
writes; every text shows its references as links; lists page :data:`PAGE` rows at a time. In
operable mode the pages add their forms (see :mod:`workgym.report.viewer`).
"""

from __future__ import annotations

import json
import sqlite3
from urllib.parse import quote

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse

from workgym.report.pages import a, e, form, linked, pager, table, url
from workgym.report.pages import field as input_field
from workgym.report.view_state import PAGE, PageNumber, ViewerState
from workgym.report.view_state import page as _page
from workgym.report.view_state import people as _people
from workgym.world.fts import INDEXED, match_expression
from workgym.world.schema import REGISTRY, CallError, ToolError
from workgym.world.state import StateError
from workgym.world.text import clip

# -- the workspace ---------------------------------------------------------------------------------


def _jql_results(s: ViewerState, jql: str, page: int) -> str:
    """What ``search_tickets`` shows for a JQL query, its ticket keys linked (a read: not an episode step)."""
    tool = REGISTRY.get("search_tickets")
    if tool is None:
        return ""
    try:
        said = tool.fn(s.episode.ctx, **tool.check({"jql": jql, "page": page}))
    except (CallError, ToolError, StateError) as exc:
        said = f"Error: {exc}"
    return f'<pre class="body" id="jql-results">{linked(said, (), s.tickets)}</pre>'


def workspace_routes(app: FastAPI, s: ViewerState) -> None:
    """Add the workspace pages to the app."""

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
        extra = "" if s.agent else f"<p>{len(s.tasks):,} tasks, {len(s.runs)} runs loaded.</p>"
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
    def channel(channel_id: str, page: PageNumber = 1) -> HTMLResponse:
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
                [input_field("text", "Message", kind="textarea", form_id="op-post_message")],
                "Post",
                {"channel": c["name"], "back": url("channel", c["id"])},
                token=s.form_token,
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
                [input_field("text", "Reply", kind="textarea", form_id="op-post_message")],
                "Reply in thread",
                {"channel": c["name"], "thread_id": root, "back": url("message", root)},
                token=s.form_token,
            )
            body += form(
                "/op/add_reaction",
                [input_field("emoji", "Reaction (emoji name)", form_id="op-add_reaction")],
                "React",
                {"message_id": m["id"], "back": url("message", m["id"])},
                token=s.form_token,
            )
        return _page(s, f"Message in #{c['name']}", body)

    @app.get("/tickets", response_class=HTMLResponse)
    def tickets(
        project: str = "", status: str = "", q: str = "", jql: str = "", page: PageNumber = 1
    ) -> HTMLResponse:
        page = max(page, 1)
        found = ""
        if jql:
            found = _jql_results(s, jql, page)
            rows = []
        elif q:
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
            + '<form action="/tickets" id="jql">'
            + input_field("jql", "JQL", value=jql, form_id="jql")
            + '<button id="jql-submit">search</button></form>'
        )
        body = (
            filters
            + found
            + table(
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
        )
        body += pager("/tickets", page, more, {"project": project, "status": status, "q": q})
        if s.operable:
            fid = "op-create_ticket"
            body += form(
                "/op/create_ticket",
                [
                    input_field("project", "project", options=projects, form_id=fid),
                    input_field("summary", "summary", form_id=fid),
                    input_field("description", "description", kind="textarea", form_id=fid),
                    input_field("type", "type", form_id=fid),
                    input_field("priority", "priority", options=["", *s.world.facts.priorities], form_id=fid),
                    input_field("assignee", "assignee (name, handle or id)", form_id=fid),
                    input_field("labels", "labels (comma-separated)", form_id=fid),
                ],
                "Create ticket",
                {"back": "/tickets"},
                token=s.form_token,
            )
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
                ["fix versions (milestone)", e(", ".join(json.loads(t["fix_versions"] or "[]")))],
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
                        # a GitHub timeline's cross-reference names the citing ticket: link it
                        a("ticket", x["from_value"])
                        if x["field"] == "cross-referenced" and x["from_value"]
                        else e(x["from_value"]),
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
                "/op/comment_ticket",
                [input_field("body", "Comment", kind="textarea", form_id="op-comment_ticket")],
                "Comment",
                back,
                token=s.form_token,
            )
            fid = "op-update_ticket"
            body += form(
                "/op/update_ticket",
                [
                    input_field("status", "status", options=statuses, form_id=fid),
                    input_field("priority", "priority", options=["", *s.world.facts.priorities], form_id=fid),
                    input_field("assignee", "assignee (name, handle or id)", form_id=fid),
                    input_field("labels", "labels (comma-separated; they replace the old ones)", form_id=fid),
                    input_field(
                        "resolution", "resolution", options=["", *s.world.facts.resolutions], form_id=fid
                    ),
                ],
                "Update",
                back,
                token=s.form_token,
            )
            fid = "op-link_tickets"
            body += form(
                "/op/link_tickets",
                [
                    input_field("other", "link to ticket", form_id=fid),
                    input_field("link_type", "link type (Relates, Blocks, Duplicate, ...)", form_id=fid),
                ],
                "Link",
                back,
                token=s.form_token,
            )
        return _page(s, f"{t['id']}: {t['summary']}", body)

    @app.get("/comment/{comment_id:path}")
    def comment(comment_id: str) -> RedirectResponse:
        c = s.one("SELECT ticket_id FROM ticket_comment WHERE id = ?", (comment_id,))
        return RedirectResponse(f"{url('ticket', c['ticket_id'])}#c-{quote(comment_id)}", status_code=303)

    @app.get("/docs", response_class=HTMLResponse)
    def documents(page: PageNumber = 1) -> HTMLResponse:
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
        body += pager("/docs", page, len(rows) > PAGE)
        if s.operable:
            fid = "op-create_doc"
            body += form(
                "/op/create_doc",
                [
                    input_field("title", "title", form_id=fid),
                    input_field("folder", "folder", form_id=fid),
                    input_field("body", "text", kind="textarea", form_id=fid),
                ],
                "Create document",
                {"back": "/docs"},
                token=s.form_token,
            )
        return _page(s, "Documents", body)

    @app.get("/doc/{doc_id:path}", response_class=HTMLResponse)
    def document(doc_id: str) -> HTMLResponse:
        d = s.one("SELECT * FROM document WHERE id = ?", (doc_id,))
        head = f"<p class=muted>{e(d['id'])} · by {s.person(d['author'])} · {e(d['updated'][:10])}</p>"
        body = head + f'<div class="body">{s.text("document", d["id"], "body", d["body"])}</div>'
        if s.operable:
            back = {"doc": d["id"], "back": url("document", d["id"])}
            fid = "op-edit_doc"
            body += form(
                "/op/edit_doc",
                [
                    input_field("section", "section (heading; blank: the end)", form_id=fid),
                    input_field("replace", "replace the section", kind="checkbox", form_id=fid),
                    input_field("text", "text", kind="textarea", form_id=fid),
                ],
                "Edit",
                back,
                token=s.form_token,
            )
            fid = "op-comment_doc"
            body += form(
                "/op/comment_doc",
                [
                    input_field("anchor", "on the words", form_id=fid),
                    input_field("text", "Comment", kind="textarea", form_id=fid),
                ],
                "Comment on the document",
                back,
                token=s.form_token,
            )
        return _page(s, d["title"] or d["id"], body)

    @app.get("/mail", response_class=HTMLResponse)
    def mails(page: PageNumber = 1) -> HTMLResponse:
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
        body += pager("/mail", page, len(rows) > PAGE)
        if s.operable:
            fid = "op-send_email"
            body += form(
                "/op/send_email",
                [
                    input_field("to", "to (comma-separated)", form_id=fid),
                    input_field("cc", "cc (comma-separated)", form_id=fid),
                    input_field("subject", "subject", form_id=fid),
                    input_field("body", "message", kind="textarea", form_id=fid),
                ],
                "Send",
                {"back": "/mail"},
                token=s.form_token,
            )
        return _page(s, "Mail", body)

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
                [input_field("body", "Reply", kind="textarea", form_id="op-reply")],
                "Send reply",
                {"reply_to": m["id"], "back": url("email", m["id"])},
                token=s.form_token,
                form_id="op-reply",
            )
            fid = "op-forward"
            body += form(
                "/op/send_email",
                [
                    input_field("to", "forward to (comma-separated)", form_id=fid),
                    input_field("body", "note", kind="textarea", form_id=fid),
                ],
                "Forward",
                {"forward": m["id"], "back": url("email", m["id"])},
                token=s.form_token,
                form_id=fid,
            )
        return _page(s, m["subject"] or "(no subject)", body)

    @app.get("/calendar", response_class=HTMLResponse)
    def calendar(page: PageNumber = 1) -> HTMLResponse:
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
                    input_field("title", "title", form_id="op-create_event"),
                    input_field(
                        "start", "start (ISO 8601)", value=s.episode.now[:16], form_id="op-create_event"
                    ),
                    input_field(
                        "duration_minutes", "minutes", kind="number", value="30", form_id="op-create_event"
                    ),
                    input_field("attendees", "attendees (comma-separated)", form_id="op-create_event"),
                    input_field("location", "location", form_id="op-create_event"),
                    input_field("description", "description", kind="textarea", form_id="op-create_event"),
                ],
                "Book",
                {"back": "/calendar"},
                token=s.form_token,
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
    def people(page: PageNumber = 1) -> HTMLResponse:
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
    def commits(page: PageNumber = 1) -> HTMLResponse:
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


__all__ = ["workspace_routes"]
