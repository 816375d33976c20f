"""Turn an ingest request body into the list of events it carries, or say where it is wrong.

Three shapes: one JSON object (``POST /events``); ``{"batch": [...]}`` and newline-delimited
JSON (``POST /events/batch``). Each event comes with its size in bytes (its NDJSON line, or
its compact JSON encoding inside a batch) so that the per-event limit can be applied to it
alone. Messages say where (line, index) and what is expected; they never quote the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from pinbridge.mapping.context import kind_of

__all__ = ["BadBody", "IncomingEvent", "parse_batch", "parse_ndjson", "parse_single"]


class BadBody(Exception):
    """The body is not valid JSON or not the expected shape; the message says where."""


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """One decoded event and its size in bytes as the sender encoded it."""

    value: dict[str, Any]
    size: int


def parse_single(body: bytes) -> IncomingEvent:
    """The one JSON object of ``POST /events``."""
    if not body.strip():
        raise BadBody("the request body is empty; send one event as a JSON object")
    value = _loads(body, "the request body")
    if not isinstance(value, dict):
        raise BadBody(
            f"the request body must be one event as a JSON object, not {kind_of(value)}; "
            "send several events to POST /events/batch"
        )
    if set(value) == {"batch"} and isinstance(value["batch"], list):
        raise BadBody(
            'the request body is a batch ({"batch": [...]}); send it to POST /events/batch'
        )
    return IncomingEvent(value, len(body))


def parse_batch(body: bytes) -> list[IncomingEvent]:
    """The events of ``{"batch": [event, ...]}``."""
    if not body.strip():
        raise BadBody('the request body is empty; send {"batch": [event, ...]}')
    value = _loads(body, "the request body")
    if not isinstance(value, dict) or not isinstance(value.get("batch"), list):
        raise BadBody(
            'the request body must be a JSON object {"batch": [event, ...]}, '
            "or newline-delimited JSON sent with Content-Type: application/x-ndjson"
        )
    events: list[IncomingEvent] = []
    for index, item in enumerate(value["batch"]):
        if not isinstance(item, dict):
            raise BadBody(f"batch[{index}] must be an event (a JSON object), not {kind_of(item)}")
        events.append(IncomingEvent(item, len(orjson.dumps(item))))
    return events


def parse_ndjson(body: bytes) -> list[IncomingEvent]:
    """One event per non-blank line of newline-delimited JSON."""
    events: list[IncomingEvent] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        value = _loads(line, f"line {number}", one_line=True)
        if not isinstance(value, dict):
            raise BadBody(f"line {number} must be an event (a JSON object), not {kind_of(value)}")
        events.append(IncomingEvent(value, len(line.rstrip(b"\r"))))
    if not events:
        raise BadBody("the request body has no events; send one JSON object per line")
    return events


def _loads(data: bytes, where: str, *, one_line: bool = False) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        # orjson's messages name the problem and the position, never the text.
        position = f"column {exc.colno}" if one_line else f"line {exc.lineno}, column {exc.colno}"
        raise BadBody(f"{where} is not valid JSON: {exc.msg} at {position}") from None
