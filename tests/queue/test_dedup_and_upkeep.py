"""Dedup at enqueue, back-pressure (QueueFull), dead-letter replay and retention purge."""

from __future__ import annotations

import pytest

from pinbridge.queue import (
    Delivered,
    Expired,
    Failed,
    Lease,
    NewEvent,
    Outcome,
    Queue,
    QueueFull,
    Retrying,
)
from tests.queue.conftest import OpenQueue
from tests.queue.support import OTHER_ACCOUNT, T0, event

HOUR = 3600.0
DAY = 86_400.0


def take(queue: Queue, now: float) -> Lease:
    held = queue.lease(now, max_events=1000, max_bytes=10**9, lease_seconds=60)
    assert held is not None, "expected ready events"
    return held


def finish(queue: Queue, now: float, outcome: Outcome) -> None:
    """Lease everything ready and give each event the same outcome."""
    held = take(queue, now)
    queue.complete(held, dict.fromkeys((e.row_id for e in held.events), outcome), now)


def statuses(queue: Queue, events: list[NewEvent], now: float) -> list[str]:
    return [r.status for r in queue.enqueue(events, now)]


# -- dedup -------------------------------------------------------------------------------


def test_same_event_while_pending_is_a_duplicate(queue: Queue) -> None:
    assert statuses(queue, [event("a")], T0) == ["queued"]
    assert statuses(queue, [event("a"), event("b")], T0 + HOUR) == ["duplicate", "queued"]
    assert queue.depth() == 2
    assert [h.status for h in queue.history("a")] == ["queued"]


