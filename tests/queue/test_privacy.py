"""The queue stores what it was given and nothing more, and never logs payloads or passwords.

Payloads are already hashed by the mapper; the queue must not copy them into logs, history
or messages, and the database password must not reach logs or tables either.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

import pytest

from pinbridge.config import QueueSettings
from pinbridge.queue import (
    Attempt,
    Delivered,
    Failed,
    NewEvent,
    Queue,
    Retrying,
    Tally,
    open_queue,
)
from pinbridge.queue.schema import SCHEMA_VERSION
from tests.queue.support import T0, dump_tables, event

PAYLOAD = b'{"user_data":{"em":["marker-9f86d081884c7d659a2feaa0c55ad015"]}}'
MARKER = "marker-9f86d081884c7d659a2feaa0c55ad015"
PASSWORD = "pw-for-privacy-test"
TOKEN = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def private_url(queue_url: str) -> str:
    """The test queue's URL, with a password when on PostgreSQL (trust auth ignores it)."""
    parts = urlsplit(queue_url)
    user, _, host = parts.netloc.rpartition("@")
    if not queue_url.startswith("postgres") or ":" in user:
        return queue_url
    netloc = f"{user or 'postgres'}:{PASSWORD}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def run_everything(queue: Queue) -> None:
    warned = NewEvent(
        event("a").ad_account_id,
        "a",
        "checkout",
        int(T0),
        PAYLOAD,
        "eu",
        warnings=("a warning",),
        identifiers=("em",),
    )
    received = [Tally("eu", "checkout", "received", count=2)]
    queue.enqueue([warned, event("b", payload=PAYLOAD, destination="eu")], T0, received)
    queue.enqueue([event("a", payload=PAYLOAD, destination="eu")], T0 + 1)  # a duplicate
    held = queue.lease(T0 + 2, max_events=10, max_bytes=10**6, lease_seconds=60)
    assert held is not None
    a, b = held.events
    queue.complete(
        held,
        {a.row_id: Failed("rejected by Pinterest"), b.row_id: Delivered()},
        T0 + 3,
        {a.row_id: Attempt(T0 + 3, 200, "rejected by Pinterest", 2)},
        [Tally("eu", "checkout", "pinterest_status", "200")],
    )
    queue.replay(None, T0 + 4)
    held = queue.lease(T0 + 5, max_events=10, max_bytes=10**6, lease_seconds=60)
    assert held is not None
    queue.complete(held, {held.events[0].row_id: Retrying(T0 + 60, "HTTP 503")}, T0 + 6)
    queue.record_attempts({held.events[0].row_id: Attempt(T0 + 6, None, "HTTP 503", 1)})
    queue.record_tallies([Tally("eu", "none", "filtered", "consent")], T0 + 6)
    queue.history("a")
    queue.entry("a")
    queue.entries(event_id_prefix="a")
    queue.dead_letters()
    queue.dead_letter_groups()
    queue.discard(None, T0 + 6)
    queue.pause("eu", "token refused", T0 + 7, T0 + 67)
    queue.claim_probe("eu", T0 + 70, T0 + 130)
    queue.pauses()
    queue.purge(T0 + 7)


def test_payloads_and_passwords_never_reach_the_logs(
    private_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    queue = open_queue(QueueSettings(url=private_url, pool_size=2))
    try:
        run_everything(queue)
    finally:
        queue.close()
    assert MARKER not in caplog.text
    assert PASSWORD not in caplog.text


def test_tables_hold_only_what_was_enqueued_and_the_outcomes(private_url: str) -> None:
    queue = open_queue(QueueSettings(url=private_url, pool_size=2))
    try:
        run_everything(queue)
    finally:
        queue.close()
    allowed_text = {
        *("a", "b", "checkout", event("a").ad_account_id),
        *("queued", "retrying", "paused", "delivered", "failed", "expired", "replayed"),
        *("rejected by Pinterest", "HTTP 503", "schema_version", str(SCHEMA_VERSION)),
        *("eu", "token refused", '["a warning"]', "em", "200", "none", "consent", ""),
        *("received", "queued", "duplicate", "identifier", "pinterest_status", "filtered"),
    }
    tables = dump_tables(private_url)
    seen_payload = False
    for table, rows in tables.items():
        for row in rows:
            for value in row:
                if isinstance(value, bytes | memoryview):
                    assert bytes(value) == PAYLOAD, f"unexpected bytes in {table}"
                    seen_payload = True
                elif isinstance(value, str):
                    assert value in allowed_text or TOKEN.match(value), (
                        f"{table} holds text the queue was not given: {value[:40]!r}"
                    )
    assert seen_payload
    assert not any(PASSWORD in repr(rows) for rows in tables.values())
