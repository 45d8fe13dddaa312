"""ASGI middleware that keeps answers private and the server answerable: a body size cap and read
timeout, security headers, a path-only access log, and a Host check.

Why plain ASGI (not a framework hook): the size cap and timeout must see the raw byte stream before
any parser does, and the headers must reach every response, error pages included.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from model.report.render import csp as render_csp

__all__ = [
    "BODY_TIMEOUT",
    "LOOPBACK_NAMES",
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_TARGET_BYTES",
    "PERMISSIONS_POLICY",
    "AccessLog",
    "BodyLimit",
    "HostCheck",
    "SecurityHeaders",
    "csp",
    "error_body",
    "security_headers",
]

#: The names a browser uses for this computer: what a quiz served on loopback answers to.
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: A full answer set is well under 1 KiB as a form or as JSON; 16 KiB leaves room and no more.
MAX_BODY_BYTES = 16 * 1024
#: Seconds a request's body may take to arrive, all of it (a browser sends 1 KiB at once).
BODY_TIMEOUT = 10.0
#: The request line's path and query, and all headers together: what h11 allows a head that arrives
#: slowly, applied to every head however fast it came.
MAX_TARGET_BYTES = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
#: Browser features the quiz never uses, refused to the page and anything it could embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), fullscreen=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), browsing-topics=()"
)

log = logging.getLogger("exodds.web")


def csp(script_hashes: Iterable[str] = (), meta: bool = False) -> str:
    """The web quiz's Content-Security-Policy (``model.report.render.csp``, the one policy): its form
    posts to itself, and the header (not the ``meta`` copy in the page) forbids framing."""
    return render_csp(script_hashes, form_action="'self'", frame_ancestors=not meta)


def error_body(detail: str) -> bytes:
    """The body of every error the server makes itself: ``{"detail": ...}`` (ASCII, so any answer
    quoted in it survives whatever the client decodes it as)."""
    return json.dumps({"detail": detail.strip()}).encode()


async def _error(send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    """A short JSON error reply that closes the connection (the request may not have been read whole)."""
    body = error_body(detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, by Content-Length and by counting the stream,
    and bodies that take longer than ``timeout`` seconds to arrive with 408; a path and query over
    ``MAX_TARGET_BYTES`` with 414, headers over ``MAX_HEADER_BYTES`` with 431.

    The body is read (at most ``limit`` + one chunk) before the app runs, so a chunked or
    lying upload is refused before any parser sees it, and the app gets it replayed whole. A client
    that stops sending halfway (a slow or stalled upload) is answered and let go instead of holding
    its connection and a task open.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, timeout: float | None = BODY_TIMEOUT):
        self.app = app
        self.limit = int(limit)
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        if target > MAX_TARGET_BYTES:
            await _error(send, 414, f"the path and query are too long: the limit is {MAX_TARGET_BYTES} bytes")
            return
        if sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER_BYTES:
            await _error(send, 431, f"the request headers are too large: the limit is {MAX_HEADER_BYTES} bytes")
            return
        too_big = f"request body too large: the limit is {self.limit} bytes"
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await _error(send, 400, "Content-Length is not a number")
                return
            if declared > self.limit:
                await _error(send, 413, too_big)
                return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.limit:
                        await _error(send, 413, too_big)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _error(send, 408, f"the request body did not arrive within {self.timeout:g} seconds")
            return
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect

        await self.app(scope, replay, send)


def host_name(header: str) -> str:
    """The name in a Host header, without its port: 'localhost:8000' -> 'localhost', '[::1]:80' -> '::1';
    '' for anything that is not a host name or address (a Host header never holds '@', '/' or spaces)."""
    header = header.strip().lower()
    if not re.fullmatch(r"[a-z0-9.\-]+(:\d+)?|\[[0-9a-f:.]+\](:\d+)?|[0-9a-f:]+", header):
        return ""
    if header.startswith("["):
        return header[1 : header.index("]")]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """Answer only requests addressed to one of ``allowed`` names (421 otherwise).

    A web page on another site can point its own domain name at 127.0.0.1 (DNS rebinding) and
    have the visitor's browser talk to a quiz served on loopback; such requests still carry that
    other name in their Host header, so they are refused before they reach the app.
    """

    def __init__(self, app: ASGIApp, allowed: Iterable[str]):
        self.app = app
        self.allowed = {host_name(a) for a in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host_name(host) not in self.allowed:
            shown = ", ".join(sorted(self.allowed))
            await _error(send, 421, f"this quiz answers requests for {shown} only, not {host!r}")
            return
        await self.app(scope, receive, send)


def security_headers(policy: str) -> list[tuple[bytes, bytes]]:
    """The headers every response carries: ``policy`` (the CSP) and the privacy and isolation headers."""
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        # no other site may load a response (a report, the API's JSON) into its own page
        (b"cross-origin-resource-policy", b"same-origin"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        # pages may echo answers (a form sent back with its errors, a report): never cache them
        (b"cache-control", b"no-store"),
    ]


class SecurityHeaders:
    """Add the CSP and the other privacy headers to every response, error pages included."""

    def __init__(self, app: ASGIApp, policy: str):
        self.app = app
        self.headers = security_headers(policy)
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.names]
                message["headers"] = kept + self.headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Log where it failed, never the message: it may quote an answer.
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" at {frame.filename}:{frame.lineno}" if frame else ""
            log.error("%s %s failed: %s%s", scope.get("method"), scope.get("path"), type(exc).__name__, where)
            if not started:
                await _error(send_with_headers, 500, "internal error: nothing was stored")


class AccessLog:
    """One line per request: method, path (never the query string or body), status and time."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            ms = 1000 * (time.perf_counter() - start)
            log.info("%s %s %s %.0f ms", scope.get("method", "?"), scope.get("path", "?"), status or "-", ms)
