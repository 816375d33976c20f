"""The SQLite backend's statements, one small function each, run inside the caller's
transaction. Pending rows are selected with :data:`~pinbridge.queue.schema.PENDING`, the
partial indexes' own predicate, so that SQLite uses those indexes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence

import orjson

from pinbridge.queue import counters
from pinbridge.queue import tallies as per_minute
from pinbridge.queue.reading import AttemptValues, warnings_text
from pinbridge.queue.records import Lease, LeasedEvent, NewEvent
from pinbridge.queue.rules import Change

__all__ = [
    "add_attempts",
    "add_counts",
    "add_tallies",
    "apply_changes",
    "claim_key",
    "claim_new_keys",
    "counts",
    "dead_letter_count",
    "delete_dead_letters",
    "depth",
    "held_statuses",
    "insert_many",
    "log",
    "next_row_id",
    "release_rest",
]


def next_row_id(conn: sqlite3.Connection) -> int:
    """The id the next new entry takes: above every id the table ever used (AUTOINCREMENT's
    own counter), so ids keep arrival order. The caller holds the write lock."""
    return int(conn.execute(_NEXT_ROW_ID).fetchone()[0])


_NEXT_ROW_ID = (
    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'pinbridge_events'), 0), "
    "COALESCE((SELECT MAX(id) FROM pinbridge_events), 0)) + 1"
)

# A key is taken when free or expired; RETURNING names the rows that took theirs (an
# upsert whose WHERE is false returns nothing). ``WHERE true`` tells SQLite's parser that
# ON CONFLICT belongs to the INSERT, not to a join of the SELECT.
_CLAIM_KEYS = (
    "INSERT INTO pinbridge_dedup (ad_account_id, event_id, event_name, row_id, expires_at) "
    "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ?1 FROM json_each(?2) WHERE true "
    "ON CONFLICT (ad_account_id, event_id, event_name) "
    "DO UPDATE SET row_id = excluded.row_id, expires_at = excluded.expires_at "
    "WHERE pinbridge_dedup.expires_at <= ?3 RETURNING row_id"
)


def claim_new_keys(
    conn: sqlite3.Connection,
    claims: Sequence[tuple[NewEvent, int]],
    now: float,
    expires_at: float,
) -> set[int]:
    """Claim the dedup key of each (event, future row id) until ``expires_at``, in one
    statement; the row ids whose key was free (or expired), i.e. the events to store."""
    if not claims:
        return set()
    keys = orjson.dumps(
        [[ev.ad_account_id, ev.event_id, ev.event_name, row_id] for ev, row_id in claims]
    )
    return {row[0] for row in conn.execute(_CLAIM_KEYS, (expires_at, keys, now))}


_INSERT_EVENT = (
    "INSERT INTO pinbridge_events (id, ad_account_id, event_id, event_name, event_time, "
    "payload, size, status, attempts, enqueued_at, next_attempt_at, available_at, "
    "updated_at, destination, warnings) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?, ?)"
)


def insert_many(conn: sqlite3.Connection, rows: Sequence[tuple[NewEvent, int]], now: float) -> None:
    """Store each (event, row id) whose key :func:`claim_new_keys` took: one prepared
    statement run once per row, with no Python call between. The row is its own ``queued``
    history entry (see :func:`pinbridge.queue.schema.history_statement`)."""
    conn.executemany(
        _INSERT_EVENT,
        [
            (
                *(row_id, event.ad_account_id, event.event_id, event.event_name),
                *(event.event_time, event.payload, len(event.payload), now, now, now, now),
                *(event.destination, warnings_text(event.warnings)),
            )
            for event, row_id in rows
        ],
    )


def held_statuses(conn: sqlite3.Connection, row_ids: Sequence[int], token: str) -> dict[int, str]:
    """Status of each of ``row_ids`` that the lease ``token`` still holds (an expired lease's
    rows may have been leased again by another worker)."""
    rows = conn.execute(
        "SELECT id, status FROM pinbridge_events "
        "WHERE id IN (SELECT value FROM json_each(?)) AND lease_token = ?",
        (json.dumps(row_ids), token),
    ).fetchall()
    return {int(row_id): str(status) for row_id, status in rows}


_APPLY_CHANGE = (
    "UPDATE pinbridge_events SET status = ?, attempts = attempts + ?, "
    "next_attempt_at = COALESCE(?, next_attempt_at), "
    "available_at = COALESCE(?, next_attempt_at), lease_token = NULL, "
    "updated_at = ?, message = ? WHERE id = ? AND lease_token = ?"
)
_LOG = (
    "INSERT INTO pinbridge_history (row_id, event_id, status, at, attempts, message) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_RELEASE_KEY = (
    "DELETE FROM pinbridge_dedup WHERE ad_account_id = ? AND event_id = ? "
    "AND event_name = ? AND row_id = ?"
)


def apply_changes(
    conn: sqlite3.Connection,
    changes: Sequence[tuple[LeasedEvent, Change]],
    lease: Lease,
    now: float,
) -> None:
    """Apply each change to its leased row (which :func:`held_statuses` found still held),
    log it, and give up the dedup keys of the rows that release theirs: each a prepared
    statement run once per row. The new attempt count is the leased one plus the change's:
    nobody else changes a row's attempts while its lease is held."""
    conn.executemany(
        _APPLY_CHANGE,
        [
            (
                *(change.status, change.attempts_delta),
                *(change.next_attempt_at, change.next_attempt_at),
                *(now, change.message, event.row_id, lease.token),
            )
            for event, change in changes
        ],
    )
    conn.executemany(
        _LOG,
        [
            (
                *(event.row_id, event.event_id, change.status, now),
                *(event.attempts + change.attempts_delta, change.message),
            )
            for event, change in changes
        ],
    )
    conn.executemany(
        _RELEASE_KEY,
        [
            (lease.ad_account_id, event.event_id, event.event_name, event.row_id)
            for event, change in changes
            if change.releases_key
        ],
    )


