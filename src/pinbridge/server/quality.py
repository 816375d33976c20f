"""Match quality: which identifiers a mapped event carries, and what the gaps mean.

Pinterest matches a conversion to a person through the identifiers it carries; the more of
them, the more conversions are attributed. :func:`identifiers_of` names the ones present in
one mapped event (counted at ingest, per destination and event name, in the queue's
per-minute table and on ``/metrics``); :func:`hints` turns the shares over a window into
plain-language advice for the biggest gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CHECKOUT_ONLY", "IDENTIFIERS", "hints", "identifiers_of"]

IDENTIFIERS = (
    "em",
    "ph",
    "external_id",
    "click_id",
    "hashed_maids",
    "ip_and_user_agent",
    "fn_ln",
    "order_id",
    "value_and_currency",
)
CHECKOUT_ONLY = frozenset({"order_id", "value_and_currency"})

_HINTS = {
    "em": "is user.email (or user.email_sha256) sent with these events?",
    "ph": "is user.phone sent, with user.country so that local numbers can be read?",
    "external_id": "is user.id (your customer id) sent?",
    "click_id": "is the _epik cookie forwarded in context.device.cookie, or the epik "
    "parameter kept in context.page.url?",
    "ip_and_user_agent": "are context.device.ip and context.device.user_agent both forwarded "
    "from the browser (not your server's own address)?",
    "fn_ln": "are user.firstname and user.lastname sent for signed-in users?",
    "order_id": "is the order id in the root id field of purchase events?",
    "value_and_currency": "do purchase events carry value and currency at the root?",
}
_SHOWN = {
    "ip_and_user_agent": "IP address and user agent",
    "fn_ln": "first and last name",
    "value_and_currency": "value with currency",
}
_WORTH_A_HINT = 0.9  # shares at or above this need no advice
# How much a missing identifier costs in matches, roughly: the gaps are ranked by
# (1 - share) * weight, so a missing click id or email outranks missing names.
_WEIGHTS = {
    "em": 1.0,
    "click_id": 1.0,
    "ip_and_user_agent": 0.9,
    "value_and_currency": 0.8,
    "ph": 0.6,
    "external_id": 0.6,
    "order_id": 0.5,
    "fn_ln": 0.3,
}


def identifiers_of(event: Mapping[str, Any]) -> list[str]:
    """The identifiers (names of :data:`IDENTIFIERS`) present in one mapped event."""
    user = event.get("user_data") or {}
    found = [
        name for name in ("em", "ph", "external_id", "click_id", "hashed_maids") if name in user
    ]
    if "client_ip_address" in user and "client_user_agent" in user:
        found.append("ip_and_user_agent")
    if "fn" in user and "ln" in user:
        found.append("fn_ln")
    if event.get("event_name") == "checkout":
        custom = event.get("custom_data") or {}
        if "order_id" in custom:
            found.append("order_id")
        if "value" in custom and "currency" in custom:
            found.append("value_and_currency")
    return found


def hints(shares: Mapping[str, Mapping[str, float]], most: int = 3) -> list[str]:
    """Advice for the biggest gaps: ``shares`` maps event name -> identifier -> share.

    Gaps are ranked by how much they cost in matches (the share missing times a weight
    per identifier). The mobile advertising id is never advised: web events cannot have one.
    """
    gaps: list[tuple[float, str, str, float]] = []
    for event_name, by_identifier in shares.items():
        for identifier, share in by_identifier.items():
            if share < _WORTH_A_HINT and identifier in _HINTS:
                cost = (1 - share) * _WEIGHTS[identifier]
                gaps.append((-cost, event_name, identifier, share))
    gaps.sort()
    return [
        f"{round((1 - share) * 100)}% of {event_name} events have no "
        f"{_SHOWN.get(identifier, identifier)}: {_HINTS[identifier]}"
        for _, event_name, identifier, share in gaps[:most]
    ]
