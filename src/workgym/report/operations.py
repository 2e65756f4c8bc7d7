"""The operable pages' writes: each form is one tool call on the viewer's episode.

``POST /op/<tool>`` takes a form whose fields are the tool's arguments (plus ``back``, the page to
return to, and the form token the guard checks) and makes the call through
:meth:`~workgym.world.core.Episode.step`, so a person or a browser agent acts through the same
API, the same error observations and the same state as an API agent. A form's fields are text;
each is turned into its argument's type by the tool's own schema (integers, comma-separated lists,
checkboxes), never by a second hand-written list. The result shows at the top of the next page.

``GET /ask`` is a form for ``ask_user`` (the person who gave the task answers it), in an episode
that has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from workgym.report.pages import FORM_TOKEN, field, form
from workgym.report.view_state import ViewerState
from workgym.report.view_state import page as _page
from workgym.report.viewer_guard import local_path
from workgym.world.schema import REGISTRY, Param

OPERATIONS: frozenset[str] = frozenset(t.name for t in REGISTRY if t.writes) | {"ask_user"}
"""The tools a form may call: every tool that writes, and asking the task's user."""


def _typed(value: str, param: Param) -> Any:
    kind = param.schema.get("type")
    if kind == "integer":
        text = value.strip()
        return int(text) if text.isascii() and text.lstrip("-").isdigit() and len(text) <= 10 else value
    if kind == "array":
        return [x.strip() for x in value.replace("\n", ",").split(",") if x.strip()]
    if kind == "boolean":
        return value.strip().lower() in ("true", "on", "1", "yes")
    return value


def form_arguments(tool: str, data: Mapping[str, str]) -> dict[str, Any]:
    """A form's fields as the tool's arguments: blank fields left out, each typed by the tool's schema.

    A field the tool does not take is passed on as it is (the call's error observation names it).
    """
    found = REGISTRY.get(tool)
    params = {p.name: p for p in found.params} if found else {}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if not value.strip():
            continue
        out[name] = _typed(value, params[name]) if name in params else value
    return out


def operation_routes(app: FastAPI, s: ViewerState) -> None:
    """Add ``POST /op/<tool>`` and the ``/ask`` page to an operable viewer."""

    @app.post("/op/{tool}")
    async def operate(tool: str, request: Request) -> RedirectResponse:
        if tool not in OPERATIONS:
            raise HTTPException(404, f"no operation {tool!r}")
        data = {k: str(v) for k, v in (await request.form()).items()}
        data.pop(FORM_TOKEN, None)
        back = local_path(data.pop("back", "/"))
        observation = s.episode.step({"name": tool, "arguments": form_arguments(tool, data)})
        s.flash = (observation.text, observation.info.get("error") is not None)
        return RedirectResponse(back, status_code=303)

    @app.get("/ask", response_class=HTMLResponse)
    def ask() -> HTMLResponse:
        if "ask_user" not in s.episode.tools:
            raise HTTPException(404, "nobody to ask in this episode")
        body = "<p>The answer shows at the top of the page.</p>" + form(
            "/op/ask_user",
            [field("question", "Question", kind="textarea", form_id="op-ask_user")],
            "Ask",
            {"back": "/ask"},
            token=s.form_token,
        )
        return _page(s, "Ask the person who gave you the task", body)


__all__ = ["OPERATIONS", "form_arguments", "operation_routes"]
