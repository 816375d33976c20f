"""The queue's tables, written once for both dialects (SQLite and PostgreSQL).

- ``pinbridge_events``: one row per queue entry. ``available_at`` is when the row may be
  leased next: ``next_attempt_at`` when free, the lease's expiry while leased, so "ready and
  not under a live lease" is one indexed range (``available_at <= now``).
- ``pinbridge_history``: one row per status change, for the delivery log.
- ``pinbridge_dedup``: one row per (account, event_id, event_name) that blocks a new entry
  until ``expires_at``; its primary key makes dedup race-free across nodes.
- ``pinbridge_counts``: entries per status, spread over a few rows so concurrent writers on
  several nodes rarely wait for each other; ``counts()`` and ``depth()`` are sums (cheap).
  See :mod:`pinbridge.queue.counters`.
- ``pinbridge_meta``: the schema version. Version 1 kept only a pending count
  (``pinbridge_depth``); :func:`upgrade` turns such a queue into version 2 on open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pinbridge.queue import counters
from pinbridge.queue.records import FINAL_STATUSES, PENDING_STATUSES, QueueUnavailable

__all__ = [
    "FINAL",
    "PENDING",
    "SCHEMA_VERSION",
    "check_version",
    "schema_statements",
    "status_in",
    "upgrade",
]

SCHEMA_VERSION = 2
"""Written as a literal in ``_VERSION_ROW`` and ``upgrade``: change all three together."""


def status_in(statuses: Iterable[str], column: str = "status") -> str:
    """The SQL predicate ``column IN ('a', 'b')`` for a fixed set of statuses (names from
    :mod:`pinbridge.queue.records`, never caller input)."""
    quoted = ", ".join(f"'{status}'" for status in statuses)
    return f"{column} IN ({quoted})"


PENDING = status_in(PENDING_STATUSES)
"""SQL predicate of pending rows; every query uses this string so partial indexes apply."""
FINAL = status_in(FINAL_STATUSES)
"""SQL predicate of final rows (delivered, failed, expired)."""

_TYPES = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "bytes": "BLOB", "real": "REAL"},
    "postgres": {"id": "BIGSERIAL PRIMARY KEY", "bytes": "BYTEA", "real": "DOUBLE PRECISION"},
}

_TABLES = """
CREATE TABLE IF NOT EXISTS pinbridge_events (
    id {id},
    ad_account_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    payload {bytes} NOT NULL,
    size INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    enqueued_at {real} NOT NULL,
    next_attempt_at {real} NOT NULL,
    available_at {real} NOT NULL,
    lease_token TEXT,
    updated_at {real} NOT NULL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS pinbridge_events_ready
    ON pinbridge_events (available_at, id) WHERE {pending};
CREATE INDEX IF NOT EXISTS pinbridge_events_account_ready
    ON pinbridge_events (ad_account_id, available_at, id) WHERE {pending};
CREATE INDEX IF NOT EXISTS pinbridge_events_event_id ON pinbridge_events (event_id);
CREATE INDEX IF NOT EXISTS pinbridge_events_final
    ON pinbridge_events (updated_at) WHERE {final};
CREATE INDEX IF NOT EXISTS pinbridge_events_failed
    ON pinbridge_events (id) WHERE status = 'failed';
CREATE TABLE IF NOT EXISTS pinbridge_history (
    id {id},
    row_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    status TEXT NOT NULL,
    at {real} NOT NULL,
    attempts INTEGER NOT NULL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS pinbridge_history_event_id ON pinbridge_history (event_id, id);
CREATE INDEX IF NOT EXISTS pinbridge_history_row_id ON pinbridge_history (row_id);
CREATE TABLE IF NOT EXISTS pinbridge_dedup (
    ad_account_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    expires_at {real} NOT NULL,
    PRIMARY KEY (ad_account_id, event_id, event_name)
);
CREATE INDEX IF NOT EXISTS pinbridge_dedup_expires ON pinbridge_dedup (expires_at);
CREATE TABLE IF NOT EXISTS pinbridge_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""

_VERSION_ROW = (
    "INSERT INTO pinbridge_meta (key, value) VALUES ('schema_version', '2') ON CONFLICT DO NOTHING"
)


def schema_statements(dialect: str) -> list[str]:
    """Idempotent statements creating every table, index and counter row."""
    types = _TYPES[dialect]
    ddl = _TABLES.format(pending=PENDING, final=FINAL, **types)
    statements = [part.strip() for part in ddl.split(";") if part.strip()]
    statements.extend(counters.table_statements())
    statements.append(_VERSION_ROW)
    return statements


def check_version(version: int, display: str) -> None:
    """Refuse a queue (``display`` names it) whose schema ``version`` a newer pinbridge
    wrote: this one cannot know what that version changed."""
    if version > SCHEMA_VERSION:
        raise QueueUnavailable(
            f"queue {display} was created by a newer pinbridge (schema {version}, "
            f"this one knows {SCHEMA_VERSION}); upgrade pinbridge"
        )


def upgrade(execute: Callable[..., Any], version: int, mark: str) -> None:
    """Bring a queue at schema ``version`` up to ``SCHEMA_VERSION``, inside the caller's
    schema transaction (which must keep other writers out while it counts).

    ``execute(sql, params)`` is the driver's ``execute`` (returning a cursor); ``mark`` its
    placeholder. Version 1 -> 2: initialise the status counters from one full count and
    drop the pending counter they replace.
    """
    if version >= SCHEMA_VERSION:
        return
    found = {str(status): int(n) for status, n in execute(counters.UPGRADE_GROUP_BY, ())}
    execute(counters.reset_statement(), ())
    counters.add(execute, {status: found.get(status, 0) for status in counters.STATUSES}, mark)
    execute("DROP TABLE IF EXISTS pinbridge_depth", ())
    execute("UPDATE pinbridge_meta SET value = '2' WHERE key = 'schema_version'", ())
