"""Read newline-delimited JSON: one Commanders Act event (a JSON object) per line.

Blank lines are skipped. A line that is not JSON, or JSON that is not an object, becomes a
record with an error (the run counts it ``invalid`` and goes on); the message names the line
and column, never the content, which may be personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

import orjson

from pinbridge.sending.records import InputRecord

__all__ = ["read_ndjson"]

_BOM = b"\xef\xbb\xbf"
_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}


def read_ndjson(handle: BinaryIO) -> Iterator[InputRecord]:
    """Yield one record per non-blank line of ``handle`` (opened in binary mode)."""
    offset = 0
    span_start = 1
    for number, raw in enumerate(handle, 1):
        offset += len(raw)
        line = raw[len(_BOM) :] if number == 1 and raw.startswith(_BOM) else raw
        content = line.strip()
        if not content:
            continue
        yield _record(content, span_start, number, offset)
        span_start = number + 1


def _record(content: bytes, span_start: int, number: int, offset: int) -> InputRecord:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        error = (
            f"line {number}: not valid JSON ({exc.msg} at column {exc.colno}); "
            "write one JSON object per line, such as "
            '{"event_name": "purchase", "context": {"event_id": "..."}}'
        )
        return _unreadable(content, span_start, number, offset, error)
    if not isinstance(value, dict):
        kind = "null" if value is None else _KINDS.get(type(value), type(value).__name__)
        error = (
            f"line {number}: expected a JSON object (one Commanders Act event), found {kind}; "
            "write one event object per line"
        )
        return _unreadable(content, span_start, number, offset, error)
    return InputRecord(span_start, number, number, offset, value)


def _unreadable(
    content: bytes, span_start: int, number: int, offset: int, error: str
) -> InputRecord:
    text = content.decode("utf-8", errors="replace")
    return InputRecord(span_start, number, number, offset, None, error=error, text=text)
