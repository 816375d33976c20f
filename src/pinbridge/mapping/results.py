"""The three possible results of mapping one event (spec section 8)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Filtered", "Invalid", "Mapped", "MappingResult", "result_as_dict"]


@dataclass(frozen=True, slots=True)
class Mapped:
    """The event exactly as it goes in ``data[]``, with the warnings met on the way."""

    event: dict[str, Any]
    warnings: tuple[str, ...] = ()
    status: Literal["mapped"] = "mapped"


@dataclass(frozen=True, slots=True)
class Filtered:
    """Not sent and not an error: ``unmapped_event``, ``event_disabled`` or ``consent``."""

    reason: Literal["unmapped_event", "event_disabled", "consent"]
    status: Literal["filtered"] = "filtered"


@dataclass(frozen=True, slots=True)
class Invalid:
    """Not sent: every reason, naming the field, never the value."""

    errors: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    status: Literal["invalid"] = "invalid"


MappingResult = Mapped | Filtered | Invalid


def result_as_dict(result: MappingResult) -> dict[str, Any]:
    """The JSON object ``pinbridge transform`` prints for one input line."""
    if isinstance(result, Mapped):
        return {"status": "mapped", "event": result.event, "warnings": list(result.warnings)}
    if isinstance(result, Filtered):
        return {"status": "filtered", "reason": result.reason}
    return {"status": "invalid", "errors": list(result.errors), "warnings": list(result.warnings)}
