"""After real traffic (valid, invalid, retried and paused events), neither the queue's
database nor the server's logs contain a clear-text email, phone number or the token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.e2e.cluster import (
    TOKEN,
    Posted,
    clear_text_of,
    delivery_state,
    post_all,
    postgres_parts,
    start_node,
    traffic,
    wait_for,
    write_config,
)
from tests.support.simulator import start_simulator

pytestmark = pytest.mark.slow

_EVENTS = 120
_PREFIX = "privacy"


def _needles() -> dict[bytes, str]:
    """Every clear-text form of the personal data sent, and the token."""
    found = {TOKEN.encode(): "the access token"}
    for number in range(_EVENTS + 1):
        email, phone = clear_text_of(_PREFIX, number)
        digits = "".join(c for c in phone if c.isdigit())
        for form in (email, email.upper(), phone, digits, "33" + digits[1:]):
            found[form.encode()] = f"user {number}'s email or phone"
    return found


def _invalid_event() -> dict[str, Any]:
    """No event_id and no IP: invalid, with personal data the errors must not echo."""
    email, phone = clear_text_of(_PREFIX, _EVENTS)
    return {"event_name": "purchase", "user": {"email": email, "phone": phone}}


@pytest.fixture(params=["sqlite", "postgresql"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        yield request.getfixturevalue("pg_queue_url")


def test_no_clear_text_personal_data_or_token_in_the_database_or_logs(
    tmp_path: Path, queue_url: str, record_numbers: dict[str, Any]
) -> None:
    faults = ("--rate-500", "0.2", "--rate-reset", "0.1", "--seed", "3")
    with start_simulator("--tokens", "not-yet", *faults) as sim, ExitStack() as stack:
        config = write_config(
            tmp_path / "pinbridge.toml", queue_url=queue_url, simulator=sim, batch_max_events=20
        )
        node = start_node(config, tmp_path / "server.log")
        stack.callback(node.stop)
        posted = Posted()
        post_all(node, [*traffic(_EVENTS, _PREFIX), _invalid_event()], posted)
        wait_for(lambda: sim.stats()["requests"]["401"] >= 2, 30, "the token being refused")
        sim.configure(tokens=[TOKEN])
        wait_for(
            lambda: (
                set(sim.stats()["accepted_event_ids"]) >= posted.accepted
                and node.queue_depth() == 0
            ),
            60,
            "delivery of every event",
            lambda: delivery_state(sim, posted, node),
        )
        node.stop()
        stored = _stored_bytes(tmp_path, queue_url)

    assert posted.results["queued"] == _EVENTS
    assert posted.results["invalid"] == 1
    log = (tmp_path / "server.log").read_bytes()
    assert b"PAUSED" in log, "the refused token should have been logged"
    leaks = [
        f"{what} in {where}"
        for needle, what in _needles().items()
        for where, blob in (*stored, ("the server log", log))
        if needle in blob
    ]
    assert leaks == []
    record_numbers.update(
        queue=queue_url.split(":", 1)[0],
        bytes_scanned=sum(len(blob) for _, blob in stored) + len(log),
        needles=len(_needles()),
    )


def _stored_bytes(tmp_path: Path, queue_url: str) -> list[tuple[str, bytes]]:
    """Every file the run left (database, WAL, logs) and, for PostgreSQL, every row."""
    stored = [(str(p), p.read_bytes()) for p in sorted(tmp_path.rglob("*")) if p.is_file()]
    if queue_url.startswith("postgresql"):
        stored.append(("the PostgreSQL schema", _dump_schema(queue_url)))
    return stored


def _dump_schema(queue_url: str) -> bytes:
    dsn, schema = postgres_parts(queue_url)
    with psycopg.connect(dsn) as connection:
        tables = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
        assert tables, f"no tables in schema {schema}"
        rows = []
        for (table,) in tables:
            rows += connection.execute(f'SELECT t::text FROM "{schema}"."{table}" t').fetchall()
    return "\n".join(row for (row,) in rows).encode()
