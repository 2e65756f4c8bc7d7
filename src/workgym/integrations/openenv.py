"""OpenEnv: a world's tasks behind OpenEnv's own server (``workgym serve-openenv``; ``workgym[openenv]``).

``workgym serve-openenv anon.db --tasks tasks.jsonl`` serves the tasks with ``openenv``'s
``create_fastapi_app``, so the wire is OpenEnv's: the WebSocket session at ``/ws`` (``reset``,
``step``, ``state``, ``close`` messages; one environment per connection), the HTTP routes
(``/reset``, ``/step``, ``/state``, ``/health``, ``/schema``, ``/metadata``) and the task routes
(``/workgym/splits``, ``/workgym/tasks``, ``/workgym/task``: OpenEnv's task API). Any OpenEnv client drives it, the generic one
included::

    from openenv import GenericEnvClient

    with GenericEnvClient(base_url="http://127.0.0.1:8300").sync() as env:
        result = env.reset(task_id="lookup-3f2a")          # or split="train", index=0
        result = env.step({"name": "search_tickets", "arguments": {"jql": "status = Open"}})
        result = env.step({"name": "submit_answer", "arguments": {"text": "QA-12"}})
        result.reward, result.done, result.observation["score"]["checks"]

An action is ``{"name": tool, "arguments": {...}}``, the call shape of :meth:`Episode.step`. An
observation holds the tool's ``text``, the ``task_id`` and the step ``info``; on reset also the
``prompt`` (system text, instruction, tool schemas: never gold or checks); the one that ends the
episode its ``score`` (reward, partial credit, every check). ``reward`` is the task's (``binary``:
1.0 or 0.0 on the last step; ``dense``: progress per step). A step ``{"name": "finish"}`` ends a
task that asks for changes, which has no tool that ends it.

The app keeps the env server's guard: the Host and Origin checks and the bearer token, for HTTP
and for the WebSocket handshake alike.

GRPO groups: G connections that reset the same task with the same seed start from the same state
(equal ``state().hash``). To fork G rollouts after a shared prefix, play the prefix on one
session, read its ``state().episode_id`` and reset G other connections with
``reset(fork_of=episode_id)``: each becomes an independent copy of that episode as it stands
(state, clock, step count, answer, dense progress), and the source session goes on unchanged.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlsplit

from openenv.core.client_types import StepResult
from openenv.core.env_client import EnvClient
from openenv.core.env_server.http_server import create_fastapi_app
from openenv.core.env_server.interfaces import Environment
from openenv.core.env_server.types import Action, EnvironmentMetadata, Observation, State
from pydantic import Field

from workgym.tasks.env import RewardMode, TaskEnv, TaskSet
from workgym.world import Limits
from workgym.world.guard import ASGIApp, HostCheck, check_exposure, guarded
from workgym.world.server import MAX_BODY_BYTES
from workgym.world.tasking import task_listing

ENV_NAME = "workgym"
FINISH = "finish"
"""The action name that ends a task episode where the agent stops (a change task's end)."""


class WorkgymAction(Action):  # type: ignore[misc]
    """One tool call: ``{"name": tool, "arguments": {...}}``, as :meth:`Episode.step` takes it."""

    name: str = Field(min_length=1, max_length=100, description="The tool to call (or 'finish').")
    arguments: dict[str, Any] = Field(default_factory=dict, description="The tool's arguments.")


class WorkgymObservation(Observation):  # type: ignore[misc]
    """What a tool showed, with the task's reward; the last one holds the score."""

    text: str = Field(default="", description="What the agent reads.")
    task_id: str | None = Field(default=None, description="The task the episode runs.")
    info: dict[str, Any] = Field(default_factory=dict, description="Step, time, tool and error kind.")
    truncated: bool = Field(default=False, description="Cut off by the step or time limit.")
    prompt: dict[str, Any] | None = Field(default=None, description="On reset: system, instruction, tools.")
    score: dict[str, Any] | None = Field(default=None, description="On the last step: reward and checks.")


class WorkgymState(State):  # type: ignore[misc]
    """The episode's state: its task, step count, hash and answer."""

    task_id: str | None = Field(default=None, description="The task the episode runs.")
    hash: str = Field(default="", description="sha256 of the episode's changes.")
    answer: str | None = Field(default=None, description="The answer submitted, if any.")
    done: bool = Field(default=False, description="Whether the episode has ended.")


class Sessions:
    """The open sessions of one server, by episode id: what a ``reset(fork_of=...)`` copies."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, WorkgymEnvironment] = {}

    def add(self, episode_id: str, env: WorkgymEnvironment) -> None:
        """Name ``env``'s episode ``episode_id``.

        Raises:
            ValueError: another open session's episode has that id.
        """
        with self._lock:
            if self._by_id.get(episode_id, env) is not env:
                raise ValueError(f"episode id {episode_id[:100]!r} is another open session's")
            self._by_id[episode_id] = env

    def remove(self, episode_id: str | None, env: WorkgymEnvironment) -> None:
        """Forget ``episode_id`` if ``env`` still holds it."""
        with self._lock:
            if episode_id is not None and self._by_id.get(episode_id) is env:
                del self._by_id[episode_id]

    def get(self, episode_id: str) -> WorkgymEnvironment | None:
        """The session whose episode is ``episode_id``, if it is open."""
        with self._lock:
            return self._by_id.get(episode_id)


class WorkgymEnvironment(Environment[WorkgymAction, WorkgymObservation, WorkgymState]):  # type: ignore[misc]
    """One OpenEnv session: a task's :class:`~workgym.tasks.env.TaskEnv`, opened by ``reset``.

    Args:
        taskset: the tasks served.
        reward: the default reward mode (a reset may name another).
        limits: the episodes' limits.
        sessions: the server's open sessions (for ``reset(fork_of=...)``); default this one's own.
    """

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(
        self,
        taskset: TaskSet,
        *,
        reward: RewardMode = "binary",
        limits: Limits | None = None,
        sessions: Sessions | None = None,
    ) -> None:
        super().__init__()
        self.taskset, self.reward_mode, self.limits = taskset, reward, limits
        self.sessions = sessions or Sessions()
        self._env: TaskEnv | None = None
        self._episode_id: str | None = None
        self._opening = ""

    def reset(
        self,
        seed: int | None = None,
        episode_id: str | None = None,
        task_id: str | None = None,
        split: str | None = None,
        index: int | None = None,
        reward: Literal["binary", "dense"] | None = None,
        fork_of: str | None = None,
        **kwargs: Any,
    ) -> WorkgymObservation:
        """Open a task: by ``task_id``, or by ``split`` and ``index`` (OpenEnv's task API); default the first.

        With ``fork_of`` (another open session's ``state().episode_id``) the session becomes an
        independent copy of that episode as it stands instead: a GRPO group's rollouts after a
        shared prefix. The episode's id is ``episode_id``, or a new random one.

        Raises:
            KeyError: no such task, or no open episode ``fork_of``.
            IndexError: ``index`` is past the split's end.
            ValueError: an unknown reward mode, or ``episode_id`` is another open session's.
        """
        if fork_of is not None:
            return self._fork(fork_of, episode_id)
        if task_id is None:
            tasks = self.list_tasks(split) if split is not None else task_listing(self.taskset)
            at = index or 0
            if at < 0:
                raise IndexError(f"task index {at} is negative")
            task_id = str(tasks[at]["id"])
        self.taskset.get(task_id)  # an unknown id fails here, before the open episode is closed
        self.close()
        self._env = self.taskset.env(
            task_id, seed=seed or 0, reward=reward or self.reward_mode, limits=self.limits
        )
        observation = self._env.reset()
        self._opening = observation.text
        self._name(episode_id)
        return WorkgymObservation(
            text=observation.text,
            task_id=task_id,
            info=dict(observation.info),
            reward=0.0,
            prompt=self._env.prompt.to_dict(),
        )

    def _fork(self, fork_of: str, episode_id: str | None) -> WorkgymObservation:
        source = self.sessions.get(fork_of)
        if source is None or source is self or source._env is None:
            raise KeyError(f"no open episode {fork_of[:100]!r} to fork (a session's state().episode_id)")
        child, opening = source._env.fork(), source._opening
        self.close()
        self._env, self._opening = child, opening
        self._name(episode_id)
        ep = child.episode
        return WorkgymObservation(
            text=opening,
            task_id=child.task_id,
            info={"step": ep.steps, "time": ep.now, "forked_from": fork_of},
            reward=0.0,
            done=child.done,
            prompt=child.prompt.to_dict(),
        )

    def _name(self, episode_id: str | None) -> None:
        self._episode_id = episode_id or secrets.token_hex(8)
        self.sessions.add(self._episode_id, self)

    def step(
        self, action: WorkgymAction, timeout_s: float | None = None, **kwargs: Any
    ) -> WorkgymObservation:
        """Run one tool call (``finish`` ends the episode where the agent stops)."""
        env = self.task_env
        if action.name == FINISH:
            observation = env.finish()
        else:
            observation = env.step({"name": action.name, "arguments": action.arguments})
        info = dict(observation.info)
        score = info.pop("score", None)
        return WorkgymObservation(
            text=observation.text,
            task_id=env.task_id,
            info=info,
            reward=observation.reward,
            done=observation.terminated or observation.truncated,
            truncated=observation.truncated,
            score=score,
        )

    @property
    def task_env(self) -> TaskEnv:
        """The session's task environment.

        Raises:
            RuntimeError: before the first reset.
        """
        if self._env is None:
            raise RuntimeError("reset first: reset(task_id=...) opens a task")
        return self._env

    @property
    def state(self) -> WorkgymState:
        """The episode's state (empty before the first reset)."""
        if self._env is None:
            return WorkgymState()
        ep = self._env.episode
        return WorkgymState(
            episode_id=self._episode_id,
            step_count=ep.steps,
            task_id=self._env.task_id,
            hash=ep.state_hash(),
            answer=ep.answer,
            done=self._env.done,
        )

    def get_metadata(self) -> EnvironmentMetadata:
        """The environment's name and what it serves."""
        return EnvironmentMetadata(
            name=ENV_NAME,
            description=f"workgym: {len(self.taskset)} tasks mined from a workspace, tools over its records",
            version="1",
        )

    # -- OpenEnv's task API (discovery only) -----------------------------------------------------

    def list_splits(self) -> list[str]:
        """The tasks' splits (``train``, ``test``), and ``all``."""
        return [*sorted({t.split for t in self.taskset.tasks if t.split}), "all"]

    def list_tasks(self, split: str) -> list[dict[str, Any]]:
        """The tasks of a split: id, family, split, instruction (never gold or checks)."""
        listed = task_listing(self.taskset)
        return listed if split == "all" else [t for t in listed if t["split"] == split]

    def num_tasks(self, split: str) -> int:
        """How many tasks the split holds."""
        return len(self.list_tasks(split))

    def get_task(self, split: str, index: int) -> dict[str, Any]:
        """One task of the split, by position."""
        return self.list_tasks(split)[index]

    def get_task_range(
        self, split: str, start: int | None = None, stop: int | None = None
    ) -> list[dict[str, Any]]:
        """The split's tasks ``[start, stop)``."""
        return self.list_tasks(split)[start:stop]

    def close(self) -> None:
        """Release the episode."""
        self.sessions.remove(self._episode_id, self)
        self._episode_id = None
        if self._env is not None:
            self._env.close()
            self._env = None


class WorkgymEnvClient(EnvClient[WorkgymAction, WorkgymObservation, WorkgymState]):  # type: ignore[misc]
    """OpenEnv's client with workgym's types: ``step(WorkgymAction(name=..., arguments=...))``.

    ``WorkgymEnvClient(base_url=url)`` is async (``await env.reset(task_id=...)``);
    ``.sync()`` gives the blocking one. OpenEnv's ``GenericEnvClient`` works too, with dicts.
    """

    def _step_payload(self, action: WorkgymAction) -> dict[str, Any]:
        return {"name": action.name, "arguments": dict(action.arguments)}

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[WorkgymObservation]:
        observation = WorkgymObservation(
            **{
                k: v
                for k, v in (payload.get("observation") or {}).items()
                if k in WorkgymObservation.model_fields
            },
            done=payload.get("done", False),
            reward=payload.get("reward"),
        )
        return StepResult(
            observation=observation, reward=payload.get("reward"), done=payload.get("done", False)
        )

    def _parse_state(self, payload: dict[str, Any]) -> WorkgymState:
        return WorkgymState(**{k: v for k, v in payload.items() if k in WorkgymState.model_fields})


class WebSocketGuard:
    """ASGI middleware: the WebSocket handshake passes the Host, Origin and token checks HTTP does.

    :func:`~workgym.world.guard.guarded` checks HTTP requests only; OpenEnv's session is a
    WebSocket, which a page could open across origins. A refused handshake is closed with 1008
    (policy violation) before it is accepted (the client sees HTTP 403).
    """

    def __init__(
        self, app: ASGIApp, *, host: str, token: str | None, allowed_hosts: Sequence[str] = ()
    ) -> None:
        self.app = app
        self._hosts = HostCheck(app, host, allowed_hosts)
        self._auth = f"Bearer {token}".encode() if token else None

    def _allowed(self, scope: Any) -> bool:
        headers = {k.lower(): v for k, v in scope.get("headers") or []}
        if not self._hosts.allows(scope, headers.get(b"host", b"").decode("latin-1")):
            return False
        origin = headers.get(b"origin")
        if origin is not None:
            parts = urlsplit(origin.decode("latin-1").strip())
            default = 443 if parts.scheme in ("https", "wss") else 80
            if parts.scheme not in ("http", "https", "ws", "wss") or parts.path or parts.query:
                return False
            if not self._hosts.allows(scope, parts.netloc, default_port=default):
                return False
        return self._auth is None or hmac.compare_digest(headers.get(b"authorization", b""), self._auth)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Close a foreign or unauthenticated handshake; pass everything else on."""
        if scope["type"] == "websocket" and not self._allowed(scope):
            await receive()  # the websocket.connect event
            await send({"type": "websocket.close", "code": 1008})
            return
        await self.app(scope, receive, send)


def create_openenv_app(
    taskset: TaskSet,
    *,
    reward: RewardMode = "binary",
    limits: Limits | None = None,
    max_sessions: int = 256,
    token: str | None = None,
    host: str = "127.0.0.1",
    allowed_hosts: Sequence[str] = (),
    max_body_bytes: int = MAX_BODY_BYTES,
) -> ASGIApp:
    """The tasks as an OpenEnv server app (run it with uvicorn, or see :func:`serve_openenv`).

    Args:
        taskset: the tasks served (and their world).
        reward: the default reward mode.
        limits: the episodes' limits.
        max_sessions: WebSocket sessions open at once.
        token: a bearer token every request and handshake must carry; None on loopback only.
        host: the address bound (the Host check's).
        allowed_hosts: further names clients may reach the server by.
        max_body_bytes: the largest HTTP request body.
    """
    sessions = Sessions()
    api = create_fastapi_app(
        lambda: WorkgymEnvironment(taskset, reward=reward, limits=limits, sessions=sessions),
        WorkgymAction,
        WorkgymObservation,
        max_concurrent_envs=max_sessions,
        env_name=ENV_NAME,
        state_cls=WorkgymState,
    )
    app = guarded(api, token=token, max_bytes=max_body_bytes, host=host, allowed_hosts=allowed_hosts)
    return WebSocketGuard(app, host=host, token=token, allowed_hosts=allowed_hosts)


def serve_openenv(
    taskset: TaskSet, *, host: str = "127.0.0.1", port: int = 8300, token: str | None = None, **options: Any
) -> None:
    """Serve the tasks with OpenEnv's protocol until interrupted (``options`` as :func:`create_openenv_app`).

    Raises:
        ExposureError: ``host`` is beyond loopback and no token is given.
    """
    import uvicorn

    check_exposure(host, token)
    app = create_openenv_app(taskset, token=token, host=host, **options)
    uvicorn.run(app, host=host, port=port, log_level="warning", ws="websockets")


__all__ = [
    "ENV_NAME",
    "FINISH",
    "Sessions",
    "WebSocketGuard",
    "WorkgymAction",
    "WorkgymEnvClient",
    "WorkgymEnvironment",
    "WorkgymObservation",
    "WorkgymState",
    "create_openenv_app",
    "serve_openenv",
]
