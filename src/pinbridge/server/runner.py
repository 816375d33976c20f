"""Run an app under uvicorn in the current event loop, with pinbridge's limits and shutdown rules.

The connections are held to ``[server]``'s limits (:mod:`pinbridge.server.limits`,
:mod:`pinbridge.server.openfiles`): header, body and keep-alive timeouts, a connection cap
below the open-file limit, calm logging when files run out anyway
(:mod:`pinbridge.server.accepting`, which accepts the connections instead of uvicorn).

On SIGTERM or SIGINT: ``on_signal`` runs first (the app refuses new ingest), uvicorn stops
listening, waits for the requests in flight, at most ``shutdown_timeout_seconds``, after
which the connections still open are closed (their handlers see a disconnect), then runs the
app's lifespan shutdown (delivery finishes its batches). :func:`serve_app` then simply
returns, so the process exits 0; uvicorn's own habit of re-raising the signal afterwards is
left out on purpose.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Callable, Coroutine, Generator
from types import FrameType
from typing import Any, TypeVar, cast

import uvicorn
from starlette.types import ASGIApp

from pinbridge.config import ServerSettings
from pinbridge.server.accepting import Acceptor
from pinbridge.server.limits import SPARE_CONNECTIONS, EdgeLimits, edge_protocol
from pinbridge.server.openfiles import connection_budget, raise_open_file_limit

__all__ = ["bind_socket", "run", "serve_app"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# uvicorn's own limit, a backstop after ours: it cancels the handlers still running.
_BACKSTOP_SECONDS = 10.0
_log = logging.getLogger("pinbridge.server.runner")
_T = TypeVar("_T")

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a dependency; asyncio's loop still works
    _new_event_loop: Callable[[], asyncio.AbstractEventLoop] | None = None
else:
    _new_event_loop = uvloop.new_event_loop


def run(main: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run(main)``, on uvloop's event loop when it can be imported.

    uvloop runs the loop, the sockets and the timers in C (libuv). With the httptools parser
    (:mod:`pinbridge.server.limits`) it about halves the server CPU per request of
    bench/e2e_trivial.py against asyncio's loop and h11. Without uvloop, asyncio's loop is
    used, and everything else works the same (tests/server/test_event_loop.py).
    """
    with asyncio.Runner(loop_factory=_new_event_loop) as runner:
        return runner.run(main)


class _Server(uvicorn.Server):
    def __init__(
        self, config: uvicorn.Config, on_signal: Callable[[], None], shutdown_timeout: float
    ) -> None:
        super().__init__(config)
        self._on_signal = on_signal
        self._shutdown_timeout = shutdown_timeout

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's startup (the lifespan), but :class:`Acceptor` accepts the connections."""
        await super().startup(sockets=[])
        if not self.started:
            return
        config, state = self.config, self.server_state

        def new_connection() -> asyncio.Protocol:
            protocol: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=state, app_state=self.lifespan.state
            )
            return protocol

        acceptors = [Acceptor(sock, new_connection) for sock in sockets or []]
        # uvicorn only calls close() and wait_closed() on them.
        self.servers = cast("list[asyncio.base_events.Server]", acceptors)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        limit = asyncio.get_running_loop().call_later(
            self._shutdown_timeout, self._close_connections
        )
        try:
            await super().shutdown(sockets=sockets)
        finally:
            limit.cancel()

    def _close_connections(self) -> None:
        still_open = list(self.server_state.connections)
        if not still_open:
            return
        _log.warning(
            "shutdown limit reached: closing the connections still open; a request cut off "
            "here got no answer and is sent again by its sender",
            extra={
                "connections": len(still_open),
                "shutdown_timeout_seconds": self._shutdown_timeout,
            },
        )
        for connection in still_open:
            connection.transport.abort()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self._on_signal()
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


async def serve_app(
    app: ASGIApp,
    sock: socket.socket,
    limits: ServerSettings,
    *,
    on_signal: Callable[[], None],
    on_ready: Callable[[], None],
) -> None:
    """Serve ``app`` on ``sock`` until a signal; ``on_ready`` runs once requests are taken."""
    open_files = raise_open_file_limit()
    edge = EdgeLimits(
        max_connections=connection_budget(limits.max_connections, open_files, SPARE_CONNECTIONS),
        header_timeout=limits.header_timeout_seconds,
        body_timeout=limits.body_timeout_seconds,
    )
    config = uvicorn.Config(
        app,
        http=edge_protocol(edge),
        ws="none",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        # Typed int, but uvicorn only hands them to call_later / wait_for, which take floats.
        timeout_keep_alive=cast(int, limits.keepalive_timeout_seconds),
        timeout_graceful_shutdown=cast(int, limits.shutdown_timeout_seconds + _BACKSTOP_SECONDS),
    )
    server = _Server(config, on_signal, limits.shutdown_timeout_seconds)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    if server.started:
        _log.info(
            "connection limits",
            extra={"max_connections": edge.max_connections, "open_file_limit": open_files},
        )
        on_ready()
    await serving
