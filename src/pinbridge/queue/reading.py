"""Backend-independent parts of the console's data: the checks and index ranges of
``entries()`` filters, warnings and attempts as stored, and rows turned into records.

Both backends select the columns named here, in this order, so that one function turns
either driver's rows into the same records.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, cast

from pinbridge.queue import counters
from pinbridge.queue.records import (
    Attempt,
    DeadLetter,
    DeadLetterGroup,
    EntryDetail,
    EntrySummary,
    EventStatus,
    Lease,
)
from pinbridge.queue.rules import storable_text

__all__ = [
    "DEAD_LETTER_COLUMNS",
    "SUMMARY_COLUMNS",
    "AttemptValues",
    "attempt_of",
    "attempt_values",
    "check_attempts",
    "check_entries",
    "dead_letter",
    "dead_letter_group",
    "entry_detail",
    "entry_summary",
    "prefix_range",
    "warnings_of",
    "warnings_text",
]

SUMMARY_COLUMNS = (
    "id, event_id, event_name, destination, ad_account_id, status, attempts, enqueued_at, "
    "updated_at, message"
)
"""The columns :func:`entry_summary` reads, in order."""

DEAD_LETTER_COLUMNS = (
    "id, ad_account_id, event_id, event_name, updated_at, attempts, COALESCE(message, ''), "
    "destination"
)
"""The columns :func:`dead_letter` reads, in order (a dead letter's reason is its message)."""

AttemptValues = tuple[int, float, int | None, str | None, int]
"""(row_id, at, http_status, message, batch_size) as stored."""

_MAX_CODE_POINT = 0x10FFFF
_SURROGATES = range(0xD800, 0xE000)


def check_entries(status: str | None, limit: int) -> None:
    """Reject an unknown status or a limit below 1, naming the argument."""
    if status is not None and status not in counters.STATUSES:
        raise ValueError(
            f"entries: status must be one of {', '.join(counters.STATUSES)}, not {status!r}"
        )
    if limit < 1:
        raise ValueError(f"entries: limit must be at least 1, not {limit}")


def prefix_range(prefix: str) -> tuple[str, str | None]:
    """The event_ids starting with ``prefix`` as a range ``low <= event_id < high`` in code
    point order (``high`` None: no upper bound), so that an index answers it. ``prefix`` is
    cleaned as stored text is (:func:`~pinbridge.queue.rules.storable_text`)."""
    low = storable_text(prefix)
    head = low
    while head:
        code = ord(head[-1]) + 1
        if code <= _MAX_CODE_POINT:
            if code in _SURROGATES:
                code = _SURROGATES.stop  # not storable: the next storable code point
            return low, head[:-1] + chr(code)
        head = head[:-1]  # U+10FFFF cannot be raised: raise the character before it
    return low, None


def warnings_text(warnings: Sequence[str]) -> str | None:
    """Mapping warnings as stored: a JSON list of cleaned texts, None when there are none."""
    if not warnings:
        return None
    return json.dumps([storable_text(text) for text in warnings])


def warnings_of(text: str | None) -> tuple[str, ...]:
    """The warnings stored as :func:`warnings_text` wrote them."""
    return () if text is None else tuple(str(item) for item in json.loads(text))


def check_attempts(lease: Lease, attempts: Collection[int]) -> None:
    """Attempts may only name rows of the lease; anything else is a caller's bug."""
    held = {event.row_id for event in lease.events}
    stray = sorted(set(attempts) - held)
    if stray:
        raise ValueError(
            f"complete: attempts name row ids {stray[:10]} that are not part of lease {lease.token}"
        )


def attempt_values(attempts: Mapping[int, Attempt]) -> list[AttemptValues]:
    """The rows to store for ``attempts`` (keyed by row id), messages cleaned, in row order."""
    return [
        (
            int(row_id),
            float(attempt.at),
            None if attempt.http_status is None else int(attempt.http_status),
            None if attempt.message is None else storable_text(attempt.message),
            int(attempt.batch_size),
        )
        for row_id, attempt in sorted(attempts.items())
    ]


def entry_summary(row: Sequence[Any]) -> EntrySummary:
    """An EntrySummary from a row of :data:`SUMMARY_COLUMNS`."""
    row_id, event_id, name, destination, account, status, attempts, enqueued, updated, msg = row
    return EntrySummary(
        row_id=int(row_id),
        event_id=str(event_id),
        event_name=str(name),
        destination=str(destination),
        ad_account_id=str(account),
        status=cast(EventStatus, str(status)),
        attempts=int(attempts),
        enqueued_at=float(enqueued),
        updated_at=float(updated),
        message=None if msg is None else str(msg),
    )


def entry_detail(row: Sequence[Any], attempts: Iterable[Sequence[Any]]) -> EntryDetail:
    """An EntryDetail from a row of :data:`SUMMARY_COLUMNS` plus payload and warnings, and
    the entry's attempt rows (see :func:`attempt_of`), oldest first."""
    *summary, payload, warnings = row
    return EntryDetail(
        summary=entry_summary(summary),
        payload=bytes(payload),
        warnings=warnings_of(warnings),
        attempts=tuple(attempt_of(attempt) for attempt in attempts),
    )


def attempt_of(row: Sequence[Any]) -> Attempt:
    """An Attempt from a row (at, http_status, message, batch_size)."""
    at, status, message, batch_size = row
    return Attempt(
        at=float(at),
        http_status=None if status is None else int(status),
        message=None if message is None else str(message),
        batch_size=int(batch_size),
    )


def dead_letter(row: Sequence[Any]) -> DeadLetter:
    """A DeadLetter from a row of :data:`DEAD_LETTER_COLUMNS`."""
    row_id, account, event_id, name, failed_at, attempts, message, destination = row
    return DeadLetter(
        row_id=int(row_id),
        ad_account_id=str(account),
        event_id=str(event_id),
        event_name=str(name),
        failed_at=float(failed_at),
        attempts=int(attempts),
        message=str(message),
        destination=str(destination),
    )


def dead_letter_group(row: Sequence[Any]) -> DeadLetterGroup:
    """A DeadLetterGroup from a row (reason, count, first_seen, last_seen, then the sample's
    :data:`DEAD_LETTER_COLUMNS`)."""
    reason, count, first_seen, last_seen, *sample = row
    return DeadLetterGroup(
        reason=str(reason),
        count=int(count),
        first_seen=float(first_seen),
        last_seen=float(last_seen),
        sample=dead_letter(sample),
    )
