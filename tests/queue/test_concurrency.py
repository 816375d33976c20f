"""Several threads and several processes on one queue: every event delivered exactly once,
and a process killed while it holds a lease loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from pinbridge.queue import Delivered, Queue
from tests.queue.conftest import OpenQueue
from tests.queue.support import ACCOUNT, OTHER_ACCOUNT, event, status_counts
from tests.support.shared import REPO_ROOT

ACCOUNTS = (ACCOUNT, OTHER_ACCOUNT, "549755885177")
LONG_LEASE = 600.0
PROCESS_TIMEOUT = 120


def enqueue_many(queue: Queue, prefix: str, count: int, batch: int = 50) -> None:
    """``count`` events spread over three accounts, enqueued ``batch`` at a time."""
    for start in range(0, count, batch):
        events = [
            event(f"{prefix}{i}", account=ACCOUNTS[i % len(ACCOUNTS)])
            for i in range(start, min(count, start + batch))
        ]
        assert {r.status for r in queue.enqueue(events, time.time())} == {"queued"}


def spawn(url: str, mode: str, lease_seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.queue.worker_process", url, mode, str(lease_seconds)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def report(process: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON line a worker process prints when it is done."""
    out, _ = process.communicate(timeout=PROCESS_TIMEOUT)
    assert process.returncode == 0, f"worker exited with {process.returncode}"
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def assert_all_delivered_once(queue: Queue, url: str, leased: list[int], total: int) -> None:
    assert len(leased) == len(set(leased)), "an event was leased by two live leases"
    assert len(leased) == total
    assert queue.depth() == 0
    assert queue.counts()["delivered"] == total
    assert queue.counts() == status_counts(url), "the counters drifted from the table"


def test_threads_share_the_work_and_lease_each_event_once(
    queue_url: str, open_q: OpenQueue
) -> None:
    queue = open_q()
    enqueue_many(queue, "early", 300)
    leased: list[list[int]] = []
    producing = threading.Event()
    producing.set()
    failures: list[BaseException] = []

    def produce() -> None:
        try:
            enqueue_many(queue, "late", 300, batch=20)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            producing.clear()

    def consume() -> None:
        mine: list[int] = []
        leased.append(mine)
        try:
            while True:
                held = queue.lease(
                    time.time(), max_events=20, max_bytes=10**9, lease_seconds=LONG_LEASE
                )
                if held is None:
                    if not producing.is_set() and queue.depth() == 0:
                        return
                    time.sleep(0.01)
                    continue
                assert len({e.row_id for e in held.events}) == len(held.events)
                mine.extend(e.row_id for e in held.events)
                queue.complete(held, {e.row_id: Delivered() for e in held.events}, time.time())
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=produce)]
    threads += [threading.Thread(target=consume) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PROCESS_TIMEOUT)
    assert not failures, failures
    assert_all_delivered_once(queue, queue_url, [r for mine in leased for r in mine], 600)


@pytest.mark.slow
def test_processes_share_the_work_and_lease_each_event_once(
    queue_url: str, open_q: OpenQueue
) -> None:
    queue = open_q()
    enqueue_many(queue, "e", 600)
    workers = [spawn(queue_url, "work", LONG_LEASE) for _ in range(3)]
    leased = [row for worker in workers for row in report(worker)["leased"]]
    assert_all_delivered_once(queue, queue_url, leased, 600)


@pytest.mark.slow
def test_a_killed_leaseholders_events_go_to_the_others_after_expiry(
    queue_url: str, open_q: OpenQueue
) -> None:
    queue = open_q()
    enqueue_many(queue, "e", 300)
    holder = spawn(queue_url, "hold", 2.0)
    assert holder.stdout is not None
    held = json.loads(holder.stdout.readline())["held"]
    assert held, "the holder process leased nothing"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=PROCESS_TIMEOUT)

    workers = [spawn(queue_url, "work", LONG_LEASE) for _ in range(2)]
    leased = [row for worker in workers for row in report(worker)["leased"]]
    assert set(held) <= set(leased)
    assert_all_delivered_once(queue, queue_url, leased, 300)


@pytest.mark.slow
def test_events_acknowledged_before_a_kill_survive_it(queue_url: str, open_q: OpenQueue) -> None:
    producer = spawn(queue_url, "enqueue", 0)
    assert producer.stdout is not None
    acknowledged: list[str] = []
    for _ in range(20):
        acknowledged += json.loads(producer.stdout.readline())["committed"]
    producer.send_signal(signal.SIGKILL)
    producer.wait(timeout=PROCESS_TIMEOUT)

    queue = open_q()
    missing = [i for i in acknowledged if [h.status for h in queue.history(i)] != ["queued"]]
    assert missing == []
    assert queue.depth() >= len(acknowledged)
    assert queue.counts() == status_counts(queue_url)
