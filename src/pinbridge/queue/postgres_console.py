"""The PostgreSQL backend's reads for the operator console (their statements are in
:mod:`pinbridge.queue.postgres_console_sql`)."""

from __future__ import annotations

from pinbridge.queue import postgres_console_sql as c
from pinbridge.queue import tallies as per_minute
from pinbridge.queue.postgres_connections import Connection, PostgresConnections
from pinbridge.queue.reading import (
    check_entries,
    dead_letter_group,
    entry_detail,
    entry_summary,
)
from pinbridge.queue.records import DeadLetterGroup, EntryDetail, EntrySummary, TallyRow
from pinbridge.queue.rules import storable_text

__all__ = ["PostgresConsoleReads"]


class PostgresConsoleReads:
    """The console's reads of :class:`~pinbridge.queue.base.Queue`, for the PostgreSQL
    queue (which provides ``_connections``)."""

    _connections: PostgresConnections

    def dead_letter_groups(
        self, destination: str | None = None, limit: int = 50
    ) -> list[DeadLetterGroup]:
        name = None if destination is None else storable_text(destination)
        params = {"destination": name, "limit": limit}
        statement = c.DEAD_LETTER_GROUPS if name is None else c.DEAD_LETTER_GROUPS_OF
        rows = self._connections.run(lambda conn: conn.execute(statement, params).fetchall())
        return [dead_letter_group(row) for row in rows]

    def entry(self, event_id: str) -> EntryDetail | None:
        params = {"event_id": storable_text(event_id)}

        def work(conn: Connection) -> EntryDetail | None:
            row = conn.execute(c.ENTRY, params).fetchone()
            if row is None:
                return None
            attempts = conn.execute(c.ENTRY_ATTEMPTS, {"row_id": row[0]}).fetchall()
            return entry_detail(row, attempts)

        return self._connections.run(work)

    def entries(
        self,
        *,
        status: str | None = None,
        event_name: str | None = None,
        destination: str | None = None,
        event_id_prefix: str | None = None,
        limit: int = 50,
    ) -> list[EntrySummary]:
        check_entries(status, limit)
        statement, params = c.entries_query(
            status=status,
            event_name=None if event_name is None else storable_text(event_name),
            destination=None if destination is None else storable_text(destination),
            event_id_prefix=event_id_prefix,
            limit=limit,
        )
        rows = self._connections.run(
            lambda conn: conn.execute(statement, params, prepare=False).fetchall()
        )
        return [entry_summary(row) for row in rows]

    def tallies(self, since: float, until: float, destination: str | None = None) -> list[TallyRow]:
        params: tuple[float | str, ...] = (since, until)
        statement = c.TALLIES
        if destination is not None:
            statement = c.TALLIES_OF
            params = (since, until, per_minute.destination_key(destination))
        rows = self._connections.run(lambda conn: conn.execute(statement, params).fetchall())
        return [per_minute.tally_row(row) for row in rows]

    def delivery_latencies(
        self, since: float, destination: str | None = None, limit: int = 100_000
    ) -> list[float]:
        name = None if destination is None else storable_text(destination)
        params = {"since": since, "destination": name, "limit": limit}
        statement = c.LATENCIES if name is None else c.LATENCIES_OF
        rows = self._connections.run(lambda conn: conn.execute(statement, params).fetchall())
        return [float(row[0]) for row in rows]

    def last_delivery_at(self, destination: str | None = None) -> float | None:
        name = None if destination is None else storable_text(destination)
        statement = c.LAST_DELIVERY if name is None else c.LAST_DELIVERY_OF
        row = self._connections.run(
            lambda conn: conn.execute(statement, {"destination": name}).fetchone()
        )
        return None if row is None or row[0] is None else float(row[0])
