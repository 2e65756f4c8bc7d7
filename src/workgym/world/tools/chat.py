"""Chat: channels, messages, threads, search, posting and reactions (Slack, IRC)."""

from __future__ import annotations

import sqlite3

from workgym.world.context import ToolContext
from workgym.world.fts import terms
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, json_list, page_of, parse_iso, show_time, snippet, to_json_list
from workgym.world.tools.common import Where, full_text, more_footer

PAGE = 20
SEARCH_PAGE = 10
TEXT_IN_LIST = 400


def find_channel(ctx: ToolContext, channel: str) -> sqlite3.Row:
    """The visible channel named by id, name, ``#name`` or a former name.

    Raises:
        ToolError: no visible channel has that name.
    """
    name = channel.strip().lstrip("#")
    rows = ctx.state.query(
        "SELECT * FROM channel WHERE id = ? OR name = ? COLLATE NOCASE ORDER BY id = ? DESC, id LIMIT 1",
        (name, name, name),
    )
    if rows:
        return rows[0]
    for row in ctx.state.query("SELECT * FROM channel ORDER BY id"):
        if name.lower() in (n.lower() for n in json_list(row["previous_names"])):
            return row
    raise ToolError(f"no channel {clip(channel, 60)!r} you can read; list_channels shows them")


def _reactions(stored: str) -> str:
    return " ".join(f":{r.rsplit(':', 1)[0]}: {r.rsplit(':', 1)[-1]}" for r in json_list(stored))


def message_line(
    ctx: ToolContext, row: sqlite3.Row, *, replies: int = 0, channel: str = "", words: list[str] | None = None
) -> str:
    """A message on one line: time, author, text (around ``words`` if given), then id, replies, reactions."""
    where = f"#{channel} " if channel else ""
    if not row["text"]:
        text = f"({row['subtype'] or 'empty'})"
    elif words is not None:
        text = snippet(row["text"], words, TEXT_IN_LIST)
    else:
        text = clip(row["text"], TEXT_IN_LIST)
    extras = [row["id"]]
    if replies:
        extras.append(f"{replies} repl{'y' if replies == 1 else 'ies'}")
    if row["thread_id"] and row["thread_id"] != row["id"]:
        extras.append(f"in thread {row['thread_id']}")
    if row["reactions"] and row["reactions"] != "[]":
        extras.append(_reactions(row["reactions"]))
    if row["files"] and row["files"] != "[]":
        extras.append("files: " + ", ".join(clip(f, 60) for f in json_list(row["files"])[:3]))
    return f"[{show_time(row['ts'])}] {where}{ctx.name(row['author'])}: {text}  ({'; '.join(extras)})"


