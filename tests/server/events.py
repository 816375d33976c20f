"""Commanders Act events for the server tests, with fresh timestamps and clear-text PII.

The personal data below is what the redaction tests look for in logs and database files:
it must reach neither in clear text.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["EMAIL", "PHONE", "PHONE_DIGITS", "filtered", "invalid", "purchase"]

EMAIL = "Camille.Martin@Example.fr"
PHONE = "+33 6 12 34 56 78"
PHONE_DIGITS = "33612345678"


def purchase(event_id: str, *, at: float | None = None, **root: Any) -> dict[str, Any]:
    """A valid purchase (Pinterest ``checkout``) with an email, a phone and device data."""
    event: dict[str, Any] = {
        "event_name": "purchase",
        "id": f"ORD-{event_id}",
        "value": 54.9,
        "currency": "EUR",
        "user": {"email": EMAIL, "phone": PHONE, "country": "FR"},
        "context": {
            "event_id": event_id,
            "event_timestamp": int((time.time() if at is None else at) * 1000),
            "page": {"url": "https://shop.example.fr/checkout/done"},
            "device": {"ip": "198.51.100.23", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"},
        },
    }
    event.update(root)
    return event


def filtered(event_id: str) -> dict[str, Any]:
    """An event whose name pinbridge does not map: filtered with reason unmapped_event."""
    return {
        "event_name": "newsletter_open",
        "user": {"email": EMAIL},
        "context": {"event_id": event_id, "event_timestamp": int(time.time() * 1000)},
    }


def invalid(event_id: str) -> dict[str, Any]:
    """A purchase without any usable user data: invalid."""
    return {
        "event_name": "purchase",
        "context": {"event_id": event_id, "event_timestamp": int(time.time() * 1000)},
    }
