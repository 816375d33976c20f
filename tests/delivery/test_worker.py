"""The delivery workers against a real SQLite queue, the real client and the real simulator.

Each test enqueues hashed events the way ``pinbridge serve`` does, runs a
:class:`DeliveryService` until the queue reaches the state under test, and checks what a
user would see: the simulator's tally, the delivery log, dead letters, metrics and logs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from pinbridge.config import Settings, settings_from_mapping
from pinbridge.delivery import PinterestClient
from pinbridge.delivery.outcomes import Answered
from pinbridge.delivery.worker import PROBE_EVENTS, DeliveryService, response_observer
from pinbridge.metrics import Metrics
from pinbridge.queue import Queue, open_queue
from pinbridge.queue.records import NewEvent, QueueUnavailable
from pinbridge.secrets import Secret
from tests.delivery.helpers import event_bytes
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import SIMULATOR_TOKEN

ACCOUNT = "549755885175"
WAIT_LIMIT = 30.0


def make_settings(tmp_path: Path, **delivery: Any) -> Settings:
    lease_seconds = delivery.pop("lease_seconds", 10.0)
    return settings_from_mapping(
        {
            "pinterest": {"ad_account_id": ACCOUNT, "test_mode": True},
            "queue": {"url": f"sqlite:///{tmp_path / 'queue.db'}", "lease_seconds": lease_seconds},
            "delivery": {
                "workers": 2,
                "batch_max_age_seconds": 0.05,
                "backoff_base_seconds": 0.05,
                "backoff_max_seconds": 0.2,
                "pause_seconds": 0.3,
                "request_timeout_seconds": 5.0,
                **delivery,
            },
        },
        env={},
    )


@pytest.fixture
def queue_factory() -> Iterator[Callable[[Settings], Queue]]:
    opened: list[Queue] = []

    def factory(settings: Settings) -> Queue:
        opened.append(open_queue(settings.queue))
        return opened[-1]

    yield factory
    for queue in opened:
        queue.close()


def enqueue(queue: Queue, ids: Sequence[str], **extra: Any) -> None:
    now = time.time()
    queue.enqueue(
        [
            NewEvent(
                ad_account_id=ACCOUNT,
                event_id=event_id,
                event_name="checkout",
                event_time=int(extra.get("event_time", now - 60)),
                payload=event_bytes(event_id, **extra),
            )
            for event_id in ids
        ],
        now,
    )


class Harness:
    """One DeliveryService with its real client, run in the background of ``drive``."""

    def __init__(
        self,
        settings: Settings,
        queue: Queue,
        simulator: SimulatorProcess,
        *,
        token: str = SIMULATOR_TOKEN,
        wrap: Callable[[Any], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.simulator = simulator
        self.token = token
        self.metrics = Metrics()
        self.wrap = wrap
        self.service: DeliveryService | None = None

    def drive(self, *steps: Callable[[], bool]) -> None:
        """Run the service until each condition holds in turn (bounded), then stop it."""
        asyncio.run(self._drive(steps))

    async def _drive(self, steps: Sequence[Callable[[], bool]]) -> None:
        client = PinterestClient(
            access_token=Secret(self.token),
            base_url=self.simulator.base_url,
            test_mode=True,
            timeout=self.settings.delivery.request_timeout_seconds,
            observer=response_observer(self.metrics, "default"),
        )
        sender = self.wrap(client) if self.wrap else client
        self.service = DeliveryService(
            self.settings, self.queue, self.metrics, connect=lambda _destination: sender
        )
        stop = asyncio.Event()
        running = asyncio.create_task(self.service.run(stop))
        try:
            for step in steps:
                await _until(step, running)
        finally:
            stop.set()
            await asyncio.wait_for(running, WAIT_LIMIT)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.queue.counts().items() if v}

    def metric(self, name: str, **labels: str) -> float:
        if name in {"pinbridge_events_total", "pinbridge_pinterest_responses_total"}:
            labels = {"destination": "default", **labels}
        value = self.metrics.registry.get_sample_value(name, labels)
        return value or 0.0


async def _until(condition: Callable[[], bool], running: asyncio.Task[None]) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not await asyncio.to_thread(condition):
        if running.done():
            running.result()
            raise AssertionError("the delivery service stopped on its own")
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {WAIT_LIMIT:g} s")
        await asyncio.sleep(0.05)


def accepted(simulator: SimulatorProcess) -> Counter[str]:
    return Counter(simulator.stats()["accepted_event_ids"])


def test_every_event_is_delivered_once_and_counted(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path)
    queue = queue_factory(settings)
    ids = [f"ok-{n}" for n in range(40)]
    enqueue(queue, ids)
    harness = Harness(settings, queue, simulator)

    harness.drive(lambda: harness.counts() == {"delivered": 40})

    assert accepted(simulator) == Counter(ids)
    assert [e.status for e in queue.history("ok-7")] == ["queued", "delivered"]
    assert harness.metric("pinbridge_events_total", status="delivered", event_name="checkout") == 40
    assert harness.metric("pinbridge_delivery_latency_seconds_count") == 40
    assert harness.metric("pinbridge_pinterest_responses_total", status="200") >= 1


def test_an_event_pinterest_refuses_becomes_a_dead_letter_with_its_message(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path)
    queue = queue_factory(settings)
    enqueue(queue, ["good-1", "good-2"])
    enqueue(queue, ["refused-one"])
    simulator.configure(fail_prefix="refused-")
    harness = Harness(settings, queue, simulator)

    harness.drive(lambda: harness.counts() == {"delivered": 2, "failed": 1})

    [letter] = queue.dead_letters()
    assert letter.event_id == "refused-one"
    assert "fail-prefix" in letter.message
    assert accepted(simulator) == Counter(["good-1", "good-2"])
    assert harness.metric("pinbridge_events_total", status="failed", event_name="checkout") == 1


def test_transient_failures_are_retried_until_pinterest_answers(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path, max_attempts=1000)
    queue = queue_factory(settings)
    ids = [f"retry-{n}" for n in range(10)]
    enqueue(queue, ids)
    simulator.configure(rate_500=1.0)
    harness = Harness(settings, queue, simulator)

    def failed_twice() -> bool:
        requests: dict[str, int] = simulator.stats()["requests"]
        return requests.get("500", 0) >= 2

    def pinterest_recovers() -> bool:
        simulator.configure(rate_500=0.0)
        return True

    harness.drive(failed_twice, pinterest_recovers, lambda: harness.counts() == {"delivered": 10})

    assert accepted(simulator) == Counter(ids)
    statuses = [e.status for e in queue.history("retry-3")]
    assert statuses[0] == "queued"
    assert "retrying" in statuses
    assert statuses[-1] == "delivered"
    assert harness.metric("pinbridge_pinterest_responses_total", status="500") >= 2


def test_attempts_run_out_and_the_event_becomes_a_dead_letter(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path, max_attempts=3, workers=1)
    queue = queue_factory(settings)
    enqueue(queue, ["doomed"])
    simulator.configure(rate_500=1.0)
    harness = Harness(settings, queue, simulator)

    harness.drive(lambda: harness.counts() == {"failed": 1})

    [letter] = queue.dead_letters()
    assert letter.message.startswith("gave up after 3 attempts: ")
    assert letter.attempts == 3
    assert simulator.stats()["requests"].get("500") == 3


def test_a_refused_token_pauses_the_destination_says_so_once_and_resumes(
    tmp_path: Path,
    simulator: SimulatorProcess,
    queue_factory: Callable[[Settings], Queue],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(tmp_path)
    queue = queue_factory(settings)
    ids = [f"paused-{n}" for n in range(25)]
    enqueue(queue, ids)
    simulator.configure(tokens=["a-different-token"])
    harness = Harness(settings, queue, simulator)
    seen_paused: list[str] = []

    def refused_repeatedly() -> bool:
        pauses = queue.pauses()
        if "default" in pauses:
            seen_paused.append(pauses["default"].reason)
        return simulator.stats()["requests"].get("401", 0) >= 3 and bool(seen_paused)

    def token_restored() -> bool:
        simulator.configure(tokens=[SIMULATOR_TOKEN])
        return True

    with caplog.at_level(logging.INFO, logger="pinbridge"):
        harness.drive(
            refused_repeatedly, token_restored, lambda: harness.counts() == {"delivered": 25}
        )

    assert "HTTP 401" in seen_paused[0]
    assert queue.pauses() == {}
    refused = [r for r in simulator.stats()["log"] if r["status"] == 401]
    assert len(refused[0]["event_ids"]) == 25  # the batch that found the token refused
    assert all(len(r["event_ids"]) <= PROBE_EVENTS for r in refused[1:])  # then small probes
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "PAUSED" in errors[0].getMessage()
    assert all(SIMULATOR_TOKEN not in r.getMessage() for r in caplog.records)
    assert accepted(simulator) == Counter(ids)
    for event_id in ids:  # a pause writes no history row per event
        assert [e.status for e in queue.history(event_id)] == ["queued", "delivered"]


def test_events_older_than_pinterest_accepts_expire_without_being_sent(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path, expire_after_days=7.0)
    queue = queue_factory(settings)
    enqueue(queue, ["old"], event_time=int(time.time() - 8 * 86_400))
    harness = Harness(settings, queue, simulator)

    harness.drive(lambda: harness.counts() == {"expired": 1})

    assert sum(simulator.stats()["requests"].values()) == 0
    [entry] = [e for e in queue.history("old") if e.status == "expired"]
    assert entry.message is not None
    assert "expire_after_days" in entry.message


class _StopWhenSending:
    """The real client; the first ``send`` also asks the service to stop."""

    def __init__(self, client: PinterestClient, stop_requested: list[bool]) -> None:
        self._client = client
        self._stop_requested = stop_requested

    async def send_answered(self, ad_account_id: str, events: Sequence[bytes]) -> list[Answered]:
        self._stop_requested.append(True)
        return await self._client.send_answered(ad_account_id, events)

    async def aclose(self) -> None:
        await self._client.aclose()


def test_stopping_finishes_the_batch_in_flight(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path, workers=1)
    queue = queue_factory(settings)
    ids = [f"inflight-{n}" for n in range(8)]
    enqueue(queue, ids)
    simulator.configure(latency_ms=400)
    sending: list[bool] = []
    harness = Harness(settings, queue, simulator, wrap=lambda c: _StopWhenSending(c, sending))

    harness.drive(lambda: bool(sending))  # stop is set while the batch is in flight

    assert harness.counts() == {"delivered": 8}
    assert accepted(simulator) == Counter(ids)


def test_a_send_slower_than_the_lease_is_not_sent_twice(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path, lease_seconds=0.6, workers=3)
    queue = queue_factory(settings)
    ids = [f"slow-{n}" for n in range(6)]
    enqueue(queue, ids)
    simulator.configure(latency_ms=2000)
    harness = Harness(settings, queue, simulator)

    harness.drive(lambda: harness.counts() == {"delivered": 6})

    assert accepted(simulator) == Counter(ids)


def test_a_row_lost_to_another_worker_mid_send_does_not_cost_the_rest_their_outcomes(
    tmp_path: Path,
    simulator: SimulatorProcess,
    queue_factory: Callable[[Settings], Queue],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(tmp_path, lease_seconds=0.3, workers=1)
    queue = queue_factory(settings)
    ids = [f"kept-{n}" for n in range(5)]
    enqueue(queue, ids)
    stolen: list[str] = []

    class StealsOneRowWhileSending:
        """After the first send, another node takes one row (its lease seen as expired)."""

        def __init__(self, client: PinterestClient) -> None:
            self._client = client

        async def send_answered(self, account: str, events: Sequence[bytes]) -> list[Answered]:
            results = await self._client.send_answered(account, events)
            if not stolen:
                thief = queue.lease(
                    time.time() + 1000, max_events=1, max_bytes=1 << 20, lease_seconds=1000
                )
                assert thief is not None
                stolen.append(thief.events[0].event_id)
                await asyncio.sleep(0.3)  # the heartbeat extends what is left of the lease
            return results

        async def aclose(self) -> None:
            await self._client.aclose()

    harness = Harness(settings, queue, simulator, wrap=StealsOneRowWhileSending)
    with caplog.at_level(logging.WARNING, logger="pinbridge.delivery"):
        harness.drive(lambda: harness.counts().get("delivered", 0) == 4)

    assert accepted(simulator) == Counter(ids)  # each sent once: no outcome was lost
    assert harness.counts() == {"delivered": 4, "queued": 1}  # the stolen row is the thief's
    assert [e.status for e in queue.history(stolen[0])] == ["queued"]
    assert "queue error" not in caplog.text


def _after(seconds: float) -> Callable[[], bool]:
    """A condition that holds once ``seconds`` have passed since its first check."""
    started: list[float] = []

    def passed() -> bool:
        started.append(time.monotonic())
        return started[-1] - started[0] >= seconds

    return passed


def test_while_a_destination_is_paused_new_events_wait_without_being_sent(
    tmp_path: Path, simulator: SimulatorProcess, queue_factory: Callable[[Settings], Queue]
) -> None:
    settings = make_settings(tmp_path, pause_seconds=60.0)
    queue = queue_factory(settings)
    enqueue(queue, ["first"])
    simulator.configure(tokens=["a-different-token"])
    harness = Harness(settings, queue, simulator)

    def more_events_arrive() -> bool:
        enqueue(queue, ["later-1", "later-2"])
        return True

    harness.drive(
        lambda: "default" in queue.pauses(),
        more_events_arrive,
        _after(1.5),  # several polls: nothing may be leased meanwhile
    )

    assert simulator.stats()["requests"]["401"] == 1
    assert harness.counts() == {"queued": 3}
    assert "HTTP 401" in queue.pauses()["default"].reason
    assert [e.status for e in queue.history("later-1")] == ["queued"]
    assert [e.status for e in queue.history("first")] == ["queued"]


class _RefusesToRecord:
    """The real queue, except that recording outcomes fails ``failures`` times first, as
    when its disk is full or its database unreachable just after Pinterest answered."""

    def __init__(self, queue: Queue, failures: int) -> None:
        self._queue = queue
        self.failures = failures

    def complete(self, *args: Any, **kwargs: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise QueueUnavailable("the queue's disk is full (simulated by the test)")
        self._queue.complete(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


def test_an_outcome_that_cannot_be_recorded_is_kept_not_sent_again(
    tmp_path: Path,
    simulator: SimulatorProcess,
    queue_factory: Callable[[Settings], Queue],
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(tmp_path, lease_seconds=0.6, workers=2)
    real = queue_factory(settings)
    ids = [f"kept-answer-{n}" for n in range(8)]
    enqueue(real, ids)
    flaky = _RefusesToRecord(real, failures=6)  # ~3 s of refusals: the lease would expire
    harness = Harness(settings, flaky, simulator)

    with caplog.at_level(logging.WARNING, logger="pinbridge.delivery"):
        harness.drive(lambda: harness.counts() == {"delivered": 8})

    assert flaky.failures == 0
    assert accepted(simulator) == Counter(ids)  # each sent exactly once
    assert "cannot be recorded" in caplog.text
