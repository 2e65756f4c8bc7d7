"""Directory: look people up by any name, handle, address or id."""

from __future__ import annotations

from workgym.world.context import ToolContext
from workgym.world.facts import PersonInfo
from workgym.world.schema import tool
from workgym.world.text import clip, page_of

PAGE = 10


def person_line(info: PersonInfo) -> str:
    """One line about a person: name, id, title, first address and handle."""
    parts = [f"{info.name} ({info.id})"]
    if info.title:
        parts.append(info.title)
    if info.emails:
        parts.append(info.emails[0])
    if info.handles:
        parts.append("@" + info.handles[0])
    if info.is_bot:
        parts.append("bot")
    if info.deleted:
        parts.append("deactivated")
    return " · ".join(parts)


@tool("directory")
def find_person(ctx: ToolContext, query: str, page: int = 1) -> str:
    """Find people by a fragment of any of their names, chat handles, e-mail addresses or ids.

    Args:
        query: part of a name, handle, e-mail address or person id (case does not matter).
        page: which page of matches to show (10 per page).
    """
    found = ctx.facts.find_people(query)
    if not found:
        return f"no one matches {clip(query, 60)!r}"
    p = page_of(page, PAGE, len(found))
    lines = [person_line(info) for info in found[p.offset : p.offset + PAGE]]
    return "\n".join([*lines, p.footer("people")])


@tool("directory")
def get_person(ctx: ToolContext, person: str) -> str:
    """Show a person's profile: names, title, time zone, addresses, handles and the channels they are in.

    Args:
        person: the person's id, e-mail address, handle or name.
    """
    info = ctx.person(person)
    lines = [f"{info.name} ({info.id})"]
    if info.title:
        lines.append(f"title: {info.title}")
    if info.timezone:
        lines.append(f"time zone: {info.timezone}")
    if info.emails:
        lines.append("e-mail: " + ", ".join(info.emails))
    if info.handles:
        lines.append("handles: " + ", ".join("@" + h for h in info.handles))
    others = [n for n in info.names if n != info.name]
    if others:
        lines.append("also known as: " + ", ".join(others))
    if info.is_bot:
        lines.append("a bot account")
    if info.deleted:
        lines.append("deactivated")
    rows = ctx.state.query("SELECT id, name, members FROM channel ORDER BY name")
    channels = [f"#{r['name']}" for r in rows if f'"{info.id}"' in r["members"]]
    if channels:
        lines.append(
            f"channels ({len(channels)}): " + ", ".join(channels[:30]) + (" …" if len(channels) > 30 else "")
        )
    return "\n".join(lines)
