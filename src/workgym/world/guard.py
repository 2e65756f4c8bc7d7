"""What stands between the world's network faces and the network: loopback, Host, tokens, body size.

Both HTTP faces (the env server and MCP over streamable HTTP) are wrapped the same way:

* :func:`check_exposure` refuses to bind beyond loopback without a token;
* :class:`HostCheck` answers 421 to a request whose ``Host`` is not the address the server is
  bound to, and 403 to one whose ``Origin`` names another site (DNS rebinding, cross-site pages);
* :class:`BearerAuth` answers 401 to a request without ``Authorization: Bearer <token>``;
* :class:`BodyLimit` answers 413 to a body over the limit, counted as it streams in (a missing or
  false ``Content-Length`` does not get past it).

The middlewares are plain ASGI, so they wrap a FastAPI app and the MCP SDK's Starlette app alike.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""The names a server bound to loopback may be reached by, whichever of them it is bound to."""


def _host_name(host: str) -> str:
    """A bind address or host name as it appears in a ``Host`` header (IPv6 in brackets), lower case."""
    name = host.strip().lower().rstrip(".")
    if ":" in name and not name.startswith("["):
        name = f"[{name}]"
    return name


def _is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _split_host(value: str, default_port: int | None) -> tuple[str, int | None] | None:
    """``name[:port]`` (IPv6 in brackets) as (name, port); None when it is not of that shape."""
    value = value.strip().lower()
    if not value or any(c in value for c in "/@?#\\ "):
        return None
    if value.startswith("["):
        close = value.find("]")
        if close < 0:
            return None
        name, rest = value[: close + 1], value[close + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = value.partition(":")
    if not port_text:
        return name.rstrip("."), default_port
    if not port_text.isdigit() or len(port_text) > 5:
        return None
    return name.rstrip("."), int(port_text)


class HostCheck:
    """ASGI middleware: a request must name this server in ``Host``, and any ``Origin`` must be it too.

    A web page can make a browser send requests to a server on loopback (or on a private
    address) by pointing a DNS name it controls at that address (DNS rebinding): the request
    arrives with ``Host: attacker.example``. This check refuses every ``Host`` that is not the
    bound address, at the port the connection arrived on, with 421; a request that carries an
    ``Origin`` (a browser's, from a page) is refused with 403 unless the origin is this server.

    Names accepted at the port the connection arrived on: ``host`` itself, the local address
    the connection arrived at (for a wildcard bind such as ``0.0.0.0``, whose own name is never
    accepted), and the loopback names (:data:`LOOPBACK_NAMES`) when either is loopback. Names in
    ``allowed`` (a DNS name of the machine, a reverse proxy's) are accepted at any port.

    Args:
        app: the app behind the check.
        host: the address the server is bound to.
        allowed: further host names (without port) clients may use.
    """

    def __init__(self, app: ASGIApp, host: str, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.host = host
        self._allowed = frozenset(_host_name(a) for a in allowed if a.strip())
        names: set[str] = set()
        if not _is_wildcard(host):
            names.add(_host_name(host))
        if is_loopback(host):
            names.update(LOOPBACK_NAMES)
        self._names = frozenset(names)

    def _names_for(self, scope: Scope) -> frozenset[str]:
        local = scope.get("server")
        if not local or not local[0]:
            return self._names
        here = _host_name(str(local[0]))
        extra = {here} if not _is_wildcard(here) else set()
        if is_loopback(here):
            extra.update(LOOPBACK_NAMES)
        return self._names | extra

    def allows(self, scope: Scope, host: str, *, default_port: int | None = None) -> bool:
        """Whether ``host`` (a ``Host`` value, or an origin's ``name[:port]``) names this server."""
        local = scope.get("server")
        port = int(local[1]) if local and len(local) > 1 and local[1] is not None else None
        split = _split_host(host, default_port if default_port is not None else 80)
        if split is None:
            return False
        name, given = split
        if name in self._allowed:
            return True
        return name in self._names_for(scope) and (port is None or given == port)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 421 to a foreign ``Host`` and 403 to a foreign ``Origin``; else pass the request on."""
        if scope["type"] != "http":  # lifespan; neither face serves websockets
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for key, value in scope.get("headers") or []:
            if key in headers and key in (b"host", b"origin"):  # two of them: which one is meant?
                headers[key] = b""
            else:
                headers.setdefault(key, value)
        host = headers.get(b"host", b"").decode("latin-1")
        if not self.allows(scope, host):
            await _send_error(
                send,
                421,
                "wrong_host",
                f"this server answers to {', '.join(sorted(self._names_for(scope) | self._allowed))}, "
                f"not to Host {host[:60]!r}",
            )
            return
        origin = headers.get(b"origin")
        if origin is not None and not self._same_origin(scope, origin.decode("latin-1")):
            await _send_error(
                send, 403, "wrong_origin", "requests from another site's pages are refused (Origin)"
            )
            return
        await self.app(scope, receive, send)

    def _same_origin(self, scope: Scope, origin: str) -> bool:
        parts = urlsplit(origin.strip())
        if parts.scheme not in ("http", "https") or parts.path or parts.query or parts.username:
            return False
        return self.allows(scope, parts.netloc, default_port=443 if parts.scheme == "https" else 80)


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


def guarded(
    app: ASGIApp,
    *,
    token: str | None,
    max_bytes: int,
    host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
) -> ASGIApp:
    """``app`` behind, in the order checked: the Host check, bearer auth (with a token), the body limit.

    Args:
        app: the app to guard.
        token: the bearer token every request must carry, or None (loopback only).
        max_bytes: the largest request body.
        host: the address the server is bound to (see :class:`HostCheck`).
        allowed_hosts: further host names clients may use.
    """
    wrapped: ASGIApp = BodyLimit(app, max_bytes)
    if token:
        wrapped = BearerAuth(wrapped, token)
    return HostCheck(wrapped, host, allowed_hosts)


__all__ = [
    "LOOPBACK_NAMES",
    "TOKEN_ENV",
    "BearerAuth",
    "BodyLimit",
    "ExposureError",
    "HostCheck",
    "check_exposure",
    "guarded",
    "is_loopback",
    "load_token",
]
