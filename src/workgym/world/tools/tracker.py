"""Tracker: search, read, create and update tickets; comment on them; link them (Jira)."""

from __future__ import annotations

import sqlite3

from workgym.world.context import ToolContext
from workgym.world.fts import match_expression
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, cut, json_list, page_of, show_time, to_json_list
from workgym.world.tools.jql import compile_jql

PAGE = 20
COMMENTS_PAGE = 10
TEXT_HITS = 200
DEFAULT_LINK_TYPES = {
    "Relates": ("relates to", "relates to"),
    "Blocks": ("blocks", "is blocked by"),
    "Duplicate": ("duplicates", "is duplicated by"),
}


def find_ticket(ctx: ToolContext, key: str) -> sqlite3.Row:
    """The visible ticket with this key (any case).

    Raises:
        ToolError: there is none.
    """
    rows = ctx.state.query("SELECT * FROM ticket WHERE id = ?", (key.strip().upper(),))
    if not rows:
        raise ToolError(f"no ticket {clip(key, 40)!r}; search_tickets finds tickets")
    return rows[0]


def ticket_line(ctx: ToolContext, row: sqlite3.Row) -> str:
    """A ticket on one line: key, status, priority, summary, assignee, last update."""
    bits = [f"{row['id']} [{row['status'] or '?'}]"]
    if row["priority"]:
        bits[0] += f" {row['priority']}"
    bits.append(clip(row["summary"], 120))
    bits.append(f"assignee {ctx.name(row['assignee']) if row['assignee'] else 'none'}")
    bits.append(f"updated {show_time(row['updated'] or row['created'])}")
    return " · ".join(bits)


def _text_ids(ctx: ToolContext, query: str, with_tickets: bool) -> list[str]:
    expr = match_expression(query)
    if expr is None:
        raise ToolError(f"{clip(query, 40)!r} has no words to search for")
    ids = ctx.state.search("ticket", expr, limit=TEXT_HITS).keys if with_tickets else []
    comment_ids = ctx.state.search("ticket_comment", expr, limit=TEXT_HITS).keys
    seen = set(ids)
    for row in ctx.state.by_keys("ticket_comment", comment_ids):
        if row["ticket_id"] not in seen:
            seen.add(row["ticket_id"])
            ids.append(row["ticket_id"])
    return ids


@tool("tracker")
def search_tickets(ctx: ToolContext, jql: str = "", page: int = 1) -> str:
    """Search tickets with a JQL-like filter; plain words search the tickets' and comments' text.

    Fields: project, key, status, priority, type, resolution, assignee, reporter, creator, labels,
    components, fixVersion, parent, summary, description, comment, text, created, updated, resolved.
    Operators: = != ~ !~ > >= < <= IN, NOT IN, IS EMPTY, IS NOT EMPTY; AND, OR, NOT, parentheses;
    ORDER BY field [ASC|DESC]. Dates are ISO 8601 or relative (-7d, -2w). Example:
    project = ENG AND status = "In Progress" AND assignee = currentUser() AND text ~ "login" ORDER BY updated DESC

    Args:
        jql: the filter (empty lists every ticket, most recently updated first).
        page: which page of results (20 per page).
    """
    found: dict[tuple[str, bool], list[str]] = {}

    def text_ids(text: str, with_tickets: bool) -> list[str]:
        if (text, with_tickets) not in found:
            found[(text, with_tickets)] = _text_ids(ctx, text, with_tickets)
        return found[(text, with_tickets)]

    compiled = compile_jql(
        jql,
        now=ctx.now,
        persona=ctx.persona,
        people=lambda text: [p.id for p in ctx.facts.find_people(text)],
        text_ids=text_ids,
    )
    if page < 1:
        raise ToolError("page starts at 1")
    if compiled.order or not compiled.text:
        order = compiled.order or [("updated", True)]
        order_sql = ", ".join(f"t.{col} {'DESC' if desc else 'ASC'}" for col, desc in order)
        rows = ctx.state.query(
            f"SELECT * FROM ticket AS t WHERE {compiled.where} ORDER BY {order_sql}, t.id LIMIT ? OFFSET ?",
            [*compiled.params, PAGE + 1, (page - 1) * PAGE],
        )
    else:
        # Relevance order: the text searches rank the ids; the filter keeps some of them.
        rank: dict[str, int] = {}
        for text in compiled.text:
            for i, key in enumerate(text_ids(text, True)):
                rank[key] = min(rank.get(key, i), i)
        kept = ctx.state.query(f"SELECT t.id FROM ticket AS t WHERE {compiled.where}", compiled.params)
        ordered = sorted((r[0] for r in kept), key=lambda k: (rank.get(k, len(rank)), k))
        rows = ctx.state.by_keys("ticket", ordered[(page - 1) * PAGE : page * PAGE + 1])
    more = len(rows) > PAGE
    lines = [ticket_line(ctx, r) for r in rows[:PAGE]]
    if not lines:
        return "no tickets match" if page == 1 else f"no more tickets (page {page} is past the end)"
    tail = f"; more: page={page + 1}" if more else ""
    return "\n".join([*lines, f"page {page}: {len(lines)} tickets{tail}"])


