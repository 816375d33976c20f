"""Commanders Act events for the demo: a few hand-written samples plus generated traffic.

Timestamps are fresh (the caller passes ``now``), except for the few generated events that
are wrong on purpose so the summary shows what pinbridge does with them: duplicates,
filtered events, and invalid ones (no identity, or stamped outside the window Pinterest
accepts, which pinbridge refuses at ingest instead of letting Pinterest fail them later).
"""

from __future__ import annotations

import copy
import random
from typing import Any

__all__ = [
    "DEMO_FUTURE_SECONDS",
    "DEMO_PAST_SECONDS",
    "DEMO_REFUSED_PREFIX",
    "demo_events",
    "sample_events",
]

Event = dict[str, Any]

DEMO_FUTURE_SECONDS = 3600
"""Some generated events are stamped this far ahead, past Pinterest's 5 minutes: invalid."""
DEMO_PAST_SECONDS = 8 * 86_400
"""Some are this old, past Pinterest's 7 days: invalid too (the mapper checks the window)."""
DEMO_REFUSED_PREFIX = "demo-refused-"
"""The demo's simulator fails the events whose event_id starts with this (``--fail-prefix``):
they become dead letters, for the console's dead-letters page."""

_SAMPLES: tuple[Event, ...] = (
    {
        "event_name": "purchase",
        "id": "ORD-DEMO-1001",
        "type": "online",
        "currency": "eur",
        "value": 64.5,
        "items": [
            {
                "id": "SKU-COFFEE-1KG",
                "quantity": 1,
                "product": {"id": "7001", "name": "Espresso beans 1kg", "price": 29.5},
            },
            {
                "id": "SKU-GRINDER",
                "quantity": 1,
                "product": {"id": "7002", "name": "Hand grinder", "price": 35, "brand": "Mill"},
            },
        ],
        "user": {
            "id": "DEMO-C-1",
            "email": " Alice.Durand@Example.ORG ",
            "phone": "06 98 76 54 32",
            "firstname": "Alice",
            "lastname": "Durand",
            "city": "Lyon",
            "zipcode": "69002",
            "country": "FR",
            "consent_categories": ["1", "4"],
        },
        "context": {
            "event_id": "demo-sample-purchase",
            "page": {"url": "https://shop.example.org/checkout/done?order=ORD-DEMO-1001"},
            "device": {
                "ip": "198.51.100.77",
                "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                "lang": "fr-FR",
                "cookie": "session=abc; _epik=ZGVtby1jbGljaw%3D%3D",
            },
        },
    },
    {
        "event_name": "page_view",
        "url": "https://shop.example.org/p/7001?epik=ZGVtby1sYW5kaW5n",
        "user": {"consent_categories": [1, 4]},
        "context": {
            "event_id": "demo-sample-page-view",
            "page": {"url": "https://shop.example.org/p/7001?epik=ZGVtby1sYW5kaW5n"},
            "device": {
                "ip": "2001:db8::42",
                "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X)",
                "lang": "en",
            },
        },
    },
    {
        "event_name": "add_to_cart",
        "currency": "USD",
        "value": 12,
        "items": [{"id": "SKU-MUG-RED", "quantity": "2", "product": {"price": "6.00"}}],
        "user": {"id": "demo-u-77", "email": "bob@example.net"},
        "context": {
            "event_id": "demo-sample-add-to-cart",
            "app": {"name": "Demo Shop", "namespace": "org.example.demoshop", "version": "2.0"},
            "device": {
                "manufacturer": "Google",
                "model": "Pixel 9",
                "os": {"name": "Android", "version": "15"},
                "advertising_id": "5d1b9a30-1c2e-4f6a-8b7c-9d0e1f2a3b4c",
            },
        },
    },
    {
        "event_name": "generate_lead",
        "id": "LEAD-DEMO-9",
        "type": "offline",
        "value": "250,00",
        "currency": "EUR",
        "user": {"email": "carla.rossi@example.it", "phone": "+39 320 123 4567"},
        "context": {"event_id": "demo-sample-lead"},
    },
    {
        "event_name": "newsletter_open",
        "user": {"email": "dana@example.com"},
        "context": {"event_id": "demo-sample-unmapped"},
    },
)

_BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0"


def sample_events(now: float) -> list[Event]:
    """The hand-written samples, stamped ``now`` (Unix seconds, sent as milliseconds)."""
    events = [copy.deepcopy(sample) for sample in _SAMPLES]
    for event in events:
        event["context"]["event_timestamp"] = int(now * 1000)
    return events


def demo_events(count: int, now: float, *, run_id: str, seed: int = 7) -> list[Event]:
    """``count`` generated events of distinct users. A few are wrong on purpose, at fixed
    places: repeats of an earlier event (duplicate), unmapped names (filtered), no identity
    (invalid), stamped an hour ahead or 8 days old (invalid: outside Pinterest's window), and
    event_ids the demo's simulator refuses (dead letters)."""
    rng = random.Random(seed)
    events: list[Event] = []
    for number in range(count):
        if number % 40 == 39:
            events.append(copy.deepcopy(events[number - 5]))  # a sender's retry
            continue
        event = _valid_event(number, now, run_id, rng)
        if number % 25 == 3:
            event["event_name"] = "newsletter_open"  # not in the event table
        elif number % 30 == 11:
            del event["user"]["email"]  # no em, no IP: nothing to match a user on
            del event["context"]["device"]
        elif number % 50 == 17:
            event["context"]["event_timestamp"] = int((now + DEMO_FUTURE_SECONDS) * 1000)
        elif number % 100 == 42:
            event["context"]["event_timestamp"] = int((now - DEMO_PAST_SECONDS) * 1000)
        elif number % 50 == 29:
            event["context"]["event_id"] = f"{DEMO_REFUSED_PREFIX}{run_id}-{number}"
        events.append(event)
    return events


def _valid_event(number: int, now: float, run_id: str, rng: random.Random) -> Event:
    name = rng.choice(("page_view", "page_view", "add_to_cart", "purchase", "search", "sign_up"))
    event: Event = {
        "event_name": name,
        "user": {"id": f"demo-user-{number}", "email": f"demo.user{number}@example.com"},
        "context": {
            "event_id": f"demo-{run_id}-{number}",
            "event_timestamp": int((now - rng.uniform(0, 600)) * 1000),
            "page": {"url": f"https://shop.example.org/p/{1000 + number % 50}"},
            "device": {"ip": f"203.0.113.{number % 250 + 1}", "user_agent": _BROWSER},
        },
    }
    if name in ("add_to_cart", "purchase"):
        price = round(rng.uniform(5, 120), 2)
        quantity = rng.randint(1, 3)
        event.update(
            currency="EUR",
            value=round(price * quantity, 2),
            items=[{"id": f"SKU-{number % 40}", "quantity": quantity, "product": {"price": price}}],
        )
        if name == "purchase":
            event["id"] = f"ORD-{run_id}-{number}"
    elif name == "search":
        event["search_term"] = rng.choice(("tea", "mug", "grinder", "espresso"))
    return event
