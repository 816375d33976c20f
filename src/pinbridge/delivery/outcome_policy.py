"""Turn the client's per-event answer into what the queue records for that event.

Pure: the time, the attempt count and the random source are arguments, so every rule
(give up after ``max_attempts``, honour Retry-After, pause on a refused token) is tested
without a clock or a network.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pinbridge.config import DeliverySettings
from pinbridge.delivery import AccountRefused, EventOutcome, Processed, Rejected, Transient
from pinbridge.delivery.backoff import backoff_delay
from pinbridge.queue.records import Delivered, Expired, Failed, Outcome, Paused, Retrying

__all__ = ["RetryPolicy", "expired_outcome", "queue_outcome"]

_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The ``[delivery]`` numbers the decision needs, in one place."""

    max_attempts: int
    backoff_base: float
    backoff_cap: float
    pause_seconds: float
    expire_after_days: float

    @classmethod
    def from_settings(cls, delivery: DeliverySettings) -> RetryPolicy:
        """The policy configured in ``[delivery]``."""
        return cls(
            max_attempts=delivery.max_attempts,
            backoff_base=delivery.backoff_base_seconds,
            backoff_cap=delivery.backoff_max_seconds,
            pause_seconds=delivery.pause_seconds,
            expire_after_days=delivery.expire_after_days,
        )


def expired_outcome(event_time: int, now: float, policy: RetryPolicy) -> Expired | None:
    """``Expired`` when the event is older than Pinterest accepts; ``None`` when it may be sent."""
    age_days = (now - event_time) / _DAY
    if age_days <= policy.expire_after_days:
        return None
    return Expired(
        f"event_time is {age_days:.1f} days old; Pinterest accepts events up to "
        f"{policy.expire_after_days:g} days old ([delivery] expire_after_days), so it was not sent"
    )


def queue_outcome(
    outcome: EventOutcome,
    *,
    previous_attempts: int,
    now: float,
    policy: RetryPolicy,
    rng: random.Random,
) -> Outcome:
    """What to record for one event after one send.

    ``previous_attempts`` counts the sends before this one (``LeasedEvent.attempts``); a
    transient failure on the ``max_attempts``-th send is final (a dead letter).
    """
    if isinstance(outcome, Processed):
        return Delivered(outcome.warning or None)
    if isinstance(outcome, Rejected):
        return Failed(outcome.message)
    if isinstance(outcome, AccountRefused):
        return Paused(
            now + policy.pause_seconds,
            f"Pinterest refused the access token (HTTP {outcome.status}): {outcome.message}",
        )
    if isinstance(outcome, Transient):
        attempts = previous_attempts + 1
        if attempts >= policy.max_attempts:
            return Failed(f"gave up after {attempts} attempts: {outcome.reason}")
        delay = backoff_delay(
            previous_attempts,  # 0 for the first retry
            base=policy.backoff_base,
            cap=policy.backoff_cap,
            rng=rng,
            retry_after=outcome.retry_after,
        )
        return Retrying(now + delay, outcome.reason)
    raise TypeError(f"unknown delivery outcome {outcome!r}")  # pragma: no cover - a bug
