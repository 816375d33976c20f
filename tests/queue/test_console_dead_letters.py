"""Dead letters for the console on both backends: grouped by reason, replayed or discarded
by reason (exactly that group, of one destination when asked), with counters, dedup keys,
history, attempts and tallies kept exact."""

from __future__ import annotations

import pytest

from pinbridge.queue import Attempt, Delivered, Failed, Queue
from tests.queue.support import T0, event, run_sql
from tests.queue.test_counters import assert_consistent

BIG = 10**9
TOO_OLD = "event_time is too old"
BAD_EMAIL = "em: not a SHA-256 hash"


def fail(queue: Queue, now: float, reasons: dict[str, str]) -> None:
    """Lease everything and fail each event with the reason its event_id maps to."""
    while (held := queue.lease(now, max_events=100, max_bytes=BIG, lease_seconds=60)) is not None:
        queue.complete(
            held,
            {e.row_id: Failed(reasons[e.event_id]) for e in held.events},
            now,
            {
                e.row_id: Attempt(now, 200, reasons[e.event_id], len(held.events))
                for e in held.events
            },
        )


@pytest.fixture
def failed(queue: Queue) -> Queue:
    """Dead letters: eu has 3 too old (t1 at T0+1, t2 and t3 at T0+5) and 1 bad email,
    us has 2 bad emails (T0+5); plus one delivered and one pending entry."""
    queue.enqueue([event("t1", destination="eu")], T0)
    fail(queue, T0 + 1, {"t1": TOO_OLD})
    queue.enqueue(
        [
            event("t2", destination="eu"),
            event("t3", destination="eu"),
            event("b1", destination="eu"),
            event("b2", destination="us"),
            event("b3", destination="us"),
        ],
        T0 + 2,
    )
    fail(
        queue,
        T0 + 5,
        {"t2": TOO_OLD, "t3": TOO_OLD, "b1": BAD_EMAIL, "b2": BAD_EMAIL, "b3": BAD_EMAIL},
    )
    queue.enqueue([event("ok", destination="eu")], T0 + 6)
    held = queue.lease(T0 + 6, max_events=1, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    queue.complete(held, {held.events[0].row_id: Delivered()}, T0 + 6)
    queue.enqueue([event("pending", destination="eu")], T0 + 7)
    return queue


def groups(queue: Queue, destination: str | None = None) -> list[tuple[str, int, str]]:
    return [
        (g.reason, g.count, g.sample.event_id)
        for g in queue.dead_letter_groups(destination=destination)
    ]


def test_groups_by_reason_largest_first(failed: Queue) -> None:
    # A tie in size: the latest failure first, then by reason.
    assert groups(failed) == [(BAD_EMAIL, 3, "b3"), (TOO_OLD, 3, "t3")]
    assert groups(failed, "us") == [(BAD_EMAIL, 2, "b3")]
    assert groups(failed, "eu") == [(TOO_OLD, 3, "t3"), (BAD_EMAIL, 1, "b1")]
    assert groups(failed, "nowhere") == []
    assert [g.reason for g in failed.dead_letter_groups(limit=1)] == [BAD_EMAIL]
    too_old = failed.dead_letter_groups(destination="eu")[0]
    assert (too_old.first_seen, too_old.last_seen) == (T0 + 1, T0 + 5)
    assert (too_old.sample.message, too_old.sample.destination, too_old.sample.attempts) == (
        TOO_OLD,
        "eu",
        1,
    )


def test_replay_by_reason_takes_exactly_that_group(failed: Queue, queue_url: str) -> None:
    assert failed.replay(None, T0 + 10, destination="us", reason=TOO_OLD) == 0
    assert failed.replay(None, T0 + 10, reason="event_time is too") == 0  # exact text only
    assert failed.replay(None, T0 + 10, destination="eu", reason=BAD_EMAIL) == 1
    assert groups(failed) == [(TOO_OLD, 3, "t3"), (BAD_EMAIL, 2, "b3")]
    assert [h.status for h in failed.history("b1")][-1] == "replayed"
    assert failed.enqueue([event("b1")], T0 + 11)[0].status == "duplicate"  # key taken back
    assert failed.replay(None, T0 + 12, reason=TOO_OLD) == 3
    assert groups(failed) == [(BAD_EMAIL, 2, "b3")]
    assert_consistent(failed, queue_url, "after replays by reason")


def test_replay_by_reason_and_row_ids_takes_both_filters(failed: Queue) -> None:
    ids = {d.event_id: d.row_id for d in failed.dead_letters()}
    assert failed.replay([ids["t1"], ids["b2"]], T0 + 10, reason=TOO_OLD) == 1
    assert failed.entries(status="queued", event_id_prefix="t")[0].event_id == "t1"


def test_discard_by_reason_deletes_that_group_for_good(failed: Queue, queue_url: str) -> None:
    assert failed.discard(None, T0 + 10, destination="eu", reason=BAD_EMAIL) == 1
    assert groups(failed) == [(TOO_OLD, 3, "t3"), (BAD_EMAIL, 2, "b3")]
    assert failed.history("b1") == []
    assert failed.entry("b1") is None
    assert failed.entries(event_id_prefix="b1") == []
    [[(attempts,)], [(keys,)]] = run_sql(
        queue_url,
        [
            "SELECT COUNT(*) FROM pinbridge_attempts a JOIN pinbridge_history h "
            "ON h.row_id = a.row_id WHERE h.event_id = 'b1'",
            "SELECT COUNT(*) FROM pinbridge_attempts WHERE row_id NOT IN "
            "(SELECT id FROM pinbridge_events)",
        ],
    )
    assert (attempts, keys) == (0, 0)
    assert failed.dead_letter_count("eu") == 3
    assert failed.dead_letter_count("us") == 2
    assert failed.enqueue([event("b1", destination="eu")], T0 + 11)[0].status == "queued"
    discarded = [r for r in failed.tallies(0, 4e9) if r.metric == "discarded"]
    assert [(r.minute, r.destination, r.event_name, r.count) for r in discarded] == [
        (T0 + 10 - (T0 + 10) % 60, "eu", "checkout", 1)
    ]
    assert_consistent(failed, queue_url, "after a discard by reason")


def test_discard_by_row_ids_and_all(failed: Queue, queue_url: str) -> None:
    ids = {d.event_id: d.row_id for d in failed.dead_letters()}
    pending = failed.entries(status="queued")[0].row_id
    delivered = failed.entries(status="delivered")[0].row_id
    assert failed.discard([ids["t2"], pending, delivered, 999_999], T0 + 10) == 1
    assert [h.status for h in failed.history("pending")] == ["queued"]  # only dead letters
    assert failed.discard(None, T0 + 11, destination="us") == 2
    assert failed.discard(None, T0 + 12) == 3
    assert failed.dead_letters() == []
    assert failed.dead_letter_groups() == []
    assert failed.discard(None, T0 + 13) == 0
    assert failed.counts() == {
        "queued": 1,
        "retrying": 0,
        "paused": 0,
        "delivered": 1,
        "failed": 0,
        "expired": 0,
    }
    assert sum(r.count for r in failed.tallies(0, 4e9) if r.metric == "discarded") == 6
    assert_consistent(failed, queue_url, "after discarding everything")


def test_a_discarded_entry_leaves_the_others_with_its_event_id(failed: Queue) -> None:
    failed.replay(None, T0 + 10, reason=BAD_EMAIL)
    fail(failed, T0 + 11, {"b1": BAD_EMAIL, "b2": BAD_EMAIL, "b3": BAD_EMAIL, "pending": TOO_OLD})
    failed.enqueue([event("b1", destination="eu")], T0 + 12)  # failed: a new entry is queued
    assert failed.discard(None, T0 + 13, reason=BAD_EMAIL) == 3
    assert [h.status for h in failed.history("b1")] == ["queued"]
    detail = failed.entry("b1")
    assert detail is not None
    assert (detail.summary.status, detail.attempts) == ("queued", ())
