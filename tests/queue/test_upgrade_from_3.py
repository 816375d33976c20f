"""A queue written by pinbridge with schema 3 is upgraded to the current schema on open, on both
backends. The old queues are real: dumps (``tests/fixtures/queue/schema3.*.sql``) of
queues that the schema-3 code wrote (every status, two destinations, a replay, a pause)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from pinbridge.queue import Attempt, Delivered, NewEvent, PauseState, Tally
from pinbridge.queue.urls import postgres_target, sqlite_path
from tests.queue.conftest import OpenQueue
from tests.queue.support import ACCOUNT, T0, run_sql
from tests.queue.test_counters import assert_consistent
from tests.queue.test_destinations import index_names

FIXTURES = Path(__file__).parent.parent / "fixtures" / "queue"
BIG = 10**9
COUNTS_BEFORE = {
    "queued": 2,
    "retrying": 1,
    "paused": 0,
    "delivered": 1,
    "failed": 2,
    "expired": 1,
}


def restore_schema_3(url: str) -> None:
    """Load the schema-3 dump into the (empty) place the test's queue URL names."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            conn.executescript((FIXTURES / "schema3.sqlite.sql").read_text())
        finally:
            conn.close()
        return
    target = postgres_target(url)
    assert target.schema is not None
    script = (FIXTURES / "schema3.postgres.sql").read_text()
    with psycopg.connect(target.conninfo, autocommit=True) as pg:
        pg.execute(script.replace("pinbridge_schema3", target.schema))


@pytest.fixture
def upgraded(queue_url: str, open_q: OpenQueue) -> OpenQueue:
    restore_schema_3(queue_url)
    [[version]] = run_sql(queue_url, ["SELECT value FROM pinbridge_meta"])
    assert version == ("3",)
    return open_q


def test_the_upgrade_keeps_every_entry_count_and_pause(upgraded: OpenQueue, queue_url: str) -> None:
    queue = upgraded()
    [[version]] = run_sql(queue_url, ["SELECT value FROM pinbridge_meta"])
    assert version == ("5",)
    assert queue.counts() == COUNTS_BEFORE
    assert (queue.dead_letter_count("default"), queue.dead_letter_count("eu")) == (1, 1)
    assert queue.pauses() == {"eu": PauseState("token refused", T0 + 6, T0 + 66)}
    assert [e.event_id for e in queue.entries()] == [
        "replayed-1",
        "queued-1",
        "expired-1",
        "retrying-1",
        "failed-2",
        "failed-1",
        "delivered-1",
    ]
    assert [h.status for h in queue.history("replayed-1")] == ["queued", "failed", "replayed"]
    # schema 5: an entry's own row is its "queued" history entry; the old rows are gone
    assert run_sql(queue_url, ["SELECT COUNT(*) FROM pinbridge_history WHERE status = 'queued'"])[
        0
    ] == [(0,)]
    detail = queue.entry("failed-2")
    assert detail is not None
    assert (detail.payload, detail.warnings, detail.attempts) == (
        b'{"event_id":"failed-2"}',
        (),
        (),
    )
    assert (detail.summary.status, detail.summary.message, detail.summary.destination) == (
        "failed",
        "invalid email",
        "eu",
    )
    assert queue.tallies(0, 4e9) == []
    assert queue.last_delivery_at() == T0 + 2
    assert_consistent(queue, queue_url, "after the upgrade")


def test_the_upgrade_swaps_the_event_id_index_and_adds_the_new_ones(
    upgraded: OpenQueue, queue_url: str
) -> None:
    upgraded().close()
    indexes = index_names(queue_url)
    assert "pinbridge_events_event_id" not in indexes
    assert {
        "pinbridge_events_event_id_bytewise",
        "pinbridge_events_status",
        "pinbridge_events_event_name",
        "pinbridge_events_destination",
        "pinbridge_events_delivered",
        "pinbridge_attempts_row_id",
        "pinbridge_tallies_spread",
    } <= indexes


def test_the_upgraded_queue_takes_the_new_calls(upgraded: OpenQueue, queue_url: str) -> None:
    queue = upgraded()
    now = T0 + 100
    warned = NewEvent(
        ACCOUNT, "new-1", "checkout", int(T0), b"{}", warnings=("w",), identifiers=("em",)
    )
    assert (
        queue.enqueue([warned], now, [Tally("default", "checkout", "received")])[0].status
        == "queued"
    )
    held = queue.lease(now, max_events=10, max_bytes=BIG, lease_seconds=60, exclude=["eu"])
    assert held is not None
    assert [e.event_id for e in held.events] == ["queued-1", "retrying-1", "new-1"]
    queue.complete(
        held,
        {e.row_id: Delivered() for e in held.events},
        now,
        {e.row_id: Attempt(now, 200, None, 3) for e in held.events},
    )
    new = queue.entry("new-1")
    assert new is not None
    assert (new.warnings, new.attempts) == (("w",), (Attempt(now, 200, None, 3),))
    assert queue.replay(None, now, reason="event_time is too old") == 1
    assert queue.discard(None, now, reason="invalid email") == 1
    assert [g.reason for g in queue.dead_letter_groups()] == []
    metrics: Counter[tuple[str, str]] = Counter()
    for row in queue.tallies(0, 4e9):
        metrics[row.metric, row.detail] += row.count
    assert metrics == {
        ("received", ""): 1,
        ("queued", ""): 1,
        ("identifier", "em"): 1,
        ("delivered", ""): 3,
        ("discarded", ""): 1,
    }
    assert_consistent(queue, queue_url, "after using the upgraded queue")
