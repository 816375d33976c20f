"""The HTTP edge's own limits: header and body read timeouts, a connection cap that answers.

uvicorn's httptools protocol (its fastest: llhttp, a C parser) has an idle keep-alive timeout
and a graceful-shutdown limit, which the runner configures, but it waits for ever for a
request head or a body that never ends, takes a request head of any size, and its concurrency
limit answers 503 even to ``/healthz``. :func:`edge_protocol` returns a subclass of it that
adds, per connection:

- **header timeout**: the request line and headers must arrive within ``header_timeout``
  of the connection (or of the first byte of a later request on a kept-alive connection);
  else 408 and the connection is closed (closed silently when nothing at all was sent);
- **head size**: a request head still incomplete after :data:`MAX_HEAD_BYTES` gets 431 and
  the connection is closed. httptools has no such limit; uvicorn's h11 protocol, used
  before, had this one (its ``h11_max_incomplete_event_size``). As there, a head that
  arrives whole in one read is taken; and as the parser gives no position within a read, a
  head that begins in the middle of one, after another request, is counted from the next;
- **body timeout**: the whole body must arrive within ``body_timeout`` of the headers; else
  408, the handler sees a disconnect (nothing from the request is stored), the connection
  is closed;
- **connection cap**: up to ``max_connections`` connections are served. The next
  :data:`SPARE_CONNECTIONS` are still read: ``GET /healthz`` and ``/readyz`` are answered as
  usual, anything else gets 503 + ``Retry-After``; each is closed after its answer. Beyond
  those, a new connection gets the 503 at once and is closed.

The timers are armed after a read only when a head or a body is left incomplete by it: a
request that arrives in one read (nearly all) costs no timer but the connection's first.
Occurrences are logged at most once per interval (see :mod:`pinbridge.server.throttle`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from pinbridge.server.ingest import RETRY_AFTER_SECONDS
from pinbridge.server.throttle import Throttled

__all__ = ["MAX_HEAD_BYTES", "PROBE_PATHS", "SPARE_CONNECTIONS", "EdgeLimits", "edge_protocol"]

SPARE_CONNECTIONS = 32
MAX_HEAD_BYTES = 16 * 1024
PROBE_PATHS = frozenset({"/healthz", "/readyz"})
_CLOSE = (b"connection", b"close")
_log = logging.getLogger("pinbridge.server.limits")


@dataclass(frozen=True)
class EdgeLimits:
    """What every connection is held to; see the module docstring."""

    max_connections: int
    header_timeout: float
    body_timeout: float


def edge_protocol(limits: EdgeLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits``; pass it as ``uvicorn.Config(http=...)``."""
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
        self.big_head = Throttled(
            _log, f"answered 431 to request heads over {MAX_HEAD_BYTES:,} bytes"
        )
        self.slow_body = Throttled(
            _log,
            "answered 408 to requests whose body did not arrive in time "
            "([server] body_timeout_seconds)",
        )


class _EdgeProtocol(HttpToolsProtocol):
    """The limits of the module docstring, on top of uvicorn's parser callbacks.

    ``_in_head``: a request has begun (its first byte was parsed) and its headers have not
    ended; ``_in_body``: its headers have ended and its body has not. ``_begun`` counts the
    requests begun, to tell after a read whether the head in progress is the one before it.
    """

    limits: ClassVar[EdgeLimits]
    notes: ClassVar[_Notes]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._in_head = False
        self._in_body = False
        self._begun = 0
        self._head_bytes = 0

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        open_now = len(self.connections)
        cap = self.limits.max_connections
        if open_now > cap + SPARE_CONNECTIONS:
            self.notes.refused(open_connections=open_now)
            self._answer_and_close(HTTPStatus.SERVICE_UNAVAILABLE, _busy_message(cap))
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
        begun, busy = self._begun, self._in_head or self._in_body
        super().data_received(data)
        if self.transport.is_closing():
            return
        if self._in_head:
            # Count this read if the head in progress began before it or at its start.
            if self._begun == begun or (not busy and self._begun == begun + 1):
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self.notes.big_head()
                    self._answer_and_close(
                        HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        f"the request line and headers are longer than {MAX_HEAD_BYTES:,} "
                        "bytes: nothing from this request was stored; send shorter headers "
                        "(large cookies are the usual cause)",
                    )
                    return
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_late)
        elif self._in_body and self._body_timer is None:
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)

    def on_message_begin(self) -> None:
        self._in_head = True
        self._begun += 1
        self._head_bytes = 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_body = True
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._stop_body_timer()
        super().on_message_complete()

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
        if self.transport.is_closing():
            return
        self.notes.slow_head()
        if not self._in_head:  # nothing of a request was sent: just close
            self.transport.close()
            return
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # A pipelined head behind an answer still being written: no 408 in the middle
            # of that answer; the connection closes after it.
            cycle.keep_alive = False
            return
        seconds = f"{self.limits.header_timeout:g}"
        self._answer_and_close(
            HTTPStatus.REQUEST_TIMEOUT,
            f"the request line and headers did not arrive within {seconds} seconds "
            "([server] header_timeout_seconds); send the whole request head at once",
        )

    def _body_late(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or not self._in_body:
            return
        if any(queued is cycle for queued, _ in self.pipeline):
            # Pipelined behind an earlier answer, so not read yet: its time starts again.
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._body_late)
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
        self._answer_and_close(
            HTTPStatus.REQUEST_TIMEOUT,
            f"the request body did not arrive within {seconds} seconds of its headers "
            "([server] body_timeout_seconds): nothing from this request was stored; send it "
            "again, faster or in smaller requests",
        )

    def _answer_and_close(self, status: HTTPStatus, message: str) -> None:
        """Write a whole answer outside uvicorn's request cycle and close the connection."""
        body = _error_body(message)
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n"
        )
        if status == HTTPStatus.SERVICE_UNAVAILABLE:
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
