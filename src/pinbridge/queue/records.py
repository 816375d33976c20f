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
``discarded`` is part of the type for readers of the history, but the queue writes no such
entry: :meth:`~pinbridge.queue.base.Queue.discard` deletes an entry together with its
history and attempts, and counts it in the ``discarded`` tally instead.

Every entry belongs to one *destination*: a named Pinterest ad account and token
(``"default"`` when a deployment has only one). A whole destination may be paused
(:class:`PauseState`); that is not a status of its entries.

For the operator console the queue also keeps each send of each entry (:class:`Attempt`),
the mapping warnings given at ingest, and per-minute counters (:class:`Tally` in,
:class:`TallyRow` out).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pinbridge.errors import PinbridgeError

__all__ = [
    "FINAL_STATUSES",
    "PENDING_STATUSES",
    "Attempt",
    "DeadLetter",
    "DeadLetterGroup",
    "Delivered",
    "EnqueueResult",
    "EntryDetail",
    "EntrySummary",
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
    "Tally",
    "TallyRow",
]

EventStatus = Literal["queued", "retrying", "paused", "delivered", "failed", "expired"]
PENDING_STATUSES: tuple[EventStatus, ...] = ("queued", "retrying", "paused")
FINAL_STATUSES: tuple[EventStatus, ...] = ("delivered", "failed", "expired")
HistoryStatus = Literal[
    "queued", "retrying", "paused", "delivered", "failed", "expired", "replayed", "discarded"
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
    """A mapped event to enqueue. ``payload`` is the orjson-encoded ``data[]`` element.

    ``warnings`` (the mapping's warnings) are stored with the entry for the console.
    ``identifiers`` names the match identifiers the event carries (``em``, ``ph``,
    ``click_id``, ... see :class:`Tally`): the queue counts them in the ``identifier`` tally
    when, and only when, it stores the event (a duplicate counts none). Only the names are
    used; nothing of them is stored with the entry.
    """

    ad_account_id: str
    event_id: str
    event_name: str
    event_time: int
    payload: bytes
    destination: str = "default"
    warnings: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()


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


@dataclass(frozen=True, slots=True)
class DeadLetterGroup:
    """The dead letters that share one reason (Pinterest's message): how many, the first
    and last failure (Unix seconds), and the newest of them (highest row id) as a sample."""

    reason: str
    count: int
    first_seen: float
    last_seen: float
    sample: DeadLetter


@dataclass(frozen=True, slots=True)
class Attempt:
    """One send of one event: when, Pinterest's HTTP status (None when there was no answer:
    a timeout or a broken connection), Pinterest's per-event message or the transient reason,
    and how many events the request carried."""

    at: float
    http_status: int | None
    message: str | None
    batch_size: int


@dataclass(frozen=True, slots=True)
class Tally:
    """One increment of a per-minute counter, added at the minute of the call's ``now``.

    ``event_name`` is Pinterest's event name, or ``"none"`` for events that have none
    (filtered or invalid). ``metric`` and ``detail``:

    - ``received``, ``filtered`` (detail: the reason), ``invalid`` (detail: the first
      error), ``pinterest_status`` (detail: ``"200"``, ``"429"``, ``"timeout"`` ...): given
      by callers of ``enqueue``, ``complete`` and ``record_tallies``;
    - ``queued``, ``duplicate`` and ``identifier`` (detail: ``em``, ``ph``,
      ``external_id``, ``click_id``, ``hashed_maids``, ``ip_and_user_agent``, ``fn_ln``,
      ``order_id``, ``value_and_currency``; from :attr:`NewEvent.identifiers`) are counted
      by ``enqueue`` itself, ``delivered``, ``failed``, ``retrying`` and ``expired`` by
      ``complete``, and ``discarded`` by ``discard``: only the queue knows which events it
      stored or changed, so only it can count them exactly. Passing one of these is an
      error.
    """

    destination: str
    event_name: str
    metric: str
    detail: str = ""
    count: int = 1


@dataclass(frozen=True, slots=True)
class TallyRow:
    """A per-minute counter as read back: ``minute`` is the minute's start (Unix seconds, a
    multiple of 60)."""

    minute: float
    destination: str
    event_name: str
    metric: str
    detail: str
    count: int


@dataclass(frozen=True, slots=True)
class EntrySummary:
    """One queue entry in a listing (newest first). ``message`` is the last outcome's."""

    row_id: int
    event_id: str
    event_name: str
    destination: str
    ad_account_id: str
    status: EventStatus
    attempts: int
    enqueued_at: float
    updated_at: float
    message: str | None


@dataclass(frozen=True, slots=True)
class EntryDetail:
    """One entry with what the console's inspector shows: the mapped event as stored and
    sent (hashed identifiers only), the mapping warnings given at ingest, and every send,
    oldest first."""

    summary: EntrySummary
    payload: bytes
    warnings: tuple[str, ...]
    attempts: tuple[Attempt, ...]
