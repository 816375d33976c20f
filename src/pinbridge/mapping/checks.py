"""What makes a mapped event invalid (spec 6), and the warnings list of a result.

Shared by the mapper and the build function generated for it (:mod:`pinbridge.mapping.codegen`).
"""

from __future__ import annotations

from pinbridge.mapping.context import Fatal
from pinbridge.mapping.resolve import REJECTED

__all__ = ["check_user_data", "fatal_errors", "required_missing", "unique"]


def required_missing(
    label: str, value: object, warnings: list[str], mark: int, errors: list[str]
) -> None:
    """A required field has no value: its warnings (from ``mark`` on) become errors."""
    if value is REJECTED:
        errors.extend(warnings[mark:])
        del warnings[mark:]
    elif label == "event_id":
        errors.append(
            "event_id: missing; set context.event_id (or partners.pinterest.event_id) so "
            "Pinterest can deduplicate the event"
        )
    else:
        errors.append(f"{label}: missing")


def fatal_errors(prefix: str, fatal: Fatal, errors: list[str]) -> None:
    """One error per reason of a value that makes the event invalid (``field (from path): ``)."""
    errors.extend(prefix + reason for reason in fatal.reasons)


def check_user_data(user: dict[str, object], errors: list[str]) -> None:
    """Pinterest needs an email, a mobile advertising id, or both IP address and user agent."""
    if "em" in user or "hashed_maids" in user:
        return
    has_ip, has_agent = "client_ip_address" in user, "client_user_agent" in user
    if has_ip and has_agent:
        return
    if has_ip or has_agent:
        present, absent = (
            ("client_ip_address", "client_user_agent")
            if has_ip
            else ("client_user_agent", "client_ip_address")
        )
        detail = f"it has {present} but no {absent}"
    else:
        detail = "it has none of them"
    errors.append(
        "user_data: Pinterest needs an email (em), a mobile advertising id (hashed_maids) "
        f"or both client_ip_address and client_user_agent; {detail}"
    )


def unique(warnings: list[str]) -> tuple[str, ...]:
    """The warnings in first-seen order, each once."""
    return tuple(dict.fromkeys(warnings)) if len(warnings) > 1 else tuple(warnings)
