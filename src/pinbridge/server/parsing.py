"""Turn an ingest request body into the events it carries, or say where it is wrong.

Three shapes: one JSON object (``POST /events``); ``{"batch": [...]}`` and newline-delimited
JSON (``POST /events/batch``). In a batch, each event is on its own: an element or a line
that cannot be an event (not valid JSON, not an object, over ``max_event_bytes``) becomes a
:class:`BrokenEvent`, answered ``invalid`` with its line or index, and the others go on. Only
a body that is not a batch at all raises :class:`BadBody`. NDJSON lines are independent; a
``{"batch": [...]}`` document is not: if it is not valid JSON as a whole, nothing in it can be
trusted to be where it seems, so that is a :class:`BadBody`.

The number of events is checked before anything is decoded one by one (NDJSON lines are
counted, a batch's list measured): over ``max_events`` is :class:`TooManyEvents`.

An event's size is its NDJSON line, or its compact JSON encoding in a batch. In a batch it is
measured only when the whole body is over ``max_event_bytes``: otherwise no event in it can
be. Messages say where (line, index) and what is expected; they never quote the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from pinbridge.mapping.context import kind_of

__all__ = [
    "BadBody",
    "BrokenEvent",
    "IncomingEvent",
    "TooManyEvents",
    "parse_batch",
    "parse_ndjson",
    "parse_single",
]


class BadBody(Exception):
    """The body is not valid JSON or not the expected shape; the message says where."""


class TooManyEvents(Exception):
    """The body carries more than ``limit`` events; ``count`` is how many, if all were counted."""

    def __init__(self, count: int | None, limit: int) -> None:
        super().__init__(f"more than {limit} events")
        self.count = count
        self.limit = limit


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """One decoded event, to be mapped."""

    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BrokenEvent:
    """An element or line of a batch that is no event; ``error`` is its ``invalid`` reason."""

    error: str


Parsed = IncomingEvent | BrokenEvent


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
    return IncomingEvent(value)


def parse_batch(body: bytes, *, max_events: int, max_event_bytes: int) -> list[Parsed]:
    """The events of ``{"batch": [event, ...]}``."""
    if not body.strip():
        raise BadBody('the request body is empty; send {"batch": [event, ...]}')
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if _looks_like_ndjson(body):
            raise BadBody(
                "the request body is newline-delimited JSON (one event per line), sent as "
                "application/json; send it with Content-Type: application/x-ndjson, or as one "
                'JSON object {"batch": [event, ...]}'
            ) from None
        raise BadBody(_not_json("the request body", exc)) from None
    if not isinstance(value, dict) or not isinstance(value.get("batch"), list):
        raise BadBody(
            'the request body must be a JSON object {"batch": [event, ...]}, '
            "or newline-delimited JSON sent with Content-Type: application/x-ndjson"
        )
    items: list[Any] = value["batch"]
    if len(items) > max_events:
        raise TooManyEvents(len(items), max_events)
    measure = len(body) > max_event_bytes
    events: list[Parsed] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            events.append(
                BrokenEvent(f"batch[{index}] must be an event (a JSON object), not {kind_of(item)}")
            )
        elif measure and (size := len(orjson.dumps(item))) > max_event_bytes:
            events.append(BrokenEvent(_oversized(f"event {index}", size, max_event_bytes)))
        else:
            events.append(IncomingEvent(item))
    return events


def parse_ndjson(body: bytes, *, max_events: int, max_event_bytes: int) -> list[Parsed]:
    """One event per non-blank line of newline-delimited JSON."""
    lines = body.split(b"\n")
    if len(lines) > max_events:  # count exactly only when blank lines might make it fit
        count = 0
        for line in lines:
            if line.strip():
                count += 1
                if count > max_events:
                    raise TooManyEvents(None, max_events)
    events: list[Parsed] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        line = raw.rstrip(b"\r")
        if len(line) > max_event_bytes:
            where = f"event {len(events)} (line {number})"
            events.append(BrokenEvent(_oversized(where, len(line), max_event_bytes)))
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            events.append(BrokenEvent(_not_json(f"line {number}", exc, one_line=True)))
            continue
        if isinstance(value, dict):
            events.append(IncomingEvent(value))
        else:
            events.append(
                BrokenEvent(f"line {number} must be an event (a JSON object), not {kind_of(value)}")
            )
    if not events:
        raise BadBody("the request body has no events; send one JSON object per line")
    if not any(isinstance(event, IncomingEvent) for event in events) and _is_json(body):
        raise BadBody(
            "the request body is one JSON document, not newline-delimited JSON; send it with "
            'Content-Type: application/json (as {"batch": [event, ...]}), or one event per line'
        )
    return events


def _loads(data: bytes, where: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadBody(_not_json(where, exc)) from None


def _not_json(where: str, exc: orjson.JSONDecodeError, *, one_line: bool = False) -> str:
    # orjson's messages name the problem and the position, never the text.
    position = f"column {exc.colno}" if one_line else f"line {exc.lineno}, column {exc.colno}"
    return f"{where} is not valid JSON: {exc.msg} at {position}"


def _oversized(where: str, size: int, limit: int) -> str:
    return (
        f"{where} is {size:,} bytes, over the limit of {limit:,} bytes for one event "
        "([server] max_event_bytes); trim the event or raise the limit"
    )


def _looks_like_ndjson(body: bytes) -> bool:
    """Several lines, and the first non-blank one is a JSON object by itself."""
    lines = [line for line in body.split(b"\n", 2) if line.strip()]
    if len(lines) < 2:
        return False
    try:
        return isinstance(orjson.loads(lines[0]), dict)
    except orjson.JSONDecodeError:
        return False


def _is_json(body: bytes) -> bool:
    try:
        orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    return True
