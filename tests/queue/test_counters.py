"""counts(), depth() and dead_letter_count() come from counters kept in the same
transactions as the changes: after any sequence of operations (one caller or several at
once) they equal a fresh count of the events table, and a queue made before the counters is
upgraded on open."""

from __future__ import annotations

import random
import threading
import time

import pytest

from pinbridge.queue import (
    Delivered,
    Expired,
    Failed,
    Lease,
    Outcome,
    Paused,
    Queue,
    Retrying,
)
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
PENDING = ("queued", "retrying", "paused")
FINAL = ("delivered", "failed", "expired")
DESTINATIONS = ("eu", "us")


def random_outcome(rng: random.Random, now: float) -> Outcome | None:
    """Any outcome, or None (the row is left out of ``complete``)."""
    match rng.randrange(6):
        case 0:
            return Delivered("ok")
        case 1:
            return Failed("rejected")
        case 2:
            return Expired("too old")
        case 3:
            return Retrying(now + rng.uniform(0, 30), "503")
        case 4:
            return Paused(now + rng.uniform(0, 30), "token refused")
    return None


def complete_randomly(queue: Queue, held: Lease, rng: random.Random, now: float) -> None:
    outcomes = {e.row_id: random_outcome(rng, now) for e in held.events}
    queue.complete(held, {i: o for i, o in outcomes.items() if o is not None}, now)


