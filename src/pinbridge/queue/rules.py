"""Backend-independent queue rules: what an outcome does to a row, which destination and
account a batch comes from and how it is cut, how long a dedup key blocks, which events of
one enqueue call repeat an earlier one in the same call, and what text may be stored.

Both backends call these so that SQLite and PostgreSQL behave identically.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pinbridge.queue.records import (
    Delivered,
    EventStatus,
    Expired,
    Failed,
    Lease,
    LeasedEvent,
    NewEvent,
    Outcome,
    Paused,
    Retrying,
)

__all__ = [
    "KEY_RELEASING",
    "Change",
    "DedupKey",
    "batch_ids",
    "batch_sources",
    "change_for",
    "check_lease_args",
    "check_outcomes",
    "cut_by_bytes",
    "dedup_expires_at",
    "disk_full_message",
    "extended",
    "first_in_call",
    "full_batch_source",
    "full_batches",
    "full_message",
    "leased_event",
    "new_token",
    "retention_cutoff",
    "storable_event",
    "storable_text",
    "YoungGroup",
]

DedupKey = tuple[str, str, str]
"""(ad_account_id, event_id, event_name): what makes two events the same event."""

KEY_RELEASING: tuple[EventStatus, ...] = ("failed", "expired")
"""Entries in these statuses no longer block a new event with the same key."""

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Change:
    """How one outcome changes a row. ``next_attempt_at`` None keeps the row's value."""

    status: EventStatus
    attempts_delta: int
    next_attempt_at: float | None
    message: str | None

    @property
    def releases_key(self) -> bool:
        """Whether the row gives up its dedup key (see ``KEY_RELEASING``)."""
        return self.status in KEY_RELEASING


def storable_text(text: str) -> str:
    """``text`` as both databases store it alike: U+0000 (which PostgreSQL refuses in
    TEXT) and lone surrogates (which are not UTF-8) become U+FFFD. Every text the queue
    writes or looks up passes here, so that no such character fails a whole transaction."""
    if text.isascii():
        return text.replace("\x00", "\ufffd") if "\x00" in text else text
    return _UNSTORABLE.sub("\ufffd", text)


def storable_event(event: NewEvent) -> NewEvent:
    """``event`` with its key text fields passed through :func:`storable_text` (warnings are
    cleaned when they are encoded, identifiers when they are counted)."""
    texts = (event.ad_account_id, event.event_id, event.event_name, event.destination)
    account, event_id, name, destination = (storable_text(text) for text in texts)
    if (account, event_id, name, destination) == texts:
        return event
    return dataclasses.replace(
        event, ad_account_id=account, event_id=event_id, event_name=name, destination=destination
    )


def change_for(outcome: Outcome) -> Change:
    """The row change for one outcome; Delivered, Failed and Retrying count an attempt."""
    match outcome:
        case Delivered(message=message):
            return Change("delivered", 1, None, _storable(message))
        case Failed(message=message):
            return Change("failed", 1, None, storable_text(message))
        case Retrying(next_attempt_at=at, message=message):
            return Change("retrying", 1, float(at), storable_text(message))
        case Paused(next_attempt_at=at, message=message):
            return Change("paused", 0, float(at), storable_text(message))
        case Expired(message=message):
            return Change("expired", 0, None, storable_text(message))
    raise TypeError(f"not a queue outcome: {outcome!r}")


def _storable(text: str | None) -> str | None:
    return None if text is None else storable_text(text)


def first_in_call(events: Sequence[NewEvent]) -> list[bool]:
    """For each event, whether it is the first with its key in this call (later ones are
    duplicates of it, whatever the database holds)."""
    seen: set[DedupKey] = set()
    firsts: list[bool] = []
    for event in events:
        key = (event.ad_account_id, event.event_id, event.event_name)
        firsts.append(key not in seen)
        seen.add(key)
    return firsts


def cut_by_bytes(sizes: Iterable[int], max_bytes: int) -> int:
    """How many leading events fit in ``max_bytes`` of payload; always at least one."""
    total = 0
    count = 0
    for size in sizes:
        if count and total + size > max_bytes:
            break
        total += size
        count += 1
    return count


def batch_sources(
    heads: Sequence[tuple[str, str, float]], now: float, min_age: float
) -> list[tuple[str, str]]:
    """The (destination, account) pairs a batch may come from, best first.

    ``heads`` holds each destination's oldest ready event (destination, account, ready
    since), oldest first; a destination qualifies when that event has waited ``min_age``.
    An empty answer with ``min_age`` > 0 means: look for a full batch instead.
    """
    return [(destination, account) for destination, account, at in heads if at <= now - min_age]


YoungGroup = tuple[str, str, int, int, float]
"""(destination, account, events, bytes, oldest ready since) of young ready events."""


