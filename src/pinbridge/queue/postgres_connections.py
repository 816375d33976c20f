"""Connections of the PostgreSQL queue: a pool, and failures reported as they are.

:meth:`PostgresConnections.run` runs one transaction and turns driver errors into the
queue's: a full disk into :class:`~pinbridge.queue.records.QueueDiskFull`, anything else
about the connection into :class:`~pinbridge.queue.records.QueueUnavailable`, naming the URL
(never its password) and the cause.

When the database is unreachable, calls fail fast: a call waits at most
``[queue] pool_wait_seconds`` for a connection, and after a connection-level failure a
:class:`~pinbridge.queue.breaker.Breaker` refuses calls at once until a trial call gets
through. The pool gives up a failing reconnection chain after ``_RECONNECT_SECONDS`` and
starts a fresh one on demand, so no long backoff delays the recovery. A pool that is only
busy (every connection held by this object's own calls) is not taken for a dead database.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self, TypeVar

import psycopg
from psycopg import sql
from psycopg.errors import TransactionRollback
from psycopg_pool import ConnectionPool, PoolTimeout

from pinbridge.config import QueueSettings
from pinbridge.queue.breaker import Breaker
from pinbridge.queue.records import QueueDiskFull, QueueUnavailable
from pinbridge.queue.rules import disk_full_message
from pinbridge.queue.urls import PostgresTarget

__all__ = [
    "Connection",
    "PostgresConnections",
    "cause",
    "connect_timeout",
    "disk_full",
    "is_disk_full",
]

_T = TypeVar("_T")
Connection = psycopg.Connection[Any]
_TRANSACTION_RETRIES = 5
_DISK_FULL = frozenset({"53100", "53000"})  # disk_full, insufficient_resources
_SERVER_GONE = frozenset({"57P01", "57P02", "57P03"})  # shutdowns, cannot_connect_now
_BREAKER_SECONDS = 1.0
_RECONNECT_SECONDS = 3.0
_DISK_FULL_FIX = "on the PostgreSQL server (its data directory, WAL or tablespace disk)"


def connect_timeout(settings: QueueSettings) -> int:
    """libpq's connect timeout: whole seconds, at least 2 (opening.py refuses less)."""
    return max(2, math.ceil(settings.connect_timeout_seconds))


class PostgresConnections:
    """A pool of connections to one queue's database, with its breaker. ``breaker``
    replaces the default one (tests give it a clock they control)."""

    def __init__(
        self, target: PostgresTarget, settings: QueueSettings, *, breaker: Breaker | None = None
    ) -> None:
        self._target = target
        self._settings = settings
        self._breaker = breaker or Breaker(_BREAKER_SECONDS)
        self._busy = 0  # connections held by calls through this object
        self._busy_lock = threading.Lock()
        self._connect_error: str | None = None  # the pool's last connection attempt, failed
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            target.conninfo,
            min_size=1,
            max_size=settings.pool_size,
            kwargs={"connect_timeout": connect_timeout(settings)},
            connection_class=_reporting_connection(self._connected),
            configure=self._configure,
            check=ConnectionPool.check_connection,
            timeout=settings.pool_wait_seconds,
            reconnect_timeout=_RECONNECT_SECONDS,
            name="pinbridge-queue",
            open=False,
        )
        try:
            self._pool.open(wait=True, timeout=settings.connect_timeout_seconds)
        except PoolTimeout:
            self._pool.close()
            raise QueueUnavailable(
                f"cannot open queue {target.display}: no connection within "
                f"{settings.connect_timeout_seconds:g} s"
            ) from None

    def close(self) -> None:
        self._pool.close()

    def run(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one transaction; connection trouble -> QueueUnavailable (at once
        while the breaker is open), a full disk -> QueueDiskFull."""
        refusal = self._breaker.admit()
        if refusal is not None:
            raise QueueUnavailable(f"queue {self._target.display}: {refusal}")
        try:
            result = self._transaction(work)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise self._failure(exc) from None
        except BaseException:
            self._breaker.succeeded()  # the database answered; the error is the caller's
            raise
        self._breaker.succeeded()
        return result

    def _transaction(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one transaction, retrying it when PostgreSQL aborted it to break
        a deadlock or a serialisation conflict."""
        for attempt in range(_TRANSACTION_RETRIES):
            try:
                with self._pool.connection() as conn, self._holding():
                    return work(conn)
            except TransactionRollback:
                if attempt == _TRANSACTION_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _failure(self, exc: psycopg.OperationalError | PoolTimeout) -> QueueUnavailable:
        """The error to raise for ``exc``, opening the breaker when the database is down
        (closing it when the database answered)."""
        display = self._target.display
        if isinstance(exc, PoolTimeout):
            with self._busy_lock:
                saturated = self._busy >= self._settings.pool_size
            if saturated:
                self._breaker.succeeded()
                return QueueUnavailable(
                    f"queue {display}: all {self._settings.pool_size} connections "
                    f"([queue] pool_size) stayed in use for {self._settings.pool_wait_seconds:g} "
                    "s ([queue] pool_wait_seconds); raise pool_size, or see what holds them"
                )
            why = (
                f"no connection within {self._settings.pool_wait_seconds:g} s "
                "([queue] pool_wait_seconds)"
            )
            if self._connect_error is not None:
                why += f"; last attempt: {self._connect_error}"
            self._breaker.failed(why)
            return QueueUnavailable(f"queue {display}: {why}")
        if is_disk_full(exc):
            self._breaker.succeeded()
            return disk_full(display, exc)
        why = cause(exc)
        if _connection_lost(exc):
            self._breaker.failed(why)
        else:
            self._breaker.succeeded()
        return QueueUnavailable(f"queue {display}: {why}")

    def _connected(self, error: str | None) -> None:
        """Called by the pool's connection class after each attempt (None: it worked)."""
        self._connect_error = error

    @contextmanager
    def _holding(self) -> Iterator[None]:
        with self._busy_lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._busy_lock:
                self._busy -= 1

    def _configure(self, conn: Connection) -> None:
        if self._target.schema is not None:
            conn.execute(
                sql.SQL("SET search_path TO {}").format(sql.Identifier(self._target.schema))
            )
            conn.commit()


def disk_full(display: str, exc: psycopg.Error) -> QueueDiskFull:
    """The QueueDiskFull for the queue shown as ``display``, when ``exc`` says so."""
    return QueueDiskFull(disk_full_message(display, cause(exc), _DISK_FULL_FIX))


def is_disk_full(exc: psycopg.Error) -> bool:
    """Whether PostgreSQL answered that its disk is full (SQLSTATE 53100 or 53000)."""
    return exc.sqlstate in _DISK_FULL


def _connection_lost(exc: psycopg.OperationalError) -> bool:
    """Whether ``exc`` says the connection (not the statement) failed: a client-side
    error (no SQLSTATE), class 08, or the server shutting down or starting up."""
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in _SERVER_GONE


def _reporting_connection(report: Callable[[str | None], None]) -> type[Connection]:
    """A connection class for the pool that reports each connection attempt to ``report``:
    the cause when it failed, None when it worked (so messages can say why the pool has no
    connection to give)."""

    class _Reporting(psycopg.Connection[Any]):
        @classmethod
        def connect(cls, *args: Any, **kwargs: Any) -> Self:
            try:
                conn = super().connect(*args, **kwargs)
            except psycopg.OperationalError as exc:
                report(cause(exc))
                raise
            report(None)
            return conn

    return _Reporting


def cause(exc: BaseException) -> str:
    """The first line of a driver error (libpq never puts the password in it)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
