"""Enqueue, lease and complete on both backends: each outcome, leases, batching, history."""

from __future__ import annotations

import pytest

from pinbridge.queue import (
    Delivered,
    Expired,
    Failed,
    Lease,
    Paused,
    Queue,
    Retrying,
)
from tests.queue.conftest import OpenQueue
from tests.queue.support import ACCOUNT, OTHER_ACCOUNT, T0, event, row_ids

BIG = 10**9


def lease(
    queue: Queue,
    now: float,
    max_events: int = 1000,
    *,
    max_bytes: int = BIG,
    min_age: float = 0.0,
) -> Lease | None:
    return queue.lease(
        now, max_events=max_events, max_bytes=max_bytes, lease_seconds=60, min_age=min_age
    )


def take(
    queue: Queue,
    now: float,
    max_events: int = 1000,
    *,
    max_bytes: int = BIG,
    min_age: float = 0.0,
) -> Lease:
    """Lease or fail the test: the caller expects events to be ready."""
    held = lease(queue, now, max_events, max_bytes=max_bytes, min_age=min_age)
    assert held is not None, "expected ready events"
    return held


def event_ids(held: Lease) -> list[str]:
    return [e.event_id for e in held.events]


def test_empty_queue_has_nothing_to_lease(queue: Queue) -> None:
    assert lease(queue, T0) is None
    assert queue.depth() == 0
    assert queue.counts() == {
        "queued": 0,
        "retrying": 0,
        "paused": 0,
        "delivered": 0,
        "failed": 0,
        "expired": 0,
    }


