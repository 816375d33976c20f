"""A queue client run as a separate process by the concurrency tests.

``python -m tests.queue.worker_process URL MODE LEASE_SECONDS``:

- ``work``: lease and complete (Delivered) until the queue is empty, then print one JSON
  line ``{"leased": [row ids, in lease order]}``.
- ``hold``: take one lease, print ``{"held": [row ids]}`` and sleep until killed.
- ``enqueue``: enqueue batches of 10 events forever, printing ``{"committed": [event ids]}``
  after each call returns (the caller kills it at some point).
"""

from __future__ import annotations

import json
import sys
import time

from pinbridge.config import QueueSettings
from pinbridge.queue import Delivered, NewEvent, Queue, open_queue

_DEADLINE_SECONDS = 90.0


def _work(queue: Queue, lease_seconds: float) -> None:
    leased: list[int] = []
    deadline = time.monotonic() + _DEADLINE_SECONDS
    while time.monotonic() < deadline:
        held = queue.lease(time.time(), max_events=25, max_bytes=10**9, lease_seconds=lease_seconds)
        if held is None:
            if queue.depth() == 0:
                break
            time.sleep(0.05)
            continue
        leased.extend(e.row_id for e in held.events)
        queue.complete(held, {e.row_id: Delivered() for e in held.events}, time.time())
    print(json.dumps({"leased": leased}), flush=True)


def _hold(queue: Queue, lease_seconds: float) -> None:
    held = None
    while held is None:
        held = queue.lease(time.time(), max_events=25, max_bytes=10**9, lease_seconds=lease_seconds)
    print(json.dumps({"held": [e.row_id for e in held.events]}), flush=True)
    time.sleep(3600)


def _enqueue(queue: Queue) -> None:
    batch = 0
    while True:
        ids = [f"k{batch}-{i}" for i in range(10)]
        queue.enqueue(
            [NewEvent("549755885175", i, "checkout", 1, b'{"n":1}') for i in ids], time.time()
        )
        print(json.dumps({"committed": ids}), flush=True)
        batch += 1


def main() -> None:
    url, mode, lease_seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    queue = open_queue(QueueSettings(url=url, pool_size=2))
    if mode == "work":
        _work(queue, lease_seconds)
    elif mode == "hold":
        _hold(queue, lease_seconds)
    else:
        _enqueue(queue)
    queue.close()


if __name__ == "__main__":
    main()
