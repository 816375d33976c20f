"""Accepting connections: calm when out of files, and the same on asyncio's loop and uvloop.

uvicorn would hand the listening socket to ``loop.create_server``, and the two loops differ
where it matters most. When ``accept()`` fails for want of files, asyncio's loop logs it and
tries again a second later, the new connections waiting in the listen backlog meanwhile.
uvloop (libuv) instead accepts and closes at once every connection waiting (libuv's "EMFILE
trick"), logging nothing; and an accept error it cannot handle so (ENOBUFS, ENOMEM, or EMFILE
once the trick's spare file is gone) closes the listening socket for good, silently
(uvloop/handles/streamserver.pyx): the process would live on answering nothing.

:class:`Acceptor` accepts in Python on either loop (one ``accept()`` per new connection:
connections are kept alive, so this is not per request) and hands each connection to
``loop.connect_accepted_socket``, which builds the loop's own transport, the C one on uvloop.
An accept that fails for want of files or memory is logged at most once per interval and
accepting pauses for :data:`ACCEPT_RETRY_SECONDS`; other accept errors go to the loop's
exception handler and accepting goes on.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable

from pinbridge.server.throttle import Throttled

__all__ = ["ACCEPT_RETRY_SECONDS", "Acceptor"]

ACCEPT_RETRY_SECONDS = 1.0  # asyncio's own pause (asyncio.constants.ACCEPT_RETRY_DELAY)
_ACCEPTS_PER_WAKEUP = 128  # then other callbacks get their turn
_EXHAUSTION = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_log = logging.getLogger("pinbridge.server.accepting")


class Acceptor(asyncio.AbstractServer):
    """Accepts connections on a listening ``sock`` for the running loop until :meth:`close`.

    The socket itself is left open: its owner closes it.
    """

    def __init__(self, sock: socket.socket, protocol_factory: Callable[[], asyncio.Protocol]):
        self._loop = asyncio.get_running_loop()
        self._sock = sock
        self._factory = protocol_factory
        self._serving = True
        self._retry: asyncio.TimerHandle | None = None
        self._starting: set[asyncio.Task[object]] = set()
        self._exhausted = Throttled(
            _log,
            "cannot accept new connections: the process is out of file descriptors or memory; "
            "connections wait in the listen backlog until some close (raise the open-file "
            "limit or lower [server] max_connections)",
            level=logging.ERROR,
        )
        sock.setblocking(False)
        self._loop.add_reader(sock.fileno(), self._accept)

    def _accept(self) -> None:
        for _ in range(_ACCEPTS_PER_WAKEUP):
            try:
                conn, _address = self._sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as error:
                if error.errno not in _EXHAUSTION:
                    self._loop.call_exception_handler(
                        {"message": "accept() failed", "exception": error, "socket": self._sock}
                    )
                    return
                self._exhausted(error=errno.errorcode.get(error.errno or 0, "unknown"))
                self._loop.remove_reader(self._sock.fileno())
                self._retry = self._loop.call_later(ACCEPT_RETRY_SECONDS, self._resume)
                return
            conn.setblocking(False)
            task = self._loop.create_task(self._connect(conn))
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn)
        except Exception as error:  # the peer may be gone already; others are still served
            conn.close()
            self._loop.call_exception_handler(
                {"message": "could not start a new connection", "exception": error}
            )

    def _resume(self) -> None:
        self._retry = None
        if self._serving:
            self._loop.add_reader(self._sock.fileno(), self._accept)

    def close(self) -> None:
        """Stop accepting (the connections already accepted are not touched)."""
        if not self._serving:
            return
        self._serving = False
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        else:
            self._loop.remove_reader(self._sock.fileno())

    def is_serving(self) -> bool:
        return self._serving

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    async def wait_closed(self) -> None:
        """Nothing to wait for: :meth:`close` stops accepting at once."""

    async def start_serving(self) -> None:
        """Already serving since it was made."""

    async def serve_forever(self) -> None:
        raise NotImplementedError("uvicorn runs the serving loop")
