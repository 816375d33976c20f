"""Read JSON events in the shapes users have, told apart by the first non-blank character.

- ``[``: the whole input is one JSON array; each element is one event, named by its index
  (``[3]``) in messages.
- ``{`` on a line that is not a whole JSON value by itself: one event spread over several
  lines (pretty-printed JSON), or several such documents one after another (``cat *.json``).
- anything else, or a first line that is a whole JSON value: NDJSON, one event per line,
  streamed line by line.

An array or a document is read whole into memory, and its events count as positions 1, 2,
... (a compact array puts every event on one line, so lines cannot tell them apart). When
it is not valid JSON no element can be trusted: :class:`InputError` names the line, the
column and the element, and no event is read. One case stays NDJSON: when the first line
is broken but the next non-blank line is a JSON object by itself, the first line is one
bad NDJSON line rather than the start of a document.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Sequence
from typing import BinaryIO

import orjson

from pinbridge.errors import InputError
from pinbridge.sending.ndjson_input import json_kind, read_ndjson
from pinbridge.sending.records import EventInput, InputRecord

__all__ = ["read_events"]

_BOM = b"\xef\xbb\xbf"
_SPACE = re.compile(r"[ \t\n\r]*")
_BLANKS = re.compile(r"[^\n]")
_DECODER = json.JSONDecoder()
_FIX = "fix the JSON, or write one event per line (NDJSON)"


def read_events(stream: BinaryIO, name: str) -> EventInput:
    """Open the JSON events of ``stream`` (binary); ``name`` says where they come from.

    Reads up to the first non-blank line to tell the shape; NDJSON is then streamed, an
    array or a document is read to the end. Raises :class:`InputError` when an array or
    a document is not valid JSON or not UTF-8.
    """
    head: list[bytes] = []
    first = b""
    for raw in stream:
        head.append(raw)
        first = (raw[len(_BOM) :] if len(head) == 1 and raw.startswith(_BOM) else raw).strip()
        if first:
            break
    if first.startswith(b"["):
        return _array(b"".join(head) + stream.read(), name)
    if first.startswith(b"{") and not _whole_value(first):
        return _documents(b"".join(head) + stream.read(), name)
    return EventInput("ndjson", read_ndjson(itertools.chain(head, stream)))


def _whole_value(line: bytes) -> bool:
    try:
        orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return True


def _text(data: bytes, name: str) -> str:
    """The input as text; a leading byte-order mark becomes a space (columns stay right)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{name} line {line}: not valid UTF-8; save the file as UTF-8 (no event was read)"
        ) from None
    return " " + text[1:] if text.startswith("\ufeff") else text


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# A JSON array ------------------------------------------------------------------------------


def _array(data: bytes, name: str) -> EventInput:
    text = _text(data, name)
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"{name} starts with '[', so it is read as one JSON array of events, but it is not "
            f"valid JSON at line {exc.lineno}, column {exc.colno}{_array_place(text, exc.pos)}: "
            f"{exc.msg}; no event was read; {_FIX}"
        ) from None
    assert isinstance(value, list)  # the text starts with '['
    if value:
        description = f"reading a JSON array of {_plural(len(value), 'event')} from {name}"
    else:
        description = f"reading an empty JSON array (no events) from {name}"
    return EventInput("json-array", _elements(value, len(data)), description, "events")


def _elements(elements: Sequence[object], size: int) -> Iterator[InputRecord]:
    count = len(elements)
    for index, element in enumerate(elements):
        position = index + 1
        offset = size * position // count  # bytes are not tracked per element: a fair share
        if isinstance(element, dict):
            yield InputRecord(position, position, position, offset, element, index=index)
            continue
        error = (
            f"[{index}]: expected a JSON object (one Commanders Act event), found "
            f"{json_kind(element)}; every element of the array must be one event object"
        )
        text = orjson.dumps(element).decode()
        yield InputRecord(position, position, position, offset, None, error, text, index=index)


def _array_place(text: str, pos: int) -> str:
    """Which element of the array holds character ``pos``: `` (in element [2])``."""
    at = _skip(text, _skip(text, 0) + 1)
    if text.startswith("]", at):
        return " (after the end of the array)"
    index = 0
    while at <= pos:
        try:
            _, end = _DECODER.raw_decode(text, at)
        except json.JSONDecodeError:
            return f" (in element [{index}])"
        if end > pos:
            return f" (in element [{index}])"
        at = _skip(text, end)
        if text.startswith("]", at):
            return " (after the end of the array)"
        if not text.startswith(",", at) or at >= pos:
            return f" (after element [{index}])"
        at = _skip(text, at + 1)
        index += 1
    return f" (in element [{index}])"


