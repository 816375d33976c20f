"""CPU per event of the queue's three hot calls, and of a delivery poll over a backlog.

Measures a SQLite queue (a file in a temporary directory) in this process, with thread CPU
time (``time.thread_time``: SQLite's own work included, waiting for the disk not):

- ``enqueue``: calls of 200 events (two ingest requests of 100 written by one group
  commit), each event a mapped purchase's size with three identifiers for the console;
  and calls of one event (one transaction, one commit each);
- ``lease`` and ``complete``: batches of 1,000 (Pinterest's batch size), all delivered,
  one attempt recorded per event as the delivery worker does;
- ``poll``: a lease with ``min_age`` that finds no batch to cut (500 young events), while
  ``--pending`` other pending events are held by leases: what each delivery worker pays up
  to four times a second under load.

Rounds interleave the calls; each figure is the median over rounds, in µs per event (per
call for ``poll``). Compare two trees in one run by alternating them (``PYTHONPATH``).

    .venv/bin/python bench/queue_ops.py [--rounds 20] [--pending 6000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from pinbridge.config import QueueSettings
from pinbridge.queue import Attempt, Delivered, NewEvent, Queue, open_queue
from pinbridge.queue.records import Tally

ACCOUNT = "549755885175"
PAYLOAD = orjson.dumps(
    {
        "event_name": "checkout",
        "action_source": "web",
        "event_time": 1796000000,
        "event_id": "x" * 36,
        "user_data": {
            name: ["a" * 64]
            for name in ("em", "ph", "fn", "ln", "ge", "db", "ct", "st", "zp", "country")
        },
        "custom_data": {
            "currency": "EUR",
            "value": "150.00",
            "contents": [{"id": f"sku{i}", "item_price": "50.00", "quantity": 1} for i in range(3)],
        },
    }
)
IDENTIFIERS = ("em", "ip_and_user_agent", "order_id")
TALLIES = (Tally("default", "checkout", "received", "", 200),)


def _events(count: int) -> list[NewEvent]:
    prefix = uuid.uuid4().hex
    return [
        NewEvent(ACCOUNT, f"{prefix}-{i}", "checkout", 1, PAYLOAD, identifiers=IDENTIFIERS)
        for i in range(count)
    ]


def _cpu(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.thread_time()
    result = work()
    return time.thread_time() - started, result


def _round(queue: Queue, now: float, pending: int) -> dict[str, float]:
    enqueue = 0.0
    for _ in range(5):
        batch = _events(200)
        started = time.thread_time()
        queue.enqueue(batch, now, TALLIES)
        enqueue += time.thread_time() - started
    single = 0.0
    for event in _events(100):
        started = time.thread_time()
        queue.enqueue([event], now, TALLIES)
        single += time.thread_time() - started
    spent_lease, lease = _cpu(
        lambda: queue.lease(now, max_events=1000, max_bytes=5_000_000, lease_seconds=30)
    )
    assert lease is not None and len(lease.events) == 1000, "a full batch is ready"
    rest = queue.lease(now, max_events=1000, max_bytes=5_000_000, lease_seconds=30)
    assert rest is not None and len(rest.events) == 100, "the single events"
    outcomes = {event.row_id: Delivered() for event in lease.events}
    attempts = {event.row_id: Attempt(now, 200, None, 1000) for event in lease.events}
    spent_complete, _ = _cpu(lambda: queue.complete(lease, outcomes, now + 0.5, attempts=attempts))
    queue.complete(rest, {event.row_id: Delivered() for event in rest.events}, now + 0.5)
    waiting = []  # pending events that are not ready: held by other workers' leases
    for _ in range(pending // 1000):
        queue.enqueue(_events(1000), now + 1.0)
        held = queue.lease(now + 1.0, max_events=1000, max_bytes=10**12, lease_seconds=30)
        assert held is not None
        waiting.append(held)
    queue.enqueue(_events(500), now + 1.0)  # young and ready, but not a full batch yet
    spent_poll, none = _cpu(
        lambda: queue.lease(
            now + 1.1, max_events=1000, max_bytes=5_000_000, lease_seconds=30, min_age=5.0
        )
    )
    assert none is None, "nothing is old enough and no batch is full"
    rest = queue.lease(now + 7.0, max_events=1000, max_bytes=10**12, lease_seconds=30)
    for held in [*waiting, rest]:
        assert held is not None
        queue.complete(held, {event.row_id: Delivered() for event in held.events}, now + 7.0)
    return {
        "enqueue_us_per_event": enqueue / 1000 * 1e6,
        "enqueue_one_event_us_per_call": single / 100 * 1e6,
        "lease_us_per_event": spent_lease / 1000 * 1e6,
        "complete_us_per_event": spent_complete / 1000 * 1e6,
        "poll_ms_per_call": spent_poll * 1e3,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--pending", type=int, default=6000, help="events held during a poll")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pinbridge-queue-ops-") as tmp:
        queue = open_queue(QueueSettings(url=f"sqlite:///{tmp}/queue.db", max_depth=10**8))
        try:
            now = time.time()
            rounds = [_round(queue, now + 10.0 * n, args.pending) for n in range(args.rounds)]
        finally:
            queue.close()
    result: dict[str, Any] = {
        name: round(statistics.median(r[name] for r in rounds), 1) for name in rounds[0]
    }
    result.update(
        rounds=args.rounds,
        held_during_poll=args.pending,
        payload_bytes=len(PAYLOAD),
        python=sys.version.split()[0],
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
