"""The delivery workers: lease a batch of one destination, send it, record each outcome.

``settings.delivery.workers`` loops run concurrently in one process; several processes may
share one queue (PostgreSQL). A batch is acknowledged only after Pinterest's answer for each
of its events is known. While a send is in flight the lease is extended in the background,
so a slow batch (timeouts, splits on 400) is never taken by a second worker. When the answer
is known but cannot be recorded (the queue's disk is full, its database unreachable), the
outcomes are kept in memory and recording is retried, the lease still extended, so the batch
is not sent again; it is sent again only when the outcome could not be known (a timeout) or
the process died before recording it. See docs/delivery.md.

A refused token pauses the destination for every node (the pause lives in the queue): its
events are left as they are, and one small probe batch is tried per ``pause_seconds`` until
Pinterest accepts the token again or a reload brings a new one.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from pinbridge.config import Settings
from pinbridge.delivery.outcome_policy import RetryPolicy, expired_outcome, queue_outcome
from pinbridge.delivery.outcomes import Answered, Processed, Rejected, Transient
from pinbridge.delivery.targets import Connect, Target, Targets
from pinbridge.metrics import Metrics
from pinbridge.queue import Queue
from pinbridge.queue.records import (
    Attempt,
    Delivered,
    Failed,
    Lease,
    LeasedEvent,
    Outcome,
    Paused,
    PauseState,
    Retrying,
    Tally,
)
from pinbridge.queue.rules import change_for

__all__ = ["PROBE_EVENTS", "DeliveryService", "response_observer"]

PROBE_EVENTS = 10
"""Events in the one batch that tests a paused destination's token per pause interval."""

_log = logging.getLogger("pinbridge.delivery")

_MIN_POLL = 0.05
_MAX_POLL = 1.0
_MAX_ERROR_PAUSE = 2.0
_PAUSES_FRESH_FOR = 1.0
_RECORD_RETRY_SECONDS = 0.5


def response_observer(metrics: Metrics, destination: str) -> Callable[[str, float], None]:
    """A ``PinterestClient`` observer counting every HTTP answer in ``pinterest_responses``."""
    counter = metrics.pinterest_responses

    def observe(status: str, _seconds: float) -> None:
        counter.labels(status, destination).inc()

    return observe