def full_batches(
    groups: Sequence[Any], max_events: int, max_bytes: int, *, complete: bool
) -> tuple[list[tuple[float, str, str]], list[str]]:
    """The (oldest, destination, account) groups that fill a batch (by count or bytes),
    and the destinations whose answer needs every young event read.

    ``groups`` are :data:`YoungGroup` rows; unless ``complete``, each destination's rows
    cover only its oldest ``max_events`` young events. That is the whole answer when the
    destination has fewer, or one account (more events would fill that account's batch by
    count anyway); a destination whose first ``max_events`` name several accounts is
    returned to be looked at again with every young event read.
    """
    per_destination: dict[str, list[Any]] = {}
    for group in groups:
        per_destination.setdefault(str(group[0]), []).append(group)
    full: list[tuple[float, str, str]] = []
    unsure: list[str] = []
    for destination, rows in per_destination.items():
        seen = sum(int(row[2]) for row in rows)
        if not complete and len(rows) > 1 and seen >= max_events:
            unsure.append(destination)
            continue
        full.extend(
            (float(row[4]), destination, str(row[1]))
            for row in rows
            if int(row[2]) >= max_events or int(row[3]) >= max_bytes
        )
    return full, unsure


def full_batch_source(
    young: Sequence[Any],
    young_of: Callable[[str], Sequence[Any]],
    max_events: int,
    max_bytes: int,
) -> tuple[str, str] | None:
    """The (destination, account) whose young ready events fill a batch, the oldest such
    group first; None when none does.

    ``young`` are :data:`YoungGroup` rows over each destination's oldest ``max_events`` young
    events; ``young_of(destination)`` reads the groups of every young event of one
    destination, called only where ``young`` is not the whole answer (see
    :func:`full_batches`).
    """
    full, unsure = full_batches(young, max_events, max_bytes, complete=False)
    for destination in unsure:
        full.extend(full_batches(young_of(destination), max_events, max_bytes, complete=True)[0])
    if not full:
        return None
    _, destination, account = min(full)
    return destination, account


def batch_ids(candidates: Sequence[Any], max_bytes: int) -> list[int]:
    """The row ids of the leading ``(id, size)`` candidates that fit in ``max_bytes``."""
    fit = cut_by_bytes((row[1] for row in candidates), max_bytes)
    return [int(row[0]) for row in candidates[:fit]]


def check_lease_args(max_events: int, max_bytes: int, lease_seconds: float, min_age: float) -> None:
    """Reject nonsensical lease arguments with a message naming the argument."""
    if max_events < 1:
        raise ValueError(f"lease: max_events must be at least 1, not {max_events}")
    if max_bytes < 1:
        raise ValueError(f"lease: max_bytes must be at least 1, not {max_bytes}")
    if lease_seconds <= 0:
        raise ValueError(f"lease: lease_seconds must be greater than 0, not {lease_seconds}")
    if min_age < 0:
        raise ValueError(f"lease: min_age must not be negative, not {min_age}")


def check_outcomes(lease: Lease, outcomes: Mapping[int, Outcome]) -> None:
    """Outcomes may only name rows of the lease; anything else is a caller's bug."""
    held = {event.row_id for event in lease.events}
    stray = sorted(set(outcomes) - held)
    if stray:
        raise ValueError(f"complete: row ids {stray[:10]} are not part of lease {lease.token}")


def new_token() -> str:
    """A lease token no other lease, on any node, will ever have."""
    return secrets.token_hex(16)


def dedup_expires_at(now: float, dedup_window_hours: float) -> float:
    """Until when an entry accepted (or replayed) at ``now`` blocks the same event."""
    return now + dedup_window_hours * 3600.0


def extended(lease: Lease, kept: Collection[int], expires_at: float) -> Lease:
    """``lease`` after an extension to ``expires_at``, holding only the rows in ``kept``
    (the others were completed or re-leased meanwhile)."""
    events = tuple(event for event in lease.events if event.row_id in kept)
    return Lease(lease.token, lease.ad_account_id, events, expires_at, lease.destination)


def retention_cutoff(now: float, retention_days: float) -> float:
    """Final entries last changed before this time are purged."""
    return now - retention_days * 86_400.0


def full_message(depth: int, adding: int, max_depth: int) -> str:
    """The QueueFull message: how full, the limit, and what the caller should do."""
    return (
        f"the queue holds {depth} pending events and {adding} more would exceed "
        f"[queue] max_depth = {max_depth}; retry later (delivery is behind or paused)"
    )


def disk_full_message(display: str, cause: str, where: str) -> str:
    """The QueueDiskFull message: it starts with "the queue's disk is full", names the
    queue and the database's answer, and says what to free."""
    return (
        f"the queue's disk is full ({display}: {cause}); this operation stored nothing. "
        f"Free space {where}: the queue works again as soon as there is room"
    )


def leased_event(row: Any) -> LeasedEvent:
    """A LeasedEvent from a row (id, event_id, event_name, event_time, payload, attempts,
    enqueued_at) as either driver returns it."""
    row_id, event_id, event_name, event_time, payload, attempts, enqueued_at = row
    return LeasedEvent(
        row_id=int(row_id),
        event_id=str(event_id),
        event_name=str(event_name),
        event_time=int(event_time),
        payload=bytes(payload),
        attempts=int(attempts),
        enqueued_at=float(enqueued_at),
    )
