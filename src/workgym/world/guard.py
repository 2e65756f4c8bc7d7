"""What stands between the world's network faces and the network: loopback, bearer tokens, body size.

Both HTTP faces (the env server and MCP over streamable HTTP) are wrapped the same way:

* :func:`check_exposure` refuses to bind beyond loopback without a token;
* :class:`BearerAuth` answers 401 to a request without ``Authorization: Bearer <token>``;
* :class:`BodyLimit` answers 413 to a body over the limit, counted as it streams in (a missing or
  false ``Content-Length`` does not get past it).

Both middlewares are plain ASGI, so they wrap a FastAPI app and the MCP SDK's Starlette app alike.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOKEN_ENV = "WORKGYM_TOKEN"
"""The environment variable a server reads its bearer token from (or use a token file)."""


class ExposureError(Exception):
    """A server asked to listen beyond loopback with no token, or given an unusable token."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is reachable only from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_token(token_file: Path | None) -> str | None:
    """The bearer token: the first line of ``token_file``, else ``$WORKGYM_TOKEN``, else None.

    Raises:
        ExposureError: the file cannot be read or holds a token under 16 characters.
    """
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ExposureError(f"{token_file}: cannot read the token file ({exc.strerror})") from None
        source = str(token_file)
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
        source = f"${TOKEN_ENV}"
        if not token:
            return None
    if len(token) < 16:
        raise ExposureError(f"{source}: a token needs at least 16 characters (try: openssl rand -hex 24)")
    return token


def check_exposure(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a token.

    Raises:
        ExposureError: ``host`` is not a loopback address and ``token`` is None.
    """
    if token is None and not is_loopback(host):
        raise ExposureError(
            f"binding to {host} makes the world reachable from other machines; give a bearer token "
            f"(--token-file FILE or ${TOKEN_ENV}) or bind to 127.0.0.1"
        )


async def _send_error(
    send: Send, status: int, kind: str, message: str, headers: list[Any] | None = None
) -> None:
    body = json.dumps({"error": {"kind": kind, "message": message}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BearerAuth:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 401 unless the request carries the token."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if not hmac.compare_digest(given, self._expected):
            await _send_error(
                send,
                401,
                "unauthorized",
                "a bearer token is required: send 'Authorization: Bearer <token>'",
                [(b"www-authenticate", b"Bearer")],
            )
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is answered 413, however it is sent.

    The body is read here, counted, and handed on whole: the limit holds whatever
    ``Content-Length`` says (or when it is missing), and the app never sees part of a body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read and count the body; answer 413 past the limit, else hand it on whole."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = f"the request body is over {self.max_bytes:,} bytes"
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _send_error(send, 413, "too_large", too_large)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            event = await receive()
            if event["type"] != "http.request":  # the client went away
                return
            chunk = event.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await _send_error(send, 413, "too_large", too_large)
                return
            chunks.append(chunk)
            if not event.get("more_body", False):
                break
        pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


def guarded(app: ASGIApp, *, token: str | None, max_bytes: int) -> ASGIApp:
    """``app`` behind the body limit and, when a token is given, bearer auth (checked first)."""
    wrapped: ASGIApp = BodyLimit(app, max_bytes)
    return BearerAuth(wrapped, token) if token else wrapped


__all__ = [
    "TOKEN_ENV",
    "BearerAuth",
    "BodyLimit",
    "ExposureError",
    "check_exposure",
    "guarded",
    "is_loopback",
    "load_token",
]
