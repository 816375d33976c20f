"""PostgreSQL going away and coming back, through a real TCP proxy that is cut: every call
raises QueueUnavailable (never hangs), the breaker refuses calls until a trial gets
through, a busy pool is not taken for a dead database, and the queue works again once the
database is reachable. No timing is asserted; pytest's timeout catches a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from pinbridge.config import QueueSettings
from pinbridge.logs import redact
from pinbridge.queue import Queue, QueueDiskFull, QueueUnavailable, open_queue
from pinbridge.queue.breaker import Breaker
from pinbridge.queue.postgres import PostgresQueue
from pinbridge.queue.urls import postgres_target
from tests.queue.support import T0, event
from tests.support.tcp_proxy import TcpProxy, running_proxy

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(180)]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def proxy(postgres_dsn: str) -> Iterator[TcpProxy]:
    server = urlsplit(postgres_dsn)
    with running_proxy((server.hostname or "127.0.0.1", server.port or 5432)) as running:
        yield running


@pytest.fixture
def proxied_url(pg_schema_url: str, proxy: TcpProxy) -> str:
    """The test's queue URL, through the proxy."""
    parts = urlsplit(pg_schema_url)
    user, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user}{at}127.0.0.1:{proxy.port}"))


@pytest.fixture
def opened() -> Iterator[list[Queue]]:
    queues: list[Queue] = []
    yield queues
    for queue in queues:
        queue.close()


def eventually(call: Callable[[], Any], what: str, seconds: float = 60.0) -> Any:
    """``call()``'s answer once it stops raising QueueUnavailable (a liveness check with a
    generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except QueueUnavailable:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: still unavailable after {seconds:g} s") from None
            time.sleep(0.1)


def test_every_call_fails_while_cut_and_works_again_after(
    proxied_url: str, proxy: TcpProxy, opened: list[Queue]
) -> None:
    queue = open_queue(QueueSettings(url=proxied_url, pool_size=4))
    opened.append(queue)
    queue.enqueue([event("before")], T0)
    assert queue.depth() == 1

    proxy.cut()
    calls: list[Callable[[], object]] = [
        lambda: queue.enqueue([event("during")], T0 + 1),
        queue.ping,
        queue.depth,
        lambda: queue.lease(T0 + 1, max_events=10, max_bytes=10**6, lease_seconds=60),
        queue.pauses,
        lambda: queue.history("before"),
    ]
    for call in calls:
        with pytest.raises(QueueUnavailable) as caught:
            call()
        assert not isinstance(caught.value, QueueDiskFull)
        shown = redact(str(caught.value))  # as a log line would show it
        assert f"postgres@127.0.0.1:{proxy.port}" in shown, shown

    proxy.restore()
    eventually(queue.ping, "ping after the database came back")
    assert queue.depth() == 1
    assert queue.history("during") == []
    assert queue.enqueue([event("after")], T0 + 2)[0].status == "queued"
    held = queue.lease(T0 + 3, max_events=10, max_bytes=10**6, lease_seconds=60)
    assert held is not None
    assert [e.event_id for e in held.events] == ["before", "after"]


def test_many_callers_at_once_all_get_an_answer_while_cut(
    proxied_url: str, proxy: TcpProxy, opened: list[Queue]
) -> None:
    queue = open_queue(QueueSettings(url=proxied_url, pool_size=4))
    opened.append(queue)
    proxy.cut()
    answers: list[BaseException | None] = []

    def call() -> None:
        try:
            queue.enqueue([event(f"e{threading.get_ident()}")], T0)
        except BaseException as exc:
            answers.append(exc)
        else:  # pragma: no cover - reported below
            answers.append(None)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 20, "some calls never returned"
    assert all(isinstance(answer, QueueUnavailable) for answer in answers), answers
    proxy.restore()
    eventually(queue.depth, "depth after the database came back")


def test_the_breaker_refuses_calls_until_a_trial_gets_through(
    proxied_url: str, proxy: TcpProxy, opened: list[Queue]
) -> None:
    clock = Clock()
    settings = QueueSettings(url=proxied_url, pool_size=2)
    queue = PostgresQueue(postgres_target(proxied_url), settings, breaker=Breaker(1.0, clock))
    opened.append(queue)
    queue.enqueue([event("a")], T0)

    proxy.cut()
    with pytest.raises(QueueUnavailable) as first:
        queue.depth()
    assert "could not be reached" not in str(first.value)  # it did try
    proxy.restore()
    with pytest.raises(QueueUnavailable, match=r"could not be reached 0\.0 s ago") as refused:
        queue.depth()  # refused at once: the breaker is open, whatever the database does
    assert str(first.value).split(": ", 1)[1] in str(refused.value)  # names the cause

    def trial() -> int:
        clock.now += 1.0  # a trial is due at each call
        return queue.depth()

    assert eventually(trial, "the trial call") == 1
    assert queue.enqueue([event("b")], T0)[0].status == "queued"


def test_a_busy_pool_is_not_taken_for_a_dead_database(
    pg_schema_url: str, opened: list[Queue]
) -> None:
    clock = Clock()
    settings = QueueSettings(url=pg_schema_url, pool_size=1)
    target = postgres_target(pg_schema_url)
    queue = PostgresQueue(target, settings, breaker=Breaker(1.0, clock))
    opened.append(queue)
    queue.pause("eu", "token refused", T0, T0)
    claimed: list[bool] = []
    with psycopg.connect(target.conninfo) as other:
        other.execute(f"SET search_path TO {target.schema}")
        other.execute("SELECT 1 FROM pinbridge_pauses FOR UPDATE")  # holds the row
        holder = threading.Thread(
            target=lambda: claimed.append(queue.claim_probe("eu", T0 + 1, T0 + 60))
        )
        holder.start()  # takes the only connection and waits for the row
        with pytest.raises(QueueUnavailable, match="all 1 connections") as caught:
            eventually_busy(queue)
        assert "[queue] pool_wait_seconds" in str(caught.value)
        other.rollback()
    holder.join(timeout=60)
    assert claimed == [True]
    assert queue.depth() == 0  # the breaker stayed closed: no trial needed


def eventually_busy(queue: Queue) -> None:
    """Call ``depth`` until it fails because the pool is busy (the holder thread may not
    hold the connection yet on the first calls)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        queue.depth()
        time.sleep(0.05)
