"""Scripted browser agents: the GUI oracle (a task's gold actions done through the pages) and a noop.

:func:`gui_plan` turns each gold call into what a person does in the pages: a read is opening the
record's page (or searching), a write is filling the tool's form and pressing its button, asking
the user is the ``/ask`` form, the answer is ``send_msg_to_user``. :class:`GuiOracle` plays the
plan with BrowserGym's high-level action strings, finding each element's ``bid`` by the stable
ids the pages give their forms and fields (``op-<tool>-<field>``, ``op-<tool>-submit``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus, urlencode, urlparse

from workgym.report.pages import url
from workgym.tasks import Task

_QUOTED = re.compile(r'"([^"]+)"')


@dataclass(frozen=True, slots=True)
class GuiAction:
    """One step of a plan: ``goto`` a path, ``fill``/``select`` an element (by id), ``click`` one, or ``send`` a message."""

    op: str
    target: str = ""
    value: str = ""


def _page(path: str) -> GuiAction:
    return GuiAction("goto", path)


def _form(
    page: str, form_id: str, values: Mapping[str, Any], selects: frozenset[str] = frozenset()
) -> list[GuiAction]:
    steps = [_page(page)]
    for name, value in values.items():
        if value in (None, "", []):
            continue
        if isinstance(value, bool):  # a checkbox, unticked by default
            if value:
                steps.append(GuiAction("click", f"{form_id}-{name}"))
            continue
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        steps.append(GuiAction("select" if name in selects else "fill", f"{form_id}-{name}", text))
    steps.append(GuiAction("click", f"{form_id}-submit"))
    return steps


def _read(name: str, args: Mapping[str, Any]) -> list[GuiAction]:
    pages = {
        "get_ticket": ("ticket", "key"),
        "get_commit": ("commit", "sha"),
        "read_thread": ("message", "message_id"),
        "read_email_thread": ("email", "email_id"),
        "read_doc": ("document", "doc"),
        "read_channel": ("channel", "channel"),
    }
    if name in pages:
        kind, arg = pages[name]
        return [_page(url(kind, str(args.get(arg, "")).lstrip("#")))]
    if name == "search_tickets":
        return [_page("/tickets?" + urlencode({"jql": str(args.get("jql", ""))}))]
    words = str(args.get("query", ""))
    if name.startswith("search_") and words:
        words = " ".join(_QUOTED.findall(words)) or words
        return [_page("/search?" + urlencode({"q": words}))]
    listing = {"list_channels": "/chat", "list_events": "/calendar", "find_person": "/people"}
    return [_page(listing[name])] if name in listing else []


def _write(name: str, args: Mapping[str, Any]) -> list[GuiAction]:
    a = dict(args)
    if name == "update_ticket":
        key = a.pop("key")
        return _form(
            url("ticket", key), "op-update_ticket", a, frozenset({"status", "priority", "resolution"})
        )
    if name == "comment_ticket":
        return _form(url("ticket", a["key"]), "op-comment_ticket", {"body": a["body"]})
    if name == "link_tickets":
        key = a.pop("key")
        return _form(url("ticket", key), "op-link_tickets", a)
    if name == "create_ticket":
        return _form("/tickets", "op-create_ticket", a, frozenset({"project", "priority"}))
    if name == "post_message":
        where = (
            url("message", a["thread_id"])
            if a.get("thread_id")
            else url("channel", str(a["channel"]).lstrip("#"))
        )
        return _form(where, "op-post_message", {"text": a["text"]})
    if name == "add_reaction":
        return _form(url("message", a["message_id"]), "op-add_reaction", {"emoji": a["emoji"]})
    if name == "send_email":
        if a.get("reply_to"):
            return _form(url("email", a["reply_to"]), "op-reply", {"body": a["body"]})
        if a.get("forward"):
            return _form(url("email", a["forward"]), "op-forward", {"to": a.get("to"), "body": a["body"]})
        return _form("/mail", "op-send_email", {k: a.get(k) for k in ("to", "cc", "subject", "body")})
    if name == "create_event":
        return _form("/calendar", "op-create_event", a)
    if name == "create_doc":
        return _form("/docs", "op-create_doc", a)
    if name in ("edit_doc", "comment_doc"):
        doc = a.pop("doc")
        return _form(url("document", doc), f"op-{name}", a)
    if name == "ask_user":
        return _form("/ask", "op-ask_user", {"question": a["question"]})
    raise ValueError(f"no page does {name!r}")


WRITES = frozenset(
    {
        "update_ticket",
        "comment_ticket",
        "link_tickets",
        "create_ticket",
        "post_message",
        "add_reaction",
        "send_email",
        "create_event",
        "create_doc",
        "edit_doc",
        "comment_doc",
        "ask_user",
    }
)
"""The calls a plan does through a form."""


def gui_plan(task: Task, *, reads: bool = True) -> list[GuiAction]:
    """The task's gold actions as page steps (``reads=False`` skips the reads, which change nothing).

    Raises:
        ValueError: a gold call no page does.
    """
    steps: list[GuiAction] = []
    answered = False
    for call in task.gold:
        args = call.arguments if isinstance(call.arguments, Mapping) else json.loads(str(call.arguments))
        if call.name == "submit_answer":
            steps.append(GuiAction("send", value=str(args["text"])))
            answered = True
        elif call.name in WRITES:
            steps.extend(_write(call.name, args))
        elif reads:
            steps.extend(_read(call.name, args))
    if not answered:
        steps.append(GuiAction("send", value="done"))
    return _dedupe(steps)


def _dedupe(steps: list[GuiAction]) -> list[GuiAction]:
    """Drop a ``goto`` of the page just opened (a form's page right after the read that opened it)."""
    out: list[GuiAction] = []
    for step in steps:
        if not (step.op == "goto" and out and out[-1] == step):
            out.append(step)
    return out


def element_bids(dom: Mapping[str, Any]) -> dict[str, str]:
    """``id`` attribute -> BrowserGym ``bid`` of every element of a DOM snapshot observation."""
    strings = dom["strings"]
    out: dict[str, str] = {}
    for document in dom["documents"]:
        for attributes in document["nodes"]["attributes"]:
            pairs = {
                strings[attributes[i]]: strings[attributes[i + 1]] for i in range(0, len(attributes) - 1, 2)
            }
            if "id" in pairs and "bid" in pairs:
                out[pairs["id"]] = pairs["bid"]
    return out


def action_string(step: GuiAction, obs: Mapping[str, Any]) -> str:
    """A plan step as a BrowserGym high-level action, on the page ``obs`` shows.

    Raises:
        LookupError: the page has no element with the step's id.
    """
    if step.op == "send":
        return f"send_msg_to_user({step.value!r})"
    if step.op == "goto":
        where = urlparse(str(obs["url"]))
        return f"goto({f'{where.scheme}://{where.netloc}{step.target}'!r})"
    bids = element_bids(obs["dom_object"])
    if step.target not in bids:
        raise LookupError(f"no element #{step.target} on {obs['url']}")
    bid = bids[step.target]
    if step.op == "click":
        return f"click({bid!r})"
    if step.op == "select":
        return f"select_option({bid!r}, {step.value!r})"
    return f"fill({bid!r}, {step.value!r})"


def _shown(obs: Mapping[str, Any]) -> str:
    """The path and query of the page ``obs`` shows, unquoted."""
    where = urlparse(str(obs["url"]))
    return unquote_plus(where.path + (f"?{where.query}" if where.query else ""))


class GuiOracle:
    """Does the task's gold actions through the pages, one BrowserGym action per step.

    A ``goto`` of the page already shown (a form posted from it returns there) is skipped: it
    would only reload it.
    """

    name = "gui-oracle"

    def __init__(self, task: Task, *, reads: bool = True) -> None:
        self.plan = gui_plan(task, reads=reads)
        self._at = 0

    @property
    def budget(self) -> int:
        """Steps enough for the whole plan (``max_steps`` of :func:`~workgym.browser.loop.run_gui_episode`)."""
        return len(self.plan) + 1

    def act(self, obs: Mapping[str, Any]) -> str:
        """The next action string (``noop()`` once the plan is done)."""
        while (
            self._at < len(self.plan)
            and self.plan[self._at].op == "goto"
            and unquote_plus(self.plan[self._at].target) == _shown(obs)
        ):
            self._at += 1
        if self._at >= len(self.plan):
            return "noop(0)"
        step = self.plan[self._at]
        self._at += 1
        return action_string(step, obs)


class GuiNoop:
    """Does nothing (a valid task scores 0.0 with it)."""

    name = "gui-noop"

    def __init__(self, task: Task | None = None) -> None:
        self.task = task

    def act(self, obs: Mapping[str, Any]) -> str:
        """Always ``noop(0)``."""
        return "noop(0)"


__all__ = ["WRITES", "GuiAction", "GuiNoop", "GuiOracle", "action_string", "element_bids", "gui_plan"]
