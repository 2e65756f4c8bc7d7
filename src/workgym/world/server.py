"""The HTTP face of the world: episodes as sessions, reset/step/state/fork/close over JSON.

``workgym serve-env anon.db --port 8100`` serves one world to many clients at once; each session
is one :class:`~workgym.world.core.Episode` with its private state. Started with a tasks file
(``--tasks tasks.jsonl``), a reset may name a ``task_id``: the session is that task's episode
(:class:`~workgym.tasks.env.TaskEnv`), every step's observation carries its reward, and the one
that ends the episode carries ``info.score``, the reward and each check's result. The routes (all
JSON; see docs/world.md):

======================  =====================================================================
``POST /reset``         a new session (``cutoff``, ``persona``, ``seed``, ``tools``, limits; or a
                        ``task_id`` and ``reward`` mode), or with ``session_id`` the same session
                        started over (a new ``seed``)
``POST /step``          ``{"session_id", "call"}`` -> the observation
``POST /state``         hash, step, time, answer, ended flags, and the state diff
``POST /fork``          a new session, an independent copy of one mid-episode
``POST /close``         the session's state released
``GET /tools``          the tools in OpenAI function-calling format
``GET /tasks``          the tasks served: id, family, split, instruction (never gold or checks)
``GET /health``         the world's fingerprint, open sessions, limits
======================  =====================================================================

Every error is ``{"error": {"kind", "message"}}`` with a 4xx status: 404 for an unknown (or
expired) session, 422 for a body that does not fit, 413 over the size limit, 401 without the
token, 421 for a Host that is not the server's and 403 for a foreign Origin (see
:class:`~workgym.world.guard.HostCheck`), 429 when the session limit is reached. A bad tool call
is not an HTTP error: it is an observation with ``info.error`` set, as in the Python API.
Sessions idle longer than the idle timeout are closed by a sweep; the one id they leave behind
answers "expired", not "unknown". Closing a session waits for the requests using it to finish.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from workgym.world.core import Episode, Limits, Observation, World
from workgym.world.guard import ASGIApp, check_exposure, guarded
from workgym.world.tasking import TaskSession, TaskSource, task_listing

MAX_BODY_BYTES = 1_000_000
"""Largest request body accepted by default."""


class SessionError(Exception):
    """A request about a session that cannot be served; ``status`` and ``kind`` say how it answers."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


@dataclass(slots=True)
class Session:
    """One client's episode (a task's, when ``task`` is set), and when it was last used."""

    id: str
    episode: Episode
    last_used: float
    busy: int = 0
    task: TaskSession | None = None

    def step(self, call: Any) -> Observation:
        """One step: the task's (rewarded) when the session runs a task, else the episode's."""
        return self.task.step(call) if self.task is not None else self.episode.step(call)


