"""The queue's tables, written once for both dialects (SQLite and PostgreSQL).

- ``pinbridge_events``: one row per queue entry. ``available_at`` is when the row may be
  leased next: ``next_attempt_at`` when free, the lease's expiry while leased, so "ready and
  not under a live lease" is one indexed range per destination
  (``destination = d AND available_at <= now``). Every lease query goes through that one
  index, so a paused destination's backlog is never scanned. ``warnings`` holds the mapping
  warnings given at ingest (a JSON list, NULL when none).
- ``pinbridge_history``: one row per status change after the entry was stored, for the
  delivery log; the first, ``queued``, is the entry's row itself (``enqueued_at``), so
  storing an event writes no history row. See :func:`history_statement`.
- ``pinbridge_attempts``: one row per send of an entry (when, HTTP status, message, batch
  size), for the console's inspector.
- ``pinbridge_dedup``: one row per (account, event_id, event_name) that blocks a new entry
  until ``expires_at``; its primary key makes dedup race-free across nodes.
- ``pinbridge_counts`` and ``pinbridge_failed_counts``: entries per status, and dead
  letters per destination, spread over a few rows so concurrent writers on several nodes
  rarely wait for each other; ``counts()``, ``depth()`` and ``dead_letter_count()`` are
  sums (cheap). See :mod:`pinbridge.queue.counters`.
- ``pinbridge_tallies``: per-minute counters for the console's statistics. See
  :mod:`pinbridge.queue.tallies`.
- ``pinbridge_pauses``: one row per paused destination, shared by every node.
- ``pinbridge_meta``: the schema version. :func:`upgrade` brings older queues up to date on
  open: version 1 kept only a pending count (``pinbridge_depth``), version 2 had no
  destinations, version 3 no attempts, warnings or tallies, version 4 wrote a ``queued``
history row per entry.

The console lists entries newest first, filtered by status, event name, destination or an
event_id prefix: each filter has an index that holds its rows in id order (the prefix one
compares bytes, ``COLLATE "C"`` on PostgreSQL, so that a prefix is one index range whatever
the database's collation).

Opening runs :func:`table_statements`, then :func:`upgrade`, then :func:`index_statements`
(indexes may name columns an upgrade adds), all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pinbridge.queue import counters, tallies
from pinbridge.queue.records import FINAL_STATUSES, PENDING_STATUSES, QueueUnavailable

__all__ = [
    "destinations_cte",
    "FINAL",
    "PENDING",
    "SCHEMA_VERSION",
    "check_version",
    "history_statement",
    "index_statements",
    "status_in",
    "table_statements",
    "upgrade",
]

SCHEMA_VERSION = 5
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


def destinations_cte(ready_index_hint: str = "") -> str:
    """SQL (both dialects): the CTE ``destinations(name)``, every destination with pending
    entries plus a last NULL, found by skipping through the per-destination ready index: one
    seek per destination, however many entries each holds. ``ready_index_hint`` goes after
    the table name: SQLite needs ``INDEXED BY pinbridge_events_destination_ready``, because
    its planner would otherwise read every pending entry through the status index and sort
    them, for each step (milliseconds per thousand pending entries, on every lease)."""
    source = f"pinbridge_events {ready_index_hint}".strip()
    return f"""WITH RECURSIVE destinations(name) AS (
    SELECT (SELECT destination FROM {source} WHERE {PENDING}
            ORDER BY destination LIMIT 1)
    UNION ALL
    SELECT (SELECT destination FROM {source} WHERE {PENDING}
            AND destination > destinations.name ORDER BY destination LIMIT 1)
    FROM destinations WHERE destinations.name IS NOT NULL
)"""  # noqa: S608 - constant predicate


_TYPES = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "bytes": "BLOB", "real": "REAL"},
    "postgres": {"id": "BIGSERIAL PRIMARY KEY", "bytes": "BYTEA", "real": "DOUBLE PRECISION"},
}

_BYTEWISE = {"sqlite": "", "postgres": ' COLLATE "C"'}
"""How each dialect compares text bytewise (code point order): SQLite's default BINARY
collation does; PostgreSQL's database collation may not."""

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
    message TEXT,
    destination TEXT NOT NULL DEFAULT 'default',
    warnings TEXT
);
CREATE TABLE IF NOT EXISTS pinbridge_history (
    id {id},
    row_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    status TEXT NOT NULL,
    at {real} NOT NULL,
    attempts INTEGER NOT NULL,
    message TEXT
);
CREATE TABLE IF NOT EXISTS pinbridge_attempts (
    id {id},
    row_id BIGINT NOT NULL,
    at {real} NOT NULL,
    http_status INTEGER,
    message TEXT,
    batch_size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pinbridge_dedup (
    ad_account_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    expires_at {real} NOT NULL,
    PRIMARY KEY (ad_account_id, event_id, event_name)
);
CREATE TABLE IF NOT EXISTS pinbridge_pauses (
    destination TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    since {real} NOT NULL,
    until {real} NOT NULL
);
CREATE TABLE IF NOT EXISTS pinbridge_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""

_INDEXES = """
CREATE INDEX IF NOT EXISTS pinbridge_events_destination_ready
    ON pinbridge_events (destination, available_at, id) WHERE {pending};
CREATE INDEX IF NOT EXISTS pinbridge_events_event_id_bytewise
    ON pinbridge_events (event_id{bytewise}, id);
CREATE INDEX IF NOT EXISTS pinbridge_events_status ON pinbridge_events (status, id);
CREATE INDEX IF NOT EXISTS pinbridge_events_event_name ON pinbridge_events (event_name, id);
CREATE INDEX IF NOT EXISTS pinbridge_events_destination ON pinbridge_events (destination, id);
CREATE INDEX IF NOT EXISTS pinbridge_events_delivered
    ON pinbridge_events (destination, updated_at) WHERE status = 'delivered';
CREATE INDEX IF NOT EXISTS pinbridge_events_final
    ON pinbridge_events (updated_at) WHERE {final};
CREATE INDEX IF NOT EXISTS pinbridge_events_failed
    ON pinbridge_events (id) WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS pinbridge_events_destination_failed
    ON pinbridge_events (destination, id) WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS pinbridge_history_event_id ON pinbridge_history (event_id, id);
CREATE INDEX IF NOT EXISTS pinbridge_history_row_id ON pinbridge_history (row_id);
CREATE INDEX IF NOT EXISTS pinbridge_attempts_row_id ON pinbridge_attempts (row_id, id);
CREATE INDEX IF NOT EXISTS pinbridge_dedup_expires ON pinbridge_dedup (expires_at);
CREATE INDEX IF NOT EXISTS pinbridge_tallies_spread ON pinbridge_tallies (minute) WHERE slot <> 0
"""

_VERSION_ROW = (
    "INSERT INTO pinbridge_meta (key, value) VALUES ('schema_version', '5') ON CONFLICT DO NOTHING"
)


def _split(ddl: str) -> list[str]:
    return [part.strip() for part in ddl.split(";") if part.strip()]


def table_statements(dialect: str) -> list[str]:
    """Idempotent statements creating every table and counter row, and recording the
    schema version of a new queue (an existing queue keeps its own)."""
    statements = _split(_TABLES.format(**_TYPES[dialect]))
    statements.extend(counters.table_statements())
    statements.extend(tallies.table_statements(_TYPES[dialect]["real"]))
    statements.append(_VERSION_ROW)
    return statements


def index_statements(dialect: str) -> list[str]:
    """Idempotent statements creating every index (the same in both dialects but for the
    bytewise collation of the event_id index); run after :func:`upgrade`."""
    return _split(_INDEXES.format(pending=PENDING, final=FINAL, bytewise=_BYTEWISE[dialect]))


def history_statement(mark: str) -> str:
    """SQL (both dialects; ``mark`` is the driver's placeholder for the one parameter, the
    event_id, used twice): every entry of that event_id with each of its status changes,
    in time order (for equal times, by entry and change). An entry's ``queued`` comes from
    its own row: storing an event writes no history row."""
    return f"""
SELECT row_id, status, at, attempts, message, ad_account_id, event_name, destination FROM (
    SELECT e.id AS row_id, 'queued' AS status, e.enqueued_at AS at, 0 AS attempts,
        CAST(NULL AS TEXT) AS message, e.ad_account_id, e.event_name, e.destination,
        CAST(0 AS BIGINT) AS step
    FROM pinbridge_events e WHERE e.event_id = {mark}
    UNION ALL
    SELECT h.row_id, h.status, h.at, h.attempts, h.message, e.ad_account_id, e.event_name,
        e.destination, h.id
    FROM pinbridge_history h JOIN pinbridge_events e ON e.id = h.row_id
    WHERE h.event_id = {mark}
) AS entries ORDER BY at, row_id, step"""  # noqa: S608 - fixed names


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
    schema transaction (which must keep other writers out while it counts and alters).

    ``execute(sql, params)`` is the driver's ``execute`` (returning a cursor); ``mark`` its
    placeholder. Version 1 -> 2: initialise the status counters from one full count and
    drop the pending counter they replace. Version 2 -> 3: every entry joins destination
    ``'default'``; the ready indexes (overall and per account) give way to a per-destination
    one (made by :func:`index_statements`); the per-destination dead-letter counters start
    from a count. Version 3 -> 4: entries gain ``warnings`` (NULL for the existing ones);
    the event_id index gives way to a bytewise one that also serves prefixes; the new
    tables (attempts, tallies) and indexes are made by the other statements. Version 4 -> 5:
    an entry's ``queued`` history row goes (its row in ``pinbridge_events`` is that entry).
    """
    if version < 2:
        found = {str(status): int(n) for status, n in execute(counters.UPGRADE_GROUP_BY, ())}
        execute(counters.reset_statement(), ())
        counts: dict[str, int] = {status: found.get(status, 0) for status in counters.STATUSES}
        counters.add(execute, counts, mark)
        execute("DROP TABLE IF EXISTS pinbridge_depth", ())
    if version < 3:
        execute(
            "ALTER TABLE pinbridge_events ADD COLUMN destination TEXT NOT NULL DEFAULT 'default'",
            (),
        )
        execute("DROP INDEX IF EXISTS pinbridge_events_account_ready", ())
        execute("DROP INDEX IF EXISTS pinbridge_events_ready", ())
        execute("DELETE FROM pinbridge_failed_counts", ())
        execute(counters.UPGRADE_FAILED, ())
    if version < 4:
        execute("ALTER TABLE pinbridge_events ADD COLUMN warnings TEXT", ())
        execute("DROP INDEX IF EXISTS pinbridge_events_event_id", ())
    if version < 5:
        execute("DELETE FROM pinbridge_history WHERE status = 'queued'", ())
    if version < SCHEMA_VERSION:
        execute("UPDATE pinbridge_meta SET value = '5' WHERE key = 'schema_version'", ())
