"""Mail: search, read threads, send new mail, replies and forwards (quoted as mail clients quote)."""

from __future__ import annotations

import sqlite3

from workgym.world.context import ToolContext
from workgym.world.fts import terms
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, cut, json_list, page_of, parse_iso, show_time, snippet, to_json_list
from workgym.world.tools.common import Where, full_text, more_footer

SEARCH_PAGE = 10
THREAD_PAGE = 5


def _address(ctx: ToolContext, person_id: str) -> str:
    info = ctx.facts.people.get(person_id)
    if info is None:
        return person_id or "?"
    return f"{info.name} <{info.emails[0]}>" if info.emails else info.name


def _people(ctx: ToolContext, stored: str) -> str:
    return ", ".join(_address(ctx, p) for p in json_list(stored)) or "-"


def email_line(ctx: ToolContext, row: sqlite3.Row, words: list[str] | None = None) -> str:
    """An e-mail on one line: date, sender, recipients, subject, id; with a snippet when searched."""
    to = [ctx.name(p) for p in json_list(row["to"])]
    head = (
        f"[{show_time(row['date'])}] {ctx.name(row['sender'])} -> {', '.join(to[:3]) or '-'}"
        f"{' …' if len(to) > 3 else ''}: {clip(row['subject'], 100)}  ({row['id']})"
    )
    if words is not None:
        head += "\n    " + snippet(row["body"], words, 200)
    return head


def find_email(ctx: ToolContext, email_id: str) -> sqlite3.Row:
    """The visible e-mail with this Message-ID (angle brackets optional).

    Raises:
        ToolError: there is none.
    """
    found = ctx.state.by_keys("email", [email_id.strip().strip("<>")])
    if not found:
        raise ToolError(f"no e-mail {clip(email_id, 80)!r}; search_mail finds e-mails")
    return found[0]


@tool("mail")
def search_mail(
    ctx: ToolContext,
    query: str = "",
    sender: str = "",
    to: str = "",
    after: str = "",
    before: str = "",
    page: int = 1,
) -> str:
    """Search e-mail by words (best first), or list the newest, filtered by sender, recipient and time.

    Args:
        query: words to look for in subject and body; empty lists the newest e-mails.
        sender: only mail from this person (name, handle, e-mail or id).
        to: only mail to or copied to this person.
        after: only mail sent at or after this time (ISO 8601).
        before: only mail sent at or before this time (ISO 8601).
        page: which page of results (10 per page).
    """
    where = Where()
    if sender:
        where.add("{t}.sender = ?", ctx.person(sender, what="sender").id)
    if to:
        person = ctx.person(to, what="recipient").id
        where.add(
            '(EXISTS (SELECT 1 FROM json_each({t}."to") WHERE value = ?) '
            "OR EXISTS (SELECT 1 FROM json_each({t}.cc) WHERE value = ?))",
            person,
            person,
        )
    where.between("date", after, before)
    lines: list[str] = []
    if query.strip():
        hits = full_text(ctx, "email", query, where.sql(), where.params, page=page, size=SEARCH_PAGE)
        if hits.note:
            lines.append(hits.note)
        rows, more = ctx.state.by_keys("email", hits.keys), hits.more
        words: list[str] | None = terms(query)
    else:
        if page < 1:
            raise ToolError("page starts at 1")
        rows = ctx.state.query(
            f"SELECT * FROM email AS e WHERE {where.sql('e')} ORDER BY date DESC, id LIMIT ? OFFSET ?",
            [*where.params, SEARCH_PAGE + 1, (page - 1) * SEARCH_PAGE],
        )
        more, rows, words = len(rows) > SEARCH_PAGE, rows[:SEARCH_PAGE], None
    lines += [email_line(ctx, r, words) for r in rows]
    lines.append(more_footer(page, len(rows), more, "e-mails"))
    return "\n".join(lines)


