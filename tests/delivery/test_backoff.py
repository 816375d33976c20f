"""Backoff timing: exponential ceiling, full jitter, Retry-After as a floor (seeded rng)."""

from __future__ import annotations

import random

import pytest

from pinbridge.delivery.backoff import backoff_delay


def _draws(attempt: int, *, n: int = 2000, seed: int = 7, **kwargs: float | None) -> list[float]:
    rng = random.Random(seed)
    base = kwargs.pop("base", 1.0)
    cap = kwargs.pop("cap", 600.0)
    assert base is not None and cap is not None
    return [backoff_delay(attempt, base=base, cap=cap, rng=rng, **kwargs) for _ in range(n)]


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "ceiling"),
    [
        (0, 1.0, 600.0, 1.0),
        (1, 1.0, 600.0, 2.0),
        (3, 0.5, 600.0, 4.0),
        (9, 1.0, 600.0, 512.0),
        (10, 1.0, 600.0, 600.0),  # 1024 capped
        (5000, 1.0, 600.0, 600.0),  # no overflow, still capped
    ],
)
def test_delays_spread_over_zero_to_the_exponential_ceiling(
    attempt: int, base: float, cap: float, ceiling: float
) -> None:
    delays = _draws(attempt, base=base, cap=cap)
    assert all(0.0 <= d <= ceiling for d in delays)
    # full jitter: the draws cover the whole range, not a band near the ceiling
    assert min(delays) < 0.05 * ceiling
    assert max(delays) > 0.95 * ceiling
    assert 0.4 * ceiling < sum(delays) / len(delays) < 0.6 * ceiling


def test_same_seed_same_delays_other_seed_other_delays() -> None:
    assert _draws(4, n=20, seed=1) == _draws(4, n=20, seed=1)
    assert _draws(4, n=20, seed=1) != _draws(4, n=20, seed=2)


def test_retry_after_is_a_floor() -> None:
    delays = _draws(0, retry_after=30.0)
    assert all(d >= 30.0 for d in delays)
    # the ceiling (1 s) is below Retry-After, so Pinterest's wish decides
    assert set(delays) == {30.0}


def test_retry_after_below_the_jitter_keeps_the_jitter() -> None:
    delays = _draws(6, retry_after=10.0)  # ceiling 64 s
    assert all(10.0 <= d <= 64.0 for d in delays)
    assert max(delays) > 60.0


def test_retry_after_above_the_cap_counts_as_the_cap() -> None:
    delays = _draws(0, cap=60.0, retry_after=86_400.0)
    assert set(delays) == {60.0}


@pytest.mark.parametrize("retry_after", [-3.0, float("nan")])
def test_meaningless_retry_after_is_ignored(retry_after: float) -> None:
    assert _draws(2, n=50, retry_after=retry_after) == _draws(2, n=50)


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "message"),
    [
        (-1, 1.0, 600.0, "attempt must be 0 or more"),
        (0, 0.0, 600.0, "base and cap must be greater than 0"),
        (0, 1.0, -1.0, "base and cap must be greater than 0"),
    ],
)
def test_bad_arguments_say_what_is_wrong(
    attempt: int, base: float, cap: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        backoff_delay(attempt, base=base, cap=cap, rng=random.Random(0))
