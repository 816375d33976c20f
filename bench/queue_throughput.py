"""Queue throughput: enqueue (single events and batches), lease + complete, depth().

Runs on a SQLite file in a temporary directory and, when ``PINBRIDGE_TEST_POSTGRES_DSN``
is set, on PostgreSQL (in a throw-away schema). Prints one JSON object per backend, with the
median fsync time of the temporary directory's disk measured just before: single-event
enqueues wait for one commit each, so their rate follows the disk more than the code.

    .venv/bin/python bench/queue_throughput.py [--events 20000]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from pinbridge.config import QueueSettings
from pinbridge.queue import Delivered, NewEvent, Queue, open_queue
from pinbridge.queue.records import Tally

PAYLOAD = (
    b'{"event_name":"checkout","action_source":"web","user_data":{"em":["' + b"a" * 64 + b'"]}}'
)


def _events(prefix: str, count: int, *, counted: bool = False) -> list[NewEvent]:
    """Events as ingest stores them; ``counted`` ones carry what the console counts."""
    identifiers = ("em", "ip_and_user_agent", "order_id") if counted else ()
    return [
        NewEvent("549755885175", f"{prefix}{i}", "checkout", 1, PAYLOAD, identifiers=identifiers)
        for i in range(count)
    ]


# What one ingest request of 100 events adds to the console's per-minute table.
_TALLIES = (
    Tally("default", "checkout", "received", "", 100),
    Tally("default", "none", "invalid", "event_time: 8 days before it was received", 2),
    Tally("default", "none", "filtered", "consent", 1),
)


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def fsync_ms(directory: str, count: int = 50) -> float:
    """The median time of a one-byte write + fsync in ``directory``, in milliseconds."""
    path = os.path.join(directory, "fsync-probe")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            os.write(descriptor, b"x")
            os.fsync(descriptor)
            samples.append(time.perf_counter() - start)
    finally:
        os.close(descriptor)
        os.unlink(path)
    return round(statistics.median(samples) * 1000, 3)


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def measure(queue: Queue, total: int) -> dict[str, Any]:
    """Run every measurement on one empty queue; returns the numbers."""
    now = time.time()
    singles = [_timed(functools.partial(queue.enqueue, [e], now)) for e in _events("s", 200)]
    batches = _events("b", total)
    batch_seconds = _timed(
        lambda: [queue.enqueue(batches[i : i + 100], now) for i in range(0, total, 100)]
    )
    depth_seconds = [_timed(queue.depth) for _ in range(50)]
    plain_seconds, counted_seconds = _counting_cost(queue, total, now)

    def drain() -> int:
        drained = 0
        while held := queue.lease(now, max_events=1000, max_bytes=4 << 20, lease_seconds=60):
            queue.complete(held, {e.row_id: Delivered() for e in held.events}, now)
            drained += len(held.events)
        return drained

    start = time.perf_counter()
    drained = drain()
    drain_seconds = time.perf_counter() - start
    return {
        "enqueue_single_per_s": _rate(len(singles), sum(singles)),
        "enqueue_single_p50_ms": round(statistics.median(singles) * 1000, 2),
        "enqueue_batch100_events_per_s": _rate(total, batch_seconds),
        "console_counting_cost_ratio": round(counted_seconds / plain_seconds, 3),
        "lease_complete_batch1000_events_per_s": _rate(drained, drain_seconds),
        "depth_p50_ms_at_pending": round(statistics.median(depth_seconds) * 1000, 3),
        "pending_when_depth_measured": total + len(singles),
        "events": drained,
    }


def _counting_cost(queue: Queue, total: int, now: float) -> tuple[float, float]:
    """Batches of 100 enqueued alternately without and with the console's counts (identifier
    tallies counted by the queue, three tallies from the request): the seconds of each."""
    plain = _events("p", total)
    counted = _events("c", total, counted=True)
    plain_seconds = counted_seconds = 0.0
    for i in range(0, total, 100):
        plain_seconds += _timed(functools.partial(queue.enqueue, plain[i : i + 100], now))
        counted_seconds += _timed(
            functools.partial(queue.enqueue, counted[i : i + 100], now, _TALLIES)
        )
    return plain_seconds, counted_seconds


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{directory}/bench.db"


@contextmanager
def postgres_url(dsn: str) -> Iterator[str]:
    schema = f"pinbridge_bench_{uuid.uuid4().hex[:8]}"
    try:
        yield f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    targets: list[tuple[str, Callable[[], Any]]] = [("sqlite", sqlite_url)]
    dsn = os.environ.get("PINBRIDGE_TEST_POSTGRES_DSN", "").strip()
    if dsn:
        targets.append(("postgresql", lambda: postgres_url(dsn)))
    with tempfile.TemporaryDirectory() as directory:
        disk = fsync_ms(directory)
    for name, location in targets:
        with location() as url:
            queue = open_queue(QueueSettings(url=url))
            try:
                result = measure(queue, args.events)
            finally:
                queue.close()
        print(json.dumps({"backend": name, "cpus": os.cpu_count(), "fsync_ms": disk, **result}))


if __name__ == "__main__":
    main()