def release_rest(conn: sqlite3.Connection, row_ids: Sequence[int], token: str) -> None:
    """Free the leased rows that got no outcome: ready again when they were before."""
    if row_ids:
        conn.execute(
            "UPDATE pinbridge_events SET lease_token = NULL, available_at = next_attempt_at "
            "WHERE id IN (SELECT value FROM json_each(?)) AND lease_token = ?",
            (json.dumps(row_ids), token),
        )


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
    conn.execute(_LOG, (row_id, event_id, status, at, attempts, message))


def depth(conn: sqlite3.Connection) -> int:
    """Pending entries: a sum over the counter rows."""
    return int(conn.execute(counters.DEPTH).fetchone()[0])


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Entries per status: sums over the counter rows."""
    return counters.counts_from_row(conn.execute(counters.COUNTS).fetchone())


def dead_letter_count(conn: sqlite3.Connection, destination: str | None) -> int:
    """Failed entries, of one destination or all: a sum over counter rows."""
    if destination is None:
        return counts(conn)["failed"]
    return int(conn.execute(counters.failed_of("?"), (destination,)).fetchone()[0])


def add_counts(
    conn: sqlite3.Connection,
    deltas: Mapping[str, int],
    failed: Mapping[str, int] | None = None,
) -> None:
    """Add the net change per status of this transaction to the counters, and ``failed``,
    the net change of dead letters per destination, to theirs."""
    counters.add(conn.execute, deltas, "?")
    if failed:
        counters.add_failed(conn.execute, failed, "?")


_TALLY_ROWS_PER_STATEMENT = 1000  # 6 parameters each: far below SQLite's limit of 32,766

_ADD_TALLIES = (
    "INSERT INTO pinbridge_tallies (minute, destination, event_name, metric, detail, slot, "
    "count) VALUES {values} ON CONFLICT (minute, destination, event_name, metric, detail, "
    "slot) DO UPDATE SET count = count + excluded.count"
)


def add_tallies(conn: sqlite3.Connection, counts: Mapping[per_minute.Key, int], now: float) -> None:
    """Add ``counts`` to the minute of ``now``: one multi-row upsert (slot 0: SQLite has
    one writer at a time, so there is no lock to spread)."""
    rows = sorted((key, n) for key, n in counts.items() if n)
    minute = per_minute.minute_of(now)
    for start in range(0, len(rows), _TALLY_ROWS_PER_STATEMENT):
        chunk = rows[start : start + _TALLY_ROWS_PER_STATEMENT]
        values = ", ".join("(?, ?, ?, ?, ?, 0, ?)" for _ in chunk)
        params = [value for (key, n) in chunk for value in (minute, *key, n)]
        conn.execute(_ADD_TALLIES.replace("{values}", values), params)


def add_attempts(
    conn: sqlite3.Connection, attempts: Sequence[AttemptValues], *, existing_only: bool
) -> None:
    """Store sends of entries; with ``existing_only``, those of rows that are gone are
    skipped (a caller outside a lease cannot know)."""
    if existing_only:
        conn.executemany(
            "INSERT INTO pinbridge_attempts (row_id, at, http_status, message, batch_size) "
            "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM pinbridge_events "
            "WHERE id = ?1)",
            attempts,
        )
        return
    conn.executemany(
        "INSERT INTO pinbridge_attempts (row_id, at, http_status, message, batch_size) "
        "VALUES (?, ?, ?, ?, ?)",
        attempts,
    )


def delete_dead_letters(
    conn: sqlite3.Connection,
    row_ids: str | None,
    destination: str | None,
    reason: str | None,
) -> list[tuple[str, str]]:
    """Delete the chosen dead letters (``row_ids`` a JSON list or None for all; only
    ``destination``'s and those whose message is ``reason``, when given) with their history,
    attempts and any dedup key they hold; returns (destination, event_name) of each."""
    rows = conn.execute(
        "DELETE FROM pinbridge_events WHERE status = 'failed' "
        "AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1))) "
        "AND (?2 IS NULL OR destination = ?2) AND (?3 IS NULL OR COALESCE(message, '') = ?3) "
        "RETURNING id, ad_account_id, event_id, event_name, destination",
        (row_ids, destination, reason),
    ).fetchall()
    if not rows:
        return []
    ids = json.dumps([row[0] for row in rows])
    for table in ("pinbridge_history", "pinbridge_attempts"):
        conn.execute(
            f"DELETE FROM {table} WHERE row_id IN (SELECT value FROM json_each(?))",  # noqa: S608 - fixed names
            (ids,),
        )
    conn.executemany(
        _RELEASE_KEY,
        [(account, event_id, name, row_id) for row_id, account, event_id, name, _ in rows],
    )
    return [(str(row[4]), str(row[3])) for row in rows]
