"""The HTTP edge's own limits: header and body read timeouts, a connection cap that answers.

uvicorn (its h11 protocol) has an idle keep-alive timeout and a graceful-shutdown limit,
which the runner configures, but it waits for ever for a request head or a body that never
ends, and its concurrency limit answers 503 even to ``/healthz``. :func:`edge_protocol`
returns a subclass of uvicorn's h11 protocol that adds, per connection:

- **header timeout**: the request line and headers must arrive within ``header_timeout``
  of the connection (or of the first byte of a later request on a kept-alive connection);
  else 408 and the connection is closed (closed silently when nothing at all was sent);
- **body timeout**: the whole body must arrive within ``body_timeout`` of the headers; else
  408, the handler sees a disconnect (nothing from the request is stored), the connection
  is closed;
- **connection cap**: up to ``max_connections`` connections are served. The next
  :data:`SPARE_CONNECTIONS` are still read: ``GET /healthz`` and ``/readyz`` are answered as
  usual, anything else gets 503 + ``Retry-After``; each is closed after its answer. Beyond
  those, a new connection gets the 503 at once and is closed.

Occurrences are logged at most once per interval (see :mod:`pinbridge.server.throttle`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from pinbridge.server.ingest import RETRY_AFTER_SECONDS
from pinbridge.server.throttle import Throttled

__all__ = ["PROBE_PATHS", "SPARE_CONNECTIONS", "EdgeLimits", "edge_protocol"]

SPARE_CONNECTIONS = 32
PROBE_PATHS = frozenset({"/healthz", "/readyz"})
_CLOSE = (b"connection", b"close")
_log = logging.getLogger("pinbridge.server.limits")


@dataclass(frozen=True)
class EdgeLimits:
    """What every connection is held to; see the module docstring."""

    max_connections: int
    header_timeout: float
    body_timeout: float


def edge_protocol(limits: EdgeLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with ``limits``; pass it as ``uvicorn.Config(http=...)``."""
    notes = _Notes()
    return type("EdgeProtocol", (_EdgeProtocol,), {"limits": limits, "notes": notes})


class _Notes:
    """The throttled log lines of one server, shared by its connections."""

    def __init__(self) -> None:
        self.refused = Throttled(
            _log,
            "connection limit reached: new connections answered 503 "
            "([server] max_connections; probes are still answered)",
        )
        self.slow_head = Throttled(
            _log,
            "closed connections whose request head did not arrive in time "
            "([server] header_timeout_seconds)",
            level=logging.INFO,
        )
        self.slow_body = Throttled(
            _log,
            "answered 408 to requests whose body did not arrive in time "
            "([server] body_timeout_seconds)",
        )


class _EdgeProtocol(H11Protocol):
    limits: ClassVar[EdgeLimits]
    notes: ClassVar[_Notes]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        open_now = len(self.connections)
        cap = self.limits.max_connections
        if open_now > cap + SPARE_CONNECTIONS:
            self.notes.refused(open_connections=open_now)
            self._answer_before_request(503, b"Service Unavailable", _busy_message(cap))
            return
        if open_now > cap:
            self.notes.refused(open_connections=open_now)
            self.app = _probes_only(self.app, _busy_message(cap))
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._stop_head_timer()
        self._stop_body_timer()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)
        super().data_received(data)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._stop_head_timer()
        if self.cycle is not cycle and self.conn.their_state is h11.SEND_BODY:
            self._stop_body_timer()
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
        elif self.conn.their_state is not h11.SEND_BODY:
            self._stop_body_timer()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _stop_body_timer(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        idle = self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE
        if self.transport.is_closing() or not idle:
            return
        self.notes.slow_head()
        if not self.conn.trailing_data[0]:  # nothing of a request was sent: just close
            self.transport.close()
            return
        seconds = f"{self.limits.header_timeout:g}"
        self._answer_before_request(
            408,
            b"Request Timeout",
            f"the request line and headers did not arrive within {seconds} seconds "
            "([server] header_timeout_seconds); send the whole request head at once",
        )

    def _body_late(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        if cycle is None or cycle.response_started:  # answered without reading it all
            self.transport.close()
            return
        self.notes.slow_body()
        # The handler waiting for the rest of the body now sees a disconnect; its answer,
        # if any, is dropped: this 408 is the answer.
        cycle.response_started = cycle.response_complete = cycle.disconnected = True
        cycle.message_event.set()
        seconds = f"{self.limits.body_timeout:g}"
        body = _error_body(
            f"the request body did not arrive within {seconds} seconds of its headers "
            "([server] body_timeout_seconds): nothing from this request was stored; send it "
            "again, faster or in smaller requests"
        )
        headers = [(b"content-type", b"application/json"), _CLOSE]
        headers.append((b"content-length", str(len(body)).encode()))
        for event in (
            h11.Response(status_code=408, headers=headers, reason=b"Request Timeout"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()

    def _answer_before_request(self, status: int, reason: bytes, message: str) -> None:
        """Write a whole answer outside h11 (no request was read) and close the connection."""
        body = _error_body(message)
        head = (
            f"HTTP/1.1 {status} {reason.decode()}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n"
        )
        if status == 503:
            head += f"retry-after: {RETRY_AFTER_SECONDS}\r\n"
        self.transport.write(head.encode() + b"\r\n" + body)
        self.transport.close()


def _probes_only(app: Any, message: str) -> ASGIApp:
    """``app`` for the probes, 503 for anything else; every answer closes the connection."""

    async def answer(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in PROBE_PATHS:

            async def closing(reply: Message) -> None:
                if reply["type"] == "http.response.start":
                    reply = {**reply, "headers": [*reply.get("headers", []), _CLOSE]}
                await send(reply)

            await app(scope, receive, closing)
            return
        body = _error_body(message)
        headers = [
            (b"content-type", b"application/json"),
            (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
            (b"content-length", str(len(body)).encode()),
            _CLOSE,
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return answer


def _busy_message(cap: int) -> str:
    return (
        f"pinbridge has too many open connections (limit: [server] max_connections = {cap:,}); "
        "nothing was stored: send the request again after Retry-After seconds, and reuse "
        "connections (keep-alive) rather than opening many"
    )


def _error_body(message: str) -> bytes:
    return orjson.dumps({"error": message})
