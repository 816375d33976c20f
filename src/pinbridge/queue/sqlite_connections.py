"""Connections of the SQLite queue: a small pool per queue, one connection per
concurrent caller, and failures reported as they are.

Every connection runs in WAL mode with ``synchronous=FULL``. Errors name the file's URL and
the fix that fits the cause: SQLITE_FULL (or ENOSPC) becomes
:class:`~pinbridge.queue.records.QueueDiskFull`, anything else
:class:`~pinbridge.queue.records.QueueUnavailable`. A transaction that fails is rolled back
before its connection goes back to the pool.
"""

from __future__ import annotations

import errno
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pinbridge.config import QueueSettings
from pinbridge.queue.records import QueueDiskFull, QueueUnavailable
from pinbridge.queue.rules import disk_full_message

__all__ = ["SqliteConnections"]


def _switch_to_wal(conn: sqlite3.Connection, timeout: float) -> str:
    """Put the file in WAL mode (a no-op once it is) and return the journal mode in force.

    Switching a new file into WAL needs an exclusive lock, and SQLite answers
    ``SQLITE_BUSY`` at once, without calling the busy handler, when several processes
    create the same queue at the same moment. This retries that answer, with short
    growing sleeps, until ``timeout`` seconds have passed.
    """
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite gave up waiting for another connection's lock (SQLITE_BUSY)."""
    return _primary_code(exc) == sqlite3.SQLITE_BUSY


def _is_full(exc: BaseException) -> bool:
    """Whether the disk (or the file's size limit) is full: SQLite's SQLITE_FULL, or an
    ENOSPC from the operating system."""
    if isinstance(exc, sqlite3.Error):
        return _primary_code(exc) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def _primary_code(exc: sqlite3.Error) -> int:
    code: int = getattr(exc, "sqlite_errorcode", 0)  # absent on errors raised by the module itself
    return code & 0xFF


class SqliteConnections:
    """The pooled connections to one queue file."""

    def __init__(self, path: str, settings: QueueSettings, display: str) -> None:
        self._path = path
        self._settings = settings
        self._display = display
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False

    def connect(self) -> sqlite3.Connection:
        """A new connection in WAL mode, outside the pool."""
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._settings.busy_timeout_seconds,
                isolation_level=None,
                check_same_thread=False,
            )
            mode = _switch_to_wal(conn, self._settings.busy_timeout_seconds)
            conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise self.open_error(exc) from None
        if mode.lower() != "wal":
            conn.close()
            raise QueueUnavailable(
                f"cannot open queue {self._display}: the file system does not support "
                f"SQLite's WAL mode (journal_mode is {mode}); put the file on a local disk"
            )
        return conn

    def open_error(self, exc: sqlite3.Error) -> QueueUnavailable:
        """Why the file could not be opened, with the fix that fits the cause."""
        if _is_full(exc):
            return self._disk_full(exc)
        if _is_busy(exc):
            return QueueUnavailable(
                f"cannot open queue {self._display}: {exc} (another process held a write "
                f"lock for longer than [queue] busy_timeout_seconds = "
                f"{self._settings.busy_timeout_seconds:g}; let it finish or raise that setting)"
            )
        parent = Path(self._path).resolve().parent
        return QueueUnavailable(
            f"cannot open queue {self._display}: {exc} "
            f"(check that {parent} exists and is writable, and that the file is a "
            "pinbridge SQLite queue)"
        )

    def _disk_full(self, exc: BaseException) -> QueueDiskFull:
        where = f"on the disk that holds {Path(self._path).resolve().parent}"
        return QueueDiskFull(disk_full_message(self._display, str(exc), where))

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection for one call, errors translated (see the module docstring)."""
        with self._lock:
            if self._closed:
                raise QueueUnavailable(f"queue {self._display} is closed")
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self.connect()
        try:
            yield conn
        except (sqlite3.OperationalError, OSError) as exc:
            if _is_full(exc):
                raise self._disk_full(exc) from None
            if isinstance(exc, OSError):
                raise
            raise QueueUnavailable(f"queue {self._display}: {exc}") from None
        finally:
            self._release(conn)

    def _release(self, conn: sqlite3.Connection) -> None:
        """Back to the pool, with any transaction rolled back; closed instead when even the
        rollback fails (the connection's state is then unknown) or the queue is closed."""
        keep = True
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                keep = False
        with self._lock:
            if keep and not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; committed (and on disk) when the block ends normally.

        Threads of this process queue on a lock rather than on SQLite's busy handler, which
        polls with sleeps of up to 100 ms; other processes still wait in the busy handler.
        """
        with self._write_lock, self.connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")

    def keep(self, conn: sqlite3.Connection) -> None:
        """Put a connection from :meth:`connect` in the pool."""
        self._release(conn)

    def close(self) -> None:
        """Close the idle connections; the others close when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
