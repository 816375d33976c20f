"""Fill a pinbridge queue with already-delivered events, fast, for bench/e2e.py's
"cost at N stored rows" case.

Bulk SQL straight into the tables that ``pinbridge serve`` created (run it once on the
queue first): ``rows`` entries in ``pinbridge_events``, delivered, of one ad account, with
the payload of a real mapped event, spread over the last 47 hours so that every one is
inside the 48 h dedup window (the worst case for the dedup index, and nothing for the
retention purge to remove when pinbridge starts); their ``delivered`` history entry in
``pinbridge_history`` (an entry's ``queued`` is its own row since schema 5); their keys in
``pinbridge_dedup``; and the
``delivered`` counter. One ``INSERT ... SELECT`` per table over a generated series, so no
row goes through Python.

The column lists come from the live tables (``PRAGMA table_info`` / information_schema), so
the prefill follows the schema as it changes: every column it knows gets a plausible value,
``destination`` (when present) gets ``'default'``, nullable columns and columns with a
default are left to the database, and any other ``NOT NULL`` column stops the prefill with
a message naming it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from pinbridge.queue.urls import postgres_target, sqlite_path

__all__ = ["PREFIX", "prefill"]

PREFIX = "prefill-"
_SPAN_SECONDS = 47 * 3600.0
_DEDUP_SECONDS = 48 * 3600.0

# Per table: the source of the rows and each known column's SQL expression over it.
# ``i`` counts 1..rows in the series; ``:name`` are parameters.
_EVENTS = {
    "ad_account_id": ":account",
    "event_id": f"'{PREFIX}' || i",
    "event_name": "CASE WHEN i % 2 = 0 THEN 'checkout' ELSE 'page_visit' END",
    "event_time": "CAST(:now - (:rows - i) * :step AS BIGINT)",
    "payload": ":payload",
    "size": ":size",
    "status": "'delivered'",
    "attempts": "1",
    "enqueued_at": ":now - (:rows - i) * :step",
    "next_attempt_at": ":now - (:rows - i) * :step",
    "available_at": ":now - (:rows - i) * :step",
    "updated_at": ":now - (:rows - i) * :step + 1",
    "destination": "'default'",
}
_HISTORY = {
    "row_id": "id",
    "event_id": "event_id",
    "status": ":status",
    "at": "enqueued_at + :delay",
    "attempts": ":attempts",
    "destination": "'default'",
}
_DEDUP = {
    "ad_account_id": "ad_account_id",
    "event_id": "event_id",
    "event_name": "event_name",
    "row_id": "id",
    "expires_at": f"enqueued_at + {_DEDUP_SECONDS}",
    "destination": "'default'",
}
_FROM_EVENTS = f"FROM pinbridge_events WHERE event_id LIKE '{PREFIX}%'"


class _Column:
    def __init__(self, name: str, required: bool) -> None:
        self.name = name
        self.required = required  # NOT NULL without a default (and not the row id)


def _pick(table: str, columns: list[_Column], known: dict[str, str]) -> list[tuple[str, str]]:
    """(column, expression) for every column the prefill fills."""
    chosen = [(c.name, known[c.name]) for c in columns if c.name in known]
    unknown = [c.name for c in columns if c.required and c.name not in known]
    if unknown:
        raise SystemExit(
            f"bench/e2e_prefill.py: {table} has NOT NULL columns it does not know: "
            f"{', '.join(unknown)}; add their values to bench/e2e_prefill.py"
        )
    return chosen


def _insert(table: str, picked: list[tuple[str, str]], source: str) -> str:
    names = ", ".join(name for name, _ in picked)
    values = ", ".join(expression for _, expression in picked)
    return f"INSERT INTO {table} ({names}) SELECT {values} {source}"


def _statements(
    columns: Callable[[str], list[_Column]], series: str
) -> list[tuple[str, dict[str, Any]]]:
    """The inserts, with the parameters each needs beyond the common ones."""
    events = _pick("pinbridge_events", columns("pinbridge_events"), _EVENTS)
    history = _pick("pinbridge_history", columns("pinbridge_history"), _HISTORY)
    dedup = _pick("pinbridge_dedup", columns("pinbridge_dedup"), _DEDUP)
    delivered = {"status": "delivered", "delay": 1.0, "attempts": 1}
    return [
        (_insert("pinbridge_events", events, series), {}),
        (_insert("pinbridge_history", history, _FROM_EVENTS), delivered),
        (_insert("pinbridge_dedup", dedup, _FROM_EVENTS), {}),
    ]


def _params(rows: int, account: str, payload: bytes, now: float) -> dict[str, Any]:
    return {
        "rows": rows,
        "account": account,
        "payload": payload,
        "size": len(payload),
        "now": now,
        "step": _SPAN_SECONDS / rows,
    }


def _sqlite_columns(db: sqlite3.Connection) -> Callable[[str], list[_Column]]:
    def columns(table: str) -> list[_Column]:
        rows = db.execute(f"PRAGMA table_info({table})").fetchall()
        # cid, name, type, notnull, dflt_value, pk
        return [_Column(r[1], bool(r[3]) and r[4] is None and not r[5]) for r in rows]

    return columns


def _prefill_sqlite(url: str, params: dict[str, Any]) -> None:
    series = (
        "FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :rows) "
        "SELECT i FROM s)"
    )
    db = sqlite3.connect(sqlite_path(url), isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("BEGIN IMMEDIATE")
        for statement, extra in _statements(_sqlite_columns(db), series):
            names = [p for p in {**params, **extra} if f":{p}" in statement]
            db.execute(statement, {name: {**params, **extra}[name] for name in names})
        if _has_column(_sqlite_columns(db)("pinbridge_counts"), "delivered"):
            db.execute(
                "UPDATE pinbridge_counts SET delivered = delivered + ? WHERE slot = 0",
                (params["rows"],),
            )
        db.execute("COMMIT")
    finally:
        db.close()


def _has_column(columns: list[_Column], name: str) -> bool:
    return any(c.name == name for c in columns)


def _postgres_columns(
    db: psycopg.Connection[tuple[Any, ...]], schema: str
) -> Callable[[str], list[_Column]]:
    def columns(table: str) -> list[_Column]:
        rows = db.execute(
            "SELECT column_name, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (schema, table),
        ).fetchall()
        return [_Column(str(r[0]), r[1] == "NO" and r[2] is None) for r in rows]

    return columns


def _postgres_marks(statement: str, names: list[str]) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (longest names first), and every
    other ``%`` (modulo, LIKE) doubled, as psycopg wants."""
    statement = statement.replace("%", "%%")
    for name in sorted(names, key=len, reverse=True):
        statement = statement.replace(f":{name}", f"%({name})s")
    return statement


