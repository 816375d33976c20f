"""Helpers shared by the queue tests: building events and reading tables directly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from pinbridge.queue import Lease, NewEvent
from pinbridge.queue.urls import postgres_target, sqlite_path

__all__ = [
    "ACCOUNT",
    "OTHER_ACCOUNT",
    "T0",
    "downgrade_to_version_2",
    "downgrade_to_version_3",
    "dump_tables",
    "event",
    "row_ids",
    "run_sql",
    "status_counts",
]

ACCOUNT = "549755885175"
OTHER_ACCOUNT = "549755885176"
T0 = 1_750_000_000.0
TABLES = (
    "pinbridge_events",
    "pinbridge_history",
    "pinbridge_attempts",
    "pinbridge_tallies",
    "pinbridge_dedup",
    "pinbridge_counts",
    "pinbridge_failed_counts",
    "pinbridge_pauses",
    "pinbridge_meta",
)


def event(
    event_id: str,
    *,
    account: str = ACCOUNT,
    name: str = "checkout",
    payload: bytes | None = None,
    destination: str = "default",
) -> NewEvent:
    """A mapped event; the payload defaults to a small JSON object naming the event."""
    body = payload if payload is not None else b'{"event_id":"%s"}' % event_id.encode()
    return NewEvent(account, event_id, name, int(T0), body, destination)


def row_ids(lease: Lease | None) -> list[int]:
    """The row ids a lease holds, in order ([] for no lease)."""
    return [] if lease is None else [e.row_id for e in lease.events]


def dump_tables(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every pinbridge table, read with the driver directly."""
    if url.startswith("sqlite:"):
        import sqlite3

        conn = sqlite3.connect(sqlite_path(url))
        try:
            return {t: conn.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
        finally:
            conn.close()
    target = postgres_target(url)
    with psycopg.connect(target.conninfo) as pg:
        pg.execute(f"SET search_path TO {target.schema}")
        return {t: pg.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}


def run_sql(url: str, statements: Sequence[str]) -> list[list[tuple[Any, ...]]]:
    """Run ``statements`` on the queue's database in one transaction, outside pinbridge;
    returns each statement's rows ([] when it returns none)."""
    results: list[list[tuple[Any, ...]]] = []
    if url.startswith("sqlite:"):
        import sqlite3

        conn = sqlite3.connect(sqlite_path(url))
        try:
            with conn:
                for statement in statements:
                    results.append(conn.execute(statement).fetchall())
        finally:
            conn.close()
        return results
    target = postgres_target(url)
    with psycopg.connect(target.conninfo) as pg:
        pg.execute(f"SET search_path TO {target.schema}")
        for statement in statements:
            cursor = pg.execute(statement)
            results.append(cursor.fetchall() if cursor.description else [])
    return results


def status_counts(url: str) -> dict[str, int]:
    """Entries per status counted from the events table itself (every status present)."""
    [rows] = run_sql(url, ["SELECT status, COUNT(*) FROM pinbridge_events GROUP BY status"])
    found = {str(status): int(n) for status, n in rows}
    statuses = ("queued", "retrying", "paused", "delivered", "failed", "expired")
    return {status: found.get(status, 0) for status in statuses}


def downgrade_to_version_3(url: str) -> None:
    """Turn the queue into what pinbridge with schema 3 left: no warnings, attempts or
    tallies, none of the console's indexes, the event_id index in the database's collation,
    and version 3."""
    run_sql(
        url,
        [
            "DROP INDEX pinbridge_events_event_id_bytewise",
            "DROP INDEX pinbridge_events_status",
            "DROP INDEX pinbridge_events_event_name",
            "DROP INDEX pinbridge_events_destination",
            "DROP INDEX pinbridge_events_delivered",
            "CREATE INDEX pinbridge_events_event_id ON pinbridge_events (event_id)",
            "ALTER TABLE pinbridge_events DROP COLUMN warnings",
            "DROP TABLE pinbridge_attempts",
            "DROP TABLE pinbridge_tallies",
            "UPDATE pinbridge_meta SET value = '3' WHERE key = 'schema_version'",
        ],
    )


def downgrade_to_version_2(url: str) -> None:
    """Turn the queue into what pinbridge with schema 2 left: no destinations, no pauses,
    no dead-letter counters per destination, ready indexes overall and per account, and
    version 2."""
    downgrade_to_version_3(url)
    run_sql(
        url,
        [
            "DROP INDEX pinbridge_events_destination_ready",
            "DROP INDEX pinbridge_events_destination_failed",
            "ALTER TABLE pinbridge_events DROP COLUMN destination",
            "DROP TABLE pinbridge_failed_counts",
            "DROP TABLE pinbridge_pauses",
            "CREATE INDEX pinbridge_events_ready ON pinbridge_events "
            "(available_at, id) WHERE status IN ('queued', 'retrying', 'paused')",
            "CREATE INDEX pinbridge_events_account_ready ON pinbridge_events "
            "(ad_account_id, available_at, id) WHERE status IN ('queued', 'retrying', 'paused')",
            "UPDATE pinbridge_meta SET value = '2' WHERE key = 'schema_version'",
        ],
    )
