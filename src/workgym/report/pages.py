"""The viewer's HTML: one layout, links to records, text with its references made links, pagers.

Pages are rendered on the server from plain functions; the only script is none. Every record
kind has one URL (:func:`url`), and :func:`linked` turns the spans the ``ref`` table records in
a text into links to their targets, so a chain chat -> ticket -> doc is followed by clicking.
Every value put in a page goes through :func:`e` (or :func:`q`, in a URL); every form carries the
viewer's form token (see :mod:`workgym.report.viewer_guard`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from workgym.report.html import CSS
from workgym.report.run_fields import clean, text

EXTRA_CSS = """
nav{display:flex;gap:.9rem;flex-wrap:wrap;border-bottom:1px solid #ddd;padding-bottom:.5rem;margin-bottom:1rem}
nav form{margin-left:auto} .msg{border-bottom:1px solid #eee;padding:.35rem 0} .who{font-weight:600}
.when{color:#666;font-size:12px;margin-left:.4rem} .flash{background:#ecfdf5;border:1px solid #6ee7b7;padding:.5rem;white-space:pre-wrap}
.flash.err{background:#fef2f2;border-color:#fca5a5} form.op{background:#f8fafc;border:1px solid #e2e8f0;padding:.6rem;margin:.8rem 0}
form.op input,form.op select,form.op textarea{margin:.15rem .3rem .15rem 0} textarea{width:100%;min-height:4rem}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem} .body{white-space:pre-wrap}
"""

STYLE = CSS + EXTRA_CSS
"""The one style block of every viewer page (its hash is the only style source the CSP allows)."""

FORM_TOKEN = "form_token"
"""The name of the hidden field that carries the viewer's form token in every form."""

KIND_URL = {
    "ticket": "/ticket/{}",
    "message": "/message/{}",
    "channel": "/chat/{}",
    "person": "/person/{}",
    "document": "/doc/{}",
    "email": "/mail/{}",
    "commit": "/commit/{}",
    "calendar_event": "/event/{}",
    "ticket_comment": "/comment/{}",
}


def e(value: Any) -> str:
    """HTML-escaped text (a lone surrogate, which cannot be sent, as U+FFFD)."""
    return html.escape("" if value is None else clean(str(value)), quote=True)


def q(value: Any, safe: str = "") -> str:
    """``value`` percent-encoded for a URL path segment or query value."""
    return quote(text(value), safe=safe)


def url(kind: str, record_id: str) -> str:
    """The viewer's URL of a record."""
    return KIND_URL.get(kind, "/search?q={}").format(q(record_id, safe="/:@"))


def a(kind: str, record_id: str, text: str | None = None) -> str:
    """A link to a record."""
    return f'<a href="{url(kind, record_id)}">{e(text if text is not None else record_id)}</a>'


_KEY = re.compile(r"\b[A-Z][A-Z0-9_]+-[0-9]+\b")


def linked(
    text: str, spans: Iterable[tuple[int, int, str, str]], known_tickets: frozenset[str] | None = None
) -> str:
    """``text`` escaped, each ``(start, end, kind, id)`` span a link to its record.

    Text with no recorded spans (written in this session) gets its ticket keys linked when
    ``known_tickets`` holds them.
    """
    out: list[str] = []
    at = 0
    ordered = sorted((s for s in spans if 0 <= s[0] < s[1] <= len(text)), key=lambda s: (s[0], -s[1]))
    if not ordered and known_tickets:
        ordered = [(m.start(), m.end(), "ticket", m[0]) for m in _KEY.finditer(text) if m[0] in known_tickets]
    for start, end, kind, target in ordered:
        if start < at:
            continue
        out.append(e(text[at:start]))
        out.append(f'<a href="{url(kind, target)}">{e(text[start:end])}</a>')
        at = end
    out.append(e(text[at:]))
    return "".join(out)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; cells are HTML already."""
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def pager(path: str, page: int, more: bool, params: Mapping[str, Any] | None = None) -> str:
    """Previous / next links for a paged list."""
    keep = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    links = []
    if page > 1:
        links.append(f'<a href="{path}?{urlencode({**keep, "page": page - 1})}">← previous</a>')
    links.append(f"page {page}")
    if more:
        links.append(f'<a href="{path}?{urlencode({**keep, "page": page + 1})}" rel="next">next →</a>')
    return f"<p class=muted>{' · '.join(links)}</p>"


def layout(
    title: str,
    body: str,
    *,
    banner: str = "",
    flash: tuple[str, bool] | None = None,
    workspace_only: bool = False,
) -> str:
    """A whole page: navigation, an optional flash message (text, is error), the body.

    ``workspace_only`` leaves the tasks and runs out of the navigation (the pages a browser agent sees).
    """
    links = [
        ("/", "workspace"),
        ("/chat", "chat"),
        ("/tickets", "tickets"),
        ("/docs", "docs"),
        ("/mail", "mail"),
        ("/calendar", "calendar"),
        ("/people", "people"),
        ("/commits", "code"),
    ]
    if not workspace_only:
        links += [("/tasks", "tasks"), ("/runs", "runs")]
    nav = " ".join(f'<a href="{href}" id="nav-{label}">{label}</a>' for href, label in links)
    search = (
        '<form action="/search" id="search" role="search"><input name="q" id="search-q" '
        'placeholder="search everything" aria-label="search"> <button id="search-submit">search</button></form>'
    )
    shown = ""
    if flash:
        text, error = flash
        shown = f'<div class="flash{" err" if error else ""}" role="status">{e(text)}</div>'
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{e(title)} · workgym</title>"
        f"<style>{STYLE}</style><nav>{nav}{search}</nav>{banner}{shown}<h1>{e(title)}</h1>{body}</html>"
    )


def form(
    action: str,
    fields: Sequence[str],
    button: str,
    hidden: Mapping[str, str] | None = None,
    *,
    token: str,
    form_id: str = "",
) -> str:
    """An operable-mode form that posts to the episode, carrying the viewer's form ``token``.

    ``form_id`` (default: ``op-`` and the tool the action names) is the form's id; its button is
    ``<form_id>-submit``, so a browser agent or a script finds both by stable ids.
    """
    keep = "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">'
        for k, v in {**(hidden or {}), FORM_TOKEN: token}.items()
    )
    fid = form_id or "op-" + action.rstrip("/").rsplit("/", 1)[-1]
    return (
        f'<form class="op" method="post" action="{e(action)}" id="{e(fid)}" aria-label="{e(button)}">'
        f'{keep}{"".join(fields)}<button id="{e(fid)}-submit">{e(button)}</button></form>'
    )


def field(
    name: str,
    label: str,
    *,
    kind: str = "text",
    value: str = "",
    options: Sequence[str] = (),
    form_id: str = "",
) -> str:
    """One labelled form field: text, textarea, checkbox, or a select of ``options``.

    Its id is ``<form_id>-<name>`` (``f-<name>`` without a form id), the label's ``for``.
    """
    fid = f"{form_id}-{name}" if form_id else f"f-{name}"
    if kind == "textarea":
        control = f'<textarea name="{e(name)}" id="{e(fid)}">{e(value)}</textarea>'
    elif options:
        opts = "".join(
            f'<option value="{e(o)}"{" selected" if o == value else ""}>{e(o) or "(unchanged)"}</option>'
            for o in options
        )
        control = f'<select name="{e(name)}" id="{e(fid)}">{opts}</select>'
    elif kind == "checkbox":
        control = f'<input type="checkbox" name="{e(name)}" id="{e(fid)}" value="true">'
    else:
        control = f'<input type="{e(kind)}" name="{e(name)}" id="{e(fid)}" value="{e(value)}">'
    return f'<label for="{e(fid)}">{e(label)}</label> {control} '


__all__ = [
    "FORM_TOKEN",
    "KIND_URL",
    "STYLE",
    "a",
    "e",
    "field",
    "form",
    "layout",
    "linked",
    "pager",
    "q",
    "table",
    "url",
]
