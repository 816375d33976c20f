"""What the delivery workers record for each answer Pinterest gives (pure decision table)."""

from __future__ import annotations

import random

import pytest

from pinbridge.config import DeliverySettings
from pinbridge.delivery import AccountRefused, Processed, Rejected, Transient
from pinbridge.delivery.outcome_policy import RetryPolicy, expired_outcome, queue_outcome
from pinbridge.queue.records import Delivered, Expired, Failed, Paused, Retrying

NOW = 1_800_000_000.0
POLICY = RetryPolicy(
    max_attempts=3, backoff_base=2.0, backoff_cap=100.0, pause_seconds=60.0, expire_after_days=7
)


def decide(outcome: object, previous_attempts: int = 0, seed: int = 1) -> object:
    return queue_outcome(
        outcome,  # type: ignore[arg-type]
        previous_attempts=previous_attempts,
        now=NOW,
        policy=POLICY,
        rng=random.Random(seed),
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Processed(), Delivered(None)),
        (Processed(""), Delivered(None)),
        (Processed("non-standard field"), Delivered("non-standard field")),
        (
            Rejected("Invalid event_timestamp parameter"),
            Failed("Invalid event_timestamp parameter"),
        ),
        (
            AccountRefused(401, "Authentication failed."),
            Paused(
                NOW + 60.0, "Pinterest refused the access token (HTTP 401): Authentication failed."
            ),
        ),
    ],
)
def test_final_and_pausing_answers(answer: object, expected: object) -> None:
    assert decide(answer) == expected


def test_a_transient_answer_is_retried_later_within_the_backoff_ceiling() -> None:
    for previous in (0, 1):
        outcome = decide(Transient("HTTP 500"), previous_attempts=previous)
        assert isinstance(outcome, Retrying)
        assert outcome.message == "HTTP 500"
        assert NOW <= outcome.next_attempt_at <= NOW + 2.0 * 2**previous


def test_retry_after_is_honoured() -> None:
    outcome = decide(Transient("HTTP 429", retry_after=30.0))
    assert isinstance(outcome, Retrying)
    assert outcome.next_attempt_at >= NOW + 30.0


def test_the_last_allowed_attempt_turns_a_transient_answer_into_a_dead_letter() -> None:
    assert decide(Transient("timeout", ambiguous=True), previous_attempts=2) == Failed(
        "gave up after 3 attempts: timeout"
    )


def test_a_refused_account_never_uses_up_attempts() -> None:
    outcome = decide(AccountRefused(403, "no access"), previous_attempts=2)
    assert isinstance(outcome, Paused)


@pytest.mark.parametrize(
    ("age_days", "expired"), [(0.0, False), (6.9, False), (7.0, False), (7.01, True), (30, True)]
)
def test_events_older_than_expire_after_days_expire(age_days: float, expired: bool) -> None:
    outcome = expired_outcome(int(NOW - age_days * 86_400), NOW, POLICY)
    assert (outcome is not None) == expired
    if outcome is not None:
        assert isinstance(outcome, Expired)
        assert "expire_after_days" in outcome.message


def test_policy_comes_from_the_delivery_settings() -> None:
    settings = DeliverySettings(
        max_attempts=5,
        backoff_base_seconds=0.5,
        backoff_max_seconds=9.0,
        pause_seconds=12.0,
        expire_after_days=3.0,
    )
    assert RetryPolicy.from_settings(settings) == RetryPolicy(5, 0.5, 9.0, 12.0, 3.0)
