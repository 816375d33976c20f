"""Read newline-delimited JSON: one Commanders Act event (a JSON object) per line.

Blank lines are skipped. A line that is not JSON, or JSON that is not an object, becomes a
record with an error (``send`` counts it ``invalid``, ``transform`` prints it ``invalid``;
both go on); the message names the line and column, never the content, which may be
personal data. Lines are read as they come, so a pipe is handled line by line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import orjson

from pinbridge.sending.records import InputRecord

__all__ = ["json_kind", "read_ndjson"]

_BOM = b"\xef\xbb\xbf"
_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "true/false"}


def json_kind(value: object) -> str:
    """What a decoded JSON value is, in words: ``an array``, ``a string``, ``null``, ..."""
    if value is None:
        return "null"
    return _KINDS.get(type(value), "an object" if isinstance(value, dict) else "a value")


def read_ndjson(lines: Iterable[bytes]) -> Iterator[InputRecord]:
    """Yield one record per non-blank line of ``lines`` (the raw lines of the input, from
    its first, so that line numbers and byte offsets are the file's)."""
    offset = 0
    span_start = 1
    for number, raw in enumerate(lines, 1):
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
        error = (
            f"line {number}: expected a JSON object (one Commanders Act event), "
            f"found {json_kind(value)}; write one event object per line"
        )
        return _unreadable(content, span_start, number, offset, error)
    return InputRecord(span_start, number, number, offset, value, line=number)


def _unreadable(
    content: bytes, span_start: int, number: int, offset: int, error: str
) -> InputRecord:
    text = content.decode("utf-8", errors="replace")
    return InputRecord(
        span_start, number, number, offset, None, error=error, text=text, line=number
    )
