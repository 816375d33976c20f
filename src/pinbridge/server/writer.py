"""Group commit: one writer per process puts every request waiting at that moment into one
transaction, and answers each only after that transaction committed.

A durable ``202`` costs one commit (an fsync on SQLite, a WAL flush on PostgreSQL). Under
load many requests arrive while one commit is under way; instead of queueing for a commit
each, they wait together for the next one, so the cost of a commit is shared by all of them
and the answers still leave only once their events are on disk. With one request at a time,
nothing waits: the writer starts as soon as a request arrives.

Requests are written in arrival order, as one ``enqueue`` call, so an event repeated by a
later request of the same group is that request's ``duplicate``, exactly as if the requests
had been written one after the other. When the group would overflow ``max_depth``, each
request is written on its own, so that only the requests that do not fit get ``QueueFull``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pinbridge.queue import Queue
from pinbridge.queue.records import EnqueueResult, NewEvent, QueueFull, Tally

__all__ = ["GroupWriter"]

_log = logging.getLogger("pinbridge.server.writer")


@dataclass
class _Request:
    events: Sequence[NewEvent]
    tallies: Sequence[Tally]
    answer: asyncio.Future[list[EnqueueResult]] | None = field(default=None)


class GroupWriter:
    """Writes the events and tallies of concurrent requests in shared transactions."""

    def __init__(self, queue: Queue, clock: Callable[[], float]) -> None:
        self._queue = queue
        self._clock = clock
        self._waiting: list[_Request] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the writer (from within the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pinbridge-writer")

    async def stop(self) -> None:
        """Write what is waiting, then stop."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._waiting:
            await self._write_group()

    async def enqueue(
        self, events: Sequence[NewEvent], tallies: Sequence[Tally]
    ) -> list[EnqueueResult]:
        """Store ``events`` (and add ``tallies``) with the next commit; their results."""
        answer: asyncio.Future[list[EnqueueResult]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Request(events, tallies, answer))
        self._wake.set()
        return await answer

    def add_tallies(self, tallies: Sequence[Tally]) -> None:
        """Add counts with the next commit, without waiting for it (console statistics
        only: corrections for duplicates, counts of requests that stored nothing)."""
        if tallies:
            self._waiting.append(_Request((), tallies))
            self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._write_group()

    async def _write_group(self) -> None:
        group, self._waiting = self._waiting, []
        if not group:
            return
        try:
            answers = await asyncio.to_thread(self._write, group)
        except Exception as exc:  # every request of the group gets the error (503/507)
            for request in group:
                _settle(request, exc)
            if any(request.answer is None for request in group):  # nobody else will say it
                _log.warning("console counts could not be written: %s", exc)
            return
        for request, answer in zip(group, answers, strict=True):
            _settle(request, answer)

    def _write(self, group: list[_Request]) -> list[list[EnqueueResult] | BaseException]:
        now = self._clock()
        events = [event for request in group for event in request.events]
        tallies = [tally for request in group for tally in request.tallies]
        try:
            if events:
                results = self._queue.enqueue(events, now, tallies)
            else:
                self._queue.record_tallies(tallies, now)
                results = []
        except QueueFull:
            return [self._write_alone(request, now) for request in group]
        answers: list[list[EnqueueResult] | BaseException] = []
        start = 0
        for request in group:
            answers.append(results[start : start + len(request.events)])
            start += len(request.events)
        return answers

    def _write_alone(self, request: _Request, now: float) -> list[EnqueueResult] | BaseException:
        try:
            if request.events:
                return self._queue.enqueue(request.events, now, request.tallies)
            self._queue.record_tallies(request.tallies, now)
            return []
        except Exception as exc:
            return exc


def _settle(request: _Request, outcome: list[EnqueueResult] | BaseException) -> None:
    answer = request.answer
    if answer is None or answer.done():  # counts only, or the client went away
        return
    if isinstance(outcome, BaseException):
        answer.set_exception(outcome)
    else:
        answer.set_result(outcome)
