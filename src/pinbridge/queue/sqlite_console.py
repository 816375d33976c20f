"""The SQLite backend's reads for the operator console: one small function each, and
:class:`SqliteConsoleReads`, the queue's methods that run them.

Without ``ANALYZE`` statistics SQLite takes an equality on any indexed column for a
selective one, so the reads whose best index is a range (an event_id prefix, delivery
times) name their index (``INDEXED BY``): a plan that could not use it fails loudly
instead of scanning the table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from pinbridge.queue import tallies as per_minute
from pinbridge.queue.reading import (
    DEAD_LETTER_COLUMNS,
    SUMMARY_COLUMNS,
    check_entries,
    dead_letter_group,
    entry_detail,
    entry_summary,
    prefix_range,
)
from pinbridge.queue.records import DeadLetterGroup, EntryDetail, EntrySummary, TallyRow
from pinbridge.queue.rules import storable_text

__all__ = ["SqliteConsoleReads", "entries_query"]


def _entry(conn: sqlite3.Connection, event_id: str) -> EntryDetail | None:
    """The latest entry with ``event_id`` and its attempts, read in one snapshot."""
    conn.execute("BEGIN")
    row = conn.execute(
        f"SELECT {SUMMARY_COLUMNS}, payload, warnings FROM pinbridge_events "  # noqa: S608 - fixed names
        "WHERE event_id = ? ORDER BY id DESC LIMIT 1",
        (event_id,),
    ).fetchone()
    attempts = conn.execute(
        "SELECT at, http_status, message, batch_size FROM pinbridge_attempts "
        "WHERE row_id = ? ORDER BY at, id",
        (None if row is None else row[0],),
    ).fetchall()
    conn.execute("COMMIT")
    return None if row is None else entry_detail(row, attempts)


def entries_query(
    *,
    status: str | None,
    event_name: str | None,
    destination: str | None,
    event_id_prefix: str | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """The statement listing the newest entries that pass the filters given, and its
    parameters. Each equality filter has an index ordered by id; a prefix is a range of the
    bytewise event_id index."""
    where: list[str] = []
    params: list[Any] = []
    # Without per-value statistics SQLite rates every status as selective as the average;
    # but delivered entries are the bulk of a queue, so with another filter given it reads
    # that filter's index ("+status" takes the status index out of the choice).
    others = event_name is not None or destination is not None or bool(event_id_prefix)
    status_column = "+status" if status == "delivered" and others else "status"
    for column, value in (
        (status_column, status),
        ("event_name", event_name),
        ("destination", destination),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    source = "pinbridge_events"
    if event_id_prefix:
        low, high = prefix_range(event_id_prefix)
        source += " INDEXED BY pinbridge_events_event_id_bytewise"
        where.append("event_id >= ?")
        params.append(low)
        if high is not None:
            where.append("event_id < ?")
            params.append(high)
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    statement = f"SELECT {SUMMARY_COLUMNS} FROM {source} {condition}ORDER BY id DESC LIMIT ?"  # noqa: S608 - fixed names
    return statement, [*params, limit]


def _entries(conn: sqlite3.Connection, statement: str, params: list[Any]) -> list[EntrySummary]:
    """Run a statement from :func:`entries_query`."""
    return [entry_summary(row) for row in conn.execute(statement, params)]


def _dead_letter_groups(
    conn: sqlite3.Connection, destination: str | None, limit: int
) -> list[DeadLetterGroup]:
    """Dead letters grouped by reason, largest first, each with its newest entry."""
    narrow = "" if destination is None else "AND destination = ? "
    params: list[Any] = [] if destination is None else [destination]
    rows = conn.execute(
        f"SELECT g.reason, g.n, g.first_seen, g.last_seen, {DEAD_LETTER_COLUMNS} "  # noqa: S608 - fixed names
        "FROM (SELECT COALESCE(message, '') AS reason, COUNT(*) AS n, "
        "MIN(updated_at) AS first_seen, MAX(updated_at) AS last_seen, MAX(id) AS sample "
        f"FROM pinbridge_events WHERE status = 'failed' {narrow}"
        "GROUP BY COALESCE(message, '') ORDER BY n DESC, last_seen DESC, reason LIMIT ?) g "
        "JOIN pinbridge_events ON id = g.sample ORDER BY g.n DESC, g.last_seen DESC, g.reason",
        [*params, limit],
    ).fetchall()
    return [dead_letter_group(row) for row in rows]


def _tallies(
    conn: sqlite3.Connection, since: float, until: float, destination: str | None
) -> list[TallyRow]:
    """The per-minute counters of [since, until), slots summed."""
    params: list[Any] = [since, until]
    if destination is not None:
        params.append(per_minute.destination_key(destination))
    statement = per_minute.read_statement("?", destination is not None)
    return [per_minute.tally_row(row) for row in conn.execute(statement, params)]


def _delivery_latencies(
    conn: sqlite3.Connection, since: float, destination: str | None, limit: int
) -> list[float]:
    """Acceptance-to-delivery seconds of the latest ``limit`` deliveries since ``since``."""
    if destination is None:
        rows = conn.execute(
            "SELECT updated_at - enqueued_at FROM pinbridge_events "
            "INDEXED BY pinbridge_events_final "
            "WHERE status IN ('delivered', 'failed', 'expired') AND status = 'delivered' "
            "AND updated_at >= ? ORDER BY updated_at DESC LIMIT ?",
            (since, limit),
        )
    else:
        rows = conn.execute(
            "SELECT updated_at - enqueued_at FROM pinbridge_events "
            "INDEXED BY pinbridge_events_delivered "
            "WHERE status = 'delivered' AND destination = ? AND updated_at >= ? "
            "ORDER BY updated_at DESC LIMIT ?",
            (destination, since, limit),
        )
    return [float(row[0]) for row in rows]


# Each destination with delivered entries, found by skipping through the delivered index
# (one seek per destination), then the latest delivery of each.
_LAST_DELIVERY = """
WITH RECURSIVE names(name) AS (
    SELECT (SELECT destination FROM pinbridge_events INDEXED BY pinbridge_events_delivered
            WHERE status = 'delivered' ORDER BY destination LIMIT 1)
    UNION ALL
    SELECT (SELECT destination FROM pinbridge_events INDEXED BY pinbridge_events_delivered
            WHERE status = 'delivered' AND destination > names.name
            ORDER BY destination LIMIT 1)
    FROM names WHERE names.name IS NOT NULL
)
SELECT MAX((SELECT MAX(updated_at) FROM pinbridge_events
            INDEXED BY pinbridge_events_delivered
            WHERE status = 'delivered' AND destination = names.name))
