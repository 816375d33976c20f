"""Destinations on both backends: batches never mix them, leases can skip or pick them,
dead letters are listed, counted and replayed per destination, pauses are shared through
the database, and a queue from schema 2 joins destination 'default' on open."""

from __future__ import annotations

import threading
from collections.abc import Collection

import pytest

from pinbridge.queue import Delivered, Failed, Lease, PauseState, Queue
from tests.queue.conftest import OpenQueue
from tests.queue.support import (
    ACCOUNT,
    OTHER_ACCOUNT,
    T0,
    downgrade_to_version_2,
    event,
    run_sql,
    status_counts,
)

BIG = 10**9


def lease(
    queue: Queue,
    now: float = T0,
    *,
    max_events: int = 1000,
    min_age: float = 0.0,
    exclude: Collection[str] = (),
    only: str | None = None,
) -> Lease | None:
    return queue.lease(
        now,
        max_events=max_events,
        max_bytes=BIG,
        lease_seconds=60,
        min_age=min_age,
        exclude=exclude,
        only=only,
    )


def batches(
    queue: Queue, now: float = T0, *, exclude: Collection[str] = (), only: str | None = None
) -> list[tuple[str, str, list[str]]]:
    """Lease until nothing is left: (destination, account, event ids) per batch."""
    found: list[tuple[str, str, list[str]]] = []
    while (held := lease(queue, now, exclude=exclude, only=only)) is not None:
        found.append((held.destination, held.ad_account_id, [e.event_id for e in held.events]))
    return found


def fail_all(queue: Queue, now: float) -> None:
    while (held := lease(queue, now)) is not None:
        queue.complete(held, {e.row_id: Failed("rejected") for e in held.events}, now)


# -- leases ------------------------------------------------------------------------------


def test_a_batch_never_mixes_destinations(queue: Queue) -> None:
    queue.enqueue(
        [
            event("eu1", destination="eu"),
            event("us1", destination="us"),
            event("eu2", destination="eu"),
            event("us2", destination="us"),
        ],
        T0,
    )
    assert batches(queue) == [
        ("eu", ACCOUNT, ["eu1", "eu2"]),
        ("us", ACCOUNT, ["us1", "us2"]),
    ]


def test_a_batch_is_one_account_within_one_destination(queue: Queue) -> None:
    queue.enqueue(
        [
            event("a1", destination="eu"),
            event("o1", destination="eu", account=OTHER_ACCOUNT),
            event("a2", destination="eu"),
        ],
        T0,
    )
    assert batches(queue) == [("eu", ACCOUNT, ["a1", "a2"]), ("eu", OTHER_ACCOUNT, ["o1"])]


def test_the_destination_with_the_oldest_ready_event_goes_first(queue: Queue) -> None:
    queue.enqueue([event("z", destination="zz")], T0)
    queue.enqueue([event("a", destination="aa")], T0 + 1)
    assert [b[0] for b in batches(queue, T0 + 2)] == ["zz", "aa"]