def _person_field(ctx: ToolContext, person_id: str) -> str:
    return f"{ctx.name(person_id)} ({person_id})" if person_id else "none"


@tool("tracker")
def get_ticket(ctx: ToolContext, key: str, comments_page: int = 1) -> str:
    """Show a ticket: its fields, description, links, history and comments (10 per page, oldest first).

    Args:
        key: the ticket's key, e.g. ENG-12.
        comments_page: which page of comments to show.
    """
    t = find_ticket(ctx, key)
    lines = [f"{t['id']}: {t['summary']}"]
    status = t["status"] + (f" (resolution {t['resolution']})" if t["resolution"] else "")
    lines.append(
        f"project {t['project']} · {t['type'] or 'ticket'} · status {status} · priority {t['priority'] or '-'}"
    )
    lines.append(
        f"reporter {_person_field(ctx, t['reporter'])} · assignee {_person_field(ctx, t['assignee'])}"
    )
    times = f"created {show_time(t['created'])} · updated {show_time(t['updated'])}"
    lines.append(times + (f" · resolved {show_time(t['resolved'])}" if t["resolved"] else ""))
    for label, col in (
        ("labels", "labels"),
        ("components", "components"),
        ("fix versions", "fix_versions"),
        ("affects versions", "affects_versions"),
    ):
        values = json_list(t[col])
        if values:
            lines.append(f"{label}: {', '.join(values)}")
    if t["parent"]:
        lines.append(f"parent: {t['parent']}")
    if t["description"]:
        lines += ["description:", cut(t["description"].strip(), 1500)]
    # Views are looked up one by one, never joined: a join would materialize a whole view.
    links = ctx.state.query(
        "SELECT label, other_id FROM ticket_link WHERE ticket_id = ? ORDER BY link_type, other_id", (t["id"],)
    )
    if links:
        others = {r["id"]: r for r in ctx.state.by_keys("ticket", [r["other_id"] for r in links])}
        lines.append("links:")
        for r in links:
            o = others.get(r["other_id"])
            other = f" ({clip(o['summary'], 80)}) [{o['status']}]" if o is not None else ""
            lines.append(f"  {r['label']} {r['other_id']}{other}")
    events = ctx.state.query(
        "SELECT * FROM ticket_event WHERE ticket_id = ? ORDER BY created DESC, id DESC LIMIT 11", (t["id"],)
    )
    if events:
        lines.append("history (latest 10):" if len(events) > 10 else "history:")
        for e in reversed(events[:10]):
            lines.append(
                f"  {show_time(e['created'])} {ctx.name(e['author'])}: {e['field']} "
                f"{clip(e['from_value'] or '-', 60)} -> {clip(e['to_value'] or '-', 60)}"
            )
    total = ctx.state.query("SELECT COUNT(*) FROM ticket_comment WHERE ticket_id = ?", (t["id"],))[0][0]
    if total:
        p = page_of(comments_page, COMMENTS_PAGE, total)
        rows = ctx.state.query(
            "SELECT * FROM ticket_comment WHERE ticket_id = ? ORDER BY created, id LIMIT ? OFFSET ?",
            (t["id"], COMMENTS_PAGE, p.offset),
        )
        lines.append(f"comments ({p.footer('comments').replace('next: page', 'next: comments_page')}):")
        for c in rows:
            lines.append(f"  [{show_time(c['created'])}] {ctx.name(c['author'])} (comment {c['id']}):")
            lines.append("    " + cut(c["body"].strip(), 600).replace("\n", "\n    "))
    elif comments_page != 1:
        raise ToolError("the ticket has no comments")
    return "\n".join(lines)


