"""Helpers shared by the queue tests: building events and reading tables directly."""

from __future__ import annotations

from typing import Any

import psycopg

from pinbridge.queue import Lease, NewEvent
from pinbridge.queue.urls import postgres_target, sqlite_path

__all__ = ["ACCOUNT", "OTHER_ACCOUNT", "T0", "dump_tables", "event", "row_ids"]

ACCOUNT = "549755885175"
OTHER_ACCOUNT = "549755885176"
T0 = 1_750_000_000.0
TABLES = ("pinbridge_events", "pinbridge_history", "pinbridge_dedup", "pinbridge_meta")


def event(
    event_id: str,
    *,
    account: str = ACCOUNT,
    name: str = "checkout",
    payload: bytes | None = None,
) -> NewEvent:
    """A mapped event; the payload defaults to a small JSON object naming the event."""
    body = payload if payload is not None else b'{"event_id":"%s"}' % event_id.encode()
    return NewEvent(account, event_id, name, int(T0), body)


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
        return {t: pg.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}  # type: ignore[arg-type]
