"""``event_time`` (spec 4.2 and 6): Unix seconds from a number, a numeric string or ISO-8601
text, and the window Pinterest accepts around the receive time.

Numbers of 100,000,000,000 or more are milliseconds. Text without an offset is UTC.
Times before 1970 or after the year 9999 cannot be read (they are always a mistake).
An event at most :data:`MAX_AGE` seconds before and :data:`MAX_AHEAD` seconds after the
receive time passes; outside, the error gives the distance (see :func:`distance`).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from pinbridge.mapping.context import EventContext, Reject

__all__ = [
    "LATEST",
    "MAX_AGE",
    "MAX_AHEAD",
    "MILLISECONDS_FROM",
    "distance",
    "event_time",
    "window_error",
]

MAX_AGE = 7 * 86_400
"""Pinterest refuses events more than 7 days (604,800 s) older than their receive time."""
MAX_AHEAD = 5 * 60
"""... and events more than 5 minutes (300 s) after it."""
MILLISECONDS_FROM = 100_000_000_000
LATEST = 253_402_300_799
"""9999-12-31T23:59:59Z, the latest time that can be read."""
_NUMERIC = re.compile(r"\+?(\d+)(?:\.\d*)?")
_UNREADABLE = Reject("not a Unix time (seconds or milliseconds) or an ISO-8601 date-time")
_OUT_OF_RANGE = Reject("a time before 1970 or after the year 9999")


def unix_seconds(value: object) -> int | Reject:
    """The Unix time in whole seconds that ``value`` stands for, or the reason it cannot."""
    if type(value) is int:
        seconds = value if value < MILLISECONDS_FROM else value // 1000
    elif type(value) is float:
        if not math.isfinite(value):
            return _UNREADABLE
        seconds = int(value if value < MILLISECONDS_FROM else value / 1000)
    elif type(value) is str:
        return _from_text(value.strip())
    else:
        return _UNREADABLE
    return seconds if 0 <= seconds <= LATEST else _OUT_OF_RANGE


def _from_text(text: str) -> int | Reject:
    match = _NUMERIC.fullmatch(text)
    if match is not None:
        digits = match.group(1)
        if len(digits) > 16:
            return _OUT_OF_RANGE
        whole = int(digits)
        seconds = whole if whole < MILLISECONDS_FROM else whole // 1000
        return seconds if seconds <= LATEST else _OUT_OF_RANGE
    if text.startswith("-") and _NUMERIC.fullmatch(text[1:]):
        return _OUT_OF_RANGE
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _UNREADABLE
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        seconds = math.floor(moment.timestamp())
    except (OverflowError, ValueError):
        return _OUT_OF_RANGE
    return seconds if 0 <= seconds <= LATEST else _OUT_OF_RANGE


def event_time(value: object, ctx: EventContext) -> object:
    """The field rule for ``event_time``."""
    return unix_seconds(value)


_UNITS = ((86_400, "day"), (3_600, "hour"), (60, "minute"), (1, "second"))


def distance(seconds: int, limit: int) -> str:
    """``seconds`` (more than ``limit``) in words: the largest unit that fits, rounded down
    (``8 days``, ``1 hour``, ``12 minutes``); ``more than 7 days`` when rounding down would
    give no more than the limit, so the text never reads as if the event were allowed."""
    size, name = next(unit for unit in _UNITS if seconds >= unit[0])
    amount = seconds // size
    shown = f"{amount} {name}" if amount == 1 else f"{amount} {name}s"
    return f"more than {shown}" if amount * size <= limit else shown


def window_error(event_time: int, received_at: int) -> str | None:
    """The error for an ``event_time`` outside Pinterest's window, else None (spec 6)."""
    offset = event_time - received_at
    if offset < -MAX_AGE:
        return (
            f"event_time: {distance(-offset, MAX_AGE)} before it was received; "
            "Pinterest accepts events at most 7 days old"
        )
    if offset > MAX_AHEAD:
        return (
            f"event_time: {distance(offset, MAX_AHEAD)} after it was received; "
            "Pinterest accepts events at most 5 minutes in the future"
        )
    return None
