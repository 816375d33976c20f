"""Backoff timing: exponential with full jitter, honouring Pinterest's Retry-After.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads the retries of
many workers so they do not hit Pinterest's rate limit again in step. Pure given the
``rng``, so tests pass a seeded :class:`random.Random`.
"""

from __future__ import annotations

import math
import random

__all__ = ["backoff_delay"]

_MAX_EXPONENT = 64  # 2**64 times any sane base is far above any cap


def backoff_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    A uniform draw in ``[0, min(cap, base * 2**attempt)]``, raised to ``retry_after`` when
    Pinterest sent one; a Retry-After above ``cap`` counts as ``cap``, so one answer cannot
    stall delivery for longer than the configured maximum.
    """
    if attempt < 0:
        raise ValueError(f"attempt must be 0 or more, not {attempt}")
    if not base > 0 or not cap > 0:
        raise ValueError(f"base and cap must be greater than 0 (got base={base}, cap={cap})")
    ceiling = min(cap, base * 2.0 ** min(attempt, _MAX_EXPONENT))
    delay = rng.uniform(0.0, ceiling)
    if retry_after is not None and not math.isnan(retry_after):
        delay = max(delay, min(max(retry_after, 0.0), cap))
    return delay
