"""Builders shared by the delivery tests: valid hashed Pinterest events and a fake Pinterest
edge for :class:`httpx.MockTransport` (the only thing mocked: Pinterest itself)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

__all__ = ["FakePinterest", "Recorded", "answer_per_event", "event_bytes", "make_event", "sha256"]


def sha256(text: str) -> str:
    """Lowercase 64-hex SHA-256, as Pinterest wants hashed user data."""
    return hashlib.sha256(text.encode()).hexdigest()


def make_event(event_id: str, **extra: Any) -> dict[str, Any]:
    """A valid ``data[]`` element (hashed email, current time); ``extra`` adds or overrides keys."""
    event: dict[str, Any] = {
        "event_name": "checkout",
        "action_source": "web",
        "event_time": int(time.time()) - 60,
        "event_id": event_id,
        "user_data": {"em": [sha256(f"{event_id}@example.com")]},
        "custom_data": {"currency": "EUR", "value": "12.50"},
    }
    event.update(extra)
    return event


def event_bytes(event_id: str, **extra: Any) -> bytes:
    """:func:`make_event`, orjson-encoded the way the queue stores it."""
    return orjson.dumps(make_event(event_id, **extra))


@dataclass
class Recorded:
    """One request the fake Pinterest received."""

    request: httpx.Request
    events: list[dict[str, Any]]


Rule = Callable[[list[dict[str, Any]]], httpx.Response]


@dataclass
class FakePinterest:
    """A scripted Pinterest edge: parses each request's ``data[]`` and asks ``rule`` for the
    answer (or raises what ``rule`` raises); keeps every request for the test to inspect."""

    rule: Rule
    requests: list[Recorded] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["data"]
        self.requests.append(Recorded(request, events))
        return self.rule(events)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def batch_sizes(self) -> list[int]:
        return [len(r.events) for r in self.requests]


def answer_per_event(events: list[dict[str, Any]]) -> httpx.Response:
    """Like Pinterest: an event with key ``poison`` breaks the schema (400 for the whole
    batch); ``fail`` in an event_id makes that event failed (422); ``warn`` gives a warning."""
    for event in events:
        if "poison" in event:
            return httpx.Response(
                400, json={"code": 4196, "message": "Unknown field 'poison' in data[].", "x": 1}
            )
    results = []
    for event in events:
        if "fail" in event["event_id"]:
            results.append({"status": "failed", "error_message": f"bad {event['event_id']}"})
        elif "warn" in event["event_id"]:
            results.append({"status": "processed", "warning_message": "non-standard field"})
        else:
            results.append({"status": "processed", "error_message": "", "warning_message": ""})
    processed = sum(r["status"] == "processed" for r in results)
    body = {
        "num_events_received": len(events),
        "num_events_processed": processed,
        "events": results,
    }
    if processed < len(events):
        return httpx.Response(
            422, json={"code": 953, "message": "Not all events were processed.", "details": body}
        )
    return httpx.Response(200, json=body)