def _canonical(value: str, known: list[str], what: str) -> str:
    for option in known:
        if option.lower() == value.strip().lower():
            return option
    raise ToolError(f"{what} {clip(value, 40)!r} is not one of: {', '.join(known)}")


def _event(ctx: ToolContext, ticket: str, field: str, old: str, new: str) -> None:
    ctx.state.insert(
        "ticket_event",
        {
            "id": ctx.new_id("ticket_event"),
            "ticket_id": ticket,
            "field": field,
            "locator": "world",
            "author": ctx.me(),
            "created": ctx.now,
            "from_value": old,
            "to_value": new,
        },
    )


@tool("tracker", writes=True)
def create_ticket(
    ctx: ToolContext,
    project: str,
    summary: str,
    description: str = "",
    type: str = "Task",
    priority: str = "",
    assignee: str = "",
    labels: list[str] | None = None,
) -> str:
    """Create a ticket in a project, reported by you; it starts in the project's first status.

    Args:
        project: the project's key, e.g. ENG.
        summary: a one-line title.
        description: the body (Jira wiki markup is fine).
        type: the issue type, e.g. Task, Bug, Story.
        priority: the priority, one of those used in the tracker (e.g. High); empty leaves it unset.
        assignee: who to assign it to (name, handle, e-mail or id); empty leaves it unassigned.
        labels: labels to put on it.
    """
    me = ctx.me()
    workflow = ctx.facts.workflows.get(project.strip().upper())
    if workflow is None:
        raise ToolError(
            f"no project {clip(project, 20)!r}; projects: {', '.join(sorted(ctx.facts.workflows))}"
        )
    key_prefix = project.strip().upper()
    if not summary.strip():
        raise ToolError("the summary is empty")
    # Numbers already used after the cutoff (in main) are skipped too: a key is never reused.
    rows = ctx.state.query(
        "SELECT MAX(CAST(substr(id, length(?) + 2) AS INTEGER)) FROM (SELECT id FROM main.ticket "
        "WHERE project = ? UNION ALL SELECT id FROM ticket WHERE project = ?)",
        (key_prefix, key_prefix, key_prefix),
    )
    key = f"{key_prefix}-{(rows[0][0] or 0) + 1}"
    ctx.new_id("ticket")
    known = list(ctx.facts.priorities)
    chosen = _canonical(priority, known, "priority") if priority and known else priority.strip()
    ctx.state.insert(
        "ticket",
        {
            "id": key,
            "project": key_prefix,
            "summary": summary.strip(),
            "locator": "world",
            "description": description,
            "type": type.strip() or "Task",
            "status": workflow.initial,
            "priority": chosen,
            "reporter": me,
            "assignee": ctx.person(assignee, what="assignee").id if assignee else "",
            "creator": me,
            "created": ctx.now,
            "updated": ctx.now,
            "labels": to_json_list([label.strip() for label in labels or [] if label.strip()]),
        },
    )
    return f"created {key} [{workflow.initial}]: {clip(summary, 120)}"


