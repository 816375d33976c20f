"""The SQLite backend's reads for a lease: which destination's events are ready, whether a
full batch waits, and the candidates of a batch. Every read goes through the
per-destination ready index (``destination, available_at, id`` over pending rows), named
with ``INDEXED BY`` where SQLite's planner would otherwise take the console's status index
and sort every pending event; so a poll costs the same whatever the backlog.
"""

from __future__ import annotations

import json
import sqlite3

from pinbridge.queue.rules import full_batch_source
from pinbridge.queue.schema import PENDING, destinations_cte

__all__ = ["candidates", "full_batch", "heads"]

# Every destination with pending events, one seek each in the ready index.
_DESTINATIONS = destinations_cte("INDEXED BY pinbridge_events_destination_ready")

# Each destination's oldest ready event.
_HEADS = f"""{_DESTINATIONS}
SELECT e.destination, e.ad_account_id, e.available_at
FROM destinations d JOIN pinbridge_events e ON e.id = (
    SELECT h.id FROM pinbridge_events h
    WHERE h.destination = d.name AND {PENDING} AND h.available_at <= :now
    ORDER BY h.destination, h.available_at, h.id LIMIT 1
)
WHERE d.name IS NOT NULL AND d.name NOT IN (SELECT value FROM json_each(:exclude))
ORDER BY e.available_at, e.id
"""  # noqa: S608 - constant predicate

_HEAD_OF = f"""
SELECT destination, ad_account_id, available_at FROM pinbridge_events
WHERE destination = :only AND {PENDING} AND available_at <= :now
ORDER BY destination, available_at, id LIMIT 1
"""  # noqa: S608 - constant predicate

# Young ready events per (destination, account): of each destination only the oldest
# max_events are read, so that a large backlog costs no more than a batch (see
# pinbridge.queue.rules.full_batches for when that is the whole answer).
_YOUNG = f"""{_DESTINATIONS}
SELECT d.name, e.ad_account_id, COUNT(*), SUM(e.size), MIN(e.available_at)
FROM destinations d JOIN pinbridge_events e ON e.id IN (
    SELECT h.id FROM pinbridge_events h INDEXED BY pinbridge_events_destination_ready
    WHERE h.destination = d.name AND {PENDING}
        AND h.available_at <= :now AND h.available_at > :young
    ORDER BY h.destination, h.available_at, h.id LIMIT :max_events
)
WHERE d.name IS NOT NULL AND d.name NOT IN (SELECT value FROM json_each(:exclude))
  AND (:only IS NULL OR d.name = :only)
GROUP BY d.name, e.ad_account_id
"""  # noqa: S608 - constant predicate

# Every young ready event of one destination, per account.
_YOUNG_OF = f"""
SELECT destination, ad_account_id, COUNT(*), SUM(size), MIN(available_at)
FROM pinbridge_events INDEXED BY pinbridge_events_destination_ready
WHERE destination = :only AND {PENDING} AND available_at <= :now AND available_at > :young
GROUP BY destination, ad_account_id
"""  # noqa: S608 - constant predicate


def heads(
    conn: sqlite3.Connection, now: float, exclude: str, only: str | None
) -> list[tuple[str, str, float]]:
    """Each destination's oldest ready event (destination, account, ready since), oldest
    first: only ``only`` when given, and none of the JSON list ``exclude``."""
    params = {"now": now, "exclude": exclude, "only": only}
    if only is None:
        rows = conn.execute(_HEADS, params).fetchall()
    elif only in json.loads(exclude):
        rows = []
    else:
        rows = conn.execute(_HEAD_OF, params).fetchall()
    return [(str(d), str(a), float(at)) for d, a, at in rows]


def full_batch(
    conn: sqlite3.Connection,
    now: float,
    *,
    min_age: float,
    max_events: int,
    max_bytes: int,
    exclude: str,
    only: str | None,
) -> tuple[str, str] | None:
    """A (destination, account) with a full batch ready (by count or bytes), when no
    destination's oldest ready event is old enough."""
    params = {
        "now": now,
        "young": now - min_age,
        "max_events": max_events,
        "exclude": exclude,
        "only": only,
    }
    return full_batch_source(
        conn.execute(_YOUNG, params).fetchall(),
        lambda destination: conn.execute(_YOUNG_OF, {**params, "only": destination}).fetchall(),
        max_events,
        max_bytes,
    )


def candidates(
    conn: sqlite3.Connection, destination: str, account: str, now: float, max_events: int
) -> list[tuple[int, int]]:
    """(id, size) of the first ``max_events`` ready events of one destination and account."""
    rows = conn.execute(
        "SELECT id, size FROM pinbridge_events WHERE destination = ? "  # noqa: S608 - constant predicate
        f"AND ad_account_id = ? AND {PENDING} AND available_at <= ? "
        "ORDER BY destination, available_at, id LIMIT ?",
        (destination, account, now, max_events),
    ).fetchall()
    return [(int(row_id), int(size)) for row_id, size in rows]