@dataclass
class Sessions:
    """The open sessions of a server: made, found, forked, closed, and expired when idle.

    Thread-safe: requests run on a pool of threads. A session is never expired while a request
    is using it, and closing one waits for the requests using it to finish: it leaves the table
    at once (a later request answers 404), and its episode is closed once it is idle.

    Attributes:
        world: the world every session is an episode of.
        max_sessions: how many may be open at once.
        idle_seconds: how long a session may go unused before it is closed.
        clock: monotonic seconds (a test gives its own).
    """

    world: World
    max_sessions: int = 256
    idle_seconds: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, Session] = field(default_factory=dict, init=False)
    _expired: OrderedDict[str, None] = field(default_factory=OrderedDict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _idle: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self._idle = threading.Condition(self._lock)

    def __len__(self) -> int:
        return len(self._open)

    def add(self, episode: Episode, task: TaskSession | None = None) -> Session:
        """Register a new episode (``task``'s, when given) as a session.

        Raises:
            SessionError: the session limit is reached (the episode is closed).
        """
        self.expire()
        with self._lock:
            if len(self._open) >= self.max_sessions:
                episode.close()
                raise SessionError(
                    429, "too_many_sessions", f"{self.max_sessions} sessions are open; close one first"
                )
            session = Session(secrets.token_urlsafe(12), episode, self.clock(), task=task)
            self._open[session.id] = session
            return session

    @contextmanager
    def use(self, session_id: str) -> Iterator[Session]:
        """The session, held open (not expirable) while the caller uses it.

        Raises:
            SessionError: no such session, or it expired.
        """
        with self._lock:
            session = self._open.get(session_id)
            if session is None:
                if session_id in self._expired:
                    raise SessionError(
                        404, "expired", f"session {session_id!r} expired after {self.idle_seconds:g} s idle"
                    )
                raise SessionError(
                    404, "unknown_session", f"no session {session_id[:40]!r}; POST /reset makes one"
                )
            session.busy += 1
        try:
            yield session
        finally:
            with self._lock:
                session.busy -= 1
                session.last_used = self.clock()
                if not session.busy:
                    self._idle.notify_all()

    def close(self, session_id: str) -> None:
        """Close a session and release its state, once the requests using it are done.

        Raises:
            SessionError: no such session (or it expired).
        """
        with self._lock:
            session = self._open.pop(session_id, None)
            if session is None:
                if session_id in self._expired:
                    raise SessionError(
                        404, "expired", f"session {session_id!r} expired after {self.idle_seconds:g} s idle"
                    )
                raise SessionError(404, "unknown_session", f"no session {session_id[:40]!r}")
            self._idle.wait_for(lambda: not session.busy)
        session.episode.close()

    def expire(self) -> int:
        """Close every session idle past the timeout; returns how many."""
        now = self.clock()
        with self._lock:
            stale = [s for s in self._open.values() if not s.busy and now - s.last_used > self.idle_seconds]
            for s in stale:
                del self._open[s.id]
                self._expired[s.id] = None
            while len(self._expired) > 10_000:
                self._expired.popitem(last=False)
        for s in stale:
            s.episode.close()
        return len(stale)

    def close_all(self) -> None:
        """Close every session (the server is stopping); each episode waits for its running step."""
        with self._lock:
            sessions = list(self._open.values())
            self._open.clear()
        for s in sessions:
            s.episode.close()


# -- the wire ------------------------------------------------------------------------------------

_ID = Annotated[str, Field(min_length=1, max_length=200, description="A session id from /reset or /fork.")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResetRequest(_Body):
    """Start a session: a new one, or (with ``session_id``) the same one over, optionally reseeded."""

    session_id: _ID | None = None
    cutoff: str | None = Field(None, max_length=64, description="The world as it stood then (ISO 8601).")
    persona: str | None = Field(
        None, max_length=200, description="Who acts: a person id, name, handle or address."
    )
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Makes new ids; default 0.")
    tools: list[Annotated[str, Field(max_length=100)]] | None = Field(
        None, max_length=100, description="The tools allowed (default all)."
    )
    max_steps: int | None = Field(None, ge=1, le=10_000, description="Steps before truncation.")
    max_seconds: float | None = Field(None, gt=0, le=86_400, description="Wall seconds before truncation.")
    task_id: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Run this task (of the tasks the server was started with).",
    )
    reward: Literal["binary", "dense"] | None = Field(
        None, description="With a task: binary (the task's reward at the end; default) or dense (progress)."
    )


class StepRequest(_Body):
    """One tool call in a session."""

    session_id: _ID
    call: dict[str, Any] | str = Field(description='{"name": tool, "arguments": {...}}, or its JSON text.')


class StateRequest(_Body):
    """Ask for a session's state."""

    session_id: _ID
    diff: bool = Field(True, description="Include the state diff (row and field changes).")


class SessionRequest(_Body):
    """Name a session (fork, close)."""

    session_id: _ID


def observation_json(observation: Observation) -> dict[str, Any]:
    """An observation as JSON-ready data."""
    return {
        "text": observation.text,
        "reward": observation.reward,
        "terminated": observation.terminated,
        "truncated": observation.truncated,
        "info": dict(observation.info),
    }


def state_json(session: Session, *, diff: bool) -> dict[str, Any]:
    """A session's state as JSON-ready data."""
    ep = session.episode
    out: dict[str, Any] = {
        "session_id": session.id,
        "hash": ep.state_hash(),
        "steps": ep.steps,
        "time": ep.now,
        "answer": ep.answer,
        "terminated": ep.terminated,
        "truncated": ep.truncated,
    }
    if diff:
        out["diff"] = ep.state_diff().to_dict()
    if session.task is not None:
        out["task_id"] = session.task.task_id
        if diff and session.task.done:  # never mid-episode: a check's detail names the expected values
            out["score"] = session.task.score().to_dict()
    return out


class SafeJSONResponse(JSONResponse):
    """JSON whose strings may hold a lone surrogate (a client may send one as a JSON escape).

    Starlette encodes strictly and answers 500 on such a string; here the surrogate goes out as
    the same JSON escape it came in as, so the answer is valid JSON and says what was received.
    """

    def render(self, content: Any) -> bytes:
        """The content as compact UTF-8 JSON, a lone surrogate written as the JSON escape it came in as."""
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8", "backslashreplace")


def _error(status: int, kind: str, message: str) -> JSONResponse:
    return SafeJSONResponse({"error": {"kind": kind, "message": message}}, status_code=status)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def create_app(
    world: World,
    *,
    token: str | None = None,
    max_sessions: int = 256,
    idle_seconds: float = 900.0,
    max_body_bytes: int = MAX_BODY_BYTES,
    limits: Limits | None = None,
    sessions: Sessions | None = None,
    host: str = "127.0.0.1",
    allowed_hosts: Sequence[str] = (),
    tasks: TaskSource | None = None,
) -> ASGIApp:
    """The env server as an ASGI app (run it with uvicorn, or see :func:`serve`).

    Args:
        world: the world to serve.
        token: a bearer token every request must carry; None on loopback only.
        max_sessions: how many sessions may be open at once.
        idle_seconds: a session unused this long is closed.
        max_body_bytes: the largest request body.
        limits: the sessions' default limits (a reset may set ``max_steps`` and ``max_seconds``).
        sessions: the session table (a test passes its own, with its clock).
        host: the address the app is bound to; a request naming another host is refused
            (see :class:`~workgym.world.guard.HostCheck`).
        allowed_hosts: further names clients may reach the server by (a DNS name, a proxy's).
        tasks: the tasks a reset may name by ``task_id`` (of ``world``); listed at ``/tasks``.
    """
    table = sessions if sessions is not None else Sessions(world, max_sessions, idle_seconds)
    defaults = limits or Limits()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(min(max(table.idle_seconds / 4, 0.05), 30.0))
                table.expire()

        task = asyncio.create_task(sweep())
        try:
            yield
        finally:
            task.cancel()
            table.close_all()

    api = FastAPI(
        title="workgym env server",
        description="A workspace world: episodes as sessions, tool calls in, observations out.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=SafeJSONResponse,
    )
    api.state.sessions = table

    @api.exception_handler(SessionError)
    async def session_error(_: Request, exc: SessionError) -> JSONResponse:
        return _error(exc.status, exc.kind, str(exc))

    @api.exception_handler(RequestValidationError)
    async def bad_body(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "bad_request", _validation_message(exc))

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http", str(exc.detail))

    @api.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:  # a bug: still JSON, still up
        return _error(500, "internal", f"the server failed ({type(exc).__name__}); it goes on")

    @api.get("/health")
    def health() -> dict[str, Any]:
        """The world served and the sessions open."""
        return {
            "status": "ok",
            "world": world.fingerprint,
            "sessions": len(table),
            "max_sessions": table.max_sessions,
            "idle_seconds": table.idle_seconds,
            "tools": len(world.tools()),
            "tasks": len(tasks) if tasks is not None else 0,
        }

    @api.get("/tools")
    def tools() -> dict[str, Any]:
        """Every tool in OpenAI function-calling format."""
        return {"tools": world.tools()}

    @api.get("/tasks")
    def list_tasks() -> dict[str, Any]:
        """The tasks a reset may name: id, family, split and instruction (never gold or checks)."""
        return {"tasks": task_listing(tasks) if tasks is not None else []}

    @api.post("/reset")
    def reset(body: ResetRequest) -> dict[str, Any]:
        """A new session, or an existing one started over."""
        if body.session_id is not None:
            fixed = {"cutoff", "persona", "tools", "max_steps", "max_seconds", "task_id", "reward"}
            fixed &= body.model_fields_set
            if fixed:
                raise SessionError(
                    422,
                    "bad_request",
                    f"{', '.join(sorted(fixed))} cannot change in a session; close it and reset anew",
                )
            with table.use(body.session_id) as session:
                if session.task is not None:
                    observation = session.task.reset(seed=body.seed)
                else:
                    observation = session.episode.reset(seed=body.seed)
                return {"session_id": session.id, "observation": observation_json(observation)}
        session_limits = Limits(
            max_steps=body.max_steps or defaults.max_steps,
            max_seconds=body.max_seconds or defaults.max_seconds,
            step_seconds=defaults.step_seconds,
            observation_chars=defaults.observation_chars,
            calendar_days=defaults.calendar_days,
        )
        if body.task_id is not None:
            return reset_task(body, session_limits)
        if body.reward is not None:
            raise SessionError(422, "bad_request", "reward applies to a task: give task_id too")
        try:
            episode = world.episode(
                cutoff=body.cutoff,
                persona=body.persona,
                seed=body.seed or 0,
                tools=body.tools,
                limits=session_limits,
            )
        except ValueError as exc:
            raise SessionError(422, "bad_request", str(exc)) from None
        try:  # before the session is known: no one can close it under the reset
            opening = observation_json(episode.reset())
        except BaseException:
            episode.close()
            raise
        session = table.add(episode)
        return {"session_id": session.id, "observation": opening}

    def reset_task(body: ResetRequest, session_limits: Limits) -> dict[str, Any]:
        if tasks is None:
            raise SessionError(422, "no_tasks", "this server has no tasks: start it with --tasks tasks.jsonl")
        fixed = {"cutoff", "persona", "tools"} & body.model_fields_set
        if fixed:
            raise SessionError(
                422,
                "bad_request",
                f"{', '.join(sorted(fixed))} come from the task; leave them out with task_id",
            )
        assert body.task_id is not None
        try:
            task_env = tasks.env(
                body.task_id, seed=body.seed or 0, limits=session_limits, reward=body.reward or "binary"
            )
        except KeyError as exc:
            raise SessionError(
                404, "unknown_task", str(exc.args[0]) if exc.args else "no such task"
            ) from None
        except ValueError as exc:
            raise SessionError(422, "bad_request", str(exc)) from None
        try:
            opening = observation_json(task_env.reset())
        except BaseException:
            task_env.close()
            raise
        session = table.add(task_env.episode, task=task_env)
        return {"session_id": session.id, "task_id": task_env.task_id, "observation": opening}

    @api.post("/step")
    def step(body: StepRequest) -> dict[str, Any]:
        """Run one tool call; a bad call is an observation with ``info.error``, not an HTTP error."""
        with table.use(body.session_id) as session:
            return {"observation": observation_json(session.step(body.call))}

    @api.post("/state")
    def state(body: StateRequest) -> dict[str, Any]:
        """The session's hash, step, time, answer and, by default, its diff."""
        with table.use(body.session_id) as session:
            return state_json(session, diff=body.diff)

    @api.post("/fork")
    def fork(body: SessionRequest) -> dict[str, Any]:
        """A new session: an independent copy of this one as it is now."""
        with table.use(body.session_id) as session:
            if session.task is not None:
                child_task: TaskSession | None = session.task.fork()
                assert child_task is not None
                child = child_task.episode
            else:
                child_task, child = None, session.episode.fork()
        forked = table.add(child, task=child_task)
        with table.use(forked.id) as held:
            return state_json(held, diff=False)

    @api.post("/close")
    def close(body: SessionRequest) -> dict[str, Any]:
        """Close the session and release its state."""
        table.close(body.session_id)
        return {"session_id": body.session_id, "closed": True}

    return guarded(api, token=token, max_bytes=max_body_bytes, host=host, allowed_hosts=allowed_hosts)


@contextmanager
def running(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run an app with uvicorn in a background thread (port 0: a free one); yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="workgym-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the HTTP server did not start on {host}:{port}")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def serve(
    world: World,
    *,
    host: str = "127.0.0.1",
    port: int = 8100,
    token: str | None = None,
    **options: Any,
) -> None:
    """Serve the world over HTTP until interrupted (``options`` as for :func:`create_app`).

    Raises:
        ExposureError: ``host`` is beyond loopback and no token is given.
    """
    import uvicorn

    check_exposure(host, token)
    app = create_app(world, token=token, host=host, **options)
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


__all__ = [
    "MAX_BODY_BYTES",
    "ResetRequest",
    "SafeJSONResponse",
    "Session",
    "SessionError",
    "Sessions",
    "StateRequest",
    "StepRequest",
    "create_app",
    "observation_json",
    "running",
    "serve",
    "state_json",
    "task_listing",
]
