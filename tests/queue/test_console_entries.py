"""The console's view of entries on both backends: entry() with its payload, warnings and
attempts; entries() newest first with filters that combine, each read through an index."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

from pinbridge.queue import (
    Attempt,
    Delivered,
    Failed,
    NewEvent,
    Queue,
    Retrying,
    postgres_console_sql,
    sqlite_console,
)
from pinbridge.queue.urls import postgres_target, sqlite_path
from tests.queue.conftest import OpenQueue
from tests.queue.support import ACCOUNT, T0, event

BIG = 10**9


def warned(event_id: str, *warnings: str, destination: str = "default") -> NewEvent:
    return NewEvent(
        ACCOUNT,
        event_id,
        "checkout",
        int(T0),
        b'{"event_id":"%s"}' % event_id.encode(),
        destination,
        warnings=warnings,
    )


def settle(queue: Queue, now: float, outcome: Delivered | Failed) -> None:
    """Lease everything ready and give each event ``outcome``."""
    while (held := queue.lease(now, max_events=500, max_bytes=BIG, lease_seconds=60)) is not None:
        queue.complete(held, {e.row_id: outcome for e in held.events}, now)


# -- entry -------------------------------------------------------------------------------


def test_entry_carries_payload_warnings_and_attempts_oldest_first(queue: Queue) -> None:
    queue.enqueue([warned("a", "event_time: rounded down", "em: \x00 was dropped"), event("b")], T0)
    held = queue.lease(T0 + 1, max_events=10, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    a, b = held.events
    queue.complete(
        held,
        {a.row_id: Retrying(T0 + 30, "HTTP 503")},
        T0 + 2,
        {a.row_id: Attempt(T0 + 2, 503, "HTTP 503", 2), b.row_id: Attempt(T0 + 2, 503, None, 2)},
    )
    queue.record_attempts({a.row_id: Attempt(T0 + 40, None, "timeout after 10 s", 1)})
    held = queue.lease(T0 + 50, max_events=10, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    queue.complete(
        held,
        {e.row_id: Delivered("ok") for e in held.events},
        T0 + 51,
        {e.row_id: Attempt(T0 + 51, 200, "ok", 2) for e in held.events},
    )

    detail = queue.entry("a")
    assert detail is not None
    assert detail.payload == b'{"event_id":"a"}'
    assert detail.warnings == ("event_time: rounded down", "em: \ufffd was dropped")
    assert detail.attempts == (
        Attempt(T0 + 2, 503, "HTTP 503", 2),
        Attempt(T0 + 40, None, "timeout after 10 s", 1),
        Attempt(T0 + 51, 200, "ok", 2),
    )
    summary = detail.summary
    assert (summary.event_id, summary.status, summary.attempts, summary.message) == (
        "a",
        "delivered",
        2,
        "ok",
    )
    assert (summary.enqueued_at, summary.updated_at) == (T0, T0 + 51)
    assert (summary.destination, summary.ad_account_id, summary.event_name) == (
        "default",
        ACCOUNT,
        "checkout",
    )
    other = queue.entry("b")
    assert other is not None
    assert other.warnings == ()
    assert [attempt.at for attempt in other.attempts] == [T0 + 2, T0 + 51]


def test_entry_is_the_latest_entry_with_that_event_id(queue: Queue) -> None:
    queue.enqueue([warned("a", "first")], T0)
    settle(queue, T0 + 1, Failed("rejected"))
    queue.enqueue([warned("a", "second")], T0 + 2)  # a failed entry does not block
    detail = queue.entry("a")
    assert detail is not None
    assert (detail.summary.status, detail.warnings, detail.attempts) == ("queued", ("second",), ())
    assert detail.summary.row_id == max(h.row_id for h in queue.history("a"))
    assert queue.entry("nowhere") is None
    assert queue.entry("\x00") is None


def test_attempts_are_kept_only_for_rows_the_lease_still_held(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    stale = queue.lease(T0, max_events=10, max_bytes=BIG, lease_seconds=1)
    assert stale is not None
    a, b = stale.events
    taken = queue.lease(T0 + 5, max_events=1, max_bytes=BIG, lease_seconds=60)  # "a" only
    assert taken is not None
    assert [e.row_id for e in taken.events] == [a.row_id]
    queue.complete(
        stale,
        {},
        T0 + 6,
        {a.row_id: Attempt(T0 + 6, 200, None, 2), b.row_id: Attempt(T0 + 6, 200, None, 2)},
    )
    a_detail, b_detail = queue.entry("a"), queue.entry("b")
    assert a_detail is not None and b_detail is not None
    assert a_detail.attempts == ()  # the newer lease decides about "a"
    assert b_detail.attempts == (Attempt(T0 + 6, 200, None, 2),)  # held, kept, no outcome
    with pytest.raises(ValueError, match=r"attempts name row ids \[999999\]"):
        queue.complete(taken, {}, T0 + 7, {999_999: Attempt(T0 + 7, 200, None, 1)})


def test_record_attempts_skips_entries_that_are_gone(queue: Queue) -> None:
    queue.enqueue([event("a")], T0)
    [row_id] = [h.row_id for h in queue.history("a")]
    queue.record_attempts(
        {row_id: Attempt(T0, 401, "token refused", 1), 999_999: Attempt(T0, 401, None, 1)}
    )
    detail = queue.entry("a")
    assert detail is not None
    assert detail.attempts == (Attempt(T0, 401, "token refused", 1),)
    queue.record_attempts({})


# -- entries -----------------------------------------------------------------------------


def fill(queue: Queue) -> None:
    """Entries of two destinations and two names, in three statuses, ids in enqueue order:
    e0..e11; e0-e3 delivered, e4-e7 failed, e8-e11 queued."""

    def add(numbers: range) -> None:
        queue.enqueue(
            [
                event(f"e{i}", name=("checkout", "lead")[i % 2], destination=("eu", "us")[i % 2])
                for i in numbers
            ],
            T0,
        )

    add(range(4))
    settle(queue, T0 + 1, Delivered())
    add(range(4, 8))
    settle(queue, T0 + 1, Failed("rejected"))
    add(range(8, 12))


def ids(queue: Queue, **filters: Any) -> list[str]:
    return [entry.event_id for entry in queue.entries(**filters)]


def test_entries_are_newest_first_and_filters_combine(queue: Queue) -> None:
    fill(queue)
    assert ids(queue) == [f"e{i}" for i in reversed(range(12))]
    assert ids(queue, limit=3) == ["e11", "e10", "e9"]
    assert ids(queue, status="failed") == ["e7", "e6", "e5", "e4"]
    assert ids(queue, event_name="lead") == ["e11", "e9", "e7", "e5", "e3", "e1"]
    assert ids(queue, destination="us") == ["e11", "e9", "e7", "e5", "e3", "e1"]
    assert ids(queue, status="failed", event_name="lead") == ["e7", "e5"]
    assert ids(queue, status="queued", destination="eu", event_name="checkout") == ["e10", "e8"]
    assert ids(queue, status="queued", destination="eu", event_name="lead") == []
    assert ids(queue, status="delivered", event_name="lead", limit=1) == ["e3"]
    assert ids(queue, event_id_prefix="e1") == ["e11", "e10", "e1"]
    assert ids(queue, event_id_prefix="e1", status="queued") == ["e11", "e10"]
    assert ids(queue, status="expired") == []
    assert ids(queue, destination="nowhere") == []
    entry = queue.entries(status="failed", limit=1)[0]
    assert (entry.status, entry.message, entry.attempts, entry.updated_at) == (
        "failed",
        "rejected",
        1,
        T0 + 1,
    )


@pytest.mark.parametrize(
    "prefix",
    ["%", "_", "a%b", "a_", "[", "*", "\\", "É", "\U0010ffff", "x\U0010ffff", "\ud7ff", "\x00"],
)
def test_prefixes_are_literal_whatever_their_characters(queue: Queue, prefix: str) -> None:
    """LIKE and GLOB wildcards match only themselves; a last character that cannot be raised
    (U+10FFFF) or whose successor is not storable (U+D7FF) still bounds the range."""
    stored = prefix.replace("\x00", "\ufffd")
    names = [
        stored,
        f"{stored}tail",
        f"{stored}\U0010ffff",
        "plain",
        "aXb",
        "ab",
        "\ue000",
        "\U0010ffff",
        "y",
    ]
    queue.enqueue([event(name) for name in dict.fromkeys(names)], T0)
    expected = [name for name in dict.fromkeys(names) if name.startswith(stored)]
    assert sorted(ids(queue, event_id_prefix=prefix)) == sorted(expected)


def test_an_empty_prefix_is_no_filter(queue: Queue) -> None:
    queue.enqueue([event("a"), event("b")], T0)
    assert ids(queue, event_id_prefix="") == ["b", "a"]


def test_entries_refuses_unknown_statuses_and_limits(queue: Queue) -> None:
    with pytest.raises(ValueError, match="status must be one of queued, retrying"):
        queue.entries(status="discarded")
    with pytest.raises(ValueError, match="limit must be at least 1, not 0"):
        queue.entries(limit=0)


# -- plans -------------------------------------------------------------------------------

# Each filter and the indexes that may serve it best (the one its rows are rarest in).
FILTERS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"status": "failed"}, ("pinbridge_events_status", "pinbridge_events_failed")),
    ({"event_name": "rare"}, ("pinbridge_events_event_name",)),
    ({"destination": "rare"}, ("pinbridge_events_destination",)),
    ({"event_id_prefix": "rare-1"}, ("pinbridge_events_event_id_bytewise",)),
    ({"status": "delivered", "event_name": "rare"}, ("pinbridge_events_event_name",)),
    (
        {"status": "delivered", "destination": "rare"},
        ("pinbridge_events_destination", "pinbridge_events_delivered"),
    ),
    ({"status": "failed", "destination": "eu"}, ("pinbridge_events_destination_failed",)),
    ({"destination": "rare", "event_name": "checkout"}, ("pinbridge_events_destination",)),
    ({"event_id_prefix": "rare-1", "status": "delivered"}, ("pinbridge_events_event_id_bytewise",)),
]


def plan(queue_url: str, filters: dict[str, Any]) -> str:
    """How the database runs the entries() statement for ``filters`` (the database's own
    plan, after ANALYZE: what a large table gets)."""
    arguments = {
        "status": None,
        "event_name": None,
        "destination": None,
        "event_id_prefix": None,
        "limit": 50,
        **filters,
    }
    if queue_url.startswith("sqlite"):
        statement, params = sqlite_console.entries_query(**arguments)
        conn = sqlite3.connect(sqlite_path(queue_url))
        try:
            conn.execute("ANALYZE")
            found = conn.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
        finally:
            conn.close()
        return "\n".join(str(row[-1]) for row in found)
    pg_statement, pg_params = postgres_console_sql.entries_query(**arguments)
    target = postgres_target(queue_url)
    with psycopg.connect(target.conninfo) as pg:
        pg.execute(f"SET search_path TO {target.schema}")
        pg.execute("ANALYZE")
        rows = pg.execute(f"EXPLAIN {pg_statement}", pg_params).fetchall()
    return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize(("filters", "indexes"), FILTERS)
def test_each_filter_is_read_through_its_index(
    open_q: OpenQueue, queue_url: str, filters: dict[str, Any], indexes: tuple[str, ...]
) -> None:
    queue = open_q()
    for start in range(0, 3000, 1000):
        queue.enqueue(
            [
                event(f"e{i:05d}", destination=("eu", "us")[i % 2])
                for i in range(start, start + 1000)
            ],
            T0,
        )
    settle(queue, T0 + 1, Delivered())
    queue.enqueue([event(f"rare-{i}", name="rare", destination="rare") for i in range(5)], T0 + 2)
    queue.enqueue([event(f"f{i}") for i in range(5)], T0 + 3)
    held = queue.lease(T0 + 3, max_events=5, max_bytes=BIG, lease_seconds=60)
    assert held is not None
    queue.complete(held, {e.row_id: Failed("rejected") for e in held.events}, T0 + 4)

    found = plan(queue_url, filters)
    assert any(f"{index} " in f"{found} " for index in indexes), found
    assert "Seq Scan" not in found, found
    assert "SCAN pinbridge_events\n" not in f"{found}\n", found  # SQLite's full table scan
