"""Idle and slow connections held open against the server, and when the server ends them.

Three kinds: ``idle`` connects and sends nothing; ``slow-headers`` sends a request line and
then one header byte per second (slowloris); ``slow-body`` sends complete headers declaring
a body, then one body byte per second. One thread tends every connection: each second it
sends the slow kinds their next byte, and it reads whatever the server sends, noting when
the server answered (the status line, such as ``408``) and when it closed the connection.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Flood", "KINDS"]

KINDS = ("idle", "slow-headers", "slow-body")
_TICK = 1.0
_HEADERS = b"POST /events/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
_BODY_HEADERS = _HEADERS + b"Content-Length: 100000\r\n\r\n"


@dataclass
class _Connection:
    kind: str
    sock: socket.socket
    opened: float
    closed: float | None = None
    answer: bytes = b""


@dataclass
class Flood:
    """Connections held open to ``address`` until the server closes them or :meth:`close`."""

    address: tuple[str, int]
    connections: list[_Connection] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def open(self, kind: str, count: int) -> None:
        """Open ``count`` connections of ``kind``; refused ones are counted, not raised."""
        for _ in range(count):
            try:
                sock = socket.create_connection(self.address, timeout=5)
            except OSError as exc:
                self.refused[type(exc).__name__] += 1
                continue
            sock.setblocking(False)
            if kind == "slow-body":
                _send(sock, _BODY_HEADERS)
            elif kind == "slow-headers":
                _send(sock, _HEADERS)
            with self._lock:
                self.connections.append(_Connection(kind, sock, time.monotonic()))
        if self._thread is None:
            self._thread = threading.Thread(target=self._tend, name="flood", daemon=True)
            self._thread.start()

    def open_count(self) -> int:
        """Connections the server has not closed yet."""
        with self._lock:
            return sum(1 for c in self.connections if c.closed is None)

    def figures(self) -> dict[str, dict[str, object]]:
        """Per kind: opened, closed by the server, the longest time one stayed open, and
        the status lines the server answered them with."""
        result: dict[str, dict[str, object]] = {}
        now = time.monotonic()
        with self._lock:
            for kind in KINDS:
                mine = [c for c in self.connections if c.kind == kind]
                if not mine:
                    continue
                answers = Counter(_status_of(c.answer) for c in mine if c.answer)
                result[kind] = {
                    "opened": len(mine),
                    "closed_by_server": sum(1 for c in mine if c.closed is not None),
                    "longest_open_s": round(max((c.closed or now) - c.opened for c in mine), 1),
                    "answers": dict(answers),
                }
        return result

    def close(self) -> None:
        """Stop tending and close every connection still open."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            for connection in self.connections:
                connection.sock.close()

    def _tend(self) -> None:
        while not self._stop.wait(_TICK):
            with self._lock:
                live = [c for c in self.connections if c.closed is None]
            for connection in live:
                if connection.kind != "idle" and not _send(connection.sock, b"X"):
                    connection.closed = time.monotonic()
            poller = select.poll()  # not select(): the flood may pass descriptor 1024
            by_fd = {c.sock.fileno(): c for c in live if c.closed is None}
            for fd in by_fd:
                poller.register(fd, select.POLLIN)
            for fd, _ in poller.poll(0):
                self._read(by_fd[fd])

    def _read(self, connection: _Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            connection.answer += data[: 4096 - len(connection.answer)]
        else:
            connection.closed = time.monotonic()


def _send(sock: socket.socket, data: bytes) -> bool:
    """Send without blocking; False when the server closed the connection."""
    try:
        sock.send(data)
    except BlockingIOError:
        return True  # the server does not read: the connection is still open
    except OSError:
        return False
    return True


def _status_of(answer: bytes) -> str:
    line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) > 1 and line.startswith("HTTP/") else "other"
