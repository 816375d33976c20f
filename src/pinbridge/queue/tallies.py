"""Per-minute counters for the console (``pinbridge_tallies``), the same for both backends:
which metrics exist and who counts them, how one call's increments merge into one
multi-row upsert, and the statements that read and purge them.

A row is keyed by (minute, destination, event name, metric, detail, slot) and holds a
count. SQLite has one writer at a time, so it always writes slot 0: one row per key.
PostgreSQL adds each transaction's increments to a random slot of ``COUNTER_SLOTS`` (as
the status counters do), because an increment's row lock is held until commit: with one
row per key, every concurrent ingest on every node would queue behind the same lock.
``purge`` folds the slots of past minutes back into slot 0, so the table keeps one row per
key for all but the latest minutes. Reads sum the slots.

Increments are added in the transaction of the change they count, so the tallies add up
exactly like the status counters (a call that fails counts nothing).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pinbridge.queue.records import EventStatus, NewEvent, Tally, TallyRow
from pinbridge.queue.rules import storable_text

__all__ = [
    "CALLER_METRICS",
    "METRICS",
    "QUEUE_METRICS",
    "Key",
    "destination_key",
    "for_enqueue",
    "for_outcomes",
    "from_caller",
    "key",
    "minute_of",
    "outcome_key",
    "purge_before",
    "purge_statement",
    "read_statement",
    "table_statements",
    "tally_row",
]

CALLER_METRICS = ("received", "filtered", "invalid", "pinterest_status")
"""Metrics that callers count (``enqueue``, ``complete`` and ``record_tallies`` take them)."""

QUEUE_METRICS = (
    "queued",
    "duplicate",
    "identifier",
    "delivered",
    "failed",
    "retrying",
    "expired",
    "discarded",
)
"""Metrics the queue counts itself, for exactly the entries it stores or changes."""

METRICS = (*CALLER_METRICS, *QUEUE_METRICS)

_OUTCOME_METRICS: dict[str, str] = {
    "delivered": "delivered",
    "failed": "failed",
    "retrying": "retrying",
    "expired": "expired",
}

# Key texts are cut to these lengths (characters) so that a key always fits in a B-tree
# entry (PostgreSQL refuses entries over ~2,700 bytes, and a refused tally would fail the
# ingest transaction it rides in). Names of destinations and events are far shorter.
_NAME_CHARS = 100
_DETAIL_CHARS = 200

Key = tuple[str, str, str, str]
"""(destination, event_name, metric, detail) of one counter, as stored."""

_TABLE = """CREATE TABLE IF NOT EXISTS pinbridge_tallies (
    minute {real} NOT NULL,
    destination TEXT NOT NULL,
    event_name TEXT NOT NULL,
    metric TEXT NOT NULL,
    detail TEXT NOT NULL,
    slot INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (minute, destination, event_name, metric, detail, slot)
)"""


def table_statements(real: str) -> list[str]:
    """The table (``real`` is the dialect's float type); idempotent."""
    return [_TABLE.format(real=real)]


def minute_of(now: float) -> float:
    """The start of the minute that holds ``now`` (Unix seconds, a multiple of 60)."""
    return math.floor(now / 60.0) * 60.0


def destination_key(destination: str) -> str:
    """A destination name as tallies store it (and as a filter must name it)."""
    return storable_text(destination)[:_NAME_CHARS]


def key(destination: str, event_name: str, metric: str, detail: str = "") -> Key:
    """A counter's key as stored: texts cleaned and cut to fit an index entry."""
    return (
        destination_key(destination),
        storable_text(event_name)[:_NAME_CHARS],
        metric,
        storable_text(detail)[:_DETAIL_CHARS],
    )


def from_caller(tallies: Iterable[Tally], call: str) -> Counter[Key]:
    """The increments a caller of ``call`` gives, merged per key; a metric the queue
    counts itself (or none known) or a negative count is a caller's bug."""
    merged: Counter[Key] = Counter()
    for tally in tallies:
        if tally.metric not in CALLER_METRICS:
            if tally.metric in QUEUE_METRICS:
                raise ValueError(
                    f"{call}: the queue counts tally metric {tally.metric!r} itself (enqueue "
                    "counts queued, duplicate and identifier; complete counts delivered, "
                    "failed, retrying and expired; discard counts discarded); pass only "
                    f"{', '.join(CALLER_METRICS)}"
                )
            raise ValueError(
                f"{call}: unknown tally metric {tally.metric!r}; callers pass "
                f"{', '.join(CALLER_METRICS)}"
            )
        if tally.count < 0:
            raise ValueError(f"{call}: tally count must not be negative, not {tally.count}")
        if tally.count:
            merged[key(tally.destination, tally.event_name, tally.metric, tally.detail)] += (
                tally.count
            )
    return merged


def for_enqueue(events: Sequence[NewEvent], stored: Sequence[bool]) -> Counter[Key]:
    """What an enqueue counts itself: ``queued`` and one ``identifier`` per named
    identifier for each stored event, ``duplicate`` for each other one. Counted by the
    texts as given, then each distinct key cleaned once (a batch repeats a few keys)."""
    raw: Counter[tuple[str, str, str, str]] = Counter()
    for event, was_stored in zip(events, stored, strict=True):
        destination, name = event.destination, event.event_name
        if not was_stored:
            raw[(destination, name, "duplicate", "")] += 1
            continue
        raw[(destination, name, "queued", "")] += 1
        for identifier in event.identifiers:
            raw[(destination, name, "identifier", identifier)] += 1
    merged: Counter[Key] = Counter()
    for (destination, name, metric, detail), n in raw.items():
        merged[key(destination, name, metric, detail)] += n
    return merged


def for_outcomes(destination: str, outcomes: Iterable[tuple[str, EventStatus]]) -> Counter[Key]:
    """What a completion counts itself: per (event name, new status), the outcome's metric
    (none for ``paused``); each distinct key cleaned once."""
    raw = Counter(outcomes)
    merged: Counter[Key] = Counter()
    for (event_name, status), n in raw.items():
        counted = outcome_key(destination, event_name, status)
        if counted is not None:
            merged[counted] += n
    return merged


def outcome_key(destination: str, event_name: str, status: EventStatus) -> Key | None:
    """The counter an entry's new status adds to (None for ``paused``, which is not an
    outcome of the event but of its destination's token)."""
    metric = _OUTCOME_METRICS.get(status)
    return None if metric is None else key(destination, event_name, metric)


def read_statement(mark: str, by_destination: bool) -> str:
    """SQL (both dialects; ``mark`` is the driver's placeholder): the counters of the
    minutes in [since, until), slots summed, of one destination when ``by_destination``
    (parameters: since, until[, destination])."""
    narrow = f" AND destination = {mark}" if by_destination else ""
    return (
        "SELECT minute, destination, event_name, metric, detail, SUM(count) "  # noqa: S608 - fixed text
        f"FROM pinbridge_tallies WHERE minute >= {mark} AND minute < {mark}{narrow} "
        "GROUP BY minute, destination, event_name, metric, detail "
        "ORDER BY minute, destination, event_name, metric, detail"
    )


def purge_statement(mark: str) -> str:
    """SQL: delete the counters of the minutes before the one parameter, which is
    :func:`purge_before` of the retention cutoff; the primary key's leading ``minute`` makes
    this a range."""
    return f"DELETE FROM pinbridge_tallies WHERE minute < {mark}"  # noqa: S608 - fixed text


def purge_before(cutoff: float) -> float:
    """Minutes before this one have ended before ``cutoff``: purge drops them (a minute
    that holds the cutoff is kept whole)."""
    return minute_of(cutoff)


def tally_row(row: Sequence[Any]) -> TallyRow:
    """A TallyRow from a row of :func:`read_statement`, as either driver returns it."""
    minute, destination, event_name, metric, detail, count = row
    return TallyRow(
        float(minute), str(destination), str(event_name), str(metric), str(detail), int(count)
    )
