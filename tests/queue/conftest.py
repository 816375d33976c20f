"""Fixtures for the queue tests: one queue per test, on SQLite and on PostgreSQL.

Each PostgreSQL test gets a fresh schema (``?schema=`` in the queue URL), dropped at the
end, so runs by several engineers on one server never see each other's rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pinbridge.config import QueueSettings
from pinbridge.queue import Queue, open_queue

OpenQueue = Callable[..., Queue]


def with_schema(dsn: str, schema: str) -> str:
    """The PostgreSQL URL ``dsn`` with pinbridge's ``schema`` query parameter."""
    if "://" not in dsn:
        pytest.fail(f"PINBRIDGE_TEST_POSTGRES_DSN must be a postgresql:// URL, not {dsn!r}")
    return f"{dsn}{'&' if '?' in dsn else '?'}schema={schema}"


@pytest.fixture
def pg_schema_url(postgres_dsn: str) -> Iterator[str]:
    """A queue URL on the test server, in a schema of its own that is dropped afterwards."""
    schema = f"pinbridge_test_{uuid.uuid4().hex[:12]}"
    yield with_schema(postgres_dsn, schema)
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty queue location on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'queue.db'}"
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def open_q(queue_url: str) -> Iterator[OpenQueue]:
    """Open the test's queue (again) with setting overrides; all closed at the end."""
    opened: list[Queue] = []

    def factory(**overrides: object) -> Queue:
        settings = QueueSettings(url=queue_url, pool_size=4, **overrides)  # type: ignore[arg-type]
        queue = open_queue(settings)
        opened.append(queue)
        return queue

    yield factory
    for queue in opened:
        queue.close()


@pytest.fixture
def queue(open_q: OpenQueue) -> Queue:
    """The test's queue with default settings."""
    return open_q()
