"""The pages a browser agent works in: the viewer's workspace pages and forms over one task's episode.

The same pages, forms, guard (token cookie, form token, Host and Origin checks, a CSP with no
script) as ``workgym view --episode``, less everything an agent must not see: no task pages (they
show gold actions and checks), no runs, no ``/episode`` check.

:class:`SiteServer` serves them: one loopback HTTP server per process, started once, that hands
each request to the open site whose token it carries (the ``?token=`` of the start address, the
cookie that then keeps it, or a bearer header); that site's own guard then checks it as the
viewer's does, and a request that carries no open site's token gets the guard's 403. A reset then
mounts a new site on the running server instead of starting and stopping a server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from workgym.report.operations import operation_routes
from workgym.report.pages import e, layout
from workgym.report.view_state import ViewerState
from workgym.report.viewer_guard import ViewerGuard, ViewerSecrets, allowed_hosts, same, split_host
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


async def _nothing(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("not found", status_code=404)(scope, receive, send)


class SiteServer:
    """One loopback server for every open agent site of this process, each found by its token."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.base = ""
        self._sites: dict[str, FastAPI] = {}
        self._lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        # what answers a request that carries no open site's token: a guard nobody has the token of
        self._refuse = ViewerGuard(_nothing, tokens=ViewerSecrets(), hosts=allowed_hosts(host))

    def start(self) -> str:
        """Start serving (once); returns the base URL (``http://127.0.0.1:<port>``).

        Raises:
            RuntimeError: the server did not start.
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return self.base
            import uvicorn

            config = uvicorn.Config(self, host=self.host, port=0, log_level="warning", lifespan="off")
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, name="workgym-browser-sites", daemon=True)
            thread.start()
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"the pages' server did not start on {self.host}")
                time.sleep(0.01)
            port = server.servers[0].sockets[0].getsockname()[1]
            self._server, self._thread, self.base = server, thread, f"http://{self.host}:{port}"
            return self.base

    @contextmanager
    def mounted(self, app: FastAPI) -> Iterator[str]:
        """Serve ``app`` (an :func:`agent_site`) until the block ends; yields the base URL."""
        base = self.start()
        token = app.state.secrets.token
        with self._lock:
            if token in self._sites:  # two sites on one token would serve each other's pages
                raise ValueError("a site with this token is already served")
            self._sites[token] = app
        try:
            yield base
        finally:
            self._sites.pop(token, None)

    def stop(self) -> None:
        """Stop the server (the next :meth:`start` starts a new one, on a new port)."""
        with self._lock:
            if self._server is not None and self._thread is not None:
                self._server.should_exit = True
                self._thread.join(timeout=30)
            self._server = self._thread = None
            self._sites.clear()
            self.base = ""

    def _site(self, scope: Scope) -> FastAPI | None:
        conn = HTTPConnection(scope)
        host = split_host(conn.headers.get("host", "")) or ("", "")
        offered = [  # in the order the guard reads them: a GET's ?token= first
            conn.query_params.get("token") or "",
            conn.headers.get("authorization", "").removeprefix("Bearer "),
            conn.cookies.get(f"workgym-viewer-{host[1] or '80'}", ""),
        ]
        sites = list(self._sites.items())
        for given in offered:
            for token, app in sites:
                if given and same(given, token):
                    return app
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hand the request to the site whose token it carries (else the refusing guard)."""
        app = self._site(scope) if scope["type"] == "http" else None
        await (app or self._refuse)(scope, receive, send)


SITES = SiteServer()
"""The process's server of agent sites (started by the first reset)."""


__all__ = ["SITES", "SiteServer", "agent_site"]
