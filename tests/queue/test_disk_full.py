"""A full disk is reported as such (QueueDiskFull, "the queue's disk is full"), leaves
nothing half-written, and the queue works again once there is room.

SQLite gets a genuinely full database: the queue's own connections are limited to the
pages the file has (``PRAGMA max_page_count``, after which SQLite answers SQLITE_FULL), or,
when the tests run as root, the file lives on a small tmpfs that is filled up for real.
PostgreSQL cannot be filled up safely on a shared server; there a trigger in the test's
schema makes the server answer SQLSTATE 53100 (disk_full) to every history insert, as it
does when it cannot extend a file.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import pytest

from pinbridge.config import QueueSettings
from pinbridge.queue import (
    Failed,
    NewEvent,
    Queue,
    QueueDiskFull,
    QueueUnavailable,
    open_queue,
)
from pinbridge.queue.sqlite import SqliteQueue
from tests.queue.support import T0, event, run_sql, status_counts
from tests.support.tmpfs import small_tmpfs

PAYLOAD = b"p" * 2000
TABLES = ("pinbridge_events", "pinbridge_history")  # written by enqueue, by complete
FULL_TRIGGER = [
    "CREATE FUNCTION pinbridge_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' "
    "USING ERRCODE = 'disk_full'; END $$",
    *(
        f"CREATE TRIGGER pinbridge_test_disk_full BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION pinbridge_test_disk_full()"
        for table in TABLES
    ),
]
EMPTY_TRIGGER = [
    *(f"DROP TRIGGER pinbridge_test_disk_full ON {table}" for table in TABLES),
    "DROP FUNCTION pinbridge_test_disk_full()",
]


def batch(prefix: str, count: int = 200) -> list[NewEvent]:
    return [event(f"{prefix}{i}", payload=PAYLOAD) for i in range(count)]


def limit_pages(queue: Queue, pages: int | None) -> None:
    """Limit every idle connection of the SQLite ``queue`` to ``pages`` pages (None: the
    file's current size). Tests run one call at a time, so these are all it uses."""
    for conn in cast(SqliteQueue, queue)._connections._idle:
        limit = pages or conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {limit}")


@pytest.fixture
def disk(queue_url: str, queue: Queue) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """(fill, free) for the test's queue on its backend."""
    if queue_url.startswith("sqlite"):
        yield (lambda: limit_pages(queue, None)), (lambda: limit_pages(queue, 1_073_741_823))
        return
    filled = False

    def fill() -> None:
        nonlocal filled
        if not filled:
            run_sql(queue_url, FULL_TRIGGER)
            filled = True

    def free() -> None:
        nonlocal filled
        if filled:
            run_sql(queue_url, EMPTY_TRIGGER)
            filled = False

    yield fill, free
    free()


def test_a_full_disk_is_reported_and_rolls_everything_back(
    queue_url: str, queue: Queue, disk: tuple[Callable[[], None], Callable[[], None]]
) -> None:
    fill, free = disk
    queue.enqueue(batch("held"), T0)
    held = queue.lease(T0, max_events=1000, max_bytes=10**9, lease_seconds=600)
    assert held is not None
    before = status_counts(queue_url)

    fill()
    with pytest.raises(QueueDiskFull) as caught:
        queue.enqueue(batch("new"), T0 + 1)
    assert str(caught.value).startswith("the queue's disk is full")
    assert "stored nothing" in str(caught.value)
    assert isinstance(caught.value, QueueUnavailable)  # callers answering 503 need no change
    fill()
    failures = {e.row_id: Failed("rejected " + "x" * 500) for e in held.events}
    with pytest.raises(QueueDiskFull):
        queue.complete(held, failures, T0 + 2)

    assert status_counts(queue_url) == before == queue.counts()
    assert queue.history("new0") == []
    assert [h.status for h in queue.history("held0")] == ["queued"]
    assert queue.lease(T0 + 3, max_events=1000, max_bytes=10**9, lease_seconds=60) is None

    free()
    assert {r.status for r in queue.enqueue(batch("new"), T0 + 4)} == {"queued"}  # no key kept
    queue.complete(held, failures, T0 + 5)
    assert queue.dead_letter_count() == 200
    assert queue.counts() == status_counts(queue_url)
    assert queue.depth() == 200


def test_sqlite_on_a_disk_that_really_fills_up(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / f"small-{uuid.uuid4().hex[:6]}", "2m") as disk:
        ballast = disk / "ballast"
        queue = open_queue(QueueSettings(url=f"sqlite:///{disk}/queue.db"))
        try:
            ballast.write_bytes(b"\0" * 256 * 1024)  # freed below, as an operator would
            accepted: list[str] = []
            with pytest.raises(QueueDiskFull, match=r"^the queue's disk is full") as caught:
                for n in range(100):
                    results = queue.enqueue(batch(f"b{n}-", 50), T0 + n)
                    accepted += [r.event_id for r in results]
            assert str(disk) in str(caught.value)
            assert queue.depth() == len(accepted) > 0
            assert queue.counts()["queued"] == len(accepted)

            ballast.unlink()
            results = queue.enqueue(batch("after-", 50), T0 + 200)
            assert {r.status for r in results} == {"queued"}
            assert queue.depth() == len(accepted) + 50
            missing = [i for i in accepted if [h.status for h in queue.history(i)] != ["queued"]]
            assert missing == []
        finally:
            queue.close()
