"""The ``Queue`` protocol every backend implements (SQLite and PostgreSQL).

The API is synchronous; async callers use ``asyncio.to_thread``. Every method that depends
on time takes ``now`` (Unix seconds) so that tests and callers control the clock.

Every method may raise :class:`~pinbridge.queue.records.QueueUnavailable` (the database
cannot be reached; PostgreSQL answers it at once while the database is known to be down)
or its subclass :class:`~pinbridge.queue.records.QueueDiskFull` (nothing was written). Text
is stored with U+0000 and lone surrogates replaced by U+FFFD, alike on both backends.

Per-minute counters (:class:`~pinbridge.queue.records.Tally`) ride in the transaction of
the change they count: ``enqueue`` and ``complete`` take the caller's, and count what only
the queue knows (queued, duplicate, identifier; delivered, failed, retrying, expired)
themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from pinbridge.queue.records import (
    Attempt,
    DeadLetter,
    DeadLetterGroup,
    EnqueueResult,
    EntryDetail,
    EntrySummary,
    HistoryEntry,
    Lease,
    NewEvent,
    Outcome,
    PauseState,
    Tally,
    TallyRow,
)

__all__ = ["Queue"]


class Queue(Protocol):
    """A durable queue of mapped events, leased per destination and ad account by
    delivery workers."""

    def enqueue(
        self, events: Sequence[NewEvent], now: float, tallies: Sequence[Tally] = ()
    ) -> list[EnqueueResult]:
        """Store ``events`` durably (committed on return), one result per event, in order.

        In the same transaction, adds ``tallies`` (received, filtered, invalid: see
        :class:`~pinbridge.queue.records.Tally`) and, per event, ``queued`` and its
        ``identifier`` tallies when stored or ``duplicate`` when not, to the minute of
        ``now``. Raises :class:`~pinbridge.queue.records.QueueFull` (nothing stored, nothing
        counted) when the pending depth plus the new events would exceed ``max_depth``;
        ValueError for a tally metric the queue counts itself.
        """
        ...

    def record_tallies(self, tallies: Sequence[Tally], now: float) -> None:
        """Add ``tallies`` to the minute of ``now`` in one small transaction (for requests
        that queue nothing: all filtered or invalid, or a refused token's status)."""
        ...

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
        """Hold up to ``max_events`` ready events (``max_bytes`` of payload, at least one) of
        one destination and one ad account, oldest first, until ``now + lease_seconds``;
        None when none is ready.

        The batch comes from the destination whose oldest ready event is oldest. Events of
        the destinations in ``exclude`` (paused ones) are skipped, at no cost however many
        they are; with ``only``, just that destination's events are leased (``exclude``
        still wins). With ``min_age`` > 0 a batch is only cut when it is full (by count or
        bytes) or its oldest event has been ready for at least ``min_age`` seconds.
        """
        ...

    def extend(self, lease: Lease, now: float, lease_seconds: float) -> Lease:
        """Hold the lease's events until ``now + lease_seconds``; the returned lease lists
        only the events still held (those lost to another worker are dropped)."""
        ...

    def complete(
        self,
        lease: Lease,
        outcomes: Mapping[int, Outcome],
        now: float,
        attempts: Mapping[int, Attempt] = {},
        tallies: Sequence[Tally] = (),
    ) -> None:
        """Apply each outcome (keyed by ``LeasedEvent.row_id``) and release the lease.

        Rows without an outcome are released unchanged; rows whose lease was lost to another
        worker are left alone. In the same transaction: ``attempts`` (keyed by row id: one
        send each) are stored for the rows this lease still held; ``tallies`` (e.g.
        ``pinterest_status``) and one ``delivered``/``failed``/``retrying``/``expired``
        tally per changed row are added to the minute of ``now``.
        """
        ...

    def record_attempts(self, attempts: Mapping[int, Attempt]) -> None:
        """Store sends of entries that keep no outcome (a refused token: the entry stays as
        it is), keyed by row id, in one small transaction; rows that no longer exist are
        skipped."""
        ...

    def history(self, event_id: str) -> list[HistoryEntry]:
        """Every status change of every entry with this event_id, oldest first."""
        ...

    def entry(self, event_id: str) -> EntryDetail | None:
        """The latest entry (highest row id) with this event_id, with its payload,
        warnings and attempts (oldest first); None when there is none."""
        ...

    def entries(
        self,
        *,
        status: str | None = None,
        event_name: str | None = None,
        destination: str | None = None,
        event_id_prefix: str | None = None,
        limit: int = 50,
    ) -> list[EntrySummary]:
        """The newest ``limit`` entries (by row id) that pass every filter given; each
        filter is read through an index. ValueError for an unknown status or a limit
        below 1."""
        ...

    def dead_letters(
        self, *, limit: int = 100, offset: int = 0, destination: str | None = None
    ) -> list[DeadLetter]:
        """Failed events (of ``destination`` only, when given), oldest first."""
        ...

    def dead_letter_count(self, destination: str | None = None) -> int:
        """How many failed events ``destination`` has (all destinations when None): a read
        of counters, cheap enough for every dashboard refresh."""
        ...

    def dead_letter_groups(
        self, destination: str | None = None, limit: int = 50
    ) -> list[DeadLetterGroup]:
        """Dead letters (of ``destination`` only, when given) grouped by reason (their
        message), the largest groups first (ties: the latest failure first, then by reason);
        each with its newest entry (highest row id) as a sample."""
        ...

    def replay(
        self,
        row_ids: Sequence[int] | None,
        now: float,
        destination: str | None = None,
        reason: str | None = None,
    ) -> int:
        """Queue failed events again (all when ``row_ids`` is None; only ``destination``'s,
        and only those whose message is exactly ``reason``, when given); returns how many.
        Each takes its dedup key back unless another entry holds it."""
        ...

    def discard(
        self,
        row_ids: Sequence[int] | None,
        now: float,
        destination: str | None = None,
        reason: str | None = None,
    ) -> int:
        """Delete failed events for good, chosen as :meth:`replay` chooses them, with their
        history and attempts (``history`` no longer lists them); each is counted in the
        ``discarded`` tally at the minute of ``now``. Returns how many."""
        ...

    def depth(self) -> int:
        """Pending events (queued, retrying or paused); cheap enough for every request."""
        ...

    def counts(self) -> dict[str, int]:
        """Entries by status (every status present, zero when none)."""
        ...

    def pause(self, destination: str, reason: str, now: float, until: float) -> None:
        """Record that ``destination`` is paused, for every node sharing the database:
        ``since`` becomes ``now`` unless it is paused already; ``reason`` and ``until`` (when
        a probe batch is next due) are updated. Writes no history: callers stop leasing the
        destination's events (``lease(exclude=…)``) and send a probe per interval."""
        ...

    def resume(self, destination: str) -> bool:
        """Remove ``destination``'s pause; True when there was one."""
        ...

    def pauses(self) -> dict[str, PauseState]:
        """Every paused destination, by name."""
        ...

    def claim_probe(self, destination: str, now: float, until: float) -> bool:
        """Atomically, when ``destination`` is paused and its ``until <= now``, set
        ``until`` to the given value and return True: of all workers on all nodes, exactly
        one claims each probe. False otherwise (not paused, or not due)."""
        ...

    def tallies(self, since: float, until: float, destination: str | None = None) -> list[TallyRow]:
        """The per-minute counters of the minutes in ``[since, until)`` (of ``destination``
        only, when given), ordered by minute, destination, event name, metric, detail."""
        ...

    def delivery_latencies(
        self, since: float, destination: str | None = None, limit: int = 100_000
    ) -> list[float]:
        """``updated_at - enqueued_at`` (seconds from acceptance to delivery) of entries
        delivered at or after ``since``: the most recent ``limit``, in no useful order."""
        ...

    def last_delivery_at(self, destination: str | None = None) -> float | None:
        """When the last delivered entry (of ``destination``, when given) was delivered;
        None when no delivered entry is kept."""
        ...

    def purge(self, now: float) -> int:
        """Delete final entries (and their history and attempts) older than
        ``retention_days``, tallies of minutes older than that, and expired dedup keys;
        returns how many entries were deleted."""
        ...

    def ping(self) -> None:
        """Raise :class:`~pinbridge.queue.records.QueueUnavailable` when unreachable."""
        ...

    def close(self) -> None:
        """Release connections; the queue cannot be used afterwards."""
        ...
