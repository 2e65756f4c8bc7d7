"""Docs: search, read (paged), create and edit documents; comment on them."""

from __future__ import annotations

import re
import sqlite3

from workgym.world.context import ToolContext
from workgym.world.fts import terms
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip, page_of, show_time, snippet
from workgym.world.tools.common import full_text, more_footer

PAGE_CHARS = 3000
SEARCH_PAGE = 10
EDITABLE = ("markdown", "text")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def find_doc(ctx: ToolContext, doc: str) -> sqlite3.Row:
    """The visible document named by its id (path), the end of its path, or its title.

    Raises:
        ToolError: none matches, or several do (the message lists them).
    """
    name = doc.strip()
    rows = ctx.state.query("SELECT * FROM document WHERE id = ?", (name,))
    if rows:
        return rows[0]
    rows = ctx.state.query(
        "SELECT * FROM document WHERE title = ? COLLATE NOCASE OR id LIKE '%/' || ? ORDER BY id", (name, name)
    )
    if len(rows) == 1:
        return rows[0]
    if rows:
        raise ToolError(f"{clip(doc, 60)!r} names several documents: " + ", ".join(r["id"] for r in rows[:8]))
    raise ToolError(f"no document {clip(doc, 60)!r}; search_docs finds documents")


def _pages(text: str) -> list[str]:
    """Split text into pages of about PAGE_CHARS characters, at line ends where possible."""
    pages: list[str] = []
    rest = text
    while len(rest) > PAGE_CHARS:
        split = rest.rfind("\n", PAGE_CHARS // 2, PAGE_CHARS)
        split = split + 1 if split > 0 else PAGE_CHARS
        pages.append(rest[:split])
        rest = rest[split:]
    pages.append(rest)
    return pages


@tool("docs")
def search_docs(ctx: ToolContext, query: str, page: int = 1) -> str:
    """Search documents (design docs, runbooks, notes) by words in their title and text, best first.

    Args:
        query: words to look for (every word must appear; word endings are ignored).
        page: which page of results (10 per page).
    """
    hits = full_text(ctx, "document", query, page=page, size=SEARCH_PAGE)
    words = terms(query)
    lines = [hits.note] if hits.note else []
    for r in ctx.state.by_keys("document", hits.keys):
        lines.append(f"{r['id']} · {clip(r['title'], 80)} · {snippet(r['text'], words, 200)}")
    lines.append(more_footer(page, len(hits.keys), hits.more, "documents"))
    return "\n".join(lines)


@tool("docs")
def read_doc(ctx: ToolContext, doc: str, page: int = 1) -> str:
    """Read a document, about 3,000 characters per page; the first page lists its sections, the last its comments.

    Args:
        doc: the document's id (its path, e.g. folder/name.md), the end of its path, or its title.
        page: which page to read.
    """
    d = find_doc(ctx, doc)
    pages = _pages(d["text"])
    p = page_of(page, 1, len(pages))
    lines: list[str] = []
    if page == 1:
        meta = [d["id"], d["format"]]
        if d["author"]:
            meta.append(f"by {ctx.name(d['author'])}")
        if d["updated"] or d["created"]:
            meta.append(f"updated {show_time(d['updated'] or d['created'])}")
        lines.append(f"{d['title']} ({' · '.join(meta)})")
        headings = [m.group(2) for m in _HEADING.finditer(d["text"])]
        if len(pages) > 1 and headings:
            lines.append("sections: " + " | ".join(clip(h, 60) for h in headings[:30]))
        lines.append("")
    lines.append(pages[page - 1].rstrip())
    if len(pages) > 1:
        lines.append(
            f"[page {page} of {len(pages)}" + (f"; next: page={page + 1}]" if page < len(pages) else "]")
        )
    if page == p.count:
        comments = ctx.state.query(
            "SELECT * FROM doc_comment WHERE document_id = ? ORDER BY created, id", (d["id"],)
        )
        if comments:
            lines.append(f"comments ({len(comments)}):")
            for c in comments:
                anchor = f" on {clip(c['anchor'], 60)!r}" if c["anchor"] else ""
                lines.append(
                    f"  [{show_time(c['created'])}] {ctx.name(c['author'])}{anchor}: {clip(c['body'], 400)}"
                )
    return "\n".join(lines)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "untitled"


@tool("docs", writes=True)
def create_doc(ctx: ToolContext, title: str, body: str, folder: str = "") -> str:
    """Create a Markdown document written by you.

    Args:
        title: the document's title.
        body: its text, in Markdown.
        folder: the folder to put it in, e.g. design (its id becomes design/<title-slug>.md).
    """
    me = ctx.me()
    if not title.strip():
        raise ToolError("the title is empty")
    folder = "/".join(part for part in folder.strip().split("/") if part and part not in (".", ".."))
    stem = f"{folder}/{_slug(title)}" if folder else _slug(title)
    doc_id, n = f"{stem}.md", 1
    while ctx.state.query(
        "SELECT 1 FROM main.document WHERE id = ? UNION ALL SELECT 1 FROM document WHERE id = ?",
        (doc_id, doc_id),
    ):
        n += 1
        doc_id = f"{stem}-{n}.md"
    ctx.new_id("document")
    ctx.state.insert(
        "document",
        {
            "id": doc_id,
            "title": title.strip(),
            "body": body,
            "text": body,
            "format": "markdown",
            "locator": "world",
            "author": me,
            "created": ctx.now,
            "updated": ctx.now,
        },
    )
    return f"created {doc_id} ({len(body):,} characters)"


def _section_span(text: str, section: str) -> tuple[int, int]:
    """Where a section's content lies: after its heading line, up to the next heading of its level or higher.

    Raises:
        ToolError: no heading has that text (the message lists the headings).
    """
    wanted = section.strip().lstrip("#").strip().lower()
    headings = list(_HEADING.finditer(text))
    for i, m in enumerate(headings):
        if m.group(2).strip().lower() == wanted:
            level = len(m.group(1))
            start = m.end() + 1 if m.end() < len(text) else m.end()
            end = len(text)
            for later in headings[i + 1 :]:
                if len(later.group(1)) <= level:
                    end = later.start()
                    break
            return min(start, len(text)), end
    names = ", ".join(repr(m.group(2)) for m in headings[:20]) or "none"
    raise ToolError(f"no section {clip(section, 60)!r}; the headings are: {names}")


@tool("docs", writes=True)
def edit_doc(ctx: ToolContext, doc: str, text: str, section: str = "", replace: bool = False) -> str:
    """Edit a Markdown or plain-text document: append text to it or to one section, or replace a section's content.

    Args:
        doc: the document's id, the end of its path, or its title.
        text: the text to add, or the section's new content.
        section: the heading of the section to edit (without the #s); empty means the whole document.
        replace: true to replace the section's content (its heading stays); false to append.
    """
    ctx.me()
    d = find_doc(ctx, doc)
    if d["format"] not in EDITABLE:
        raise ToolError(f"{d['id']} is a {d['format']} document; only Markdown and plain text can be edited")
    body: str = d["body"]
    if section:
        start, end = _section_span(body, section)
    elif replace:
        raise ToolError("replace needs a section; to add to the whole document, leave replace false")
    else:
        start, end = 0, len(body)
    content = text if text.endswith("\n") else text + "\n"
    if replace:
        new_body = body[:start] + content + ("\n" if end < len(body) else "") + body[end:]
    else:
        before = body[:end].rstrip("\n")
        sep = "\n\n" if before else ""
        new_body = before + sep + content + ("\n" + body[end:] if end < len(body) else "")
    ctx.state.update("document", d["id"], {"body": new_body, "text": new_body, "updated": ctx.now})
    where = f"section {section!r} of " if section else ""
    return f"{'replaced' if replace else 'appended to'} {where}{d['id']} (now {len(new_body):,} characters)"


@tool("docs", writes=True)
def comment_doc(ctx: ToolContext, doc: str, text: str, anchor: str = "") -> str:
    """Comment on a document as yourself.

    Args:
        doc: the document's id, the end of its path, or its title.
        text: the comment.
        anchor: the passage or section the comment is about, if any.
    """
    me = ctx.me()
    d = find_doc(ctx, doc)
    if not text.strip():
        raise ToolError("the comment is empty")
    comment_id = ctx.new_id("doc_comment")
    ctx.state.insert(
        "doc_comment",
        {
            "id": comment_id,
            "document_id": d["id"],
            "body": text,
            "author": me,
            "created": ctx.now,
            "anchor": anchor,
        },
    )
    return f"commented on {d['id']} (comment {comment_id})"
