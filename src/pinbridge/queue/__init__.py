"""The durable queue between ingest and delivery: SQLite by default, PostgreSQL to scale out.

``open_queue(settings.queue)`` returns a :class:`Queue` chosen by ``[queue] url``; the
records it takes and returns are plain dataclasses from :mod:`pinbridge.queue.records`.
"""

from __future__ import annotations

from pinbridge.queue.base import Queue
from pinbridge.queue.opening import open_queue
from pinbridge.queue.records import (
    FINAL_STATUSES,
    PENDING_STATUSES,
    Attempt,
    DeadLetter,
    DeadLetterGroup,
    Delivered,
    EnqueueResult,
    EntryDetail,
    EntrySummary,
    EventStatus,
    Expired,
    Failed,
    HistoryEntry,
    HistoryStatus,
    Lease,
    LeasedEvent,
    NewEvent,
    Outcome,
    Paused,
    PauseState,
    QueueDiskFull,
    QueueFull,
    QueueUnavailable,
    Retrying,
    Tally,
    TallyRow,
)

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
    "Queue",
    "QueueDiskFull",
    "QueueFull",
    "QueueUnavailable",
    "Retrying",
    "Tally",
    "TallyRow",
    "open_queue",
]