def _reply_counts(ctx: ToolContext, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = ctx.state.query(
        f"SELECT thread_id, COUNT(*) FROM message WHERE thread_id IN ({marks}) AND id != thread_id "
        "GROUP BY thread_id",
        ids,
    )
    return {r[0]: r[1] for r in rows}


@tool("chat")
def list_channels(ctx: ToolContext, page: int = 1) -> str:
    """List the chat channels you can read, with their kind, member count and topic.

    Args:
        page: which page to show (20 channels per page).
    """
    rows = ctx.state.query("SELECT * FROM channel ORDER BY name, id")
    p = page_of(page, PAGE, len(rows))
    lines = []
    for r in rows[p.offset : p.offset + PAGE]:
        bits = [f"#{r['name']} ({r['id']})", r["kind"], f"{len(json_list(r['members']))} members"]
        if r["archived"]:
            bits.append("archived")
        if r["topic"] or r["purpose"]:
            bits.append(clip(r["topic"] or r["purpose"], 120))
        lines.append(" · ".join(bits))
    return "\n".join([*lines, p.footer("channels")])


@tool("chat")
def read_channel(ctx: ToolContext, channel: str, after: str = "", before: str = "", page: int = 1) -> str:
    """Read a channel's messages, newest page first, each page in time order; thread replies are counted.

    Args:
        channel: the channel's name (with or without #) or id.
        after: only messages at or after this time (ISO 8601; a bare date is the whole day).
        before: only messages at or before this time (ISO 8601; a bare date is the whole day).
        page: 1 is the latest 20 messages in the range, 2 the 20 before them, and so on.
    """
    row = find_channel(ctx, channel)
    if page < 1:
        raise ToolError("page starts at 1")
    where = Where()
    where.add("channel_id = ?", row["id"])
    where.between("ts", after, before)
    rows = ctx.state.query(
        f"SELECT * FROM message AS m WHERE {where.sql('m')} AND (thread_id = '' OR thread_id = id) "
        "ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?",
        [*where.params, PAGE + 1, (page - 1) * PAGE],
    )
    more = len(rows) > PAGE
    rows = list(reversed(rows[:PAGE]))
    counts = _reply_counts(ctx, [r["id"] for r in rows])
    head = f"#{row['name']} ({row['id']})" + (f" — {clip(row['topic'], 100)}" if row["topic"] else "")
    lines = [message_line(ctx, r, replies=counts.get(r["id"], 0)) for r in rows]
    footer = more_footer(page, len(rows), more, "messages").replace("more: page", "older: page")
    return "\n".join([head, *lines, footer])


@tool("chat")
def read_thread(ctx: ToolContext, message_id: str, page: int = 1) -> str:
    """Read a message's thread: the root message and its replies in time order.

    Args:
        message_id: the id of the thread's root message or of any reply in it.
        page: which page of replies (30 per page).
    """
    found = ctx.state.by_keys("message", [message_id])
    if not found:
        raise ToolError(f"no message {clip(message_id, 80)!r} you can read")
    root_id = found[0]["thread_id"] or found[0]["id"]
    rows = ctx.state.query(
        "SELECT * FROM message WHERE thread_id = ? OR id = ? ORDER BY ts, id", (root_id, root_id)
    )
    p = page_of(page, 30, len(rows))
    channel = ctx.facts.channels.get(rows[0]["channel_id"])
    head = f"thread {root_id} in #{channel.name if channel else rows[0]['channel_id']}"
    lines = [message_line(ctx, r) for r in rows[p.offset : p.offset + 30]]
    return "\n".join([head, *lines, p.footer("messages")])


@tool("chat")
def search_messages(
    ctx: ToolContext,
    query: str,
    channel: str = "",
    author: str = "",
    after: str = "",
    before: str = "",
    page: int = 1,
) -> str:
    """Search chat messages by words, best matches first, optionally in one channel, by one author, in a time range.

    Args:
        query: words to look for (every word must appear; word endings are ignored).
        channel: only this channel (name or id).
        author: only messages by this person (name, handle, e-mail or id).
        after: only messages at or after this time (ISO 8601).
        before: only messages at or before this time (ISO 8601).
        page: which page of results (10 per page).
    """
    where = Where()
    if channel:
        where.add("{t}.channel_id = ?", find_channel(ctx, channel)["id"])
    if author:
        where.add("{t}.author = ?", ctx.person(author, what="author").id)
    where.between("ts", after, before)
    hits = full_text(ctx, "message", query, where.sql(), where.params, page=page, size=SEARCH_PAGE)
    words = terms(query)
    lines = [hits.note] if hits.note else []
    for r in ctx.state.by_keys("message", hits.keys):
        chan = ctx.facts.channels.get(r["channel_id"])
        lines.append(message_line(ctx, r, channel=chan.name if chan else r["channel_id"], words=words))
    lines.append(more_footer(page, len(hits.keys), hits.more, "messages"))
    return "\n".join(lines)


@tool("chat", writes=True)
def post_message(ctx: ToolContext, channel: str, text: str, thread_id: str = "") -> str:
    """Post a message in a channel as yourself, or reply in a thread.

    Args:
        channel: the channel's name (with or without #) or id.
        text: the message, as you would type it (Slack markup is fine).
        thread_id: to reply in a thread, the id of its root message (or of any reply in it).
    """
    row = find_channel(ctx, channel)
    me = ctx.me()
    if row["archived"]:
        raise ToolError(f"#{row['name']} is archived; nobody can post in it")
    if not text.strip():
        raise ToolError("the message is empty")
    root = ""
    if thread_id:
        found = ctx.state.by_keys("message", [thread_id])
        if not found or found[0]["channel_id"] != row["id"]:
            raise ToolError(f"no message {clip(thread_id, 80)!r} in #{row['name']}")
        root = found[0]["thread_id"] or found[0]["id"]
    ctx.new_id("message")
    seconds = parse_iso(ctx.now).timestamp()
    message_id = f"{row['id']}:{int(seconds)}.{ctx.sequence:06d}"
    ctx.state.insert(
        "message",
        {
            "id": message_id,
            "channel_id": row["id"],
            "ts": ctx.now,
            "text": text,
            "locator": "world",
            "author": me,
            "thread_id": root,
        },
    )
    where = f" in thread {root}" if root else ""
    return f"posted {message_id} in #{row['name']}{where} at {show_time(ctx.now)}"


@tool("chat", writes=True)
def add_reaction(ctx: ToolContext, message_id: str, emoji: str) -> str:
    """React to a message with an emoji.

    Args:
        message_id: the message's id.
        emoji: the emoji's name, e.g. "+1" or ":eyes:".
    """
    ctx.me()
    name = emoji.strip().strip(":")
    if not name or len(name) > 64 or any(c.isspace() or c == ":" for c in name):
        raise ToolError(f"{clip(emoji, 40)!r} is not an emoji name (like +1, eyes, white_check_mark)")
    found = ctx.state.by_keys("message", [message_id])
    if not found:
        raise ToolError(f"no message {clip(message_id, 80)!r} you can read")
    reactions = json_list(found[0]["reactions"])
    counts = {r.rsplit(":", 1)[0]: int(r.rsplit(":", 1)[1]) if ":" in r else 1 for r in reactions}
    counts[name] = counts.get(name, 0) + 1
    ctx.state.update(
        "message", message_id, {"reactions": to_json_list([f"{k}:{v}" for k, v in counts.items()])}
    )
    return f"reacted :{name}: to {message_id} (now {counts[name]})"