@tool("tracker", writes=True)
def update_ticket(
    ctx: ToolContext,
    key: str,
    status: str = "",
    assignee: str = "",
    priority: str = "",
    labels: list[str] | None = None,
    resolution: str = "",
) -> str:
    """Change a ticket's status (only along its project's workflow), assignee, priority, labels or resolution.

    Args:
        key: the ticket's key, e.g. ENG-12.
        status: the new status; it must be a transition seen in the project's history.
        assignee: the new assignee (name, handle, e-mail or id), or "none" to unassign.
        priority: the new priority, one of those used in the tracker.
        labels: the ticket's new labels (they replace the old ones; [] removes all).
        resolution: how it was resolved, one of those used in the tracker (e.g. Fixed, Duplicate).
    """
    ctx.me()
    t = find_ticket(ctx, key)
    changes: dict[str, str] = {}
    said: list[str] = []
    if status:
        workflow = ctx.facts.workflows.get(t["project"])
        allowed = list(workflow.allowed(t["status"])) if workflow else []
        if not allowed:
            raise ToolError(f"no status change from {t['status']!r} is seen in {t['project']}'s workflow")
        new = _canonical(status, allowed, f"from {t['status']!r} the status")
        changes["status"] = new
        _event(ctx, t["id"], "status", t["status"], new)
        said.append(f"status {t['status']} -> {new}")
    if assignee:
        new_id = "" if assignee.strip().lower() in ("none", "unassigned") else ctx.person(assignee).id
        if new_id != t["assignee"]:
            changes["assignee"] = new_id
            _event(
                ctx,
                t["id"],
                "assignee",
                ctx.name(t["assignee"]) if t["assignee"] else "",
                ctx.name(new_id) if new_id else "",
            )
            said.append(f"assignee {ctx.name(t['assignee'])} -> {ctx.name(new_id)}")
    if priority:
        known = list(ctx.facts.priorities)
        new = _canonical(priority, known, "priority") if known else priority.strip()
        if new != t["priority"]:
            changes["priority"] = new
            _event(ctx, t["id"], "priority", t["priority"], new)
            said.append(f"priority {t['priority'] or '-'} -> {new}")
    if labels is not None:
        new_labels = [label.strip() for label in labels if label.strip()]
        old = json_list(t["labels"])
        if new_labels != old:
            changes["labels"] = to_json_list(new_labels)
            _event(ctx, t["id"], "labels", " ".join(old), " ".join(new_labels))
            said.append(f"labels [{', '.join(old)}] -> [{', '.join(new_labels)}]")
    if resolution:
        known = list(ctx.facts.resolutions)
        new = _canonical(resolution, known, "resolution") if known else resolution.strip()
        if new != t["resolution"]:
            changes["resolution"] = new
            changes["resolved"] = ctx.now
            _event(ctx, t["id"], "resolution", t["resolution"], new)
            said.append(f"resolution {t['resolution'] or '-'} -> {new}")
    if not status and not assignee and not priority and labels is None and not resolution:
        raise ToolError("nothing to change: give status, assignee, priority, labels or resolution")
    if not changes:
        return f"{t['id']} already has those values; nothing changed"
    changes["updated"] = ctx.now
    ctx.state.update("ticket", t["id"], changes)
    return f"updated {t['id']}: " + "; ".join(said)


@tool("tracker", writes=True)
def comment_ticket(ctx: ToolContext, key: str, body: str) -> str:
    """Add a comment to a ticket as yourself.

    Args:
        key: the ticket's key, e.g. ENG-12.
        body: the comment (Jira wiki markup is fine).
    """
    me = ctx.me()
    t = find_ticket(ctx, key)
    if not body.strip():
        raise ToolError("the comment is empty")
    comment_id = ctx.new_id("ticket_comment")
    ctx.state.insert(
        "ticket_comment",
        {
            "id": comment_id,
            "ticket_id": t["id"],
            "body": body,
            "locator": "world",
            "author": me,
            "created": ctx.now,
            "updated": ctx.now,
        },
    )
    ctx.state.update("ticket", t["id"], {"updated": ctx.now})
    return f"commented on {t['id']} (comment {comment_id})"


@tool("tracker", writes=True)
def link_tickets(ctx: ToolContext, key: str, other: str, link_type: str = "Relates") -> str:
    """Link two tickets, e.g. ENG-1 blocks ENG-2 (link_type "Blocks"); the link shows on both.

    Args:
        key: the ticket the link goes out from, e.g. ENG-1.
        other: the ticket it points to, e.g. ENG-2.
        link_type: the kind of link, as the tracker names it: Relates, Blocks, Duplicate, ...
    """
    ctx.me()
    a, b = find_ticket(ctx, key), find_ticket(ctx, other)
    if a["id"] == b["id"]:
        raise ToolError("a ticket cannot be linked to itself")
    types = ctx.facts.link_types or DEFAULT_LINK_TYPES
    kind = _canonical(link_type, sorted(types), "link type")
    outward, inward = types[kind]
    exists = ctx.state.query(
        "SELECT 1 FROM ticket_link WHERE ticket_id = ? AND other_id = ? AND link_type = ? AND direction = 'outward'",
        (a["id"], b["id"], kind),
    )
    if exists:
        return f"{a['id']} already {outward} {b['id']}; nothing changed"
    for ticket, other_id, direction, label in (
        (a["id"], b["id"], "outward", outward),
        (b["id"], a["id"], "inward", inward),
    ):
        ctx.state.insert(
            "ticket_link",
            {
                "ticket_id": ticket,
                "other_id": other_id,
                "link_type": kind,
                "direction": direction,
                "label": label,
                "locator": "world",
            },
        )
    return f"linked: {a['id']} {outward} {b['id']}"
