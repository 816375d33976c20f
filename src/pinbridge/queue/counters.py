"""Per-status entry counters, kept in ``pinbridge_counts`` by both backends.

One row per slot, one column per status. Every transaction that changes or deletes
entries adds its net change per status to ONE random slot, in the same transaction, so
``counts()`` and ``depth()`` are sums over ``COUNTER_SLOTS`` rows whatever the queue's size,
and concurrent writers on several PostgreSQL nodes rarely wait for the same row. The
columns are the statuses of :mod:`pinbridge.queue.records`, in that order.

``pinbridge_failed_counts`` keeps the dead letters of each destination the same way (one
row per destination and slot, created on first use), for ``dead_letter_count``.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pinbridge.queue.records import FINAL_STATUSES, PENDING_STATUSES

__all__ = [
    "COUNTER_SLOTS",
    "COUNTS",
    "DEPTH",
    "PENDING_SUM",
    "STATUSES",
    "UPGRADE_FAILED",
    "UPGRADE_GROUP_BY",
    "add",
    "add_failed",
    "add_failed_statement",
    "add_statement",
    "counts_from_row",
    "failed_of",
    "moved",
    "random_slot",
    "reset_statement",
    "table_statements",
]

COUNTER_SLOTS = 16
STATUSES = (*PENDING_STATUSES, *FINAL_STATUSES)

PENDING_SUM = " + ".join(PENDING_STATUSES)
"""SQL: the pending entries of one counter row (``queued + retrying + paused``)."""

_SUMS = ", ".join(f"COALESCE(SUM({status}), 0)" for status in STATUSES)
COUNTS = f"SELECT {_SUMS} FROM pinbridge_counts"  # noqa: S608 - fixed names
"""One row: the count of every status, in ``STATUSES`` order."""

DEPTH = f"SELECT COALESCE(SUM({PENDING_SUM}), 0) FROM pinbridge_counts"  # noqa: S608 - fixed names
"""Pending entries (queued + retrying + paused)."""

UPGRADE_GROUP_BY = "SELECT status, COUNT(*) FROM pinbridge_events GROUP BY status"
"""The one-time full count that initialises the counters of a queue made before them."""


UPGRADE_FAILED = (
    "INSERT INTO pinbridge_failed_counts (destination, slot, failed) "
    "SELECT destination, 0, COUNT(*) FROM pinbridge_events WHERE status = 'failed' "
    "GROUP BY destination"
)
"""The one-time count that initialises the per-destination dead-letter counters."""


_TABLE = """CREATE TABLE IF NOT EXISTS pinbridge_counts (
    slot INTEGER PRIMARY KEY,
    queued BIGINT NOT NULL DEFAULT 0,
    retrying BIGINT NOT NULL DEFAULT 0,
    paused BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    expired BIGINT NOT NULL DEFAULT 0
)"""
_SLOT_ROWS = "INSERT INTO pinbridge_counts (slot) VALUES {slots} ON CONFLICT DO NOTHING"
_FAILED_TABLE = """CREATE TABLE IF NOT EXISTS pinbridge_failed_counts (
    destination TEXT NOT NULL,
    slot INTEGER NOT NULL,
    failed BIGINT NOT NULL,
    PRIMARY KEY (destination, slot)
)"""


def table_statements() -> list[str]:
    """The tables and the zeroed slot rows; idempotent, the same in both dialects."""
    slots = ", ".join(f"({slot})" for slot in range(COUNTER_SLOTS))
    return [_TABLE, _SLOT_ROWS.replace("{slots}", slots), _FAILED_TABLE]


def random_slot() -> int:
    """The slot a transaction adds to (any slot: only the sums matter)."""
    return random.randrange(COUNTER_SLOTS)


def moved(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Net change per status of entries moving ``(old_status, new_status)``; zeros dropped."""
    net: Counter[str] = Counter()
    for old, new in pairs:
        net[old] -= 1
        net[new] += 1
    return {status: delta for status, delta in net.items() if delta}


def add_statement(deltas: Mapping[str, int], mark: str) -> tuple[str, list[Any]] | None:
    """``UPDATE`` adding ``deltas`` to one random slot (``mark`` is the driver's
    placeholder, ``?`` or ``%s``); None when there is nothing to add."""
    changes = [(status, delta) for status, delta in deltas.items() if delta]
    for status, _ in changes:
        if status not in STATUSES:
            raise ValueError(f"counters: unknown status {status!r}")
    if not changes:
        return None
    sets = ", ".join(f"{status} = {status} + {mark}" for status, _ in changes)
    params: list[Any] = [delta for _, delta in changes]
    statement = f"UPDATE pinbridge_counts SET {sets} WHERE slot = {mark}"  # noqa: S608 - fixed names
    return statement, [*params, random_slot()]


def add(execute: Callable[..., Any], deltas: Mapping[str, int], mark: str) -> None:
    """Run :func:`add_statement` with the driver's ``execute(sql, params)`` inside the
    caller's transaction; nothing when there is nothing to add."""
    statement = add_statement(deltas, mark)
    if statement is not None:
        execute(*statement)


def add_failed_statement(deltas: Mapping[str, int], mark: str) -> tuple[str, list[Any]] | None:
    """``INSERT … ON CONFLICT`` adding each destination's change of dead letters to one
    random slot (destinations in sorted order, so concurrent writers lock rows in the same
    order); None when there is nothing to add."""
    changes = sorted((destination, delta) for destination, delta in deltas.items() if delta)
    if not changes:
        return None
    slot = random_slot()
    values = ", ".join(f"({mark}, {mark}, {mark})" for _ in changes)
    statement = (
        f"INSERT INTO pinbridge_failed_counts (destination, slot, failed) VALUES {values} "  # noqa: S608 - fixed names
        "ON CONFLICT (destination, slot) DO UPDATE "
        "SET failed = pinbridge_failed_counts.failed + excluded.failed"
    )
    params: list[Any] = [value for d, delta in changes for value in (d, slot, delta)]
    return statement, params


def add_failed(execute: Callable[..., Any], deltas: Mapping[str, int], mark: str) -> None:
    """Run :func:`add_failed_statement` inside the caller's transaction (after
    :func:`add`, so that every transaction takes the counter tables in the same order)."""
    statement = add_failed_statement(deltas, mark)
    if statement is not None:
        execute(*statement)


def failed_of(mark: str) -> str:
    """SQL: the dead letters of the destination given as the one parameter (``mark``)."""
    return (
        "SELECT COALESCE(SUM(failed), 0) FROM pinbridge_failed_counts "  # noqa: S608 - fixed names
        f"WHERE destination = {mark}"
    )


def reset_statement() -> str:
    """Zero every slot (before the one-time initialisation from ``UPGRADE_GROUP_BY``)."""
    zeros = ", ".join(f"{status} = 0" for status in STATUSES)
    return f"UPDATE pinbridge_counts SET {zeros}"  # noqa: S608 - fixed names


def counts_from_row(row: Sequence[Any] | None) -> dict[str, int]:
    """``counts()``'s answer from the ``COUNTS`` row: every status, zero when none."""
    values = row if row is not None else [0] * len(STATUSES)
    return {status: int(value) for status, value in zip(STATUSES, values, strict=True)}
