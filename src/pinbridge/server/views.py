"""JSON views of queue records, shared by the HTTP API and ``pinbridge dead-letters``.

Times are given twice: Unix seconds (``at``) for programs, ISO 8601 UTC (``at_utc``) for
people reading the output.
"""

from __future__ import annotations

from typing import Any

from pinbridge.logs import utc_text
from pinbridge.queue.records import DeadLetter, HistoryEntry, PauseState

__all__ = ["dead_letter_view", "history_entry_view", "pause_view"]


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