FROM names WHERE names.name IS NOT NULL
"""


def _last_delivery_at(conn: sqlite3.Connection, destination: str | None) -> float | None:
    """When the latest delivered entry (of ``destination``) was delivered."""
    if destination is None:
        row = conn.execute(_LAST_DELIVERY).fetchone()
    else:
        row = conn.execute(
            "SELECT MAX(updated_at) FROM pinbridge_events INDEXED BY pinbridge_events_delivered "
            "WHERE status = 'delivered' AND destination = ?",
            (destination,),
        ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


class SqliteConsoleReads:
    """The console's reads of :class:`~pinbridge.queue.base.Queue`, for the SQLite queue
    (which provides ``_connection``: a pooled connection per call)."""

    _connection: Callable[[], AbstractContextManager[sqlite3.Connection]]

    def dead_letter_groups(
        self, destination: str | None = None, limit: int = 50
    ) -> list[DeadLetterGroup]:
        name = None if destination is None else storable_text(destination)
        with self._connection() as conn:
            return _dead_letter_groups(conn, name, limit)

    def entry(self, event_id: str) -> EntryDetail | None:
        with self._connection() as conn:
            return _entry(conn, storable_text(event_id))

    def entries(
        self,
        *,
        status: str | None = None,
        event_name: str | None = None,
        destination: str | None = None,
        event_id_prefix: str | None = None,
        limit: int = 50,
    ) -> list[EntrySummary]:
        check_entries(status, limit)
        statement, params = entries_query(
            status=status,
            event_name=None if event_name is None else storable_text(event_name),
            destination=None if destination is None else storable_text(destination),
            event_id_prefix=event_id_prefix,
            limit=limit,
        )
        with self._connection() as conn:
            return _entries(conn, statement, params)

    def tallies(self, since: float, until: float, destination: str | None = None) -> list[TallyRow]:
        with self._connection() as conn:
            return _tallies(conn, since, until, destination)

    def delivery_latencies(
        self, since: float, destination: str | None = None, limit: int = 100_000
    ) -> list[float]:
        name = None if destination is None else storable_text(destination)
        with self._connection() as conn:
            return _delivery_latencies(conn, since, name, limit)

    def last_delivery_at(self, destination: str | None = None) -> float | None:
        name = None if destination is None else storable_text(destination)
        with self._connection() as conn:
            return _last_delivery_at(conn, name)
