"""Records turned into the parameters the PostgreSQL statements take: bulk work passes
parallel arrays (``unnest``), so that one round trip handles a whole batch."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from pinbridge.queue import tallies as per_minute
from pinbridge.queue.reading import attempt_values, warnings_text
from pinbridge.queue.records import Attempt, Lease, NewEvent, Outcome
from pinbridge.queue.rules import change_for, storable_text

__all__ = ["attempt_params", "choice", "complete_params", "enqueue_params", "tally_params"]


def enqueue_params(
    events: Sequence[NewEvent],
    firsts: Sequence[bool],
    counted: Mapping[per_minute.Key, int],
    *,
    now: float,
    expires_at: float,
) -> dict[str, Any]:
    """ENQUEUE's parameters (but the counter slot) for ``events`` (stored forms), of which
    those not first in the call are duplicates whatever is stored; ``counted`` holds the
    caller's tallies."""
    unique = [event for event, first in zip(events, firsts, strict=True) if first]
    key = functools.cache(per_minute.key)  # a batch repeats a few names: clean each once
    increments = dict(counted)
    for event, first in zip(events, firsts, strict=True):
        if not first:
            repeat = key(event.destination, event.event_name, "duplicate")
            increments[repeat] = increments.get(repeat, 0) + 1
    keys = [key(e.destination, e.event_name, "queued") for e in unique]

    @functools.cache
    def identifier_list(names: tuple[str, ...]) -> str:
        return orjson.dumps([key("", "", "identifier", name)[3] for name in names]).decode()

    return {
        "accounts": [e.ad_account_id for e in unique],
        "event_ids": [e.event_id for e in unique],
        "names": [e.event_name for e in unique],
        "times": [e.event_time for e in unique],
        "payloads": [e.payload for e in unique],
        "destinations": [e.destination for e in unique],
        "warnings": [warnings_text(e.warnings) for e in unique],
        "tally_destinations": [k[0] for k in keys],
        "tally_names": [k[1] for k in keys],
        "identifier_lists": [identifier_list(tuple(e.identifiers)) for e in unique],
        **tally_params(increments),
        "minute": per_minute.minute_of(now),
        "now": now,
        "expires_at": expires_at,
    }


def complete_params(
    lease: Lease, outcomes: Mapping[int, Outcome], attempts: Mapping[int, Attempt], now: float
) -> dict[str, Any]:
    """COMPLETE's (and LEASED_STATUSES') parameters."""
    changes = [(row_id, change_for(outcome)) for row_id, outcome in outcomes.items()]
    return {
        "ids": [row_id for row_id, _ in changes],
        "statuses": [change.status for _, change in changes],
        "deltas": [change.attempts_delta for _, change in changes],
        "next_ats": [change.next_attempt_at for _, change in changes],
        "messages": [change.message for _, change in changes],
        "rest": [e.row_id for e in lease.events if e.row_id not in outcomes],
        "token": lease.token,
        "now": now,
        **attempt_params(attempts),
    }


def tally_params(counted: Mapping[per_minute.Key, int]) -> dict[str, list[Any]]:
    """Merged tallies as the parallel arrays the statements unnest, in key order (so
    concurrent writers lock shared rows in the same order)."""
    rows = sorted((key, n) for key, n in counted.items() if n)
    return {
        "t_destinations": [key[0] for key, _ in rows],
        "t_names": [key[1] for key, _ in rows],
        "t_metrics": [key[2] for key, _ in rows],
        "t_details": [key[3] for key, _ in rows],
        "t_counts": [n for _, n in rows],
    }


def attempt_params(attempts: Mapping[int, Attempt]) -> dict[str, list[Any]]:
    """Attempts (keyed by row id) as the parallel arrays the statements unnest."""
    sends = attempt_values(attempts)
    return {
        "a_ids": [send[0] for send in sends],
        "a_ats": [send[1] for send in sends],
        "a_statuses": [send[2] for send in sends],
        "a_messages": [send[3] for send in sends],
        "a_sizes": [send[4] for send in sends],
    }


def choice(
    row_ids: Sequence[int] | None, destination: str | None, reason: str | None
) -> dict[str, Any]:
    """Which dead letters a replay or discard takes."""
    return {
        "ids": None if row_ids is None else [int(i) for i in row_ids],
        "destination": None if destination is None else storable_text(destination),
        "reason": None if reason is None else storable_text(reason),
    }