def assert_consistent(queue: Queue, url: str, where: str) -> dict[str, int]:
    by_status, by_destination = run_sql(
        url,
        [
            "SELECT status, COUNT(*) FROM pinbridge_events GROUP BY status",
            "SELECT destination, COUNT(*) FROM pinbridge_events WHERE status = 'failed' "
            "GROUP BY destination",
        ],
    )
    found = {str(status): int(n) for status, n in by_status}
    counted = {status: found.get(status, 0) for status in (*PENDING, *FINAL)}
    assert queue.counts() == counted, where
    assert queue.depth() == sum(counted[s] for s in PENDING), where
    failed = {str(name): int(n) for name, n in by_destination}
    for name in {*DESTINATIONS, *failed}:
        assert queue.dead_letter_count(name) == failed.get(name, 0), f"{where}: {name}"
    assert queue.dead_letter_count() == counted["failed"], where
    return counted


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_match_the_table_after_random_operations(
    queue_url: str, open_q: OpenQueue, seed: int
) -> None:
    # Short windows so that purges, re-enqueues after expiry and stale leases all happen.
    queue = open_q(retention_days=120 / 86_400, dedup_window_hours=0.05)
    rng = random.Random(seed)
    now = T0
    leases: list[Lease] = []
    seen = dict.fromkeys(("queued", "retrying", "paused", "delivered", "failed", "expired"), 0)
    purged = replayed = 0
    for step in range(150):
        now += rng.uniform(0, 40)
        op = rng.choice(("enqueue", "enqueue", "lease", "complete", "complete", "replay", "purge"))
        if op == "enqueue":
            queue.enqueue(
                [
                    event(
                        f"e{rng.randrange(40)}",
                        account=rng.choice((ACCOUNT, OTHER_ACCOUNT)),
                        destination=rng.choice(DESTINATIONS),
                    )
                    for _ in range(rng.randint(1, 8))
                ],
                now,
            )
        elif op == "lease":
            held = queue.lease(
                now,
                max_events=rng.randint(1, 6),
                max_bytes=BIG,
                lease_seconds=60,
                exclude=rng.choice(((), DESTINATIONS[:1])),
                only=rng.choice((None, None, DESTINATIONS[1])),
            )
            if held is not None:
                leases.append(held)
        elif op == "complete" and leases:
            # Possibly an expired lease whose rows another lease holds now: a no-op for them.
            complete_randomly(queue, leases.pop(rng.randrange(len(leases))), rng, now)
        elif op == "replay":
            failed = [d.row_id for d in queue.dead_letters(limit=1000)]
            chosen = None if rng.random() < 0.5 else rng.sample(failed, len(failed) // 2)
            replayed += queue.replay(chosen, now, rng.choice((None, *DESTINATIONS)))
        elif op == "purge":
            purged += queue.purge(now)
        counted = assert_consistent(queue, queue_url, f"seed {seed}, step {step}: {op}")
        seen = {s: max(n, counted[s]) for s, n in seen.items()}
    assert all(seen.values()), f"the walk never reached every status: {seen}"
    assert purged and replayed, "the walk should purge and replay"


def test_counts_stay_exact_under_concurrent_workers(queue_url: str, open_q: OpenQueue) -> None:
    queue = open_q(retention_days=1 / 86_400)
    queue.enqueue(
        [
            event(
                f"e{i}",
                account=(ACCOUNT, OTHER_ACCOUNT)[i % 2],
                destination=DESTINATIONS[i % 3 % 2],
            )
            for i in range(400)
        ],
        T0,
    )
    failures: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                held = queue.lease(time.time(), max_events=10, max_bytes=BIG, lease_seconds=600)
                if held is not None:
                    complete_randomly(queue, held, rng, time.time())
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def upkeep() -> None:
        try:
            for i in range(20):
                queue.replay(None, time.time(), (None, *DESTINATIONS)[i % 3])
                queue.purge(time.time())
                time.sleep(0.02)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    threads.append(threading.Thread(target=upkeep))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    counted = assert_consistent(queue, queue_url, "after the workers")
    assert counted["delivered"] + counted["expired"] > 0


def downgrade_to_version_1(url: str) -> None:
    """Turn the queue into what pinbridge with schema 1 left: schema 2 without its status
    counters, a pending counter (``pinbridge_depth``) and version 1."""
    downgrade_to_version_2(url)
    slots = ", ".join(f"({slot}, 0)" for slot in range(16))
    run_sql(
        url,
        [
            "DROP TABLE pinbridge_counts",
            "CREATE TABLE pinbridge_depth (slot INTEGER PRIMARY KEY, pending BIGINT NOT NULL)",
            f"INSERT INTO pinbridge_depth (slot, pending) VALUES {slots}",
            "UPDATE pinbridge_depth SET pending = (SELECT COUNT(*) FROM pinbridge_events "
            "WHERE status IN ('queued', 'retrying', 'paused')) WHERE slot = 0",
            "UPDATE pinbridge_meta SET value = '1' WHERE key = 'schema_version'",
        ],
    )


def test_a_queue_from_schema_1_is_upgraded_on_open(queue_url: str, open_q: OpenQueue) -> None:
    queue = open_q()
    queue.enqueue([event(f"e{i}") for i in range(12)], T0)
    held = queue.lease(T0, max_events=10, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    outcomes: list[Outcome] = [Delivered(), Failed("x"), Expired("y"), Retrying(T0 + 9, "z")]
    queue.complete(held, {e.row_id: outcomes[i % 4] for i, e in enumerate(held.events)}, T0)
    before = status_counts(queue_url)
    queue.close()
    downgrade_to_version_1(queue_url)

    upgraded = open_q()
    assert upgraded.counts() == before
    assert before["failed"] > 0 and before["queued"] > 0
    assert upgraded.depth() == sum(before[s] for s in PENDING)
    [version], [slots] = run_sql(
        queue_url,
        [
            "SELECT value FROM pinbridge_meta WHERE key = 'schema_version'",
            "SELECT COUNT(*) FROM pinbridge_counts",
        ],
    )
    assert version == ("5",)
    assert slots == (16,)
    with pytest.raises(Exception, match="pinbridge_depth"):
        run_sql(queue_url, ["SELECT * FROM pinbridge_depth"])

    # The upgraded counters keep counting, and another open leaves them as they are.
    upgraded.enqueue([event("later")], T0 + 1)
    assert upgraded.replay(None, T0 + 2) == before["failed"]
    assert_consistent(open_q(), queue_url, "after reopening")
