"""Code: search commits by words, author, repository, path and time; read one commit."""

from __future__ import annotations

import re
import sqlite3

from workgym.world.context import ToolContext
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, cut, json_list, like, show_time
from workgym.world.tools.common import Where, full_text, more_footer

SEARCH_PAGE = 15
FILES_SHOWN = 40


def commit_line(ctx: ToolContext, row: sqlite3.Row) -> str:
    """A commit on one line: short sha, date, author, first line of the message, repository."""
    first = row["message"].strip().splitlines()[0] if row["message"].strip() else "(no message)"
    repo = f" [{row['repo']}]" if row["repo"] else ""
    when = row["committed"] or row["authored"]
    return f"{row['id'][:10]} {show_time(when)} {ctx.name(row['author'])}: {clip(first, 120)}{repo}"


@tool("code")
def search_commits(
    ctx: ToolContext,
    query: str = "",
    repo: str = "",
    author: str = "",
    path: str = "",
    after: str = "",
    before: str = "",
    page: int = 1,
) -> str:
    """Search commits by words in their message (best first), or list the newest, filtered by repository, author, file path and time.

    Args:
        query: words to look for in commit messages; empty lists the newest commits.
        repo: only this repository (its name, as commits show it).
        author: only commits by this person (name, handle, e-mail or id).
        path: only commits touching a file whose path contains this text.
        after: only commits at or after this time (ISO 8601).
        before: only commits at or before this time (ISO 8601).
        page: which page of results (15 per page).
    """
    where = Where()
    if repo:
        where.add("{t}.repo = ? COLLATE NOCASE", repo.strip())
    if author:
        where.add("{t}.author = ?", ctx.person(author, what="author").id)
    if path:
        where.add("{t}.files LIKE ? ESCAPE '\\'", like(path.strip()))
    where.between("committed", after, before)
    lines: list[str] = []
    if query.strip():
        hits = full_text(ctx, "commit", query, where.sql(), where.params, page=page, size=SEARCH_PAGE)
        if hits.note:
            lines.append(hits.note)
        rows, more = ctx.state.by_keys("commit", hits.keys), hits.more
    else:
        if page < 1:
            raise ToolError("page starts at 1")
        rows = ctx.state.query(
            f'SELECT * FROM "commit" AS c WHERE {where.sql("c")} ORDER BY committed DESC, id LIMIT ? OFFSET ?',
            [*where.params, SEARCH_PAGE + 1, (page - 1) * SEARCH_PAGE],
        )
        more, rows = len(rows) > SEARCH_PAGE, rows[:SEARCH_PAGE]
    lines += [commit_line(ctx, r) for r in rows]
    lines.append(more_footer(page, len(rows), more, "commits"))
    return "\n".join(lines)


@tool("code")
def get_commit(ctx: ToolContext, sha: str) -> str:
    """Show a commit: its full message, author, committer, dates, parents, changed files and the tickets it mentions.

    Args:
        sha: the commit's sha or a unique prefix of it (at least 7 hex digits).
    """
    prefix = sha.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{7,40}", prefix):
        raise ToolError(f"{clip(sha, 50)!r} is not a commit sha (7 to 40 hex digits)")
    rows = ctx.state.query(
        'SELECT * FROM "commit" WHERE id >= ? AND id <= ? ORDER BY id LIMIT 2', (prefix, prefix + "g")
    )
    if not rows:
        raise ToolError(f"no commit {prefix}; search_commits finds commits")
    if len(rows) > 1:
        raise ToolError(
            f"{prefix} is ambiguous ({rows[0]['id'][:12]}, {rows[1]['id'][:12]}, …); give more digits"
        )
    c = rows[0]
    lines = [f"commit {c['id']}" + (f" [{c['repo']}]" if c["repo"] else "")]
    lines.append(f"author {ctx.name(c['author'])} · {show_time(c['authored'])}")
    if c["committer"] and (c["committer"] != c["author"] or c["committed"] != c["authored"]):
        lines.append(f"committer {ctx.name(c['committer'])} · {show_time(c['committed'])}")
    parents = json_list(c["parents"])
    if parents:
        lines.append("parents: " + ", ".join(p[:10] for p in parents))
    lines += ["", cut(c["message"].rstrip(), 3000), ""]
    files = json_list(c["files"])
    if files:
        lines.append(f"files ({len(files)}):")
        lines += ["  " + f.replace("\t", " ") for f in files[:FILES_SHOWN]]
        if len(files) > FILES_SHOWN:
            lines.append(f"  … {len(files) - FILES_SHOWN} more")
    refs = ctx.state.query(
        "SELECT dst_id FROM main.ref WHERE src_kind = 'commit' AND src_id = ? AND dst_kind = 'ticket' "
        "ORDER BY start",
        (c["id"],),
    )
    mentioned = ctx.state.by_keys("ticket", list(dict.fromkeys(r[0] for r in refs)))
    if mentioned:
        lines.append("mentions: " + "; ".join(f"{r['id']} ({clip(r['summary'], 60)})" for r in mentioned))
    return "\n".join(lines)
