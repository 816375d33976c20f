"""The scale-out queue: PostgreSQL through psycopg 3 and a connection pool.

Several pinbridge processes (on several machines) share one database. Leases lock their
rows with ``FOR UPDATE SKIP LOCKED`` while they are taken and carry an expiry, so rows held
by a node that dies become ready again after ``lease_seconds``; dedup keys are a primary key
claimed with ``ON CONFLICT``, so two nodes never both accept the same event. Connections,
and how failures are reported (fast while the database is down), are
:mod:`pinbridge.queue.postgres_connections`' job.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import psycopg
from psycopg import sql

from pinbridge.config import QueueSettings
from pinbridge.queue import counters
from pinbridge.queue import postgres_params as p
from pinbridge.queue import postgres_sql as q
from pinbridge.queue import tallies as per_minute
from pinbridge.queue.breaker import Breaker
from pinbridge.queue.postgres_connections import (
    Connection,
    PostgresConnections,
    cause,
    connect_timeout,
    disk_full,
    is_disk_full,
)
from pinbridge.queue.postgres_console import PostgresConsoleReads
from pinbridge.queue.reading import check_attempts
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
    check_lease_args,
    check_outcomes,
    dedup_expires_at,
    extended,
    first_in_call,
    full_batch_source,
    full_message,
    leased_event,
    new_token,
    retention_cutoff,
    storable_event,
    storable_text,
)
from pinbridge.queue.schema import (
    SCHEMA_VERSION,
    check_version,
    index_statements,
    table_statements,
    upgrade,
)
from pinbridge.queue.urls import PostgresTarget

__all__ = ["PostgresQueue"]

_SCHEMA_LOCK = 0x70696E62726467  # "pinbrdg": serialises schema creation across nodes
_PURGE_LIMIT = 5000
_FOLD_AFTER = 120.0  # seconds: tally slots of minutes this old are folded by purge


class PostgresQueue(PostgresConsoleReads):
    """A :class:`~pinbridge.queue.base.Queue` in PostgreSQL; see the module docstring.
    ``breaker`` replaces the default one (tests give it a clock they control). The
    console's reads come from
    :class:`~pinbridge.queue.postgres_console.PostgresConsoleReads`."""

    def __init__(
        self, target: PostgresTarget, settings: QueueSettings, *, breaker: Breaker | None = None
    ) -> None:
        self._target = target
        self._settings = settings
        self._init_schema()
        self._connections = PostgresConnections(target, settings, breaker=breaker)
        self._run = self._connections.run

    def _init_schema(self) -> None:
        """Create the tables once; the advisory lock makes concurrent first starts safe."""
        schema = self._target.schema
        try:
            with psycopg.connect(
                self._target.conninfo, connect_timeout=connect_timeout(self._settings)
            ) as conn:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                if schema is not None:
                    exists = conn.execute(
                        "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
                    ).fetchone()
                    if exists is None:
                        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
                    conn.execute(
                        sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema))
                    )
                for statement in table_statements("postgres"):
                    conn.execute(statement)
                row = conn.execute(
                    "SELECT value FROM pinbridge_meta WHERE key = 'schema_version'"
                ).fetchone()
                version = int(row[0]) if row is not None else SCHEMA_VERSION
                if version < SCHEMA_VERSION:
                    # Nodes of the older version keep working until they are stopped: hold
                    # them off while the upgrade alters and counts, so counters start exact.
                    conn.execute("LOCK TABLE pinbridge_events IN ACCESS EXCLUSIVE MODE")
                    upgrade(conn.execute, version, "%s")
                if version <= SCHEMA_VERSION:
                    for statement in index_statements("postgres"):
                        conn.execute(statement)
        except psycopg.Error as exc:
            if is_disk_full(exc):
                raise disk_full(self._target.display, exc) from None
            raise QueueUnavailable(
                f"cannot open queue {self._target.display}: {cause(exc)}"
            ) from None
        check_version(version, self._target.display)

    # -- writes -----------------------------------------------------------------------

    def enqueue(
        self, events: Sequence[NewEvent], now: float, tallies: Sequence[Tally] = ()
    ) -> list[EnqueueResult]:
        counted = per_minute.from_caller(tallies, "enqueue")
        if not events:
            self._record_counted(counted, now)
            return []
        stored_events = [storable_event(event) for event in events]
        firsts = first_in_call(stored_events)
        params = p.enqueue_params(
            stored_events,
            firsts,
            counted,
            now=now,
            expires_at=dedup_expires_at(now, self._settings.dedup_window_hours),
        )
        max_depth = self._settings.max_depth

        def work(conn: Connection) -> set[int]:
            rows = conn.execute(q.ENQUEUE, {**params, "slot": counters.random_slot()})
            stored: set[int] = set()
            depth = 0
            for position, depth_before in rows:
                stored.add(int(position) - 1)
                depth = int(depth_before)
            if depth + len(stored) > max_depth:
                raise QueueFull(full_message(depth, len(stored), max_depth))
            return stored

        stored = self._run(work)
        results: list[EnqueueResult] = []
        position = 0
        for event, first in zip(events, firsts, strict=True):
            queued = first and position in stored
            position += first
            results.append(EnqueueResult(event.event_id, "queued" if queued else "duplicate"))
        return results

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
        token = new_token()
        expires_at = now + lease_seconds
        skip = sorted({storable_text(name) for name in exclude})
        wanted = None if only is None else storable_text(only)
        if wanted is not None and wanted in skip:
            return None
        params = {
            "now": now,
            "young": now - min_age,
            "max_events": max_events,
            "max_bytes": max_bytes,
            "exclude": skip,
            "only": wanted,
        }

        def work(conn: Connection) -> Lease | None:
            rows = conn.execute(q.HEADS if wanted is None else q.HEAD_OF, params).fetchall()
            if not rows:
                return None
            heads = [(str(d), str(a), float(at)) for d, a, at in rows]
            sources = batch_sources(heads, now, min_age)
            if not sources:
                full = full_batch_source(
                    conn.execute(q.YOUNG, params).fetchall(),
                    lambda name: conn.execute(q.YOUNG_OF, {**params, "only": name}).fetchall(),
                    max_events,
                    max_bytes,
                )
                if full is None:
                    return None
                sources = [full]
            for destination, account in sources:
                candidates = conn.execute(
                    q.LEASE_CANDIDATES,
                    {**params, "destination": destination, "account": account},
                ).fetchall()
                if candidates:  # else other workers hold them all: try the next source
                    break
            else:
                return None
            ids = batch_ids(candidates, max_bytes)
            rows = conn.execute(
                q.LEASE, {"token": token, "expires_at": expires_at, "ids": ids, "now": now}
            ).fetchall()
            by_id = {int(row[0]): leased_event(row) for row in rows}
            events = tuple(by_id[i] for i in ids if i in by_id)
            if not events:
                return None
            return Lease(token, account, events, expires_at, destination)

        return self._run(work)

    def extend(self, lease: Lease, now: float, lease_seconds: float) -> Lease:
        params = {
            "expires_at": now + lease_seconds,
            "ids": [event.row_id for event in lease.events],
            "token": lease.token,
        }

        def work(conn: Connection) -> set[int]:
            return {int(row[0]) for row in conn.execute(q.EXTEND, params)}

        return extended(lease, self._run(work), now + lease_seconds)

    def record_tallies(self, tallies: Sequence[Tally], now: float) -> None:
        self._record_counted(per_minute.from_caller(tallies, "record_tallies"), now)

    def _record_counted(self, counted: Mapping[per_minute.Key, int], now: float) -> None:
        """Add checked and merged tallies in a transaction of their own."""
        if any(counted.values()):
            self._run(lambda conn: _add_tallies(conn, counted, now))

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
        params = p.complete_params(lease, outcomes, attempts, now)

        def work(conn: Connection) -> None:
            before = dict(conn.execute(q.LEASED_STATUSES, params).fetchall())
            changed = conn.execute(q.COMPLETE, params).fetchall()
            moves = counters.moved((str(before[i]), str(new)) for i, new, _ in changed)
            failed = sum(new == "failed" for _, new, _ in changed)
            _add_counts(conn, moves, {lease.destination: failed})
            increments = counted.copy()  # a retried transaction starts again from the caller's
            for _, status, name in changed:
                key = per_minute.outcome_key(lease.destination, str(name), status)
                if key is not None:
                    increments[key] += 1
            _add_tallies(conn, increments, now)

        self._run(work)

    def record_attempts(self, attempts: Mapping[int, Attempt]) -> None:
        if attempts:
            params = p.attempt_params(attempts)
            self._run(lambda conn: conn.execute(q.ADD_ATTEMPTS, params))

    def replay(
        self,
        row_ids: Sequence[int] | None,
        now: float,
        destination: str | None = None,
        reason: str | None = None,
    ) -> int:
        params = {
            **p.choice(row_ids, destination, reason),
            "now": now,
            "expires_at": dedup_expires_at(now, self._settings.dedup_window_hours),
        }

        def work(conn: Connection) -> int:
            per_destination = {str(d): int(n) for d, n in conn.execute(q.REPLAY, params)}
            count = sum(per_destination.values())
            _add_counts(
                conn,
                {"failed": -count, "queued": count},
                {name: -n for name, n in per_destination.items()},
            )
            return count

        return self._run(work)

    def discard(
        self,
        row_ids: Sequence[int] | None,
        now: float,
        destination: str | None = None,
        reason: str | None = None,
    ) -> int:
        params = p.choice(row_ids, destination, reason)

        def work(conn: Connection) -> int:
            rows = conn.execute(q.DISCARD, params).fetchall()
            per_destination: Counter[str] = Counter()
            increments: Counter[per_minute.Key] = Counter()
            for name, event_name, n in rows:
                per_destination[str(name)] += int(n)
                increments[per_minute.key(str(name), str(event_name), "discarded")] += int(n)
            _add_counts(
                conn,
                {"failed": -sum(per_destination.values())},
                {name: -n for name, n in per_destination.items()},
            )
            _add_tallies(conn, increments, now)
            return sum(per_destination.values())

        return self._run(work)

    def purge(self, now: float) -> int:
        params = {
            "cutoff": retention_cutoff(now, self._settings.retention_days),
            "limit": _PURGE_LIMIT,
        }

        def chunk(conn: Connection) -> int:
            gone: Counter[str] = Counter()
            failed: Counter[str] = Counter()
            for status, destination, n in conn.execute(q.PURGE_CHUNK, params):
                gone[str(status)] += int(n)
                if status == "failed":
                    failed[str(destination)] += int(n)
            _add_counts(
                conn,
                {status: -n for status, n in gone.items()},
                {name: -n for name, n in failed.items()},
            )
            return sum(gone.values())

        total = 0
        while True:
            deleted = self._run(chunk)
            total += deleted
            if deleted < _PURGE_LIMIT:
                break
        upkeep = {
            "now": now,
            "cutoff": per_minute.purge_before(params["cutoff"]),
            "before": per_minute.minute_of(now) - _FOLD_AFTER,
        }

        def tidy(conn: Connection) -> None:
            conn.execute(q.PURGE_DEDUP, upkeep)
            conn.execute(q.PURGE_TALLIES, upkeep)
            conn.execute(q.TALLIES_FOLD, upkeep)

        self._run(tidy)
        return total

    # -- reads ------------------------------------------------------------------------

    def history(self, event_id: str) -> list[HistoryEntry]:
        params = {"event_id": storable_text(event_id)}
        rows = self._run(lambda conn: conn.execute(q.HISTORY, params).fetchall())
        return [HistoryEntry(*row) for row in rows]

    def dead_letters(
        self, *, limit: int = 100, offset: int = 0, destination: str | None = None
    ) -> list[DeadLetter]:
        name = None if destination is None else storable_text(destination)
        params = {"limit": limit, "offset": offset, "destination": name}
        statement = q.DEAD_LETTERS if name is None else q.DEAD_LETTERS_OF
        rows = self._run(lambda conn: conn.execute(statement, params).fetchall())
        return [DeadLetter(*row) for row in rows]

    def dead_letter_count(self, destination: str | None = None) -> int:
        if destination is None:
            return self.counts()["failed"]
        params = {"destination": storable_text(destination)}
        return self._run(lambda conn: _one_int(conn.execute(q.DEAD_LETTER_COUNT, params)))

    # -- pauses -----------------------------------------------------------------------

    def pause(self, destination: str, reason: str, now: float, until: float) -> None:
        params = {
            "destination": storable_text(destination),
            "reason": storable_text(reason),
            "now": now,
            "until": until,
        }
        self._run(lambda conn: conn.execute(q.PAUSE, params))

    def resume(self, destination: str) -> bool:
        params = {"destination": storable_text(destination)}
        return self._run(lambda conn: conn.execute(q.RESUME, params).fetchone() is not None)

    def pauses(self) -> dict[str, PauseState]:
        rows = self._run(lambda conn: conn.execute(q.PAUSES).fetchall())
        return {str(d): PauseState(str(r), float(s), float(u)) for d, r, s, u in rows}

    def claim_probe(self, destination: str, now: float, until: float) -> bool:
        params = {"destination": storable_text(destination), "now": now, "until": until}
        return self._run(lambda conn: conn.execute(q.CLAIM_PROBE, params).fetchone() is not None)

    def depth(self) -> int:
        return self._run(_depth)

    def counts(self) -> dict[str, int]:
        return self._run(lambda conn: counters.counts_from_row(conn.execute(q.COUNTS).fetchone()))

    def ping(self) -> None:
        self._run(lambda conn: conn.execute("SELECT 1 FROM pinbridge_meta LIMIT 1").fetchall())

    def close(self) -> None:
        self._connections.close()


def _depth(conn: Connection) -> int:
    return _one_int(conn.execute(q.DEPTH))


def _one_int(cursor: psycopg.Cursor[Any]) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def _add_counts(
    conn: Connection, deltas: Mapping[str, int], failed: Mapping[str, int] | None = None
) -> None:
    """Add the transaction's net change per status (and of dead letters per destination,
    ``failed``), last, after its rows are locked (so counter locks never come between row
    locks)."""
    counters.add(conn.execute, deltas, "%s")
    if failed:
        counters.add_failed(conn.execute, failed, "%s")


def _add_tallies(conn: Connection, counted: Mapping[per_minute.Key, int], now: float) -> None:
    """Add ``counted`` to one random slot of the minute of ``now``, last in the transaction
    (after the status counters)."""
    if any(counted.values()):
        params = {
            **p.tally_params(counted),
            "minute": per_minute.minute_of(now),
            "slot": counters.random_slot(),
        }
        conn.execute(q.ADD_TALLIES, params)
