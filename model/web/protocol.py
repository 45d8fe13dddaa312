"""uvicorn's HTTP/1.1 protocol (h11) with what it lacks: a deadline for a request's head, a cap on open
connections, and JSON refusals with the usual headers.

Why here: uvicorn holds a connection that sends part of a request line or headers (or nothing) for
as long as the client likes; the app never sees such a request, so only the protocol can end it.
Its own cap (``limit_concurrency``) answers a plain-text 503 without Retry-After. The body's read
timeout is ``guard.BodyLimit``'s, in the app.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from model.web.guard import AccessLog, SecurityHeaders, error_body, security_headers
from model.web.server import ServeSettings

__all__ = ["GuardedH11Protocol"]


def _app_csp() -> str:
    from model.web.app import CSP

    return CSP


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    body = error_body("this worker has all the connections it takes: try again in a second")
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", b"1"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class GuardedH11Protocol(H11Protocol):
    """One connection: uvicorn's h11 protocol, plus a head deadline, the connection cap and JSON 400s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = ServeSettings.from_env()
        self.header_timeout = settings.header_timeout
        self.max_connections = settings.max_connections
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            # answered once its request has arrived (or the head deadline passes), then closed
            self.app = AccessLog(SecurityHeaders(_busy, policy=_app_csp()))
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._await_head()  # (part of a head: uvicorn has stopped its keep-alive timer)
        else:
            self._head_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self.head_timer is None and self.header_timeout:
            self.head_timer = self.loop.call_later(self.header_timeout, self._head_too_slow)

    def _head_arrived(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_too_slow(self) -> None:
        """No whole request line and headers within the deadline: 408 if part of one came, then close."""
        self.head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # (a response is on its way: uvicorn closes or keeps the connection after it)
        if self.conn.trailing_data[0]:  # part of a request: say why it ends
            seconds = f"{self.header_timeout:g}"
            self._write_and_close(408, f"the request line and headers did not arrive within {seconds} seconds")
        else:  # nothing sent at all (an idle or speculative connection): just close
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """A request h11 cannot read (a malformed request line or header, headers over the size cap)."""
        self._write_and_close(400, "the request line or headers are not valid HTTP/1.1, or are too long")

    def _write_and_close(self, status: int, detail: str) -> None:
        body = error_body(detail)
        reason = {400: b"Bad Request", 408: b"Request Timeout"}[status]
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *security_headers(_app_csp()),
        ]
        head = b"HTTP/1.1 %d %s\r\n" % (status, reason) + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
        self.transport.write(head + b"\r\n" + body)  # (raw: h11 sends no response before a request)
        self.transport.close()
