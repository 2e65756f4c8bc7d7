"""The pages a browser agent works in: the viewer's workspace pages and forms over one task's episode.

The same pages, forms, guard (token cookie, form token, Host and Origin checks, a CSP with no
script) as ``workgym view --episode``, less everything an agent must not see: no task pages (they
show gold actions and checks), no runs, no ``/episode`` check.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from workgym.report.operations import operation_routes
from workgym.report.pages import e, layout
from workgym.report.view_state import ViewerState
from workgym.report.viewer_guard import ViewerGuard, ViewerSecrets, allowed_hosts
from workgym.report.workspace_pages import workspace_routes
from workgym.tasks import Task
from workgym.world import Episode, World


def agent_site(
    world: World, task: Task, episode: Episode, *, host: str = "127.0.0.1", token: str | None = None
) -> FastAPI:
    """The app an agent's browser opens for ``task``, acting on ``episode``.

    Open :func:`workgym.report.viewer.viewer_address` of it first: that stores the token in a cookie.
    """
    secrets = ViewerSecrets(token) if token is not None else ViewerSecrets()
    state = ViewerState(world, episode, {}, {}, task, True, None, form_token=secrets.form_token, agent=True)
    app = FastAPI(title="workgym", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.viewer = state
    app.state.secrets = secrets
    app.state.hosts = allowed_hosts(host)
    app.add_middleware(ViewerGuard, tokens=secrets, hosts=app.state.hosts)
    workspace_routes(app, state)
    operation_routes(app, state)

    @app.exception_handler(StarletteHTTPException)
    async def not_found(_: Request, exc: StarletteHTTPException) -> HTMLResponse:
        body = f"<p>{e(exc.detail)}</p><p><a href='/'>back to the workspace</a></p>"
        page = layout(f"{exc.status_code}", body, workspace_only=True)
        return HTMLResponse(page, status_code=exc.status_code)

    return app


__all__ = ["agent_site"]