def test_leased_events_come_back_oldest_first_with_their_payloads(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    queue.enqueue([event("c")], T0 + 1)
    held = take(queue, T0 + 2)
    assert held.ad_account_id == ACCOUNT
    assert [e.event_id for e in held.events] == ["a", "b", "c"]
    assert [e.payload for e in held.events] == [
        b'{"event_id":"a"}',
        b'{"event_id":"b"}',
        b'{"event_id":"c"}',
    ]
    assert [e.enqueued_at for e in held.events] == [T0, T0, T0 + 1]
    assert all(e.attempts == 0 for e in held.events)
    assert held.expires_at == T0 + 2 + 60
    assert len({e.row_id for e in held.events}) == 3


def test_events_are_not_ready_before_they_are_enqueued(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    assert lease(queue, T0 - 1) is None


def test_delivered_is_final_and_counts_an_attempt(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    held = take(queue, T0 + 1)
    a, b = held.events
    queue.complete(held, {a.row_id: Delivered(), b.row_id: Delivered("some warning")}, T0 + 2)
    assert lease(queue, T0 + 10_000) is None
    assert queue.depth() == 0
    assert queue.counts()["delivered"] == 2
    history = queue.history("b")
    assert [(h.status, h.at, h.attempts, h.message) for h in history] == [
        ("queued", T0, 0, None),
        ("delivered", T0 + 2, 1, "some warning"),
    ]
    assert history[0].ad_account_id == ACCOUNT
    assert history[0].event_name == "checkout"


def test_failed_becomes_a_dead_letter_with_pinterest_message(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    held = take(queue, T0 + 1)
    a, _ = held.events
    queue.complete(held, {a.row_id: Failed("event_time is too old")}, T0 + 2)
    letters = queue.dead_letters()
    assert [(d.event_id, d.message, d.attempts, d.failed_at) for d in letters] == [
        ("a", "event_time is too old", 1, T0 + 2)
    ]
    assert letters[0].ad_account_id == ACCOUNT
    assert letters[0].row_id == a.row_id
    assert queue.depth() == 1  # "b" had no outcome: still pending


def test_retrying_waits_for_its_next_attempt_and_counts_attempts(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    (a,) = held.events
    queue.complete(held, {a.row_id: Retrying(T0 + 30, "HTTP 503")}, T0 + 1)
    assert lease(queue, T0 + 29) is None
    again = take(queue, T0 + 30)
    assert [(e.row_id, e.attempts) for e in again.events] == [(a.row_id, 1)]
    queue.complete(again, {a.row_id: Retrying(T0 + 90, "HTTP 429")}, T0 + 31)
    third = take(queue, T0 + 90)
    assert third.events[0].attempts == 2
    assert queue.counts()["retrying"] == 1
    assert queue.depth() == 1
    assert [(h.status, h.attempts, h.message) for h in queue.history("a")] == [
        ("queued", 0, None),
        ("retrying", 1, "HTTP 503"),
        ("retrying", 2, "HTTP 429"),
    ]


def test_paused_waits_without_counting_an_attempt(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    queue.complete(held, {held.events[0].row_id: Paused(T0 + 60, "401 token refused")}, T0)
    assert lease(queue, T0 + 59) is None
    again = take(queue, T0 + 60)
    assert again.events[0].attempts == 0
    assert queue.counts()["paused"] == 1
    assert queue.history("a")[-1].status == "paused"


def test_expired_is_final_without_an_attempt(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    queue.complete(held, {held.events[0].row_id: Expired("older than 7 days")}, T0 + 1)
    assert queue.depth() == 0
    assert queue.counts()["expired"] == 1
    assert [(h.status, h.attempts) for h in queue.history("a")] == [
        ("queued", 0),
        ("expired", 0),
    ]
    assert queue.dead_letters() == []


def test_events_without_an_outcome_are_released_unchanged(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    held = take(queue, T0)
    a, b = held.events
    queue.complete(held, {a.row_id: Delivered()}, T0 + 1)
    again = take(queue, T0 + 1)  # at once: the lease no longer holds "b"
    assert [(e.row_id, e.attempts) for e in again.events] == [(b.row_id, 0)]
    assert [h.status for h in queue.history("b")] == ["queued"]


def test_outcome_for_a_row_outside_the_lease_is_rejected(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    with pytest.raises(ValueError, match="not part of lease"):
        queue.complete(held, {held.events[0].row_id + 1000: Delivered()}, T0)


def test_a_live_lease_hides_its_events_until_it_expires(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    first = take(queue, T0)
    assert lease(queue, T0 + 59) is None
    second = take(queue, T0 + 60)
    assert second.token != first.token
    assert row_ids(second) == row_ids(first)


def test_completing_a_lost_lease_changes_nothing(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    first = take(queue, T0)
    second = take(queue, T0 + 61)  # first expired; another worker took the row
    (row,) = row_ids(second)
    queue.complete(first, {row: Failed("late answer")}, T0 + 62)
    assert queue.dead_letters() == []
    assert lease(queue, T0 + 62) is None  # still held by the second lease
    queue.complete(second, {row: Delivered()}, T0 + 63)
    assert [h.status for h in queue.history("a")] == ["queued", "delivered"]
    assert queue.counts()["delivered"] == 1
    assert queue.depth() == 0


def test_an_expired_lease_not_yet_retaken_can_still_complete(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    queue.complete(held, {held.events[0].row_id: Delivered()}, T0 + 500)
    assert queue.counts()["delivered"] == 1


def test_extend_keeps_events_past_the_first_expiry(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    extended = queue.extend(held, T0 + 50, 60)
    assert extended.expires_at == T0 + 110
    assert row_ids(extended) == row_ids(held)
    assert lease(queue, T0 + 100) is None
    assert lease(queue, T0 + 110) is not None


def test_extend_of_a_lost_lease_drops_the_lost_events(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    first = take(queue, T0)
    take(queue, T0 + 61)
    assert queue.extend(first, T0 + 62, 60).events == ()


def test_max_events_cuts_the_batch(queue: Queue) -> None:
    queue.enqueue([event(str(i)) for i in range(5)], T0)
    assert event_ids(take(queue, T0, max_events=2)) == ["0", "1"]
    assert event_ids(take(queue, T0, max_events=2)) == ["2", "3"]
    assert event_ids(take(queue, T0, max_events=2)) == ["4"]


def test_max_bytes_cuts_the_batch_but_always_leases_one(queue: Queue) -> None:
    queue.enqueue([event(str(i), payload=b"x" * 40) for i in range(4)], T0)
    queue.enqueue([event("big", payload=b"y" * 500)], T0 + 1)
    assert event_ids(take(queue, T0 + 2, max_bytes=100)) == ["0", "1"]
    assert event_ids(take(queue, T0 + 2, max_bytes=120)) == ["2", "3"]
    assert event_ids(take(queue, T0 + 2, max_bytes=100)) == ["big"]


def test_min_age_waits_for_a_full_or_old_enough_batch(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    assert lease(queue, T0 + 0.5, max_events=3, min_age=1.0) is None
    assert event_ids(take(queue, T0 + 1.0, max_events=3, min_age=1.0)) == ["a", "b"]


def test_min_age_cuts_a_full_batch_at_once(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b"), event("c")], T0)
    assert event_ids(take(queue, T0, max_events=3, min_age=1.0)) == ["a", "b", "c"]


def test_min_age_cuts_a_batch_full_by_bytes_at_once(queue: Queue) -> None:
    queue.enqueue([event("a", payload=b"x" * 600), event("b", payload=b"x" * 600)], T0)
    assert event_ids(take(queue, T0, max_events=10, max_bytes=1000, min_age=1.0)) == ["a"]


def test_min_age_prefers_a_full_account_over_a_young_one(queue: Queue) -> None:
    queue.enqueue([event("young", account=OTHER_ACCOUNT)], T0)
    queue.enqueue([event(str(i)) for i in range(3)], T0 + 0.1)
    assert take(queue, T0 + 0.2, max_events=3, min_age=1.0).ad_account_id == ACCOUNT
    assert lease(queue, T0 + 0.5, max_events=3, min_age=1.0) is None
    assert take(queue, T0 + 1.0, max_events=3, min_age=1.0).ad_account_id == OTHER_ACCOUNT


def test_min_age_finds_a_full_account_behind_a_mix_of_accounts(queue: Queue) -> None:
    # The oldest three young events name two accounts; the full batch is further back.
    queue.enqueue([event("o1", account=OTHER_ACCOUNT)], T0)
    queue.enqueue([event("a1")], T0 + 0.1)
    queue.enqueue([event("o2", account=OTHER_ACCOUNT)], T0 + 0.2)
    queue.enqueue([event("a2"), event("a3")], T0 + 0.3)
    held = take(queue, T0 + 0.4, max_events=3, min_age=1.0)
    assert (held.ad_account_id, event_ids(held)) == (ACCOUNT, ["a1", "a2", "a3"])


def test_min_age_cuts_the_oldest_full_batch_of_a_long_backlog(queue: Queue) -> None:
    queue.enqueue([event(str(i)) for i in range(10)], T0)
    assert event_ids(take(queue, T0 + 0.5, max_events=4, min_age=1.0)) == ["0", "1", "2", "3"]
    assert event_ids(take(queue, T0 + 0.5, max_events=4, min_age=1.0)) == ["4", "5", "6", "7"]
    assert lease(queue, T0 + 0.5, max_events=4, min_age=1.0) is None  # two left, too young


def test_a_lease_holds_one_account_starting_with_the_oldest(queue: Queue) -> None:
    queue.enqueue(
        [
            event("o1", account=OTHER_ACCOUNT),
            event("a1"),
            event("o2", account=OTHER_ACCOUNT),
            event("a2"),
        ],
        T0,
    )
    first = take(queue, T0)
    assert first.ad_account_id == OTHER_ACCOUNT
    assert [e.event_id for e in first.events] == ["o1", "o2"]
    second = take(queue, T0)
    assert second.ad_account_id == ACCOUNT
    assert [e.event_id for e in second.events] == ["a1", "a2"]
    assert lease(queue, T0) is None


def test_history_lists_every_entry_of_an_event_id_oldest_first(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = take(queue, T0)
    queue.complete(held, {held.events[0].row_id: Failed("bad value")}, T0 + 1)
    queue.enqueue([event("a")], T0 + 2)  # accepted again: the first one failed
    queue.enqueue([event("a", name="lead")], T0 + 3)
    history = queue.history("a")
    assert [(h.status, h.at, h.event_name) for h in history] == [
        ("queued", T0, "checkout"),
        ("failed", T0 + 1, "checkout"),
        ("queued", T0 + 2, "checkout"),
        ("queued", T0 + 3, "lead"),
    ]
    assert history[0].row_id == history[1].row_id != history[2].row_id
    assert queue.history("unknown") == []


def test_depth_follows_every_transition(queue: Queue) -> None:
    queue.enqueue([event(str(i)) for i in range(6)], T0)
    held = take(queue, T0)
    r = row_ids(held)
    queue.complete(
        held,
        {
            r[0]: Delivered(),
            r[1]: Failed("x"),
            r[2]: Retrying(T0 + 5, "x"),
            r[3]: Paused(T0 + 5, "x"),
            r[4]: Expired("x"),
        },
        T0 + 1,
    )
    counts = queue.counts()
    pending = counts["queued"] + counts["retrying"] + counts["paused"]
    assert queue.depth() == pending == 3
    assert queue.replay(None, T0 + 2) == 1
    assert queue.depth() == 4


def test_durable_across_close_and_reopen(open_q: OpenQueue) -> None:
    first = open_q()
    first.enqueue([event("a"), event("b"), event("c")], T0)
    held = take(first, T0)
    a, b, _ = held.events
    first.complete(held, {a.row_id: Delivered(), b.row_id: Failed("no")}, T0 + 1)
    held_again = take(first, T0 + 1)
    first.close()

    second = open_q()
    assert second.counts()["delivered"] == 1
    assert [d.event_id for d in second.dead_letters()] == ["b"]
    assert second.depth() == 1
    assert lease(second, T0 + 2) is None  # the lease survived the restart
    second.complete(held_again, {held_again.events[0].row_id: Delivered()}, T0 + 3)
    assert second.counts()["delivered"] == 2
    assert second.enqueue([event("a")], T0 + 4)[0].status == "duplicate"
