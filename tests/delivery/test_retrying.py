"""In-process retries: only Transient events are resent, after the backoff (at least
Retry-After), until each event has a final outcome or attempts run out."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pinbridge.delivery import (
    AccountRefused,
    EventOutcome,
    PinterestClient,
    Processed,
    Rejected,
    Transient,
)
from pinbridge.delivery.retrying import deliver_with_retries
from pinbridge.secrets import Secret
from tests.delivery.helpers import FakePinterest, answer_per_event, event_bytes

Script = list[Callable[[list[dict[str, Any]]], httpx.Response]]


def _deliver(
    script: Script, events: list[bytes], *, max_attempts: int = 5, cap: float = 60.0
) -> tuple[list[EventOutcome], FakePinterest, list[float]]:
    """Run deliver_with_retries against a Pinterest that answers attempt k with script[k]."""

    def rule(events: list[dict[str, Any]]) -> httpx.Response:
        return script[len(fake.requests) - 1](events)

    fake = FakePinterest(rule)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> list[EventOutcome]:
        async with PinterestClient(
            access_token=Secret("t"), base_url="https://pinterest.test", transport=fake.transport()
        ) as client:
            return await deliver_with_retries(
                client,
                "1",
                events,
                max_attempts=max_attempts,
                base=1.0,
                cap=cap,
                rng=random.Random(3),
                sleep=sleep,
            )

    return asyncio.run(go()), fake, slept


def _status(code: int, retry_after: str | None = None) -> Callable[..., httpx.Response]:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return lambda events: httpx.Response(code, json={"code": code, "message": "m"}, headers=headers)


def _per_event(statuses: dict[str, str]) -> Callable[[list[dict[str, Any]]], httpx.Response]:
    """200 with each event's status looked up by event_id (default processed)."""

    def rule(events: list[dict[str, Any]]) -> httpx.Response:
        items = [
            {"status": statuses.get(e["event_id"], "processed"), "error_message": "bad"}
            for e in events
        ]
        return httpx.Response(200, json={"events": items})

    return rule


def _ids(fake: FakePinterest) -> list[list[str]]:
    return [[e["event_id"] for e in r.events] for r in fake.requests]


def test_only_transient_events_are_resent_until_final() -> None:
    events = [event_bytes(f"e{i}") for i in range(5)]
    script: Script = [
        _status(500, retry_after="4"),
        _per_event({"e1": "failed", "e3": "pending"}),  # e3's result unreadable: transient
        _per_event({}),
    ]
    outcomes, fake, slept = _deliver(script, events)
    assert _ids(fake) == [["e0", "e1", "e2", "e3", "e4"], ["e0", "e1", "e2", "e3", "e4"], ["e3"]]
    assert outcomes == [Processed(), Rejected("bad"), Processed(), Processed(), Processed()]
    assert len(slept) == 2
    assert slept[0] >= 4.0  # Retry-After honoured
    assert 0.0 <= slept[1] <= 2.0  # second retry: ceiling base * 2


def test_attempts_run_out_and_the_last_reason_is_returned() -> None:
    events = [event_bytes("a"), event_bytes("b")]
    outcomes, fake, slept = _deliver([_status(503)] * 4, events, max_attempts=4, cap=3.0)
    assert len(fake.requests) == 4
    assert len(slept) == 3 and all(0.0 <= s <= 3.0 for s in slept)
    assert all(isinstance(o, Transient) and "HTTP 503" in o.reason for o in outcomes)


def test_a_refused_account_ends_the_loop_and_keeps_what_was_processed() -> None:
    events = [event_bytes(f"e{i}") for i in range(4)]
    script: Script = [_per_event({"e1": "pending", "e2": "pending"}), _status(401)]
    outcomes, fake, slept = _deliver(script, events)
    assert _ids(fake) == [["e0", "e1", "e2", "e3"], ["e1", "e2"]]
    assert outcomes[0] == Processed() and outcomes[3] == Processed()
    assert all(isinstance(o, AccountRefused) and o.status == 401 for o in outcomes[1:3])
    assert len(slept) == 1


def test_one_attempt_means_no_retry() -> None:
    outcomes, fake, slept = _deliver([_status(429)], [event_bytes("a")], max_attempts=1)
    assert len(fake.requests) == 1 and slept == []
    assert isinstance(outcomes[0], Transient)


def test_nothing_to_send_sends_nothing() -> None:
    outcomes, fake, _ = _deliver([], [])
    assert outcomes == [] and fake.requests == []


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts must be 1 or more"):
        _deliver([], [event_bytes("a")], max_attempts=0)


def test_a_retry_continues_the_split_where_a_fault_stopped_it() -> None:
    """A 429 on one half of a split batch: the next round resends that half alone, so the
    bad event is isolated without splitting the whole batch again."""
    events = [event_bytes(f"e{i}", poison=1) if i == 1 else event_bytes(f"e{i}") for i in range(8)]
    calls: list[int] = []

    def rule(batch: list[dict[str, Any]]) -> httpx.Response:
        calls.append(len(batch))
        if len(calls) == 2:
            return httpx.Response(429, json={"code": 8, "message": "rate"})
        return answer_per_event(batch)

    outcomes, fake, _ = _deliver([rule] * 20, events)
    assert fake.batch_sizes() == [8, 4, 4, 4, 2, 1, 1, 2]
    assert isinstance(outcomes[1], Rejected) and "poison" in outcomes[1].message
    assert [o for i, o in enumerate(outcomes) if i != 1] == [Processed()] * 7


def test_events_failing_one_by_one_are_retried_together() -> None:
    events = [event_bytes(f"e{i}") for i in range(100)]
    odd_pending = _per_event({f"e{i}": "pending" for i in range(1, 100, 2)})
    outcomes, fake, _ = _deliver([odd_pending, _per_event({})], events)
    assert fake.batch_sizes() == [100, 50]
    assert outcomes == [Processed()] * 100
