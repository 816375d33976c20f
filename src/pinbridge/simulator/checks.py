"""Per-event checks on a schema-valid body: what makes Pinterest mark one event ``failed``.

An event fails when its event_name or action_source is not one Pinterest knows, when its
event_time is outside the accepted window (at most 7 days old, at most 5 minutes ahead), or
when a hashed user_data field holds something other than lowercase hex SHA-256 digests.
Things Pinterest accepts but ignores (an unknown currency, a value that is not a number, an
unknown user_data key) give a warning. Messages never quote personal data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pinbridge.simulator.spec import USER_DATA_HASHED

__all__ = [
    "ACTION_SOURCES",
    "EVENT_NAMES",
    "MAX_AGE_SECONDS",
    "MAX_AHEAD_SECONDS",
    "EventVerdict",
    "check_event",
]

# Written out again on purpose, not imported from pinbridge.mapping: the simulator stands in
# for Pinterest, so a wrong name in the mapper's list must be caught here, not shared.
EVENT_NAMES = frozenset(
    {
        "add_payment_info",
        "add_to_cart",
        "add_to_wishlist",
        "app_install",
        "checkout",
        "custom",
        "initiate_checkout",
        "lead",
        "page_visit",
        "search",
        "signup",
        "subscribe",
        "view_category",
        "view_content",
        "watch_video",
        "app_open",
        "contact",
        "customize_product",
        "find_location",
    }
)
ACTION_SOURCES = ("app_android", "app_ios", "offline", "web")
MAX_AGE_SECONDS = 7 * 24 * 3600
MAX_AHEAD_SECONDS = 5 * 60

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_DIGEST_ANY_CASE = re.compile(r"^[0-9a-fA-F]{64}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MILLISECONDS = 100_000_000_000
_MAX_SHOWN = 40
_KNOWN_USER_DATA = frozenset(
    {*USER_DATA_HASHED, "client_ip_address", "client_user_agent", "click_id", "partner_id"}
)


@dataclass(frozen=True, slots=True)
class EventVerdict:
    """Pinterest's answer for one event, as it appears in ``events[]``."""

    status: Literal["processed", "failed"]
    error_message: str = ""
    warning_message: str = ""

    def as_dict(self) -> dict[str, str]:
        """The element of ``events[]`` (empty messages are ``""``, as Pinterest sends them)."""
        return {
            "status": self.status,
            "error_message": self.error_message,
            "warning_message": self.warning_message,
        }


def check_event(event: Mapping[str, Any], now: int) -> EventVerdict:
    """The verdict on one schema-valid event received at Unix time ``now``."""
    errors = [
        *_check_event_name(event["event_name"]),
        *_check_action_source(event["action_source"]),
        *_check_event_time(event["event_time"], now),
        *_check_hashes(event["user_data"]),
    ]
    warnings = [*_warn_user_data(event["user_data"]), *_warn_custom_data(event)]
    if not event["event_id"]:
        warnings.append("event_id is empty: Pinterest cannot deduplicate this event")
    return EventVerdict(
        status="failed" if errors else "processed",
        error_message="; ".join(errors),
        warning_message="; ".join(warnings),
    )


def _shown(value: str) -> str:
    return value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "..."


def _check_event_name(name: str) -> list[str]:
    if name in EVENT_NAMES:
        return []
    return [
        f"Invalid event_name parameter. Given event_name: {_shown(name)!r}; "
        f"use one of: {', '.join(sorted(EVENT_NAMES))}"
    ]


def _check_action_source(source: str) -> list[str]:
    if source in ACTION_SOURCES:
        return []
    return [
        f"Invalid action_source parameter. Given action_source: {_shown(source)!r}; "
        f"use one of: {', '.join(ACTION_SOURCES)}"
    ]


def _check_event_time(event_time: int, now: int) -> list[str]:
    if event_time < now - MAX_AGE_SECONDS:
        return [
            "Invalid event_timestamp parameter. Given timestamp is in the past. "
            f"Current timestamp: {now}, Given event_timestamp: {event_time}. "
            "event_time must be Unix seconds within the last 7 days"
        ]
    if event_time > now + MAX_AHEAD_SECONDS:
        hint = (
            " (this looks like milliseconds: divide by 1000)" if event_time >= _MILLISECONDS else ""
        )
        return [
            "Invalid event_timestamp parameter. Given timestamp is in the future. "
            f"Current timestamp: {now}, Given event_timestamp: {event_time}. "
            f"event_time must be Unix seconds at most 5 minutes ahead{hint}"
        ]
    return []


def _check_hashes(user_data: Mapping[str, Any]) -> list[str]:
    errors = []
    for name in USER_DATA_HASHED:
        values = user_data.get(name)
        if values is None:
            continue
        for index, value in enumerate(values):
            if _DIGEST.match(value):
                continue
            if _DIGEST_ANY_CASE.match(value):
                how = "it has upper-case hex digits: send the digest in lower case"
            else:
                how = "hash the normalised value with SHA-256 and send the 64 hex digits"
            errors.append(
                f"Invalid user_data.{name}[{index}] parameter: not a lowercase hex "
                f"SHA-256 digest; {how}"
            )
    return errors


def _warn_user_data(user_data: Mapping[str, Any]) -> list[str]:
    unknown = sorted(key for key in user_data if key not in _KNOWN_USER_DATA)
    return [f"user_data.{_shown(key)} is not a known field and was ignored" for key in unknown]


def _warn_custom_data(event: Mapping[str, Any]) -> list[str]:
    custom = event.get("custom_data")
    if not custom:
        return []
    warnings = []
    currency = custom.get("currency")
    if currency is not None and not _CURRENCY.match(currency):
        warnings.append(
            "custom_data.currency is not an ISO-4217 code (3 upper-case letters); "
            "the ad account's currency was used"
        )
    for name in ("value", "predicted_ltv"):
        if custom.get(name) is not None and not _is_decimal(custom[name]):
            warnings.append(f"custom_data.{name} is not a decimal number and was ignored")
    for index, item in enumerate(custom.get("contents") or ()):
        price = item.get("item_price")
        if price is not None and not _is_decimal(price):
            warnings.append(
                f"custom_data.contents[{index}].item_price is not a decimal number and was ignored"
            )
    return warnings


def _is_decimal(text: str) -> bool:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return False
    return number.is_finite()