def _prefill_postgres(url: str, params: dict[str, Any]) -> None:
    target = postgres_target(url)
    assert target.schema is not None
    series = "FROM generate_series(1, :rows) AS s(i)"
    with psycopg.connect(target.conninfo) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(target.schema)))
        columns = _postgres_columns(db, target.schema)
        for statement, extra in _statements(columns, series):
            values = {**params, **extra}
            names = [name for name in values if f":{name}" in statement]
            db.execute(_postgres_marks(statement, names), {name: values[name] for name in names})
        if _has_column(columns("pinbridge_counts"), "delivered"):
            db.execute(
                "UPDATE pinbridge_counts SET delivered = delivered + %s WHERE slot = 0",
                (params["rows"],),
            )
    with psycopg.connect(target.conninfo, autocommit=True) as db:
        db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(target.schema)))
        for table in ("pinbridge_events", "pinbridge_history", "pinbridge_dedup"):
            db.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table)))


def prefill(url: str, rows: int, account: str, payload: bytes) -> dict[str, Any]:
    """Add ``rows`` delivered events (with history and dedup keys) to the queue at ``url``,
    whose tables must exist; what was written and how long it took."""
    started = time.monotonic()
    params = _params(rows, account, payload, time.time())
    if url.startswith("sqlite:"):
        _prefill_sqlite(url, params)
    else:
        _prefill_postgres(url, params)
    return {
        "events": rows,
        "history_entries": 2 * rows,
        "dedup_keys": rows,
        "status": "delivered",
        "spread_over_hours": _SPAN_SECONDS / 3600,
        "seconds": round(time.monotonic() - started, 1),
    }