def test_same_event_after_delivery_is_a_duplicate_within_the_window(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    finish(queue, T0 + 1, Delivered())
    assert statuses(queue, [event("a")], T0 + 47 * HOUR) == ["duplicate"]
    assert statuses(queue, [event("a")], T0 + 48 * HOUR) == ["queued"]


def test_window_follows_the_setting(open_q: OpenQueue) -> None:
    queue = open_q(dedup_window_hours=1.0)
    queue.enqueue([event("a")], T0)
    assert statuses(queue, [event("a")], T0 + HOUR - 1) == ["duplicate"]
    assert statuses(queue, [event("a")], T0 + HOUR) == ["queued"]


def test_repeats_within_one_call_are_duplicates(queue: Queue) -> None:
    got = statuses(queue, [event("a"), event("b"), event("a"), event("b")], T0)
    assert got == ["queued", "queued", "duplicate", "duplicate"]
    assert queue.depth() == 2


def test_same_event_id_with_another_name_or_account_is_a_new_event(queue: Queue) -> None:
    got = statuses(
        queue,
        [event("a"), event("a", name="lead"), event("a", account=OTHER_ACCOUNT)],
        T0,
    )
    assert got == ["queued", "queued", "queued"]


@pytest.mark.parametrize("outcome", [Failed("bad"), Expired("too old")], ids=["failed", "expired"])
def test_a_failed_or_expired_entry_does_not_block_a_new_one(queue: Queue, outcome: Outcome) -> None:
    queue.enqueue([event("a")], T0)
    finish(queue, T0 + 1, outcome)
    assert statuses(queue, [event("a")], T0 + 2) == ["queued"]
    assert statuses(queue, [event("a")], T0 + 3) == ["duplicate"]  # the new entry blocks now


def test_a_retrying_entry_still_blocks(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    finish(queue, T0 + 1, Retrying(T0 + 100, "HTTP 500"))
    assert statuses(queue, [event("a")], T0 + 2) == ["duplicate"]


# -- back-pressure -------------------------------------------------------------------------


def test_queue_full_stores_nothing(open_q: OpenQueue) -> None:
    queue = open_q(max_depth=3)
    queue.enqueue([event("a"), event("b")], T0)
    with pytest.raises(QueueFull, match=r"holds 2 pending events.*max_depth = 3"):
        queue.enqueue([event("c"), event("d")], T0 + 1)
    assert queue.depth() == 2
    assert queue.history("c") == []
    assert statuses(queue, [event("c")], T0 + 2) == ["queued"]  # "c" was not remembered


def test_duplicates_do_not_count_against_max_depth(open_q: OpenQueue) -> None:
    queue = open_q(max_depth=2)
    queue.enqueue([event("a")], T0)
    assert statuses(queue, [event("a"), event("b"), event("b")], T0 + 1) == [
        "duplicate",
        "queued",
        "duplicate",
    ]


def test_depth_frees_up_as_events_are_delivered(open_q: OpenQueue) -> None:
    queue = open_q(max_depth=1)
    queue.enqueue([event("a")], T0)
    with pytest.raises(QueueFull):
        queue.enqueue([event("b")], T0)
    finish(queue, T0 + 1, Delivered())
    assert statuses(queue, [event("b")], T0 + 2) == ["queued"]


# -- replay ----------------------------------------------------------------------------------


def test_replay_selected_dead_letters(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b"), event("c")], T0)
    finish(queue, T0 + 1, Failed("rejected"))
    letters = {d.event_id: d.row_id for d in queue.dead_letters()}
    assert queue.replay([letters["b"], 999_999], T0 + 10) == 1
    assert [d.event_id for d in queue.dead_letters()] == ["a", "c"]
    held = take(queue, T0 + 10)
    assert [(e.event_id, e.attempts) for e in held.events] == [("b", 0)]
    assert [(h.status, h.at) for h in queue.history("b")] == [
        ("queued", T0),
        ("failed", T0 + 1),
        ("replayed", T0 + 10),
    ]


def test_replay_all_and_only_failed(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    finish(queue, T0 + 1, Failed("rejected"))
    queue.enqueue([event("c")], T0 + 2)
    finish(queue, T0 + 3, Delivered())
    assert queue.replay(None, T0 + 4) == 2
    assert queue.dead_letters() == []
    assert queue.depth() == 2
    assert queue.replay(None, T0 + 5) == 0
    assert statuses(queue, [event("a")], T0 + 6) == ["duplicate"]  # pending again


def test_dead_letters_page_oldest_first(queue: Queue) -> None:
    queue.enqueue([event(str(i)) for i in range(5)], T0)
    finish(queue, T0 + 1, Failed("rejected"))
    assert [d.event_id for d in queue.dead_letters(limit=2)] == ["0", "1"]
    assert [d.event_id for d in queue.dead_letters(limit=2, offset=2)] == ["2", "3"]
    assert [d.event_id for d in queue.dead_letters(limit=2, offset=4)] == ["4"]


# -- retention -------------------------------------------------------------------------------


def test_purge_drops_old_final_entries_and_their_history(open_q: OpenQueue) -> None:
    queue = open_q(retention_days=1.0)
    queue.enqueue([event("old-delivered"), event("old-failed"), event("pending")], T0)
    held = take(queue, T0)
    first, second, _ = held.events
    queue.complete(held, {first.row_id: Delivered(), second.row_id: Failed("x")}, T0 + 1)
    queue.enqueue([event("recent")], T0 + DAY)
    finish(queue, T0 + DAY, Delivered())  # also leases "pending": released unchanged below

    assert queue.purge(T0 + DAY + 1) == 0  # nothing final is older than a day yet
    assert queue.purge(T0 + DAY + 2) == 2
    assert queue.history("old-delivered") == []
    assert queue.history("old-failed") == []
    assert queue.dead_letters() == []
    assert [h.status for h in queue.history("recent")] == ["queued", "delivered"]
    assert queue.counts()["delivered"] == 2  # "recent" and "pending"


def test_purge_keeps_pending_entries_however_old(open_q: OpenQueue) -> None:
    queue = open_q(retention_days=1.0)
    queue.enqueue([event("a")], T0)
    assert queue.purge(T0 + 30 * DAY) == 0
    assert queue.depth() == 1
    assert [h.status for h in queue.history("a")] == ["queued"]


def test_purged_entries_still_deduplicate_within_the_window(open_q: OpenQueue) -> None:
    queue = open_q(retention_days=0.5, dedup_window_hours=24.0)
    queue.enqueue([event("a")], T0)
    finish(queue, T0 + 1, Delivered())
    assert queue.purge(T0 + 13 * HOUR) == 1
    assert statuses(queue, [event("a")], T0 + 13 * HOUR) == ["duplicate"]
    queue.purge(T0 + 25 * HOUR)  # drops the expired dedup key too
    assert statuses(queue, [event("a")], T0 + 25 * HOUR) == ["queued"]


def test_purge_works_in_chunks_over_many_entries(open_q: OpenQueue) -> None:
    queue = open_q(retention_days=1.0)
    for start in range(0, 6000, 1000):
        queue.enqueue([event(f"e{i}") for i in range(start, start + 1000)], T0)
        finish(queue, T0, Delivered())
    assert queue.purge(T0 + 2 * DAY) == 6000
    assert sum(queue.counts().values()) == 0


def test_counts_reports_every_status(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b", account=OTHER_ACCOUNT)], T0)
    counts = queue.counts()
    assert counts["queued"] == 2
    assert set(counts) == {"queued", "retrying", "paused", "delivered", "failed", "expired"}