# JSON documents over several lines --------------------------------------------------------


def _documents(data: bytes, name: str) -> EventInput:
    text = _text(data, name)
    start = _skip(text, 0)
    try:
        values: list[object] = [orjson.loads(text)]
        spans = [(start, len(text.rstrip()))]
    except orjson.JSONDecodeError as whole:
        spans, error = _spans(text, start)
        if error is None and len(spans) > 1:
            values = [_value(text, spans, number, name) for number in range(len(spans))]
        elif _next_line_is_event(data):
            return EventInput("ndjson", read_ndjson(data.splitlines(keepends=True)))
        else:
            raise _document_error(text, start, spans, error, whole, name=name) from None
    first_line = text.count("\n", 0, spans[0][0]) + 1
    lines = text.count("\n", spans[0][0], spans[-1][1]) + 1
    if len(values) == 1:
        shown = f"one JSON event spread over {_plural(lines, 'line')}"
    else:
        shown = f"{len(values)} JSON events spread over {_plural(lines, 'line')}"
    records = _document_records(text, spans, values, first_line, len(data))
    return EventInput("json", records, f"reading {shown} from {name}", "events")


def _spans(text: str, at: int) -> tuple[list[tuple[int, int]], json.JSONDecodeError | None]:
    """Where each JSON value of ``text`` starts and ends, up to the first error."""
    spans: list[tuple[int, int]] = []
    while at < len(text):
        try:
            _, end = _DECODER.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            return spans, exc
        spans.append((at, end))
        at = _skip(text, end)
    return spans, None


def _value(text: str, spans: Sequence[tuple[int, int]], number: int, name: str) -> object:
    """Document ``number`` (from 0), read by orjson: the same rules as every other input."""
    start, end = spans[number]
    try:
        return orjson.loads(text[start:end])
    except orjson.JSONDecodeError:
        pass
    try:  # again with the documents before blanked out: lines and columns stay the file's
        orjson.loads(_BLANKS.sub(" ", text[:start]) + text[start:end])
    except orjson.JSONDecodeError as exc:
        raise _not_json(text, spans[0][0], exc, number, name) from None
    raise AssertionError("orjson refused a document, then took it")  # pragma: no cover


def _next_line_is_event(data: bytes) -> bool:
    """Whether the second non-blank line is a JSON object by itself (then: NDJSON)."""
    lines = (line.strip() for line in data.splitlines())
    second = next(itertools.islice((line for line in lines if line), 1, None), None)
    if second is None:
        return False
    try:
        return isinstance(orjson.loads(second), dict)
    except orjson.JSONDecodeError:
        return False


def _document_error(
    text: str,
    start: int,
    spans: Sequence[tuple[int, int]],
    walk_error: json.JSONDecodeError | None,
    whole: orjson.JSONDecodeError,
    *,
    name: str,
) -> InputError:
    """Where the documents stop being JSON, in orjson's words as for every other input."""
    if walk_error is None:  # Python's parser took the document, orjson did not
        return _not_json(text, start, whole, 0, name)
    at = _skip(text, spans[-1][1]) if spans else start
    try:  # the documents before ``at`` blanked out: lines and columns stay the file's
        orjson.loads(_BLANKS.sub(" ", text[:at]) + text[at:])
    except orjson.JSONDecodeError as exc:
        return _not_json(text, start, exc, len(spans), name)
    return _not_json(text, start, walk_error, len(spans), name)


def _not_json(
    text: str, start: int, error: json.JSONDecodeError, number: int, name: str
) -> InputError:
    first_line = text.count("\n", 0, start) + 1
    event = f" (in event {number + 1})" if number else ""
    return InputError(
        f"{name} is read as JSON spread over several lines (line {first_line} starts an "
        f"object that does not end on that line), but it is not valid JSON at line "
        f"{error.lineno}, column {error.colno}{event}: {error.msg}; no event was read; {_FIX}"
    )


def _document_records(
    text: str,
    spans: Sequence[tuple[int, int]],
    values: Sequence[object],
    first_line: int,
    size: int,
) -> Iterator[InputRecord]:
    line, counted = first_line, spans[0][0]
    for position, ((start, _), value) in enumerate(zip(spans, values, strict=True), 1):
        line += text.count("\n", counted, start)
        counted = start
        offset = size * position // len(spans)
        if isinstance(value, dict):
            yield InputRecord(position, position, position, offset, value, line=line)
            continue
        error = (
            f"line {line}: expected a JSON object (one Commanders Act event), found "
            f"{json_kind(value)}; write each event as a JSON object"
        )
        text_value = orjson.dumps(value).decode()
        yield InputRecord(position, position, position, offset, None, error, text_value, line)
