"""The SQLite backend's statements, one small function each, run inside the caller's
transaction. Pending rows are selected with :data:`~pinbridge.queue.schema.PENDING`, the
partial indexes' own predicate, so that SQLite uses those indexes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from pinbridge.queue import counters
from pinbridge.queue.records import NewEvent
from pinbridge.queue.schema import PENDING

__all__ = [
    "add_counts",
    "blocked",
    "claim_key",
    "counts",
    "depth",
    "full_account",
    "head",
    "insert",
    "log",
]


def head(conn: sqlite3.Connection, now: float) -> tuple[str, float] | None:
    """The account and ready time of the oldest ready event, if any."""
    row = conn.execute(
        "SELECT ad_account_id, available_at FROM pinbridge_events "  # noqa: S608 - constant predicate
        f"WHERE {PENDING} AND available_at <= ? "
        "ORDER BY available_at, id LIMIT 1",
        (now,),
    ).fetchone()
    return None if row is None else (str(row[0]), float(row[1]))


def full_account(
    conn: sqlite3.Connection, now: float, min_age: float, max_events: int, max_bytes: int
) -> str | None:
    """An account with a full batch ready (by count or bytes), when none is old enough."""
    row = conn.execute(
        "SELECT ad_account_id FROM pinbridge_events "  # noqa: S608 - constant predicate
        f"WHERE {PENDING} AND available_at <= ? "
        "AND available_at > ? GROUP BY ad_account_id "
        "HAVING COUNT(*) >= ? OR SUM(size) >= ? ORDER BY MIN(available_at) LIMIT 1",
        (now, now - min_age, max_events, max_bytes),
    ).fetchone()
    return None if row is None else str(row[0])


def blocked(conn: sqlite3.Connection, event: NewEvent, now: float) -> bool:
    """Whether a live dedup key (pending or delivered, within the window) blocks ``event``."""
    row = conn.execute(
        "SELECT 1 FROM pinbridge_dedup WHERE ad_account_id = ? AND event_id = ? "
        "AND event_name = ? AND expires_at > ?",
        (event.ad_account_id, event.event_id, event.event_name, now),
    ).fetchone()
    return row is not None


def insert(conn: sqlite3.Connection, event: NewEvent, now: float, expires_at: float) -> None:
    """Store a new entry, claim its dedup key until ``expires_at`` and log ``queued``."""
    row_id = conn.execute(
        "INSERT INTO pinbridge_events (ad_account_id, event_id, event_name, event_time, "
        "payload, size, status, attempts, enqueued_at, next_attempt_at, available_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?) RETURNING id",
        (
            *(event.ad_account_id, event.event_id, event.event_name, event.event_time),
            *(event.payload, len(event.payload), now, now, now, now),
        ),
    ).fetchone()[0]
    conn.execute(
        "INSERT INTO pinbridge_dedup (ad_account_id, event_id, event_name, row_id, expires_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (ad_account_id, event_id, event_name) "
        "DO UPDATE SET row_id = excluded.row_id, expires_at = excluded.expires_at",
        (event.ad_account_id, event.event_id, event.event_name, row_id, expires_at),
    )
    log(conn, row_id, event.event_id, status="queued", at=now, attempts=0, message=None)


def claim_key(
    conn: sqlite3.Connection,
    key: tuple[str, str, str],
    row_id: int,
    now: float,
    expires_at: float,
) -> None:
    """Make ``row_id`` the holder of ``key`` unless another entry holds it still."""
    conn.execute(
        "INSERT INTO pinbridge_dedup (ad_account_id, event_id, event_name, row_id, expires_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (ad_account_id, event_id, event_name) "
        "DO UPDATE SET row_id = excluded.row_id, expires_at = excluded.expires_at "
        "WHERE pinbridge_dedup.expires_at <= ?",
        (*key, row_id, expires_at, now),
    )


def log(
    conn: sqlite3.Connection,
    row_id: int,
    event_id: str,
    *,
    status: str,
    at: float,
    attempts: int,
    message: str | None,
) -> None:
    """One history entry: a status change of one entry."""
    conn.execute(
        "INSERT INTO pinbridge_history (row_id, event_id, status, at, attempts, message) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (row_id, event_id, status, at, attempts, message),
    )


def depth(conn: sqlite3.Connection) -> int:
    """Pending entries: a sum over the counter rows."""
    return int(conn.execute(counters.DEPTH).fetchone()[0])


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Entries per status: sums over the counter rows."""
    return counters.counts_from_row(conn.execute(counters.COUNTS).fetchone())


def add_counts(conn: sqlite3.Connection, deltas: Mapping[str, int]) -> None:
    """Add the net change per status of this transaction to the counters."""
    counters.add(conn.execute, deltas, "?")
