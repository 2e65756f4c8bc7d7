"""What stands between the viewer and the rest of the machine: a token, the Host, the Origin, headers.

Binding to 127.0.0.1 keeps other machines out, not other pages: any page the user's browser
opens can send requests to 127.0.0.1 (a form posted cross-site), a page on a name that resolves
to 127.0.0.1 (DNS rebinding) can read what the viewer answers, and any user of the same machine
can connect to loopback. The viewer shows a workspace (with ``--raw``, the real text beside it)
and, in operable mode, acts on an episode, so :class:`ViewerGuard` does what Jupyter's server
does for the same reasons:

* **A token per start.** :class:`ViewerSecrets` makes two random values each time the viewer
  starts. The address ``workgym view`` prints carries the token once (``/?token=...``); the
  viewer answers with a cookie holding it (``HttpOnly``, ``SameSite=Strict``, path ``/``, named by
  port so two viewers do not clobber each other) and a redirect to the same page without it, so
  it stays out of later URLs. Every request must then carry it, in that cookie or as
  ``Authorization: Bearer <token>`` (scripts); without it the answer is 403. Tokens are compared
  in constant time.
* **The Host it bound.** The Host header must name the address the viewer was started on (on
  loopback, any of 127.0.0.1, localhost and ::1); anything else is 400. A rebound name does not
  pass, whatever the browser sends with it.
* **Writes from its own pages.** A request that is not GET or HEAD must come from the viewer's
  own pages: an ``Origin`` header, when sent, must be the viewer's own origin (``null`` is not),
  ``Sec-Fetch-Site`` must be ``same-origin`` or ``none``, and the form must carry the form token,
  the second random value, which every form of the viewer holds as a hidden field (a client that
  sends the bearer header needs none). Its body is read here, up to :data:`MAX_BODY` (413 past it).
* **Headers on every answer.** A Content-Security-Policy that allows the pages' own style block
  and nothing else (no script, no fetch, no frame, forms to the viewer only, framed by no one),
  ``X-Frame-Options: DENY``, ``nosniff``, ``Referrer-Policy: same-origin`` (no Referer to any other
  site; ``no-referrer`` would make browsers send ``Origin: null`` with the viewer's own posts),
  ``Cache-Control: no-store`` (the pages show private text) and same-origin opener and resource
  policies.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workgym.report.html import style_hash
from workgym.report.pages import FORM_TOKEN, STYLE, e, layout
from workgym.world.guard import is_loopback

MAX_BODY = 1 << 20
"""The largest request body the viewer reads (a form post), in bytes."""

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
"""The Host names a viewer bound to loopback answers to."""

CSP = (
    f"default-src 'none'; style-src {style_hash(STYLE)}; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
"""The viewer's Content-Security-Policy: its own style block; no script, fetch, image or frame."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: under it Chromium and Firefox send `Origin: null` with the viewer's own form
    # posts, and the Origin check could not tell them from a sandboxed page's. same-origin (Django's
    # default) sends no Referer to any other site either.
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
"""Sent with every answer of the viewer."""


def _random() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class ViewerSecrets:
    """The random values of one viewer start: the token that lets a client in, and the form token."""

    token: str = field(default_factory=_random, repr=False)
    form_token: str = field(default_factory=_random, repr=False)

    def __post_init__(self) -> None:
        """Refuse a token too short to guess at.

        Raises:
            ValueError: a token under 16 characters, or one that is not printable ASCII.
        """
        for name, value in (("token", self.token), ("form token", self.form_token)):
            if len(value) < 16 or not (value.isascii() and value.isprintable()) or " " in value:
                raise ValueError(f"a viewer {name} needs 16 or more printable ASCII characters, no spaces")


def same(given: str, expected: str) -> bool:
    """Whether ``given`` is ``expected``, compared in constant time."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


def local_path(target: str, fallback: str = "/") -> str:
    r"""``target`` when it is a path on this site, else ``fallback``.

    A browser reads ``//host``, ``/\host`` and a path with a tab or newline in it (which it drops)
    as another site, so only a path that starts with one "/" and holds no backslash, control
    character or space is kept.
    """
    if (
        not target.startswith("/")
        or target.startswith("//")
        or any(c == "\\" or c <= " " or c == "\x7f" for c in target)
    ):
        return fallback
    return target


def allowed_hosts(host: str) -> frozenset[str]:
    """The Host names a viewer bound to ``host`` answers to."""
    name = host.strip("[]").lower()
    return LOOPBACK_NAMES | {name} if is_loopback(name) else frozenset({name})


def split_host(header: str) -> tuple[str, str] | None:
    """A Host header's (name, port) (port "" when absent); None when it is not a Host header."""
    if header.startswith("["):
        name, closed, rest = header[1:].partition("]")
        if not closed:
            return None
    else:
        name, colon, port = header.partition(":")
        rest = f":{port}" if colon else ""
    port = rest[1:]
    if rest and not (rest[0] == ":" and port.isascii() and port.isdigit() and len(port) <= 5):
        return None
    return (name.lower(), port) if name else None


