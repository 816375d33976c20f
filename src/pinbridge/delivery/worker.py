"""The delivery workers: lease a batch, send it, record each event's outcome.

``settings.delivery.workers`` loops run concurrently in one process; several processes may
share one queue (PostgreSQL). A batch is acknowledged only after Pinterest's answer for each
of its events is known, so an event is sent again only when an attempt's outcome could not
be known (a timeout, or a process killed after sending); it then carries the same event_id,
which Pinterest deduplicates. While a send is in flight the lease is extended in the
background, so a slow batch (timeouts, splits on 400) is never taken by a second worker.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence

from pinbridge.config import Settings
from pinbridge.delivery import (
    EventOutcome,
    PinterestClient,
    Processed,
    Rejected,
    Transient,
)
from pinbridge.delivery.outcome_policy import RetryPolicy, expired_outcome, queue_outcome
from pinbridge.metrics import Metrics
from pinbridge.queue import Queue
from pinbridge.queue.records import (
    Delivered,
    Failed,
    Lease,
    LeasedEvent,
    Outcome,
    Paused,
)
from pinbridge.queue.rules import change_for

__all__ = ["DeliveryService", "response_observer"]

_log = logging.getLogger("pinbridge.delivery")

_MIN_POLL = 0.05
_MAX_POLL = 1.0
_MAX_ERROR_PAUSE = 30.0


def response_observer(metrics: Metrics) -> Callable[[str, float], None]:
    """A ``PinterestClient`` observer counting every HTTP answer in ``pinterest_responses``."""

    def observe(status: str, _seconds: float) -> None:
        metrics.pinterest_responses.labels(status).inc()

    return observe


class DeliveryService:
    """Runs the delivery loops of one process until asked to stop."""

    def __init__(
        self,
        settings: Settings,
        queue: Queue,
        client: PinterestClient,
        metrics: Metrics,
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._delivery = settings.delivery
        self._lease_seconds = settings.queue.lease_seconds
        self._queue = queue
        self._client = client
        self._metrics = metrics
        self._clock = clock
        self._rng = rng or random.Random()
        self._policy = RetryPolicy.from_settings(settings.delivery)
        self._pauses: dict[str, Paused] = {}
        self._poll = min(_MAX_POLL, max(_MIN_POLL, self._delivery.batch_max_age_seconds / 4))

    def paused_accounts(self) -> dict[str, str]:
        """Ad accounts whose token Pinterest refused, with the reason; cleared on a success."""
        return {account: pause.message for account, pause in self._pauses.items()}

    async def run(self, stop: asyncio.Event) -> None:
        """Run the loops until ``stop`` is set; returns once their in-flight batches are done."""
        async with asyncio.TaskGroup() as group:
            for number in range(self._delivery.workers):
                group.create_task(self._loop(stop), name=f"pinbridge-delivery-{number}")

    async def _loop(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                lease = await asyncio.to_thread(
                    self._queue.lease,
                    self._clock(),
                    max_events=self._delivery.batch_max_events,
                    max_bytes=self._delivery.batch_max_bytes,
                    lease_seconds=self._lease_seconds,
                    min_age=self._delivery.batch_max_age_seconds,
                )
                if lease is not None:
                    await self._deliver(lease)
                failures = 0
            except Exception as exc:
                failures += 1
                wait = min(_MAX_ERROR_PAUSE, 0.5 * 2**failures)
                _log.warning(
                    "delivery loop: queue error (%s: %s); trying again in %.1f s",
                    type(exc).__name__,
                    exc,
                    wait,
                )
                await _sleep_unless(stop, wait)
                continue
            if lease is None:
                await _sleep_unless(stop, self._poll)

    async def _deliver(self, lease: Lease) -> None:
        """Decide, send and record one leased batch."""
        now = self._clock()
        outcomes: dict[int, Outcome] = {}
        to_send: list[LeasedEvent] = []
        for event in lease.events:
            expired = expired_outcome(event.event_time, now, self._policy)
            if expired is not None:
                outcomes[event.row_id] = expired
            else:
                to_send.append(event)
        pause = self._pauses.get(lease.ad_account_id)
        if to_send and pause is not None and now < pause.next_attempt_at:
            for event in to_send:
                outcomes[event.row_id] = pause
            to_send = []
        if to_send:
            results = await self._send(lease, to_send)
            now = self._clock()
            decided = [
                queue_outcome(
                    result,
                    previous_attempts=event.attempts,
                    now=now,
                    policy=self._policy,
                    rng=self._rng,
                )
                for event, result in zip(to_send, results, strict=True)
            ]
            for event, outcome in zip(to_send, decided, strict=True):
                outcomes[event.row_id] = outcome
            self._note_account(lease.ad_account_id, results, decided, now)
        await asyncio.to_thread(self._queue.complete, lease, outcomes, self._clock())
        self._count(lease.events, outcomes)

    async def _send(self, lease: Lease, events: Sequence[LeasedEvent]) -> list[EventOutcome]:
        """Send ``events``, extending the lease while the answer is awaited.

        The caller completes with the lease it leased: the queue matches rows by the lease's
        token, which extending keeps, and leaves alone any row another worker took meanwhile.
        """
        done = asyncio.Event()
        heartbeat = asyncio.create_task(self._keep_leased(lease, done))
        try:
            results: list[EventOutcome] = list(
                await self._client.send(lease.ad_account_id, [e.payload for e in events])
            )
        except Exception as exc:  # the client never raises for HTTP trouble: this is a bug
            _log.exception("delivery: sending a batch of %d events failed", len(events))
            reason = f"unexpected error while sending: {type(exc).__name__}"
            results = [Transient(reason=reason, retry_after=None, ambiguous=True) for _ in events]
        finally:
            done.set()
            await heartbeat
        if len(results) != len(events):  # pragma: no cover - a client bug; never lose events
            reason = f"client returned {len(results)} outcomes for {len(events)} events"
            results = [Transient(reason=reason, retry_after=None, ambiguous=True) for _ in events]
        return results

    async def _keep_leased(self, lease: Lease, done: asyncio.Event) -> None:
        """Extend ``lease`` every third of ``lease_seconds`` until ``done`` is set."""
        interval = self._lease_seconds / 3
        while not await _wait_for(done, interval):
            try:
                lease = await asyncio.to_thread(
                    self._queue.extend, lease, self._clock(), self._lease_seconds
                )
            except Exception as exc:
                _log.warning(
                    "delivery: could not extend the lease of a batch (%s: %s); "
                    "another worker may send it again after it expires",
                    type(exc).__name__,
                    exc,
                )

    def _note_account(
        self,
        account: str,
        results: Sequence[EventOutcome],
        decided: Sequence[Outcome],
        now: float,
    ) -> None:
        """Pause the account on a refused token (said loudly, once); resume on a success.

        The pause is the ``Paused`` the policy decided for the first refused event, so its
        time and reason are built in one place (``queue_outcome``).
        """
        pause = next((o for o in decided if isinstance(o, Paused)), None)
        if pause is not None:
            if account not in self._pauses:
                _log.error(
                    "delivery for ad account %s is PAUSED: %s. Events are kept and retried every "
                    "%g s; fix [pinterest] access_token (or PINBRIDGE_ACCESS_TOKEN) and check the "
                    "token's ad account access",
                    account,
                    pause.message,
                    self._policy.pause_seconds,
                )
            else:
                _log.warning(
                    "ad account %s is still refused; next try in %g s",
                    account,
                    pause.next_attempt_at - now,
                )
            self._pauses[account] = pause
        elif account in self._pauses and any(isinstance(r, Processed | Rejected) for r in results):
            del self._pauses[account]
            _log.warning("delivery for ad account %s resumed: Pinterest accepts the token", account)

    def _count(self, events: Sequence[LeasedEvent], outcomes: dict[int, Outcome]) -> None:
        now = self._clock()
        for event in events:
            outcome = outcomes.get(event.row_id)
            if outcome is None:
                continue
            self._metrics.events.labels(change_for(outcome).status, event.event_name).inc()
            if isinstance(outcome, Delivered | Failed):
                self._metrics.delivery_latency.observe(max(0.0, now - event.enqueued_at))


async def _wait_for(event: asyncio.Event, seconds: float) -> bool:
    """True once ``event`` is set; False when ``seconds`` pass first."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    await _wait_for(stop, seconds)
