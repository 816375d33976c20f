"""``event_time`` (spec 4.2): Unix seconds from a number, a numeric string or ISO-8601 text.

Numbers of 100,000,000,000 or more are milliseconds. Text without an offset is UTC.
Times before 1970 or after the year 9999 cannot be read (they are always a mistake).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from pinbridge.mapping.context import EventContext, Reject

__all__ = ["event_time"]

MILLISECONDS_FROM = 100_000_000_000
_LATEST = 253_402_300_799  # 9999-12-31T23:59:59Z
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
    return seconds if 0 <= seconds <= _LATEST else _OUT_OF_RANGE


def _from_text(text: str) -> int | Reject:
    match = _NUMERIC.fullmatch(text)
    if match is not None:
        digits = match.group(1)
        if len(digits) > 16:
            return _OUT_OF_RANGE
        whole = int(digits)
        seconds = whole if whole < MILLISECONDS_FROM else whole // 1000
        return seconds if seconds <= _LATEST else _OUT_OF_RANGE
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
    return seconds if 0 <= seconds <= _LATEST else _OUT_OF_RANGE


def event_time(value: object, ctx: EventContext) -> object:
    """The field rule for ``event_time``."""
    return unix_seconds(value)
