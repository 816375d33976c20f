"""Strict query parameters: one parser for every endpoint, so bad input is a 400, never a 500.

A whole-number parameter is ASCII digits only (``str.isdigit`` also accepts ``²`` and ``٣``,
which ``int`` then refuses or reads), at most as many digits as its upper bound (so ``int``
never sees a 4,300-digit string), within its range, and given at most once. The message names
the parameter and the allowed range; it never echoes the value.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["MAX_OFFSET", "BadParameter", "int_param"]

MAX_OFFSET = 10**9


class BadParameter(ValueError):
    """A query parameter breaks its rule; the message names it and what is allowed."""


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """The query parameter ``name`` as a whole number from ``low`` to ``high``, else ``default``."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    rule = f"a whole number from {low:,} to {high:,}, in ASCII digits (0-9)"
    if len(values) > 1:
        raise BadParameter(
            f"query parameter {name} is given {len(values)} times; give it once, as {rule}"
        )
    raw = values[0]
    if not raw:
        raise BadParameter(
            f"query parameter {name} is empty; leave it out (default {default}) or give {rule}"
        )
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(high)):
        raise BadParameter(f"query parameter {name} must be {rule}")
    number = int(raw)
    if not low <= number <= high:
        raise BadParameter(f"query parameter {name} must be {rule}")
    return number
