"""The PostgreSQL backend's statements for the operator console's reads.

Entries are listed newest first through an index per filter, each ordered by id; an
event_id prefix is a range of the bytewise (``COLLATE "C"``) event_id index, so it is one
index range whatever the database's collation. These statements are run unprepared, so
that each is planned for its actual values (a generic plan cannot know how selective a
status or a prefix is).
"""

from __future__ import annotations

from typing import Any

from pinbridge.queue import tallies as per_minute
from pinbridge.queue.reading import DEAD_LETTER_COLUMNS, SUMMARY_COLUMNS, prefix_range
from pinbridge.queue.schema import FINAL

__all__ = [
    "DEAD_LETTER_GROUPS",
    "DEAD_LETTER_GROUPS_OF",
    "ENTRY",
    "ENTRY_ATTEMPTS",
    "LAST_DELIVERY",
    "LAST_DELIVERY_OF",
    "LATENCIES",
    "LATENCIES_OF",
    "TALLIES",
    "TALLIES_OF",
    "entries_query",
]

_BYTEWISE_ID = 'event_id COLLATE "C"'

ENTRY = f"""
SELECT {SUMMARY_COLUMNS}, payload, warnings FROM pinbridge_events
WHERE {_BYTEWISE_ID} = %(event_id)s ORDER BY id DESC LIMIT 1
"""  # noqa: S608 - fixed names

ENTRY_ATTEMPTS = """
SELECT at, http_status, message, batch_size FROM pinbridge_attempts
WHERE row_id = %(row_id)s ORDER BY at, id
"""


def entries_query(
    *,
    status: str | None,
    event_name: str | None,
    destination: str | None,
    event_id_prefix: str | None,
    limit: int,
) -> tuple[str, dict[str, Any]]:
    """The statement listing the newest entries that pass the filters given, and its
    parameters."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    for column, value in (
        ("status", status),
        ("event_name", event_name),
        ("destination", destination),
    ):
        if value is not None:
            where.append(f"{column} = %({column})s")
            params[column] = value
    if event_id_prefix:
        low, high = prefix_range(event_id_prefix)
        where.append(f"{_BYTEWISE_ID} >= %(low)s")
        params["low"] = low
        if high is not None:
            where.append(f"{_BYTEWISE_ID} < %(high)s")
            params["high"] = high
    condition = f"WHERE {' AND '.join(where)} " if where else ""
    statement = (
        f"SELECT {SUMMARY_COLUMNS} FROM pinbridge_events {condition}"  # noqa: S608 - fixed names
        "ORDER BY id DESC LIMIT %(limit)s"
    )
    return statement, params


def _groups(narrow: str) -> str:
    return f"""
SELECT g.reason, g.n, g.first_seen, g.last_seen, {DEAD_LETTER_COLUMNS}
FROM (
    SELECT COALESCE(message, '') AS reason, COUNT(*) AS n, MIN(updated_at) AS first_seen,
        MAX(updated_at) AS last_seen, MAX(id) AS sample
    FROM pinbridge_events WHERE status = 'failed'{narrow}
    GROUP BY COALESCE(message, '') ORDER BY n DESC, last_seen DESC, reason LIMIT %(limit)s
) g JOIN pinbridge_events ON id = g.sample
ORDER BY g.n DESC, g.last_seen DESC, g.reason
"""  # noqa: S608 - fixed names


DEAD_LETTER_GROUPS = _groups("")
DEAD_LETTER_GROUPS_OF = _groups(" AND destination = %(destination)s")

TALLIES = per_minute.read_statement("%s", by_destination=False)
TALLIES_OF = per_minute.read_statement("%s", by_destination=True)

LATENCIES = f"""
SELECT updated_at - enqueued_at FROM pinbridge_events
WHERE {FINAL} AND status = 'delivered' AND updated_at >= %(since)s
ORDER BY updated_at DESC LIMIT %(limit)s
"""  # noqa: S608 - constant predicate

LATENCIES_OF = """
SELECT updated_at - enqueued_at FROM pinbridge_events
WHERE status = 'delivered' AND destination = %(destination)s AND updated_at >= %(since)s
ORDER BY updated_at DESC LIMIT %(limit)s
"""

# Each destination with delivered entries, found by skipping through the delivered index
# (one seek per destination), then the latest delivery of each.
LAST_DELIVERY = """
WITH RECURSIVE names(name) AS (
    SELECT (SELECT destination FROM pinbridge_events WHERE status = 'delivered'
            ORDER BY destination LIMIT 1)
    UNION ALL
    SELECT (SELECT destination FROM pinbridge_events WHERE status = 'delivered'
            AND destination > names.name ORDER BY destination LIMIT 1)
    FROM names WHERE names.name IS NOT NULL
)
SELECT MAX((SELECT MAX(updated_at) FROM pinbridge_events
            WHERE status = 'delivered' AND destination = names.name))
FROM names WHERE names.name IS NOT NULL
"""

LAST_DELIVERY_OF = """
SELECT MAX(updated_at) FROM pinbridge_events
WHERE status = 'delivered' AND destination = %(destination)s
"""
