"""In-process retries for one-shot senders (``pinbridge send``): no queue, just a loop.

Only the events whose outcome is ``Transient`` are sent again, after
:func:`~pinbridge.delivery.backoff.backoff_delay` (at least the longest Retry-After
Pinterest asked for), up to ``max_attempts`` sends in all. An ``AccountRefused`` ends the
loop: every event still waiting gets that outcome, so the caller can stop and say why.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from pinbridge.delivery.backoff import backoff_delay
from pinbridge.delivery.outcomes import EventOutcome, Transient, first_refusal

__all__ = ["Sender", "deliver_with_retries"]

_log = logging.getLogger(__name__)
_MAX_GROUPS = 32


class Sender(Protocol):
    """What the loop needs of a client: :meth:`PinterestClient.send`."""

    async def send(self, ad_account_id: str, events: Sequence[bytes]) -> list[EventOutcome]: ...


async def deliver_with_retries(
    client: Sender,
    ad_account_id: str,
    events: Sequence[bytes],
    *,
    max_attempts: int,
    base: float,
    cap: float,
    rng: random.Random,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> list[EventOutcome]:
    """Send ``events`` until each has a final outcome or attempts run out; same order.

    The result holds ``Processed``, ``Rejected`` and ``AccountRefused`` outcomes, and
    ``Transient`` ones (the last reason) for events still unanswered after ``max_attempts``.
    """
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be 1 or more, not {max_attempts}")
    if not events:
        return []
    outcomes: list[EventOutcome] = [Transient("not sent yet")] * len(events)
    groups = [list(range(len(events)))]
    for attempt in range(max_attempts):
        pending = [i for group in groups for i in group]
        if attempt:
            delay = backoff_delay(
                attempt - 1,
                base=base,
                cap=cap,
                rng=rng,
                retry_after=_longest_wait(outcomes, pending),
            )
            _log.info(
                "retrying %d events in %.1f s (attempt %d of %d)",
                len(pending),
                delay,
                attempt + 1,
                max_attempts,
            )
            await sleep(delay)
        next_groups: list[list[int]] = []
        for group in groups:
            answers = await client.send(ad_account_id, [events[i] for i in group])
            for index, outcome in zip(group, answers, strict=True):
                outcomes[index] = outcome
            refused = first_refusal(answers)
            if refused is not None:
                for index in pending:
                    if isinstance(outcomes[index], Transient):
                        outcomes[index] = refused
                return outcomes
            next_groups += _transient_runs(group, outcomes)
        groups = _bounded(next_groups)
        if not groups:
            break
    return outcomes


def _transient_runs(group: Sequence[int], outcomes: Sequence[EventOutcome]) -> list[list[int]]:
    """The events of ``group`` still Transient, as runs of neighbours with the same outcome.

    Neighbours with the same outcome were most likely answered by one request (a half the
    client split off), so resending each run alone continues the split where it stopped
    instead of starting it over from the whole batch.
    """
    runs: list[list[int]] = []
    previous: EventOutcome | None = None
    for index in group:
        outcome = outcomes[index]
        if not isinstance(outcome, Transient):
            previous = None
            continue
        if previous is not None and outcome == previous:
            runs[-1].append(index)
        else:
            runs.append([index])
        previous = outcome
    return runs


def _bounded(groups: list[list[int]]) -> list[list[int]]:
    """The groups, or all their events in one when they are too many small pieces (an
    answer that failed event by event), so a round never turns into a request per event."""
    if len(groups) <= _MAX_GROUPS:
        return groups
    return [[index for group in groups for index in group]]


def _longest_wait(outcomes: Sequence[EventOutcome], pending: Sequence[int]) -> float | None:
    waits = [
        outcome.retry_after
        for outcome in (outcomes[i] for i in pending)
        if isinstance(outcome, Transient) and outcome.retry_after is not None
    ]
    return max(waits, default=None)
