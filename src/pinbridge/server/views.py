"""JSON views of queue records, shared by the HTTP API and ``pinbridge dead-letters``.

Times are given twice: Unix seconds (``at``) for programs, ISO 8601 UTC (``at_utc``) for
people reading the output.
"""

from __future__ import annotations

from typing import Any

import orjson

from pinbridge.logs import utc_text
from pinbridge.queue.records import (
    Attempt,
    DeadLetter,
    DeadLetterGroup,
    EntryDetail,
    EntrySummary,
    HistoryEntry,
    PauseState,
)

__all__ = [
    "attempt_view",
    "dead_letter_group_view",
    "dead_letter_view",
    "entry_detail_view",
    "entry_summary_view",
    "history_entry_view",
    "pause_view",
]


def history_entry_view(entry: HistoryEntry) -> dict[str, Any]:
    """One status change of one queue entry."""
    return {
        "row_id": entry.row_id,
        "destination": entry.destination,
        "ad_account_id": entry.ad_account_id,
        "event_name": entry.event_name,
        "status": entry.status,
        "at": entry.at,
        "at_utc": utc_text(entry.at),
        "attempts": entry.attempts,
        "message": entry.message,
    }


def dead_letter_view(letter: DeadLetter) -> dict[str, Any]:
    """One failed event and Pinterest's reason."""
    return {
        "row_id": letter.row_id,
        "destination": letter.destination,
        "ad_account_id": letter.ad_account_id,
        "event_id": letter.event_id,
        "event_name": letter.event_name,
        "failed_at": letter.failed_at,
        "failed_at_utc": utc_text(letter.failed_at),
        "attempts": letter.attempts,
        "message": letter.message,
    }


def pause_view(pause: PauseState) -> dict[str, Any]:
    """Why a destination is paused, since when, and when its token is tried next."""
    return {
        "reason": pause.reason,
        "since": pause.since,
        "since_utc": utc_text(pause.since),
        "next_try": pause.until,
        "next_try_utc": utc_text(pause.until),
    }


def entry_summary_view(entry: EntrySummary) -> dict[str, Any]:
    """One queue entry in the console's list of recent events."""
    return {
        "row_id": entry.row_id,
        "event_id": entry.event_id,
        "event_name": entry.event_name,
        "destination": entry.destination,
        "ad_account_id": entry.ad_account_id,
        "status": entry.status,
        "attempts": entry.attempts,
        "enqueued_at": entry.enqueued_at,
        "enqueued_at_utc": utc_text(entry.enqueued_at),
        "updated_at": entry.updated_at,
        "updated_at_utc": utc_text(entry.updated_at),
        "message": entry.message,
    }


def entry_detail_view(detail: EntryDetail) -> dict[str, Any]:
    """What the inspector shows of the latest entry: the payload as sent (hashed only),
    the ingest warnings and every delivery attempt."""
    return {
        "destination": detail.summary.destination,
        "event_name": detail.summary.event_name,
        "payload": orjson.loads(detail.payload),
        "warnings": list(detail.warnings),
        "attempts": [attempt_view(attempt) for attempt in detail.attempts],
    }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    """One send of one event: when, Pinterest's HTTP status, its message, the batch size."""
    return {
        "at": attempt.at,
        "at_utc": utc_text(attempt.at),
        "http_status": attempt.http_status,
        "message": attempt.message,
        "batch_size": attempt.batch_size,
    }


def dead_letter_group_view(group: DeadLetterGroup) -> dict[str, Any]:
    """Dead letters sharing one reason: how many, first and last seen, one sample."""
    return {
        "reason": group.reason,
        "count": group.count,
        "first_seen": group.first_seen,
        "first_seen_utc": utc_text(group.first_seen),
        "last_seen": group.last_seen,
        "last_seen_utc": utc_text(group.last_seen),
        "sample": dead_letter_view(group.sample),
    }
