"""Opening a queue: URLs, settings, clear errors without passwords, concurrent first starts."""

from __future__ import annotations

import socket
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from pinbridge.config import QueueSettings, load_settings
from pinbridge.errors import ConfigError
from pinbridge.queue import QueueUnavailable, open_queue
from pinbridge.queue.urls import postgres_target, redact_url
from tests.queue.conftest import OpenQueue
from tests.queue.support import T0, event
from tests.queue.test_concurrency import report, spawn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    queue = open_queue(QueueSettings(url="sqlite:///data/queue.db"))
    queue.enqueue([event("a")], T0)
    queue.close()
    assert (tmp_path / "data" / "queue.db").is_file()


def test_absolute_sqlite_path_uses_four_slashes(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    queue = open_queue(QueueSettings(url=f"sqlite:///{path}"))
    queue.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_opening_waits_while_another_process_is_writing_the_new_file(tmp_path: Path) -> None:
    """Switching a new file to WAL gets SQLITE_BUSY at once, not after the busy timeout,
    while another connection holds a write lock; opening must wait for it, not fail."""
    path = tmp_path / "queue.db"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, writer.execute, args=("COMMIT",))
    release.start()
    try:
        queue = open_queue(QueueSettings(url=f"sqlite:///{path}", busy_timeout_seconds=10))
    finally:
        release.join()
        writer.close()
    assert queue.enqueue([event("a")], T0)[0].status == "queued"
    queue.close()


def test_opening_gives_up_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(QueueUnavailable, match="database is locked") as caught:
            open_queue(QueueSettings(url=f"sqlite:///{path}", busy_timeout_seconds=0.2))
    finally:
        writer.close()
    assert "raise that setting" in str(caught.value)
    assert "[queue] busy_timeout_seconds = 0.2" in str(caught.value)


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/queue.db"
    with pytest.raises(QueueUnavailable) as caught:
        open_queue(QueueSettings(url=url))
    assert url in str(caught.value)
    assert f"{tmp_path}/missing exists and is writable" in str(caught.value)


def test_a_file_that_is_not_a_queue_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tables you are looking for\n" * 100)
    with pytest.raises(QueueUnavailable, match="file is not a database"):
        open_queue(QueueSettings(url=f"sqlite:///{path}"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///", "does not name a file"),
        ("sqlite:///:memory:", "must be a file on disk"),
        ("mysql://db/queue", "is not supported"),
        ("postgresql://db/queue?schema=Bad-Name", "schema='Bad-Name' must be lower-case"),
    ],
)
def test_malformed_urls_are_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_queue(QueueSettings(url=url))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("pool_size", 0),
        ("pool_wait_seconds", 0.0),
        ("connect_timeout_seconds", 1.5),
        ("busy_timeout_seconds", -1.0),
    ],
)
def test_out_of_range_settings_name_the_key(tmp_path: Path, key: str, value: float) -> None:
    out_of_range: dict[str, Any] = {key: value}
    settings = QueueSettings(url=f"sqlite:///{tmp_path}/q.db", **out_of_range)
    with pytest.raises(ConfigError, match=rf"\[queue\] {key} must be"):
        open_queue(settings)


def test_new_keys_load_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "pinbridge.toml"
    config.write_text(
        "[queue]\npool_size = 3\nconnect_timeout_seconds = 4\nbusy_timeout_seconds = 5\n"
        "pool_wait_seconds = 0.5\n"
    )
    settings = load_settings(config, env={}).queue
    assert (settings.pool_size, settings.connect_timeout_seconds) == (3, 4.0)
    assert (settings.busy_timeout_seconds, settings.pool_wait_seconds) == (5.0, 0.5)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://bob:s3cret@db:5432/q", "postgresql://bob:***@db:5432/q"),
        (
            "postgres://bob@db/q?password=s3cret&schema=x",
            "postgres://bob@db/q?password=***&schema=x",
        ),
        ("postgresql://db/q", "postgresql://db/q"),
        ("sqlite:////var/lib/q.db", "sqlite:////var/lib/q.db"),
    ],
)
def test_urls_are_shown_without_passwords(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_schema_parameter_is_not_passed_to_libpq() -> None:
    target = postgres_target("postgresql://bob@db/q?sslmode=disable&schema=pb")
    assert target.schema == "pb"
    assert target.conninfo == "postgresql://bob@db/q?sslmode=disable"


def test_newer_schema_version_is_refused(queue_url: str, open_q: OpenQueue) -> None:
    open_q().close()
    if queue_url.startswith("sqlite"):
        conn = sqlite3.connect(queue_url.removeprefix("sqlite:///"))
        with conn:
            conn.execute("UPDATE pinbridge_meta SET value = '99'")
        conn.close()
    else:
        target = postgres_target(queue_url)
        with psycopg.connect(target.conninfo) as pg:
            pg.execute(f"UPDATE {target.schema}.pinbridge_meta SET value = '99'")
    with pytest.raises(QueueUnavailable, match="created by a newer pinbridge"):
        open_q()


@pytest.mark.postgres
def test_unreachable_postgres_names_the_url_without_password() -> None:
    url = f"postgresql://pinbridge:s3cret-pw@127.0.0.1:{free_port()}/queue"
    with pytest.raises(QueueUnavailable) as caught:
        open_queue(QueueSettings(url=url, connect_timeout_seconds=2))
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert "postgresql://pinbridge:***@127.0.0.1" in message
    assert "cannot open queue" in message


@pytest.mark.postgres
def test_missing_database_names_the_url_without_password(postgres_dsn: str) -> None:
    server = urlsplit(postgres_dsn)
    url = (
        f"postgresql://{server.username or 'postgres'}:s3cret-pw@{server.hostname}:"
        f"{server.port or 5432}/pinbridge_no_such_database"
    )
    with pytest.raises(QueueUnavailable) as caught:
        open_queue(QueueSettings(url=url))
    assert "pinbridge_no_such_database" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


@pytest.mark.postgres
def test_tables_live_in_the_named_schema(pg_schema_url: str, postgres_dsn: str) -> None:
    open_queue(QueueSettings(url=pg_schema_url)).close()
    schema = postgres_target(pg_schema_url).schema
    with psycopg.connect(postgres_dsn) as pg:
        tables = pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "ORDER BY table_name",
            (schema,),
        ).fetchall()
    assert [t[0] for t in tables] == [
        "pinbridge_attempts",
        "pinbridge_counts",
        "pinbridge_dedup",
        "pinbridge_events",
        "pinbridge_failed_counts",
        "pinbridge_history",
        "pinbridge_meta",
        "pinbridge_pauses",
        "pinbridge_tallies",
    ]


@pytest.mark.slow
def test_several_processes_can_create_the_queue_at_once(queue_url: str, open_q: OpenQueue) -> None:
    workers = [spawn(queue_url, "work", 60) for _ in range(4)]
    assert [report(worker)["leased"] for worker in workers] == [[], [], [], []]
    queue = open_q()
    assert queue.enqueue([event("a")], T0)[0].status == "queued"
