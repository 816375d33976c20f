"""Per-minute tallies on both backends: what enqueue and complete count, in which minute,
that they add up exactly (also with concurrent writers), how callers' tallies are checked,
and that purge drops old minutes; delivery latencies and the last delivery."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from pinbridge.queue import (
    Attempt,
    Delivered,
    Expired,
    Failed,
    NewEvent,
    Paused,
    Queue,
    QueueFull,
    Retrying,
    Tally,
    TallyRow,
)
from tests.queue.conftest import OpenQueue
from tests.queue.support import ACCOUNT, T0, event, run_sql

BIG = 10**9
MINUTE = 1_750_000_020.0  # a minute's start: T0 is 40 s into the minute before
assert MINUTE % 60 == 0


def counted(
    queue: Queue, since: float = 0, until: float = 4e9, **kw: str
) -> dict[tuple[str, ...], int]:
    """The tallies as {(minute, destination, event_name, metric, detail): count}."""
    return {
        (str(int(r.minute)), r.destination, r.event_name, r.metric, r.detail): r.count
        for r in queue.tallies(since, until, **kw)
    }


def totals(queue: Queue, metric: str) -> int:
    return sum(r.count for r in queue.tallies(0, 4e9) if r.metric == metric)


def identified(event_id: str, *identifiers: str, name: str = "checkout") -> NewEvent:
    return NewEvent(ACCOUNT, event_id, name, int(T0), b"{}", "default", identifiers=identifiers)


def test_enqueue_counts_queued_duplicates_and_identifiers_of_stored_events(queue: Queue) -> None:
    queue.enqueue([identified("a", "em", "click_id")], MINUTE + 1)
    queue.enqueue(
        [
            identified("a", "em", "click_id"),  # stored before: a duplicate, no identifiers
            identified("b", "em", "ph"),
            identified("b", "em", "ph"),  # a repeat within the call
            identified("c", name="lead"),
        ],
        MINUTE + 59.9,
        [
            Tally("default", "checkout", "received", count=3),
            Tally("default", "lead", "received"),
            Tally("default", "none", "filtered", "consent", 2),
            Tally("default", "none", "invalid", "event_time: not a number"),
        ],
    )
    m = str(int(MINUTE))
    assert counted(queue) == {
        (m, "default", "checkout", "queued", ""): 2,
        (m, "default", "checkout", "duplicate", ""): 2,
        (m, "default", "checkout", "identifier", "em"): 2,
        (m, "default", "checkout", "identifier", "click_id"): 1,
        (m, "default", "checkout", "identifier", "ph"): 1,
        (m, "default", "checkout", "received", ""): 3,
        (m, "default", "lead", "queued", ""): 1,
        (m, "default", "lead", "received", ""): 1,
        (m, "default", "none", "filtered", "consent"): 2,
        (m, "default", "none", "invalid", "event_time: not a number"): 1,
    }
    assert totals(queue, "queued") == sum(queue.counts().values()) == 3


def test_tallies_land_in_the_minute_of_now(queue: Queue) -> None:
    queue.record_tallies([Tally("default", "none", "filtered", "consent")], MINUTE - 0.001)
    queue.record_tallies([Tally("default", "none", "filtered", "consent")], MINUTE)
    queue.record_tallies([Tally("default", "none", "filtered", "consent", 4)], MINUTE + 59.999)
    queue.record_tallies([Tally("default", "none", "filtered", "consent")], MINUTE + 60)
    rows = queue.tallies(0, 4e9)
    assert [(r.minute, r.count) for r in rows] == [
        (MINUTE - 60, 1),
        (MINUTE, 5),
        (MINUTE + 60, 1),
    ]
    assert [r.minute for r in queue.tallies(MINUTE, MINUTE + 60)] == [MINUTE]  # [since, until)
    assert [r.minute for r in queue.tallies(MINUTE - 59, MINUTE + 61)] == [MINUTE, MINUTE + 60]
    assert queue.tallies(MINUTE + 61, MINUTE + 120) == []
    assert rows[0] == TallyRow(MINUTE - 60, "default", "none", "filtered", "consent", 1)


def test_complete_counts_each_changed_row_and_the_callers_tallies(queue: Queue) -> None:
    queue.enqueue([event(f"e{i}", name=("checkout", "lead")[i % 2]) for i in range(6)], T0)
    held = queue.lease(T0, max_events=10, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    e = held.events
    queue.complete(
        held,
        {
            e[0].row_id: Delivered(),
            e[1].row_id: Delivered("warning"),
            e[2].row_id: Failed("rejected"),
            e[3].row_id: Retrying(MINUTE + 99, "HTTP 503"),
            e[4].row_id: Expired("too old"),
            e[5].row_id: Paused(MINUTE + 99, "token refused"),  # no tally: not an outcome
        },
        MINUTE + 30,
        tallies=[Tally("default", "none", "pinterest_status", "200", 2)],
    )
    m = str(int(MINUTE))
    assert {k: n for k, n in counted(queue).items() if k[0] == m} == {
        (m, "default", "checkout", "delivered", ""): 1,
        (m, "default", "lead", "delivered", ""): 1,
        (m, "default", "checkout", "failed", ""): 1,
        (m, "default", "lead", "retrying", ""): 1,
        (m, "default", "checkout", "expired", ""): 1,
        (m, "default", "none", "pinterest_status", "200"): 2,
    }


def test_a_lost_lease_counts_nothing_for_the_rows_it_lost(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    stale = queue.lease(T0, max_events=1, max_bytes=BIG, lease_seconds=1)
    fresh = queue.lease(T0 + 5, max_events=1, max_bytes=BIG, lease_seconds=60)
    assert stale is not None and fresh is not None
    queue.complete(stale, {stale.events[0].row_id: Delivered()}, T0 + 6)
    assert totals(queue, "delivered") == 0
    queue.complete(fresh, {fresh.events[0].row_id: Delivered()}, T0 + 7)
    assert totals(queue, "delivered") == 1 == queue.counts()["delivered"]


def test_callers_may_not_count_what_the_queue_counts(queue: Queue) -> None:
    for metric in ("queued", "duplicate", "identifier", "delivered", "discarded"):
        with pytest.raises(ValueError, match=f"counts tally metric '{metric}' itself"):
            queue.enqueue([event("a")], T0, [Tally("default", "checkout", metric)])
    with pytest.raises(ValueError, match="unknown tally metric 'recieved'"):
        queue.record_tallies([Tally("default", "checkout", "recieved")], T0)
    with pytest.raises(ValueError, match="must not be negative"):
        queue.record_tallies([Tally("default", "checkout", "received", count=-1)], T0)
    held = queue.lease(T0, max_events=1, max_bytes=BIG, lease_seconds=60)
    assert held is None  # nothing was stored by the refused calls
    assert queue.tallies(0, 4e9) == []
    queue.record_tallies([Tally("default", "checkout", "received", count=0)], T0)
    assert queue.tallies(0, 4e9) == []


def test_a_full_queue_stores_no_tallies(open_q: OpenQueue) -> None:
    queue = open_q(max_depth=1)
    queue.enqueue([event("a")], T0)
    with pytest.raises(QueueFull):
        queue.enqueue([event("b")], T0, [Tally("default", "checkout", "received")])
    assert totals(queue, "received") == 0
    assert totals(queue, "queued") == 1


def test_enqueue_of_nothing_still_records_the_callers_tallies(queue: Queue) -> None:
    assert queue.enqueue([], T0, [Tally("default", "none", "invalid", "event_id: missing")]) == []
    assert totals(queue, "invalid") == 1


def test_tallies_of_one_destination(queue: Queue) -> None:
    queue.enqueue([event("a", destination="eu"), event("b", destination="us")], MINUTE)
    assert {r.destination for r in queue.tallies(0, 4e9)} == {"eu", "us"}
    assert {r.destination for r in queue.tallies(0, 4e9, destination="eu")} == {"eu"}
    assert queue.tallies(0, 4e9, destination="nowhere") == []


def test_long_texts_are_cut_to_fit_an_index_entry(queue: Queue) -> None:
    detail = "x" * 5000 + "\x00"
    name = "d" * 300
    queue.record_tallies([Tally(name, "é" * 300, "invalid", detail)], T0)
    [row] = queue.tallies(0, 4e9, destination=name)
    assert (len(row.destination), len(row.event_name), len(row.detail)) == (100, 100, 200)
    assert row.detail == "x" * 200


def test_tallies_add_up_exactly_with_concurrent_writers(open_q: OpenQueue, queue_url: str) -> None:
    queues = [open_q(), open_q()]
    failures: list[BaseException] = []
    submitted: Counter[str] = Counter()
    lock = threading.Lock()

    def ingest(seed: int) -> None:
        rng = random.Random(seed)
        queue = queues[seed % 2]
        try:
            for _ in range(25):
                batch = [
                    event(f"e{rng.randrange(120)}", name=rng.choice(("checkout", "lead")))
                    for _ in range(4)
                ]
                queue.enqueue(
                    batch,
                    MINUTE + rng.uniform(0, 170),
                    [Tally("default", "none", "received", count=4)],
                )
                with lock:
                    submitted["events"] += len(batch)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def deliver(seed: int) -> None:
        rng = random.Random(seed)
        queue = queues[seed % 2]
        try:
            for _ in range(30):
                now = MINUTE + rng.uniform(0, 170)
                held = queue.lease(now, max_events=5, max_bytes=BIG, lease_seconds=600)
                if held is not None:
                    outcome = rng.choice((Delivered(), Failed("rejected")))
                    queue.complete(held, {e.row_id: outcome for e in held.events}, now)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=ingest, args=(seed,)) for seed in range(4)]
    threads += [threading.Thread(target=deliver, args=(seed,)) for seed in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures

    queue = queues[0]
    counts = queue.counts()
    assert totals(queue, "received") == submitted["events"] == 400
    assert totals(queue, "queued") == sum(counts.values())
    assert totals(queue, "queued") + totals(queue, "duplicate") == submitted["events"]
    assert totals(queue, "delivered") == counts["delivered"]
    assert totals(queue, "failed") == counts["failed"]
    assert {r.minute for r in queue.tallies(0, 4e9)} <= {MINUTE, MINUTE + 60, MINUTE + 120}

    # Folding the spread rows of past minutes changes no sum, and leaves one row per key.
    before = counted(queue)
    queue.purge(MINUTE + 600)
    assert counted(queue) == before
    [[(spread,)], [(rows,)]] = run_sql(
        queue_url,
        [
            "SELECT COUNT(*) FROM pinbridge_tallies WHERE slot <> 0",
            "SELECT COUNT(*) FROM pinbridge_tallies",
        ],
    )
    assert (spread, rows) == (0, len(before))


def test_purge_drops_minutes_older_than_the_retention(open_q: OpenQueue, queue_url: str) -> None:
    queue = open_q(retention_days=1.0)
    queue.record_tallies([Tally("default", "none", "received")], MINUTE)
    queue.record_tallies([Tally("default", "none", "received")], MINUTE + 86_400)
    queue.purge(MINUTE + 86_400 + 59)  # the cutoff is in the minute's middle: kept
    assert [r.minute for r in queue.tallies(0, 4e9)] == [MINUTE, MINUTE + 86_400]
    queue.purge(MINUTE + 86_400 + 60)
    assert [r.minute for r in queue.tallies(0, 4e9)] == [MINUTE + 86_400]
    [[(rows,)]] = run_sql(queue_url, ["SELECT COUNT(*) FROM pinbridge_tallies"])
    assert rows == 1


def test_purge_drops_the_attempts_of_purged_entries(open_q: OpenQueue, queue_url: str) -> None:
    queue = open_q(retention_days=1.0)
    queue.enqueue([event("old"), event("kept")], T0)
    held = queue.lease(T0, max_events=10, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    old, kept = held.events
    queue.complete(
        held,
        {old.row_id: Delivered()},
        T0,
        {e.row_id: Attempt(T0, 200, None, 2) for e in held.events},
    )
    assert queue.purge(T0 + 86_401) == 1
    [rows] = run_sql(queue_url, ["SELECT row_id FROM pinbridge_attempts"])
    assert rows == [(kept.row_id,)]


# -- deliveries --------------------------------------------------------------------------


def test_delivery_latencies_and_the_last_delivery(queue: Queue) -> None:
    assert queue.last_delivery_at() is None
    assert queue.delivery_latencies(0) == []
    queue.enqueue([event("a", destination="eu"), event("b", destination="eu")], T0)
    queue.enqueue([event("c", destination="us"), event("d", destination="us")], T0 + 10)
    for now, outcome in ((T0 + 4, Delivered()), (T0 + 20, Failed("rejected"))):
        held = queue.lease(now, max_events=1, max_bytes=BIG, lease_seconds=60, only="eu")
        assert held is not None
        queue.complete(held, {held.events[0].row_id: outcome}, now)
    held = queue.lease(T0 + 12.5, max_events=2, max_bytes=BIG, lease_seconds=60, only="us")
    assert held is not None
    queue.complete(held, {e.row_id: Delivered() for e in held.events}, T0 + 12.5)

    assert sorted(queue.delivery_latencies(0)) == [2.5, 2.5, 4.0]
    assert queue.delivery_latencies(T0 + 5) == [2.5, 2.5]
    assert queue.delivery_latencies(0, destination="eu") == [4.0]
    assert len(queue.delivery_latencies(0, limit=2)) == 2
    assert queue.last_delivery_at() == T0 + 12.5
    assert queue.last_delivery_at("eu") == T0 + 4  # its later failure is no delivery
    assert queue.last_delivery_at("nowhere") is None