class DeliveryService:
    """Runs the delivery loops of one process until asked to stop."""

    def __init__(
        self,
        settings: Settings,
        queue: Queue,
        metrics: Metrics,
        *,
        connect: Connect,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self._delivery = settings.delivery
        self._lease_seconds = settings.queue.lease_seconds
        self._queue = queue
        self._targets = Targets(settings, connect)
        self._metrics = metrics
        self._clock = clock
        self._rng = rng or random.Random()
        self._policy = RetryPolicy.from_settings(settings.delivery)
        self._pauses: dict[str, PauseState] = {}
        self._pauses_read_at = float("-inf")
        self._unknown: set[str] = set()
        self._unrecorded: dict[int, Outcome] = {}
        self._stop = asyncio.Event()
        self._poll = min(_MAX_POLL, max(_MIN_POLL, self._delivery.batch_max_age_seconds / 4))

    async def run(self, stop: asyncio.Event) -> None:
        """Run the loops until ``stop`` is set; returns once their in-flight batches are done."""
        self._stop = stop
        try:
            async with asyncio.TaskGroup() as group:
                for number in range(self._delivery.workers):
                    group.create_task(self._loop(stop), name=f"pinbridge-delivery-{number}")
        finally:
            await self._targets.aclose()

    async def reconfigure(self, settings: Settings) -> None:
        """Deliver with a reloaded configuration: new tokens, accounts and destinations apply
        to the next batch, and every pause ends (the new token gets its chance at once).
        ``[delivery]`` and ``[queue]`` changes wait for a restart."""
        await self._targets.reconfigure(settings)
        self._unknown.clear()
        for name in list(await asyncio.to_thread(self._queue.pauses)):
            if await asyncio.to_thread(self._queue.resume, name):
                _log.warning(
                    "delivery to destination %s resumed: the configuration was reloaded", name
                )
        self._pauses = {}
        self._pauses_read_at = float("-inf")

    async def _loop(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            try:
                lease, probe = await self._next_lease()
                if lease is not None:
                    await self._deliver(lease, probe=probe)
                failures = 0
            except Exception as exc:
                failures += 1
                wait = min(_MAX_ERROR_PAUSE, 0.125 * 2**failures)
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

    async def _current_pauses(self, now: float) -> Mapping[str, PauseState]:
        if now - self._pauses_read_at >= _PAUSES_FRESH_FOR:
            self._pauses = await asyncio.to_thread(self._queue.pauses)
            self._pauses_read_at = now
        return self._pauses

    async def _next_lease(self) -> tuple[Lease | None, bool]:
        """A probe batch of a paused destination whose interval is up, else a normal batch
        of the destinations that are not paused; whether it is a probe."""
        now = self._clock()
        pauses = await self._current_pauses(now)
        for name, pause in pauses.items():
            if pause.until > now or self._targets.get(name) is None:
                continue
            until = now + self._policy.pause_seconds
            if await asyncio.to_thread(self._queue.claim_probe, name, now, until):
                pauses_now = dict(self._pauses)
                pauses_now[name] = PauseState(pause.reason, pause.since, until)
                self._pauses = pauses_now
                probe = await asyncio.to_thread(
                    self._queue.lease,
                    now,
                    max_events=PROBE_EVENTS,
                    max_bytes=self._delivery.batch_max_bytes,
                    lease_seconds=self._lease_seconds,
                    only=name,
                )
                if probe is not None:
                    return probe, True
        lease = await asyncio.to_thread(
            self._queue.lease,
            now,
            max_events=self._delivery.batch_max_events,
            max_bytes=self._delivery.batch_max_bytes,
            lease_seconds=self._lease_seconds,
            min_age=self._delivery.batch_max_age_seconds,
            exclude=(*pauses, *self._unknown),
        )
        return lease, False

    async def _deliver(self, lease: Lease, *, probe: bool) -> None:
        """Decide, send and record one leased batch."""
        target = self._targets.get(lease.destination)
        if target is None:
            self._unknown.add(lease.destination)
            _log.warning(
                "events are queued for destination %s, which is not configured; they wait "
                "until it is configured again (then reload)",
                lease.destination,
            )
            await asyncio.to_thread(self._queue.complete, lease, {}, self._clock())
            return
        now = self._clock()
        outcomes: dict[int, Outcome] = {}
        to_send: list[LeasedEvent] = []
        for event in lease.events:
            known = self._unrecorded.get(event.row_id) or expired_outcome(
                event.event_time, now, self._policy
            )
            if known is not None:
                outcomes[event.row_id] = known
            else:
                to_send.append(event)
        attempts: dict[int, Attempt] = {}
        if to_send:
            sent_at = self._clock()
            async with self._targets.holding(target):
                answers = await self._send(lease, target, to_send)
            now = self._clock()
            refusal: Paused | None = None
            for event, answer in zip(to_send, answers, strict=True):
                attempts[event.row_id] = Attempt(
                    sent_at, answer.http_status, answer.message, answer.batch_size
                )
                outcome = queue_outcome(
                    answer.outcome,
                    previous_attempts=event.attempts,
                    now=now,
                    policy=self._policy,
                    rng=self._rng,
                )
                if isinstance(outcome, Paused):
                    refusal = refusal or outcome  # the event stays as it is
                else:
                    outcomes[event.row_id] = outcome
            await self._note_destination(target, refusal, answers, now, probe=probe)
        tallies = _tallies(lease, attempts)
        await self._record(lease, outcomes, attempts, tallies)
        self._count(lease, outcomes)
        _log_batch(lease.destination, len(to_send), outcomes)

    async def _send(
        self, lease: Lease, target: Target, events: Sequence[LeasedEvent]
    ) -> list[Answered]:
        """Send ``events``, extending the lease while the answer is awaited."""
        done = asyncio.Event()
        heartbeat = asyncio.create_task(self._keep_leased(lease, done))
        try:
            answers = list(
                await target.sender.send_answered(target.ad_account_id, [e.payload for e in events])
            )
        except Exception as exc:  # the client never raises for HTTP trouble: this is a bug
            _log.exception("delivery: sending a batch of %d events failed", len(events))
            answers = _unknown(f"unexpected error while sending: {type(exc).__name__}", events)
        finally:
            done.set()
            await heartbeat
        if len(answers) != len(events):  # pragma: no cover - a client bug; never lose events
            answers = _unknown(f"client returned {len(answers)} outcomes for {len(events)}", events)
        return answers

    async def _record(
        self,
        lease: Lease,
        outcomes: dict[int, Outcome],
        attempts: Mapping[int, Attempt],
        tallies: Sequence[Tally],
    ) -> None:
        """Record ``outcomes``; while the queue cannot take them, keep them in memory, keep
        the lease and try again, so that the events are not sent a second time.

        During shutdown it gives up after ``lease_seconds`` (the events are then sent again
        once the lease expires, as after a crash)."""
        self._unrecorded.update(outcomes)
        done = asyncio.Event()
        heartbeat: asyncio.Task[None] | None = None
        gave_up_at: float | None = None
        try:
            while True:
                try:
                    await asyncio.to_thread(
                        self._queue.complete,
                        lease,
                        outcomes,
                        self._clock(),
                        attempts=attempts,
                        tallies=tallies,
                    )
                    return
                except Exception as exc:
                    if heartbeat is None:
                        _log.warning(
                            "delivery: Pinterest answered for %d events but the outcome cannot "
                            "be recorded (%s: %s); keeping it and trying again",
                            len(outcomes),
                            type(exc).__name__,
                            exc,
                        )
                        heartbeat = asyncio.create_task(self._keep_leased(lease, done))
                if self._stop.is_set():
                    gave_up_at = gave_up_at or time.monotonic() + self._lease_seconds
                    if time.monotonic() > gave_up_at:
                        _log.error(
                            "delivery: stopping with %d outcomes not recorded; those events "
                            "will be sent again after their lease expires",
                            len(outcomes),
                        )
                        return
                await asyncio.sleep(_RECORD_RETRY_SECONDS)
        finally:
            for row_id in outcomes:
                self._unrecorded.pop(row_id, None)
            done.set()
            if heartbeat is not None:
                await heartbeat

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
                    "another node may send it again after it expires",
                    type(exc).__name__,
                    exc,
                )

    async def _note_destination(
        self,
        target: Target,
        refusal: Paused | None,
        answers: Sequence[Answered],
        now: float,
        *,
        probe: bool,
    ) -> None:
        """Pause the destination on a refused token (said loudly once); resume on an answer."""
        name = target.name
        if refusal is not None:
            until = now + self._policy.pause_seconds
            await asyncio.to_thread(self._queue.pause, name, refusal.message, now, until)
            if name not in self._pauses:
                _log.error(
                    "delivery to destination %s (ad account %s) is PAUSED: %s. Events are kept "
                    "and one batch of at most %d is tried every %g s; fix the token (%s) and "
                    "reload (SIGHUP or POST /v1/reload)",
                    name,
                    target.ad_account_id,
                    refusal.message,
                    PROBE_EVENTS,
                    self._policy.pause_seconds,
                    "the destination's access_token",
                )
            else:
                _log.warning("destination %s is still refused; next try in %g s", name, until - now)
            self._pauses = {**self._pauses, name: PauseState(refusal.message, now, until)}
        elif (probe or name in self._pauses) and any(
            isinstance(a.outcome, Processed | Rejected) for a in answers
        ):
            if await asyncio.to_thread(self._queue.resume, name):
                _log.warning(
                    "delivery to destination %s resumed: Pinterest accepts the token", name
                )
            self._pauses = {k: v for k, v in self._pauses.items() if k != name}

    def _count(self, lease: Lease, outcomes: Mapping[int, Outcome]) -> None:
        now = self._clock()
        counted: Counter[tuple[str, str]] = Counter()
        observe = self._metrics.delivery_latency.observe
        for event in lease.events:
            outcome = outcomes.get(event.row_id)
            if outcome is None:
                continue
            counted[(change_for(outcome).status, event.event_name)] += 1
            if isinstance(outcome, Delivered | Failed):
                observe(max(0.0, now - event.enqueued_at))
        for (status, event_name), count in counted.items():
            self._metrics.events.labels(status, event_name, lease.destination).inc(count)


def _unknown(reason: str, events: Sequence[LeasedEvent]) -> list[Answered]:
    """Answers for events whose fate is unknown (a bug on our side): retried, never lost."""
    outcome = Transient(reason=reason, retry_after=None, ambiguous=True)
    return [Answered(outcome, None, len(events)) for _ in events]


def _tallies(lease: Lease, attempts: Mapping[int, Attempt]) -> list[Tally]:
    """The console's per-minute count of the events each HTTP status decided (``no answer``
    when none came); the queue counts the outcomes itself."""
    counts: Counter[tuple[str, str]] = Counter()
    for event in lease.events:
        attempt = attempts.get(event.row_id)
        if attempt is not None:
            status = "no answer" if attempt.http_status is None else str(attempt.http_status)
            counts[(event.event_name, status)] += 1
    return [
        Tally(lease.destination, name, "pinterest_status", status, count)
        for (name, status), count in counts.items()
    ]


def _log_batch(destination: str, sent: int, outcomes: Mapping[int, Outcome]) -> None:
    """One line per batch with its counts; a warning naming the reasons of its dead letters
    and of its retries (Pinterest's messages and causes, never event values)."""
    if not outcomes:
        return
    statuses = Counter(change_for(o).status for o in outcomes.values())
    _log.info(
        "batch recorded",
        extra={"destination": destination, "sent": sent, **dict(sorted(statuses.items()))},
    )
    failed = Counter(o.message for o in outcomes.values() if isinstance(o, Failed))
    _warn_reasons(failed, destination, "are dead letters", shown=5)
    retrying = Counter(o.message for o in outcomes.values() if isinstance(o, Retrying))
    _warn_reasons(retrying, destination, "will be retried", shown=3)


def _warn_reasons(reasons: Counter[str], destination: str, what: str, *, shown: int) -> None:
    """One warning naming the ``shown`` commonest reasons, when there are any."""
    if reasons:
        _log.warning(
            "%d events of destination %s %s: %s",
            sum(reasons.values()),
            destination,
            what,
            "; ".join(f"{reason} (x{count})" for reason, count in reasons.most_common(shown)),
        )


async def _wait_for(event: asyncio.Event, seconds: float) -> bool:
    """True once ``event`` is set; False when ``seconds`` pass first."""
    try:
        await asyncio.wait_for(event.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    await _wait_for(stop, seconds)
