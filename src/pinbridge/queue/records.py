"""Plain records that cross the queue boundary, shared by every backend.

The queue stores mapped (already hashed) events as opaque JSON bytes plus the few columns
it needs to lease, deduplicate and report on them. Statuses:

``queued``     waiting for its first attempt
``retrying``   a transient failure; ``next_attempt_at`` says when it is tried again
``paused``     the account's token was refused; tried again after ``next_attempt_at``
``delivered``  Pinterest answered ``processed`` (possibly with a warning)
``failed``     Pinterest answered ``failed``, or attempts ran out: a dead letter
``expired``    older than Pinterest accepts; never sent

History entries use the same names plus ``replayed`` (a dead letter queued again).

Every entry belongs to one *destination*: a named Pinterest ad account and token
(``"default"`` when a deployment has only one). A whole destination may be paused
(:class:`PauseState`); that is not a status of its entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pinbridge.errors import PinbridgeError

__all__ = [
    "FINAL_STATUSES",
    "PENDING_STATUSES",
    "DeadLetter",
    "Delivered",
    "EnqueueResult",
    "EventStatus",
    "Expired",
    "Failed",
    "HistoryEntry",
    "HistoryStatus",
    "Lease",
    "LeasedEvent",
    "NewEvent",
    "Outcome",
    "PauseState",
    "Paused",
    "QueueDiskFull",
    "QueueFull",
    "QueueUnavailable",
    "Retrying",
]

EventStatus = Literal["queued", "retrying", "paused", "delivered", "failed", "expired"]
PENDING_STATUSES: tuple[EventStatus, ...] = ("queued", "retrying", "paused")
FINAL_STATUSES: tuple[EventStatus, ...] = ("delivered", "failed", "expired")
HistoryStatus = Literal[
    "queued", "retrying", "paused", "delivered", "failed", "expired", "replayed"
]


class QueueFull(Exception):
    """The queue holds ``max_depth`` pending events; the caller should push back (HTTP 503)."""


class QueueUnavailable(PinbridgeError):
    """The queue's database cannot be opened or reached. The message names the URL (never
    its password) and the cause; the operation may succeed when the database is back."""


class QueueDiskFull(QueueUnavailable):
    """The queue's disk (or the PostgreSQL server's) is full. The operation stored nothing
    (its transaction rolled back); it may succeed once space is freed. The message starts
    with "the queue's disk is full"."""


@dataclass(frozen=True, slots=True)
class NewEvent:
    """A mapped event to enqueue. ``payload`` is the orjson-encoded ``data[]`` element."""

    ad_account_id: str
    event_id: str
    event_name: str
    event_time: int
    payload: bytes
    destination: str = "default"


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """``queued`` (stored now) or ``duplicate`` (same account, event_id and event_name
    already pending or delivered within the dedup window)."""

    event_id: str
    status: Literal["queued", "duplicate"]


@dataclass(frozen=True, slots=True)
class LeasedEvent:
    """One event held by a lease. ``row_id`` identifies this queue entry (event_id need
    not be unique across resubmissions); ``attempts`` counts sends before this one."""

    row_id: int
    event_id: str
    event_name: str
    event_time: int
    payload: bytes
    attempts: int
    enqueued_at: float


@dataclass(frozen=True, slots=True)
class Lease:
    """Events of one destination and one ad account held by one worker until
    ``expires_at``; after that any worker (on any node) may lease them again."""

    token: str
    ad_account_id: str
    events: tuple[LeasedEvent, ...]
    expires_at: float
    destination: str = "default"


@dataclass(frozen=True, slots=True)
class Delivered:
    """Pinterest processed the event; ``message`` is its warning_message, if any."""

    message: str | None = None


@dataclass(frozen=True, slots=True)
class Failed:
    """Permanent failure: the event becomes a dead letter with Pinterest's message."""

    message: str


@dataclass(frozen=True, slots=True)
class Retrying:
    """Transient failure: try again at ``next_attempt_at`` (Unix seconds). Counts an attempt."""

    next_attempt_at: float
    message: str


@dataclass(frozen=True, slots=True)
class Paused:
    """The account's token was refused: keep the event, try again at ``next_attempt_at``.
    Does not count an attempt."""

    next_attempt_at: float
    message: str


@dataclass(frozen=True, slots=True)
class Expired:
    """Too old for Pinterest to accept; never sent."""

    message: str


Outcome = Delivered | Failed | Retrying | Paused | Expired


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One status change of one queue entry, for ``GET /v1/events/{event_id}``.
    ``attempts`` counts sends up to and including this change."""

    row_id: int
    status: HistoryStatus
    at: float
    attempts: int
    message: str | None
    ad_account_id: str = ""
    event_name: str = ""
    destination: str = "default"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A failed event, with Pinterest's reason, for listing and replay."""

    row_id: int
    ad_account_id: str
    event_id: str
    event_name: str
    failed_at: float
    attempts: int
    message: str
    destination: str = "default"


@dataclass(frozen=True, slots=True)
class PauseState:
    """A paused destination, shared by every node through the queue's database: why,
    since when (Unix seconds) and until when no probe batch is due."""

    reason: str
    since: float
    until: float
