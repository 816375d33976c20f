"""Request bodies for bench/e2e.py: realistic events, a fresh event_id each, stamped now.

The events are bench/mapping.py's purchases (3 items, a full identity with a phone) and page
views (an ``epik`` URL), in turn, one unique user per template. pinbridge deduplicates on
event_id and refuses events older than 7 days, so every event posted gets a new id and the
current time: each template is kept as JSON split around those two values, and a body costs
a few byte joins per event (the load generator must never be the bottleneck).
"""

from __future__ import annotations

import re
import time

import orjson

from mapping import KINDS, corpus  # bench/mapping.py: the same realistic events

__all__ = ["TEMPLATE_KINDS", "Bodies", "sample_events"]

TEMPLATE_KINDS = ("purchase", "page_view")
_ID = "@@e2e-event-id@@"
_STAMP = "@@e2e-event-timestamp@@"
_SLOTS = re.compile(rb'("' + _ID.encode() + rb'"|"' + _STAMP.encode() + rb'")')


def sample_events(count: int) -> list[dict[str, object]]:
    """``count`` decoded events of ``TEMPLATE_KINDS`` in turn, each with its own user."""
    wanted = [KINDS.index(kind) for kind in TEMPLATE_KINDS]
    size = (count // len(wanted) + 1) * len(KINDS)
    lines = [line for n, line in enumerate(corpus(size)) if n % len(KINDS) in wanted]
    return [orjson.loads(line) for line in lines[:count]]


def _template(event: dict[str, object]) -> tuple[bytes, bytes, bytes, bool]:
    """The event's JSON around its two slots, and whether the event_id slot comes first."""
    context = event["context"]
    assert isinstance(context, dict)
    context["event_id"], context["event_timestamp"] = _ID, _STAMP
    parts = _SLOTS.split(orjson.dumps(event))
    assert len(parts) == 5, "each template has one event_id and one event_timestamp"
    return parts[0], parts[2], parts[4], _ID.encode() in parts[1]


class Bodies:
    """An endless supply of request bodies of ``per_request`` events: one JSON event for
    ``POST /events`` (1), else ``{"batch": [...]}`` for ``POST /events/batch``.
    Event ids are ``{prefix}{n}`` with n counting up from 0."""

    def __init__(self, per_request: int, prefix: str, templates: int = 400) -> None:
        self.per_request = per_request
        self._prefix = prefix
        self._next = 0
        self._templates = [_template(event) for event in sample_events(templates)]

    def _event(self, stamp: bytes) -> bytes:
        n = self._next
        self._next = n + 1
        head, middle, tail, id_first = self._templates[n % len(self._templates)]
        event_id = f'"{self._prefix}{n}"'.encode()
        first, second = (event_id, stamp) if id_first else (stamp, event_id)
        return b"".join((head, first, middle, second, tail))

    def next(self) -> bytes:
        """The next body, its events stamped with the current time (milliseconds)."""
        stamp = str(int(time.time() * 1000)).encode()
        if self.per_request == 1:
            return self._event(stamp)
        events = [self._event(stamp) for _ in range(self.per_request)]
        return b'{"batch":[' + b",".join(events) + b"]}"