def _page(status: int, message: str) -> Response:
    return HTMLResponse(layout(str(status), f"<p>{e(message)}</p>"), status_code=status)


async def _body(receive: Receive) -> bytes | None:
    """The whole request body; None when it is over :data:`MAX_BODY` or the client went away."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        event = await receive()
        if event["type"] != "http.request":
            return None
        chunk = event.get("body", b"")
        seen += len(chunk)
        if seen > MAX_BODY:
            return None
        chunks.append(chunk)
        if not event.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _with_headers(send: Send) -> Callable[[Message], Awaitable[None]]:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
        await send(message)

    return sending


class ViewerGuard:
    """ASGI middleware: the token, Host, Origin and form-token checks, and the headers (module doc)."""

    def __init__(self, app: ASGIApp, *, tokens: ViewerSecrets, hosts: frozenset[str]) -> None:
        self.app = app
        self.tokens = tokens
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 400, 403 or 413 when a check fails; else hand the request on."""
        if scope["type"] != "http":  # lifespan (the viewer has no websocket route)
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        refusal, receive = await self._check(scope, receive)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, receive: Receive) -> tuple[Response | None, Receive]:
        """A refusal (or the redirect that stores the token), or None and the receive to hand on."""
        conn = HTTPConnection(scope)
        headers = conn.headers
        host = split_host(headers.get("host", ""))
        if host is None or host[0] not in self.hosts:
            return _page(400, "this viewer answers only to the address it was started on"), receive
        safe = scope["method"] in ("GET", "HEAD")
        if not safe:
            origin = headers.get("origin")
            if origin is not None and origin.lower() != f"{scope['scheme']}://{headers['host']}".lower():
                return _page(403, "a write must come from the viewer's own pages (foreign Origin)"), receive
            if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                return _page(403, "a write must come from the viewer's own pages (cross-site)"), receive
        token = self.tokens.token
        cookie = f"workgym-viewer-{host[1] or '80'}"
        offered = conn.query_params.get("token")
        if safe and offered is not None:
            if not same(offered, token):
                return _page(403, "that is not this viewer's token (was the viewer restarted?)"), receive
            rest = [(k, v) for k, v in conn.query_params.multi_items() if k != "token"]
            where = local_path(scope.get("raw_path", b"/").decode("latin-1")) + (
                f"?{urlencode(rest)}" if rest else ""
            )
            stored = RedirectResponse(where, status_code=303)
            stored.set_cookie(cookie, token, httponly=True, samesite="strict", path="/")
            return stored, receive
        by_header = same(headers.get("authorization", ""), f"Bearer {token}")
        if not by_header and not same(conn.cookies.get(cookie, ""), token):
            return _page(
                403, "open the address `workgym view` printed: it carries this viewer's token"
            ), receive
        if safe:
            return None, receive
        body = await _body(receive)
        if body is None:
            return _page(413, f"a request body is at most {MAX_BODY:,} bytes"), receive
        if not by_header:
            kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            fields: list[tuple[str, str]] = []
            if kind == "application/x-www-form-urlencoded":  # what the viewer's forms send
                try:
                    fields = parse_qsl(
                        body.decode("latin-1"), keep_blank_values=True, errors="replace", max_num_fields=1000
                    )
                except ValueError:
                    return _page(400, "a form has at most 1,000 fields"), receive
            given = [v for k, v in fields if k == FORM_TOKEN]
            if len(given) != 1 or not same(given[0], self.tokens.form_token):
                return _page(
                    403, "the form does not carry this viewer's form token (reload the page)"
                ), receive
        return None, _replay(body, receive)


__all__ = [
    "CSP",
    "LOOPBACK_NAMES",
    "MAX_BODY",
    "SECURITY_HEADERS",
    "ViewerGuard",
    "ViewerSecrets",
    "allowed_hosts",
    "local_path",
    "same",
    "split_host",
]
