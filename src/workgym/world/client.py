"""A Python client for the env server (``workgym serve-env``): remote episodes that read like local ones.

::

    from workgym.world.client import EnvClient

    with EnvClient("http://127.0.0.1:8100") as env:
        ep = env.reset(cutoff="2024-04-01T09:00:00Z", persona="P0003", seed=7)
        obs = ep.step({"name": "get_ticket", "arguments": {"key": "ENG-12"}})
        branch = ep.fork()
        ep.state_hash(), ep.state_diff()
        ep.close()

One client is safe to share between threads (its connection pool is); each :class:`RemoteEpisode`
is one server session. A refused request raises :class:`EnvServerError` with the server's reason;
a bad tool call does not: it is an :class:`~workgym.world.core.Observation` with ``info["error"]``.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import Any

import httpx

from workgym.world.core import Observation
from workgym.world.guard import TOKEN_ENV


class EnvServerError(Exception):
    """The server refused a request (or could not be reached).

    Attributes:
        status: the HTTP status (0 when no answer came).
        kind: the server's error kind (``unknown_session``, ``expired``, ``bad_request``, ...).
    """

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(f"{message} (HTTP {status}, {kind})" if status else message)
        self.status, self.kind, self.message = status, kind, message


def _observation(data: dict[str, Any]) -> Observation:
    return Observation(
        text=data["text"],
        reward=float(data["reward"]),
        terminated=bool(data["terminated"]),
        truncated=bool(data["truncated"]),
        info=data["info"],
    )


class EnvClient:
    """A connection to an env server.

    Args:
        url: the server, e.g. ``http://127.0.0.1:8100``.
        token: its bearer token; default ``$WORKGYM_TOKEN`` if set.
        timeout: seconds to wait for an answer.
    """

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 60.0) -> None:
        token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=256),
        )

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request; the JSON answer.

        Raises:
            EnvServerError: the server refused it, or did not answer.
        """
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise EnvServerError(0, "unreachable", f"{self.url}{path}: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400 or not isinstance(data, dict):
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict):
                raise EnvServerError(response.status_code, str(error.get("kind")), str(error.get("message")))
            raise EnvServerError(response.status_code, "http", response.text[:300] or response.reason_phrase)
        return data

    def health(self) -> dict[str, Any]:
        """The world served, and how many sessions are open."""
        return self.request("GET", "/health")

    def tools(self) -> list[dict[str, Any]]:
        """The tools in OpenAI function-calling format."""
        tools: list[dict[str, Any]] = self.request("GET", "/tools")["tools"]
        return tools

    def tasks(self) -> list[dict[str, Any]]:
        """The tasks the server was started with: id, family, split, instruction."""
        tasks: list[dict[str, Any]] = self.request("GET", "/tasks")["tasks"]
        return tasks

    def reset(
        self,
        *,
        cutoff: str | None = None,
        persona: str | None = None,
        seed: int = 0,
        tools: list[str] | None = None,
        max_steps: int | None = None,
        max_seconds: float | None = None,
        task_id: str | None = None,
        reward: str | None = None,
    ) -> RemoteEpisode:
        """A new episode on the server (arguments as for :meth:`World.episode`).

        With ``task_id`` (a server started with a tasks file) the episode is that task's, with
        its cutoff, persona and tools: each observation carries the task's reward (``reward``:
        ``binary`` or ``dense``) and the one that ends it ``info["score"]``.
        """
        body: dict[str, Any] = {"seed": seed}
        for name, value in (
            ("task_id", task_id),
            ("reward", reward),
            ("cutoff", cutoff),
            ("persona", persona),
            ("tools", tools),
            ("max_steps", max_steps),
            ("max_seconds", max_seconds),
        ):
            if value is not None:
                body[name] = value
        data = self.request("POST", "/reset", body)
        return RemoteEpisode(self, data["session_id"], _observation(data["observation"]))

    def close(self) -> None:
        """Close the connection pool (the server's sessions stay until closed or expired)."""
        self._http.close()

    def __enter__(self) -> EnvClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class RemoteEpisode:
    """One session on an env server, with the methods of a local :class:`~workgym.world.core.Episode`.

    Attributes:
        session_id: the server's id for it.
        observation: the last observation: the opening one, then each step's.
    """

    def __init__(self, client: EnvClient, session_id: str, observation: Observation) -> None:
        self.client = client
        self.session_id = session_id
        self.observation = observation

    def _post(self, path: str, **body: Any) -> dict[str, Any]:
        return self.client.request("POST", path, {"session_id": self.session_id, **body})

    def step(self, call: dict[str, Any] | str) -> Observation:
        """Run one tool call (a mapping or its JSON text)."""
        self.observation = _observation(self._post("/step", call=call)["observation"])
        return self.observation

    def reset(self, *, seed: int | None = None) -> Observation:
        """Undo every change and start over (with a new seed if given)."""
        body = {} if seed is None else {"seed": seed}
        self.observation = _observation(self._post("/reset", **body)["observation"])
        return self.observation

    def state(self, *, diff: bool = True) -> dict[str, Any]:
        """hash, steps, time, answer, terminated, truncated and (by default) the diff."""
        return self._post("/state", diff=diff)

    def state_hash(self) -> str:
        """sha256 of the episode's changes, as :meth:`Episode.state_hash`."""
        return str(self.state(diff=False)["hash"])

    def state_diff(self) -> dict[str, Any]:
        """The changes, as :meth:`StateDiff.to_dict` gives them."""
        diff: dict[str, Any] = self.state()["diff"]
        return diff

    def fork(self) -> RemoteEpisode:
        """A new session: an independent copy of this one as it is now."""
        data = self._post("/fork")
        return RemoteEpisode(self.client, data["session_id"], self.observation)

    def close(self) -> None:
        """Close the session on the server."""
        self._post("/close")

    def __enter__(self) -> RemoteEpisode:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


__all__ = ["EnvClient", "EnvServerError", "RemoteEpisode"]
