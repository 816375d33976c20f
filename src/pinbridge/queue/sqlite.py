"""The default queue: one SQLite file in WAL mode, ``synchronous=FULL``.

Every write runs in a ``BEGIN IMMEDIATE`` transaction, so writers (threads of this
process or other processes on the same file) take turns and each commit is on disk when the
call returns. Connections, and how failures are reported, are
:mod:`pinbridge.queue.sqlite_connections`' job.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Collection, Mapping, Sequence

from pinbridge.config import QueueSettings
from pinbridge.queue import counters
from pinbridge.queue import sqlite_leasing as leasing
from pinbridge.queue import sqlite_rows as sql_rows
from pinbridge.queue import tallies as per_minute
from pinbridge.queue.reading import attempt_values, check_attempts
from pinbridge.queue.records import (
    Attempt,
    DeadLetter,
    EnqueueResult,
    HistoryEntry,
    Lease,
    NewEvent,
    Outcome,
    PauseState,
    QueueFull,
    QueueUnavailable,
    Tally,
)
from pinbridge.queue.rules import (
    batch_ids,
    batch_sources,
    change_for,
    check_lease_args,
    check_outcomes,
    dedup_expires_at,
    extended,
    first_in_call,
    full_message,
    leased_event,
    new_token,
    retention_cutoff,
    storable_event,
    storable_text,
)
from pinbridge.queue.schema import (
    FINAL,
    PENDING,
    SCHEMA_VERSION,
    check_version,
    history_statement,
    index_statements,
    table_statements,
    upgrade,
)
from pinbridge.queue.sqlite_connections import SqliteConnections
from pinbridge.queue.sqlite_console import SqliteConsoleReads

__all__ = ["SqliteQueue"]

_PURGE_CHUNK = 2000
_HISTORY = history_statement("?1")


class SqliteQueue(SqliteConsoleReads):
    """A :class:`~pinbridge.queue.base.Queue` in one SQLite file; see the module docstring.
    The console's reads come from :class:`~pinbridge.queue.sqlite_console.SqliteConsoleReads`."""

    def __init__(self, path: str, settings: QueueSettings, display: str) -> None:
        self._settings = settings
        self._display = display
        self._connections = SqliteConnections(path, settings, display)
        self._connection = self._connections.connection
        self._write = self._connections.write
        self._init_schema()

    def _init_schema(self) -> None:
        conn = self._connections.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in table_statements("sqlite"):
                conn.execute(statement)
            version = int(
                conn.execute(
                    "SELECT value FROM pinbridge_meta WHERE key = 'schema_version'"
                ).fetchone()[0]
            )
            if version <= SCHEMA_VERSION:
                upgrade(conn.execute, version, "?")
                for statement in index_statements("sqlite"):
                    conn.execute(statement)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.close()
            raise self._connections.open_error(exc) from None
        try:
            check_version(version, self._display)
        except QueueUnavailable:
            conn.close()
            raise
        self._connections.keep(conn)

    # -- writes -----------------------------------------------------------------------

    def enqueue(
        self, events: Sequence[NewEvent], now: float, tallies: Sequence[Tally] = ()
    ) -> list[EnqueueResult]:
        counted = per_minute.from_caller(tallies, "enqueue")
        if not events:
            self._add_tallies(counted, now)
            return []
        stored_events = [storable_event(event) for event in events]
        firsts = first_in_call(stored_events)
        expires_at = dedup_expires_at(now, self._settings.dedup_window_hours)
        with self._write() as conn:
            first_id = sql_rows.next_row_id(conn)
            claims = [
                (event, first_id + i)
                for i, (event, first) in enumerate(zip(stored_events, firsts, strict=True))
                if first
            ]
            taken = sql_rows.claim_new_keys(conn, claims, now, expires_at)
            fresh = [(event, row_id) for event, row_id in claims if row_id in taken]
            depth = sql_rows.depth(conn)
            if depth + len(fresh) > self._settings.max_depth:
                raise QueueFull(full_message(depth, len(fresh), self._settings.max_depth))
            sql_rows.insert_many(conn, fresh, now)
            sql_rows.add_counts(conn, {"queued": len(fresh)})
            flags = [first and first_id + i in taken for i, first in enumerate(firsts)]
            counted.update(per_minute.for_enqueue(stored_events, flags))
            sql_rows.add_tallies(conn, counted, now)
        return [
            EnqueueResult(event.event_id, "queued" if stored else "duplicate")
            for event, stored in zip(events, flags, strict=True)
        ]

    def lease(
        self,
        now: float,
        *,
        max_events: int,
        max_bytes: int,
        lease_seconds: float,
        min_age: float = 0.0,
        exclude: Collection[str] = (),
        only: str | None = None,
    ) -> Lease | None:
        check_lease_args(max_events, max_bytes, lease_seconds, min_age)
        skip = json.dumps(sorted({storable_text(name) for name in exclude}))
        wanted = None if only is None else storable_text(only)
        with self._connection() as conn:  # a cheap look before taking the write lock
            if not leasing.heads(conn, now, skip, wanted):
                return None
        with self._write() as conn:
            heads = leasing.heads(conn, now, skip, wanted)
            if not heads:
                return None
            sources = batch_sources(heads, now, min_age)
            if not sources:
                full = leasing.full_batch(
                    conn,
                    now,
                    min_age=min_age,
                    max_events=max_events,
                    max_bytes=max_bytes,
                    exclude=skip,
                    only=wanted,
                )
                if full is None:
                    return None
                sources = [full]
            destination, account = sources[0]  # one writer at a time: its events are free
            candidates = leasing.candidates(conn, destination, account, now, max_events)
            ids = batch_ids(candidates, max_bytes)
            token = new_token()
            rows = conn.execute(
                "UPDATE pinbridge_events SET lease_token = ?, available_at = ? "
                "WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, event_id, "
                "event_name, event_time, payload, attempts, enqueued_at",
                (token, now + lease_seconds, json.dumps(ids)),
            ).fetchall()
        by_id = {row[0]: leased_event(row) for row in rows}
        events = tuple(by_id[i] for i in ids)
        return Lease(token, account, events, now + lease_seconds, destination)

    def extend(self, lease: Lease, now: float, lease_seconds: float) -> Lease:
        ids = [event.row_id for event in lease.events]
        with self._write() as conn:
            kept = {
                row[0]
                for row in conn.execute(
                    "UPDATE pinbridge_events SET available_at = ? "  # noqa: S608 - constant predicate
                    "WHERE id IN (SELECT value FROM json_each(?)) AND lease_token = ? "
                    f"AND {PENDING} RETURNING id",
                    (now + lease_seconds, json.dumps(ids), lease.token),
                )
            }
        return extended(lease, kept, now + lease_seconds)

    def record_tallies(self, tallies: Sequence[Tally], now: float) -> None:
        self._add_tallies(per_minute.from_caller(tallies, "record_tallies"), now)

    def _add_tallies(self, counted: Mapping[per_minute.Key, int], now: float) -> None:
        if any(counted.values()):
            with self._write() as conn:
                sql_rows.add_tallies(conn, counted, now)

    def complete(
        self,
        lease: Lease,
        outcomes: Mapping[int, Outcome],
        now: float,
        attempts: Mapping[int, Attempt] = {},
        tallies: Sequence[Tally] = (),
    ) -> None:
        check_outcomes(lease, outcomes)
        check_attempts(lease, attempts)
        counted = per_minute.from_caller(tallies, "complete")
        sends = attempt_values(attempts)
        by_id = {event.row_id: event for event in lease.events}
        with self._write() as conn:
            before = sql_rows.held_statuses(conn, list(by_id), lease.token)
            changes = [
                (by_id[row_id], change_for(outcome))
                for row_id, outcome in outcomes.items()
                if row_id in before
            ]
            sql_rows.apply_changes(conn, changes, lease, now)
            sql_rows.release_rest(
                conn, [row_id for row_id in before if row_id not in outcomes], lease.token
            )
            sql_rows.add_attempts(
                conn, [send for send in sends if send[0] in before], existing_only=False
            )
            moves = [(before[event.row_id], change.status) for event, change in changes]
            failed = sum(change.status == "failed" for _, change in changes)
            sql_rows.add_counts(conn, counters.moved(moves), {lease.destination: failed})
            statuses = [(event.event_name, change.status) for event, change in changes]
            counted.update(per_minute.for_outcomes(lease.destination, statuses))
            sql_rows.add_tallies(conn, counted, now)

    def record_attempts(self, attempts: Mapping[int, Attempt]) -> None:
        if attempts:
            with self._write() as conn:
                sql_rows.add_attempts(conn, attempt_values(attempts), existing_only=True)

    def replay(
        self,
        row_ids: Sequence[int] | None,
        now: float,
        destination: str | None = None,
        reason: str | None = None,
    ) -> int:
        chosen, only, why = _dead_letter_choice(row_ids, destination, reason)
        expires_at = dedup_expires_at(now, self._settings.dedup_window_hours)
        with self._write() as conn:
            rows = conn.execute(
                "UPDATE pinbridge_events SET status = 'queued', attempts = 0, "
                "next_attempt_at = ?, available_at = ?, updated_at = ?, lease_token = NULL, "
                "message = NULL WHERE status = 'failed' "
                "AND (? IS NULL OR id IN (SELECT value FROM json_each(?))) "
                "AND (? IS NULL OR destination = ?) AND (? IS NULL OR COALESCE(message, '') = ?) "
                "RETURNING id, event_id, ad_account_id, event_name, destination",
                (now, now, now, chosen, chosen, only, only, why, why),
            ).fetchall()
            for row_id, event_id, account, name, _ in rows:
                sql_rows.log(
                    conn, row_id, event_id, status="replayed", at=now, attempts=0, message=None
                )
                sql_rows.claim_key(conn, (account, event_id, name), row_id, now, expires_at)
            per_destination = Counter(str(row[4]) for row in rows)
            sql_rows.add_counts(
                conn,
                {"failed": -len(rows), "queued": len(rows)},
                {name: -n for name, n in per_destination.items()},
            )
        return len(rows)

    def discard(
        self,
        row_ids: Sequence[int] | None,
        now: float,
        destination: str | None = None,
        reason: str | None = None,
    ) -> int:
        chosen, only, why = _dead_letter_choice(row_ids, destination, reason)
        with self._write() as conn:
            gone = sql_rows.delete_dead_letters(conn, chosen, only, why)
            per_destination = Counter(name for name, _ in gone)
            sql_rows.add_counts(
                conn, {"failed": -len(gone)}, {name: -n for name, n in per_destination.items()}
            )
            counted = Counter(per_minute.key(d, name, "discarded") for d, name in gone)
            sql_rows.add_tallies(conn, counted, now)
        return len(gone)

    def purge(self, now: float) -> int:
        cutoff = retention_cutoff(now, self._settings.retention_days)
        total = 0
        while True:
            with self._write() as conn:
                rows = conn.execute(
                    "SELECT id, status, destination FROM pinbridge_events "  # noqa: S608 - constant predicate
                    f"WHERE {FINAL} AND updated_at < ? LIMIT ?",
                    (cutoff, _PURGE_CHUNK),
                ).fetchall()
                ids = [row[0] for row in rows]
                batch = json.dumps(ids)
                for table in ("pinbridge_history", "pinbridge_attempts"):
                    conn.execute(
                        f"DELETE FROM {table} WHERE row_id IN (SELECT value FROM json_each(?))",  # noqa: S608 - fixed names
                        (batch,),
                    )
                conn.execute(
                    "DELETE FROM pinbridge_events WHERE id IN (SELECT value FROM json_each(?))",
                    (batch,),
                )
                gone = Counter(str(row[1]) for row in rows)
                failed = Counter(str(row[2]) for row in rows if row[1] == "failed")
                sql_rows.add_counts(
                    conn,
                    {status: -n for status, n in gone.items()},
                    {name: -n for name, n in failed.items()},
                )
                if len(ids) < _PURGE_CHUNK:
                    conn.execute("DELETE FROM pinbridge_dedup WHERE expires_at <= ?", (now,))
                    conn.execute(
                        per_minute.purge_statement("?"), (per_minute.purge_before(cutoff),)
                    )
            total += len(ids)
            if len(ids) < _PURGE_CHUNK:
                return total

    # -- reads ------------------------------------------------------------------------

    def history(self, event_id: str) -> list[HistoryEntry]:
        with self._connection() as conn:
            rows = conn.execute(_HISTORY, (storable_text(event_id),)).fetchall()
        return [HistoryEntry(*row) for row in rows]

    def dead_letters(
        self, *, limit: int = 100, offset: int = 0, destination: str | None = None
    ) -> list[DeadLetter]:
        params: tuple[object, ...]
        if destination is None:
            where, params = "ORDER BY id", (limit, offset)
        else:
            where = "AND destination = ? ORDER BY destination, id"
            params = (storable_text(destination), limit, offset)
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT id, ad_account_id, event_id, event_name, updated_at, attempts, "  # noqa: S608 - fixed text
                "COALESCE(message, ''), destination FROM pinbridge_events "
                f"WHERE status = 'failed' {where} LIMIT ? OFFSET ?",
                params,
            ).fetchall()
        return [DeadLetter(*row) for row in rows]

    def dead_letter_count(self, destination: str | None = None) -> int:
        name = None if destination is None else storable_text(destination)
        with self._connection() as conn:
            return sql_rows.dead_letter_count(conn, name)

    # -- pauses -----------------------------------------------------------------------

    def pause(self, destination: str, reason: str, now: float, until: float) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO pinbridge_pauses (destination, reason, since, until) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (destination) "
                "DO UPDATE SET reason = excluded.reason, until = excluded.until",
                (storable_text(destination), storable_text(reason), now, until),
            )

    def resume(self, destination: str) -> bool:
        with self._write() as conn:
            row = conn.execute(
                "DELETE FROM pinbridge_pauses WHERE destination = ? RETURNING 1",
                (storable_text(destination),),
            ).fetchone()
        return row is not None

    def pauses(self) -> dict[str, PauseState]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT destination, reason, since, until FROM pinbridge_pauses "
                "ORDER BY destination"
            ).fetchall()
        return {str(d): PauseState(str(r), float(s), float(u)) for d, r, s, u in rows}

    def claim_probe(self, destination: str, now: float, until: float) -> bool:
        with self._write() as conn:
            row = conn.execute(
                "UPDATE pinbridge_pauses SET until = ? WHERE destination = ? AND until <= ? "
                "RETURNING 1",
                (until, storable_text(destination), now),
            ).fetchone()
        return row is not None

    def depth(self) -> int:
        with self._connection() as conn:
            return sql_rows.depth(conn)

    def counts(self) -> dict[str, int]:
        with self._connection() as conn:
            return sql_rows.counts(conn)

    def ping(self) -> None:
        with self._connection() as conn:
            conn.execute("SELECT 1 FROM pinbridge_meta LIMIT 1").fetchall()

    def close(self) -> None:
        self._connections.close()


def _dead_letter_choice(
    row_ids: Sequence[int] | None, destination: str | None, reason: str | None
) -> tuple[str | None, str | None, str | None]:
    """Which dead letters a replay or discard takes, as its statement's parameters: the row
    ids as a JSON list, the destination and the reason as stored (None: any)."""
    return (
        None if row_ids is None else json.dumps([int(i) for i in row_ids]),
        None if destination is None else storable_text(destination),
        None if reason is None else storable_text(reason),
    )
