"""A TCP proxy on loopback that can be cut and restored: PostgreSQL "unreachable" on demand.

The fault suite points pinbridge at the proxy instead of PostgreSQL, so the database can
vanish and come back without restarting (or reconfiguring) the shared PostgreSQL server.
:meth:`TcpProxy.cut` resets every open connection and stops listening, so new connections
are refused (``ECONNREFUSED``), as when a database host goes down; :meth:`TcpProxy.restore`
listens again on the same port. Threads, not asyncio: the test process has no event loop
and the traffic is a handful of database connections.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from collections.abc import Iterator

__all__ = ["TcpProxy", "running_proxy"]

_POLL = 0.1
_CHUNK = 65536
_RESET_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends RST


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target``; see the module docstring."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self.connections = 0
        """Connections accepted and forwarded since start."""
        self.dropped = 0
        """Connections reset by :meth:`cut`."""
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        """Where clients connect: ``("127.0.0.1", port)``."""
        return ("127.0.0.1", self.port)

    def start(self) -> None:
        """Listen (on a free port the first time, on the same port after a cut)."""
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.port = server.getsockname()[1]
        self._listening.set()
        self._listener = threading.Thread(
            target=self._accept_loop, args=(server,), name="proxy-accept", daemon=True
        )
        self._listener.start()

    def cut(self) -> int:
        """Stop listening and reset every open connection; the number reset."""
        self._stop_listening()
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_ON_CLOSE)
                    sock.shutdown(socket.SHUT_RDWR)
        self.dropped += len(pairs)
        return len(pairs)

    def restore(self) -> None:
        """Listen again on the same port."""
        self.start()

    def close(self) -> None:
        """Cut everything and stop for good."""
        self.cut()

    def _stop_listening(self) -> None:
        self._listening.clear()
        if self._listener is not None:
            self._listener.join(10)
            self._listener = None

    def _accept_loop(self, server: socket.socket) -> None:
        with server:
            while self._listening.is_set():
                ready, _, _ = select.select([server], [], [], _POLL)
                if not ready:
                    continue
                client, _ = server.accept()
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    client.close()
                    continue
                upstream.settimeout(None)
                pair = (client, upstream)
                with self._lock:
                    self._pairs.add(pair)
                    self.connections += 1
                threading.Thread(
                    target=self._pump, args=(pair,), name="proxy-pump", daemon=True
                ).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket]) -> None:
        """Copy bytes both ways until either side closes (or :meth:`cut` shuts them)."""
        client, upstream = pair
        other = {client: upstream, upstream: client}
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [])
                for sock in ready:
                    data = sock.recv(_CHUNK)
                    if not data:
                        return
                    other[sock].sendall(data)
        except OSError:
            return
        finally:
            with self._lock:
                self._pairs.discard(pair)
            for sock in pair:
                sock.close()


@contextlib.contextmanager
def running_proxy(target: tuple[str, int]) -> Iterator[TcpProxy]:
    """A started :class:`TcpProxy` for the block, closed afterwards."""
    proxy = TcpProxy(target)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.close()
