"""Per-status entry counters, kept in ``pinbridge_counts`` by both backends.

One row per slot, one column per status. Every transaction that changes or deletes
entries adds its net change per status to ONE random slot, in the same transaction, so
``counts()`` and ``depth()`` are sums over ``COUNTER_SLOTS`` rows whatever the queue's size,
and concurrent writers on several PostgreSQL nodes rarely wait for the same row. The
columns are the statuses of :mod:`pinbridge.queue.records`, in that order.
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
    "UPGRADE_GROUP_BY",
    "add",
    "add_statement",
    "counts_from_row",
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


def table_statements() -> list[str]:
    """The table and its zeroed slot rows; idempotent, the same in both dialects."""
    slots = ", ".join(f"({slot})" for slot in range(COUNTER_SLOTS))
    return [_TABLE, _SLOT_ROWS.replace("{slots}", slots)]


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


def reset_statement() -> str:
    """Zero every slot (before the one-time initialisation from ``UPGRADE_GROUP_BY``)."""
    zeros = ", ".join(f"{status} = 0" for status in STATUSES)
    return f"UPDATE pinbridge_counts SET {zeros}"  # noqa: S608 - fixed names


def counts_from_row(row: Sequence[Any] | None) -> dict[str, int]:
    """``counts()``'s answer from the ``COUNTS`` row: every status, zero when none."""
    values = row if row is not None else [0] * len(STATUSES)
    return {status: int(value) for status, value in zip(STATUSES, values, strict=True)}