@tool("mail")
def read_email_thread(ctx: ToolContext, email_id: str, page: int = 1) -> str:
    """Read the e-mail thread a message belongs to, oldest first, with full headers and bodies.

    Args:
        email_id: the Message-ID of any e-mail in the thread.
        page: which page of the thread (5 e-mails per page).
    """
    e = find_email(ctx, email_id)
    root = e["thread_id"] or e["id"]
    rows = ctx.state.query(
        "SELECT * FROM email WHERE thread_id = ? OR id = ? ORDER BY date, id", (root, root)
    )
    p = page_of(page, THREAD_PAGE, len(rows))
    lines = [f"thread {root}: {clip(rows[0]['subject'], 120)} ({p.footer('e-mails')})"]
    for r in rows[p.offset : p.offset + THREAD_PAGE]:
        lines.append("---")
        lines.append(f"From: {_address(ctx, r['sender'])}")
        lines.append(f"To: {_people(ctx, r['to'])}")
        if r["cc"] and r["cc"] != "[]":
            lines.append(f"Cc: {_people(ctx, r['cc'])}")
        lines.append(f"Date: {show_time(r['date'])}")
        lines.append(f"Subject: {r['subject']}")
        lines.append(f"Message-ID: {r['id']}")
        if r["attachments"] and r["attachments"] != "[]":
            lines.append("Attachments: " + ", ".join(json_list(r["attachments"])))
        lines.append("")
        lines.append(cut(r["body"].rstrip(), 1500))
    return "\n".join(lines)


def _quote(body: str) -> str:
    return "\n".join(
        ">" + (" " + line if line and not line.startswith(">") else line)
        for line in body.rstrip().splitlines()
    )


@tool("mail", writes=True)
def send_email(
    ctx: ToolContext,
    body: str,
    to: list[str] | None = None,
    subject: str = "",
    cc: list[str] | None = None,
    reply_to: str = "",
    forward: str = "",
) -> str:
    """Send an e-mail as yourself: a new one, a reply (quoting the original) or a forward.

    Args:
        body: what you write (the quoted or forwarded original is added below it).
        to: recipients (names, handles, e-mail addresses or ids); a reply defaults to the original sender.
        subject: the subject; a reply or forward defaults to "Re: " or "Fwd: " and the original's.
        cc: people to copy.
        reply_to: the Message-ID of the e-mail you answer.
        forward: the Message-ID of the e-mail you forward.
    """
    me = ctx.me()
    if reply_to and forward:
        raise ToolError("give reply_to or forward, not both")
    if not body.strip():
        raise ToolError("the body is empty")
    recipients = [ctx.person(t, what="recipient").id for t in to or []]
    copied = [ctx.person(c, what="cc").id for c in cc or []]
    row: dict[str, object] = {}
    text = body.rstrip() + "\n"
    if reply_to:
        orig = find_email(ctx, reply_to)
        recipients = recipients or [orig["sender"]]
        subj = orig["subject"]
        subject = subject or (subj if subj.lower().startswith("re:") else f"Re: {subj}")
        when = (
            parse_iso(orig["date"]).strftime("%a, %d %b %Y at %H:%M") if orig["date"] else "an earlier date"
        )
        text += f"\nOn {when}, {_address(ctx, orig['sender'])} wrote:\n{_quote(orig['body'])}\n"
        row = {
            "in_reply_to": orig["id"],
            "references": to_json_list([*json_list(orig["references"]), orig["id"]]),
            "thread_id": orig["thread_id"] or orig["id"],
            "mailbox": orig["mailbox"],
        }
    elif forward:
        orig = find_email(ctx, forward)
        subject = subject or f"Fwd: {orig['subject']}"
        text += (
            "\n---------- Forwarded message ---------\n"
            f"From: {_address(ctx, orig['sender'])}\nDate: {show_time(orig['date'])}\n"
            f"Subject: {orig['subject']}\nTo: {_people(ctx, orig['to'])}\n\n{orig['body'].rstrip()}\n"
        )
        row = {"attachments": orig["attachments"]}
    if not recipients:
        raise ToolError("no recipients: give to")
    if not subject.strip():
        raise ToolError("the subject is empty")
    info = ctx.facts.people.get(me)
    domain = info.emails[0].rsplit("@", 1)[-1] if info and info.emails else "workgym.invalid"
    email_id = f"{ctx.new_id('email')}@{domain}"
    ctx.state.insert(
        "email",
        {
            "id": email_id,
            "subject": subject.strip(),
            "body": text,
            "locator": "world",
            "sender": me,
            "to": to_json_list(recipients),
            "cc": to_json_list(copied),
            "date": ctx.now,
            "thread_id": email_id,
            "mailbox": "sent",
            **row,
        },
    )
    names = ", ".join(ctx.name(p) for p in recipients)
    return f"sent {email_id} to {names}: {clip(subject, 100)}"