def test_events_without_a_destination_go_to_default(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    held = lease(queue)
    assert held is not None
    assert held.destination == "default"
    assert queue.history("a")[0].destination == "default"


def test_exclude_skips_paused_destinations_however_old_their_events(queue: Queue) -> None:
    queue.enqueue([event(f"p{i}", destination="paused") for i in range(50)], T0)
    queue.enqueue([event("live", destination="live")], T0 + 5)
    assert batches(queue, T0 + 10, exclude={"paused"}) == [("live", ACCOUNT, ["live"])]
    assert lease(queue, T0 + 10, exclude=["paused", "live"]) is None
    assert queue.depth() == 51
    held = lease(queue, T0 + 10)
    assert held is not None
    assert held.destination == "paused"  # nothing of it was touched


def test_only_leases_from_one_destination(queue: Queue) -> None:
    queue.enqueue([event("a", destination="one"), event("b", destination="two")], T0)
    assert batches(queue, only="two") == [("two", ACCOUNT, ["b"])]
    assert lease(queue, only="two") is None
    assert lease(queue, only="nowhere") is None
    assert lease(queue, only="one", exclude=["one"]) is None  # exclude wins
    assert batches(queue, only="one") == [("one", ACCOUNT, ["a"])]


def test_min_age_looks_for_a_full_batch_among_the_allowed_destinations(queue: Queue) -> None:
    queue.enqueue([event(f"x{i}", destination="excluded") for i in range(3)], T0)
    queue.enqueue([event(f"y{i}", destination="young") for i in range(3)], T0 + 0.1)
    queue.enqueue([event("z", destination="small")], T0 + 0.1)
    first = lease(queue, T0 + 0.2, max_events=3, min_age=1.0, exclude=["excluded"])
    assert first is not None
    assert first.destination == "young"
    # "small" is young and not full; "excluded" is full but excluded
    assert lease(queue, T0 + 0.2, max_events=3, min_age=1.0, exclude=["excluded"]) is None
    assert lease(queue, T0 + 0.2, max_events=3, min_age=1.0, only="small") is None
    late = lease(queue, T0 + 1.1, max_events=3, min_age=1.0, only="small")
    assert late is not None
    assert [e.event_id for e in late.events] == ["z"]


def test_extend_keeps_the_destination(queue: Queue) -> None:
    queue.enqueue([event("a", destination="eu")], T0)
    held = lease(queue)
    assert held is not None
    assert queue.extend(held, T0 + 30, 60).destination == "eu"


def test_the_dedup_key_ignores_the_destination(queue: Queue) -> None:
    got = queue.enqueue([event("a", destination="eu"), event("a", destination="us")], T0)
    assert [r.status for r in got] == ["queued", "duplicate"]


# -- dead letters ------------------------------------------------------------------------


def test_dead_letters_are_listed_counted_and_replayed_per_destination(queue: Queue) -> None:
    queue.enqueue(
        [event(f"eu{i}", destination="eu") for i in range(3)]
        + [event(f"us{i}", destination="us") for i in range(2)],
        T0,
    )
    fail_all(queue, T0 + 1)
    assert [d.event_id for d in queue.dead_letters(destination="us")] == ["us0", "us1"]
    assert {d.destination for d in queue.dead_letters()} == {"eu", "us"}
    assert [d.event_id for d in queue.dead_letters(destination="eu", limit=1, offset=1)] == ["eu1"]
    assert queue.dead_letter_count("eu") == 3
    assert queue.dead_letter_count("us") == 2
    assert queue.dead_letter_count("nowhere") == 0
    assert queue.dead_letter_count() == 5 == queue.counts()["failed"]

    eu_ids = [d.row_id for d in queue.dead_letters(destination="eu")]
    us_ids = [d.row_id for d in queue.dead_letters(destination="us")]
    assert queue.replay([eu_ids[0], us_ids[0]], T0 + 2, destination="us") == 1
    assert queue.dead_letter_count("us") == 1
    assert queue.replay(None, T0 + 3, destination="eu") == 3
    assert (queue.dead_letter_count("eu"), queue.dead_letter_count()) == (0, 1)
    assert [d.event_id for d in queue.dead_letters()] == ["us1"]
    assert {b[0] for b in batches(queue, T0 + 4)} == {"eu", "us"}


# -- pauses ------------------------------------------------------------------------------


def test_pause_records_since_once_and_updates_reason_and_until(queue: Queue) -> None:
    assert queue.pauses() == {}
    queue.pause("eu", "HTTP 401: token refused", T0, T0 + 60)
    queue.pause("eu", "HTTP 401 again", T0 + 60, T0 + 180)
    queue.pause("us", "HTTP 403", T0 + 10, T0 + 70)
    assert queue.pauses() == {
        "eu": PauseState("HTTP 401 again", T0, T0 + 180),
        "us": PauseState("HTTP 403", T0 + 10, T0 + 70),
    }
    assert queue.resume("eu") is True
    assert queue.resume("eu") is False
    assert list(queue.pauses()) == ["us"]


def test_pauses_are_shared_by_every_queue_on_the_database(open_q: OpenQueue) -> None:
    first, second = open_q(), open_q()
    first.pause("eu", "token refused", T0, T0 + 60)
    assert second.pauses() == {"eu": PauseState("token refused", T0, T0 + 60)}
    assert second.resume("eu") is True
    assert first.pauses() == {}


def test_a_probe_is_claimed_once_per_interval(queue: Queue) -> None:
    assert queue.claim_probe("eu", T0, T0 + 60) is False  # not paused
    queue.pause("eu", "token refused", T0, T0 + 60)
    assert queue.claim_probe("eu", T0 + 59, T0 + 119) is False  # not due yet
    assert queue.claim_probe("eu", T0 + 60, T0 + 120) is True
    assert queue.claim_probe("eu", T0 + 60, T0 + 120) is False  # already claimed
    assert queue.pauses()["eu"] == PauseState("token refused", T0, T0 + 120)
    assert queue.claim_probe("eu", T0 + 121, T0 + 181) is True


def test_of_many_claiming_at_once_exactly_one_wins(open_q: OpenQueue) -> None:
    queues = [open_q() for _ in range(3)]
    queues[0].pause("eu", "token refused", T0, T0)
    start = threading.Barrier(6)
    wins: list[bool] = []
    failures: list[BaseException] = []

    def claim(queue: Queue) -> None:
        try:
            start.wait(timeout=30)
            wins.append(queue.claim_probe("eu", T0 + 1, T0 + 61))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=claim, args=(queues[i % 3],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(wins) == [False] * 5 + [True]


def test_pauses_write_no_history(queue: Queue) -> None:
    queue.enqueue([event("a", destination="eu")], T0)
    queue.pause("eu", "token refused", T0, T0 + 60)
    assert [h.status for h in queue.history("a")] == ["queued"]
    assert queue.counts()["paused"] == 0


# -- upgrade -----------------------------------------------------------------------------


def index_names(url: str) -> set[str]:
    if url.startswith("sqlite"):
        [rows] = run_sql(url, ["SELECT name FROM sqlite_master WHERE type = 'index'"])
    else:
        [rows] = run_sql(
            url, ["SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"]
        )
    return {str(row[0]) for row in rows}


def test_a_queue_from_schema_2_joins_destination_default(queue_url: str, open_q: OpenQueue) -> None:
    queue = open_q()
    queue.enqueue([event(f"e{i}") for i in range(5)], T0)
    held = lease(queue)
    assert held is not None
    first, second, *_ = held.events
    queue.complete(held, {first.row_id: Failed("x"), second.row_id: Delivered()}, T0 + 1)
    before = status_counts(queue_url)
    queue.close()
    downgrade_to_version_2(queue_url)
    assert "pinbridge_events_account_ready" in index_names(queue_url)

    upgraded = open_q()
    assert upgraded.counts() == before
    assert upgraded.dead_letter_count("default") == before["failed"] == 1
    assert [d.destination for d in upgraded.dead_letters()] == ["default"]
    indexes = index_names(queue_url)
    assert "pinbridge_events_destination_ready" in indexes
    assert not {"pinbridge_events_account_ready", "pinbridge_events_ready"} & indexes
    [version] = run_sql(queue_url, ["SELECT value FROM pinbridge_meta"])
    assert version == [("5",)]
    assert [(b[0], len(b[2])) for b in batches(upgraded, T0 + 2)] == [("default", 3)]
    upgraded.pause("default", "token refused", T0, T0 + 60)
    assert list(upgraded.pauses()) == ["default"]


@pytest.mark.parametrize("name", ["", "x" * 200, "Été 2026 / FR"])
def test_any_destination_name_round_trips(queue: Queue, name: str) -> None:
    queue.enqueue([event("a", destination=name)], T0)
    fail_all(queue, T0)
    assert [d.destination for d in queue.dead_letters(destination=name)] == [name]
    assert queue.dead_letter_count(name) == 1
