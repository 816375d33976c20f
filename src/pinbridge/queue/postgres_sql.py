"""The PostgreSQL backend's statements, kept apart from the code that runs them.

Bulk work passes arrays (``unnest``) so that one round trip handles a whole batch; status
predicates are the partial indexes' own (:data:`~pinbridge.queue.schema.PENDING`,
:data:`~pinbridge.queue.schema.FINAL`), so the planner can use those indexes.
"""

from __future__ import annotations

from pinbridge.queue import counters
from pinbridge.queue import tallies as per_minute
from pinbridge.queue.rules import KEY_RELEASING
from pinbridge.queue.schema import (
    FINAL,
    PENDING,
    destinations_cte,
    history_statement,
    status_in,
)

__all__ = [
    "ADD_ATTEMPTS",
    "ADD_TALLIES",
    "CLAIM_PROBE",
    "COMPLETE",
    "COUNTS",
    "DEAD_LETTERS",
    "DEAD_LETTERS_OF",
    "DEAD_LETTER_COUNT",
    "DEPTH",
    "DISCARD",
    "ENQUEUE",
    "EXTEND",
    "YOUNG",
    "YOUNG_OF",
    "HEADS",
    "HEAD_OF",
    "HISTORY",
    "LEASE",
    "LEASE_CANDIDATES",
    "LEASED_STATUSES",
    "PAUSE",
    "PAUSES",
    "PURGE_CHUNK",
    "PURGE_DEDUP",
    "PURGE_TALLIES",
    "REPLAY",
    "RESUME",
    "TALLIES_FOLD",
]

# Row ids are drawn in input order (nextval runs after the sort); dedup keys are claimed
# in key order so that concurrent enqueues lock shared keys in the same order. A key is
# taken when free or expired; ON CONFLICT waits for a concurrent claimant to commit.
# Each returned row carries the depth before this statement (all parts of one statement
# share its snapshot); the caller rolls back when that plus the new rows exceeds max_depth.
# The tallies (the caller's, plus queued / identifier per stored event and duplicate per
# other one; tally_destination and tally_name are the stored forms of the key texts) are
# one upsert in the same statement, in key order, after the status counter: every
# transaction takes the counter tables in the same order. Identifiers come as one JSON list
# per event, counted per distinct list before they are split (a batch repeats a few lists).
ENQUEUE = f"""
WITH incoming AS (
    SELECT t.*, nextval('pinbridge_events_id_seq') AS row_id
    FROM unnest(%(accounts)s::text[], %(event_ids)s::text[], %(names)s::text[],
                %(times)s::bigint[], %(payloads)s::bytea[], %(destinations)s::text[],
                %(warnings)s::text[], %(tally_destinations)s::text[], %(tally_names)s::text[],
                %(identifier_lists)s::text[])
         WITH ORDINALITY
         AS t(ad_account_id, event_id, event_name, event_time, payload, destination, warnings,
              tally_destination, tally_name, identifier_list, ord)
    ORDER BY t.ord
), claimed AS (
    INSERT INTO pinbridge_dedup AS d (ad_account_id, event_id, event_name, row_id, expires_at)
    SELECT ad_account_id, event_id, event_name, row_id, %(expires_at)s FROM incoming
    ORDER BY ad_account_id, event_id, event_name
    ON CONFLICT (ad_account_id, event_id, event_name) DO UPDATE
        SET row_id = excluded.row_id, expires_at = excluded.expires_at
        WHERE d.expires_at <= %(now)s
    RETURNING d.row_id
), stored AS (
    INSERT INTO pinbridge_events (id, ad_account_id, event_id, event_name, event_time, payload,
        size, status, attempts, enqueued_at, next_attempt_at, available_at, updated_at,
        destination, warnings)
    SELECT i.row_id, i.ad_account_id, i.event_id, i.event_name, i.event_time, i.payload,
        length(i.payload), 'queued', 0, %(now)s, %(now)s, %(now)s, %(now)s, i.destination,
        i.warnings
    FROM incoming i JOIN claimed c ON c.row_id = i.row_id
    ORDER BY i.row_id
), counted AS (
    UPDATE pinbridge_counts SET queued = queued + (SELECT COUNT(*) FROM claimed)
    WHERE slot = %(slot)s AND EXISTS (SELECT 1 FROM claimed)
    RETURNING slot
), increments AS (
    SELECT i.tally_destination AS destination, i.tally_name AS event_name,
        'queued'::text AS metric, ''::text AS detail, 1::bigint AS n
    FROM incoming i JOIN claimed c ON c.row_id = i.row_id
    UNION ALL
    SELECT i.tally_destination, i.tally_name, 'duplicate', '', 1 FROM incoming i
    WHERE NOT EXISTS (SELECT 1 FROM claimed c WHERE c.row_id = i.row_id)
    UNION ALL
    SELECT g.tally_destination, g.tally_name, 'identifier', x.identifier, g.n
    FROM (SELECT i.tally_destination, i.tally_name, i.identifier_list, COUNT(*) AS n
          FROM incoming i JOIN claimed c ON c.row_id = i.row_id
          WHERE i.identifier_list <> '[]'
          GROUP BY i.tally_destination, i.tally_name, i.identifier_list) g
    CROSS JOIN LATERAL jsonb_array_elements_text(g.identifier_list::jsonb) AS x(identifier)
    UNION ALL
    SELECT * FROM unnest(%(t_destinations)s::text[], %(t_names)s::text[], %(t_metrics)s::text[],
                         %(t_details)s::text[], %(t_counts)s::bigint[])
), tallied AS (
    INSERT INTO pinbridge_tallies AS t (minute, destination, event_name, metric, detail, slot,
        count)
    SELECT %(minute)s, destination, event_name, metric, detail, %(slot)s, SUM(n)
    FROM increments WHERE (SELECT COUNT(*) FROM counted) >= 0
    GROUP BY destination, event_name, metric, detail
    ORDER BY destination, event_name, metric, detail
    ON CONFLICT (minute, destination, event_name, metric, detail, slot)
        DO UPDATE SET count = t.count + excluded.count
)
SELECT i.ord, (SELECT COALESCE(SUM({counters.PENDING_SUM}), 0)::bigint
               FROM pinbridge_counts)
FROM incoming i JOIN claimed c ON c.row_id = i.row_id
"""  # noqa: S608 - fixed names

# One call's tallies (keys sorted, so concurrent writers lock rows in the same order) added
# to one slot of one minute.
ADD_TALLIES = """
INSERT INTO pinbridge_tallies AS t (minute, destination, event_name, metric, detail, slot, count)
SELECT %(minute)s, v.destination, v.event_name, v.metric, v.detail, %(slot)s, v.n
FROM unnest(%(t_destinations)s::text[], %(t_names)s::text[], %(t_metrics)s::text[],
            %(t_details)s::text[], %(t_counts)s::bigint[])
     AS v(destination, event_name, metric, detail, n)
ON CONFLICT (minute, destination, event_name, metric, detail, slot)
    DO UPDATE SET count = t.count + excluded.count
"""

# Past minutes' spread slots folded into slot 0 (see pinbridge.queue.tallies). Only the
# rows deleted here are added, so an increment committed meanwhile is never lost.
TALLIES_FOLD = """
WITH spread AS (
    DELETE FROM pinbridge_tallies WHERE slot <> 0 AND minute < %(before)s
    RETURNING minute, destination, event_name, metric, detail, count
)
INSERT INTO pinbridge_tallies AS t (minute, destination, event_name, metric, detail, slot, count)
SELECT minute, destination, event_name, metric, detail, 0, SUM(count) FROM spread
GROUP BY minute, destination, event_name, metric, detail
ORDER BY minute, destination, event_name, metric, detail
ON CONFLICT (minute, destination, event_name, metric, detail, slot)
    DO UPDATE SET count = t.count + excluded.count
"""

PURGE_TALLIES = per_minute.purge_statement("%(cutoff)s")

# Sends of entries outside a lease: rows that are gone are skipped.
ADD_ATTEMPTS = """
INSERT INTO pinbridge_attempts (row_id, at, http_status, message, batch_size)
SELECT a.row_id, a.at, a.http_status, a.message, a.batch_size
FROM unnest(%(a_ids)s::bigint[], %(a_ats)s::float8[], %(a_statuses)s::int[],
            %(a_messages)s::text[], %(a_sizes)s::int[])
     AS a(row_id, at, http_status, message, batch_size)
WHERE EXISTS (SELECT 1 FROM pinbridge_events e WHERE e.id = a.row_id)
ORDER BY a.row_id
"""

DEPTH = counters.DEPTH

# Each destination's oldest ready event. Nothing is locked here: LEASE_CANDIDATES locks,
# and skips what other workers hold.
HEADS = f"""{destinations_cte()}
SELECT h.destination, h.ad_account_id, h.available_at
FROM destinations d CROSS JOIN LATERAL (
    SELECT destination, ad_account_id, available_at, id FROM pinbridge_events
    WHERE destination = d.name AND {PENDING} AND available_at <= %(now)s
    ORDER BY destination, available_at, id LIMIT 1
) h
WHERE d.name IS NOT NULL AND d.name <> ALL(%(exclude)s::text[])
ORDER BY h.available_at, h.id
"""  # noqa: S608 - constant predicate

HEAD_OF = f"""
SELECT destination, ad_account_id, available_at FROM pinbridge_events
WHERE destination = %(only)s AND {PENDING} AND available_at <= %(now)s
ORDER BY destination, available_at, id LIMIT 1
"""  # noqa: S608 - constant predicate

# Young ready events per (destination, account): of each destination only the oldest
# max_events are read (see pinbridge.queue.rules.full_batches).
YOUNG = f"""{destinations_cte()}
SELECT d.name, y.ad_account_id, COUNT(*), SUM(y.size), MIN(y.available_at)
FROM destinations d CROSS JOIN LATERAL (
    SELECT ad_account_id, size, available_at FROM pinbridge_events
    WHERE destination = d.name AND {PENDING}
      AND available_at <= %(now)s AND available_at > %(young)s
    ORDER BY destination, available_at, id LIMIT %(max_events)s
) y
WHERE d.name IS NOT NULL AND d.name <> ALL(%(exclude)s::text[])
  AND (%(only)s::text IS NULL OR d.name = %(only)s::text)
GROUP BY d.name, y.ad_account_id
"""  # noqa: S608 - constant predicate

# Every young ready event of one destination, per account.
YOUNG_OF = f"""
SELECT destination, ad_account_id, COUNT(*), SUM(size), MIN(available_at)
FROM pinbridge_events
WHERE destination = %(only)s AND {PENDING}
  AND available_at <= %(now)s AND available_at > %(young)s
GROUP BY destination, ad_account_id
"""  # noqa: S608 - constant predicate

LEASE_CANDIDATES = f"""
SELECT id, size FROM pinbridge_events
WHERE destination = %(destination)s AND ad_account_id = %(account)s AND {PENDING}
  AND available_at <= %(now)s
ORDER BY destination, available_at, id LIMIT %(max_events)s
FOR UPDATE SKIP LOCKED
"""  # noqa: S608 - constant predicate

# Readiness is tested again (not only by the locking SELECT) as a second line of defence:
# a row another transaction leased meanwhile is left out rather than leased twice.
LEASE = f"""
UPDATE pinbridge_events SET lease_token = %(token)s, available_at = %(expires_at)s
WHERE id = ANY(%(ids)s::bigint[]) AND {PENDING}
  AND available_at <= %(now)s
RETURNING id, event_id, event_name, event_time, payload, attempts, enqueued_at
"""  # noqa: S608 - constant predicate

EXTEND = f"""
UPDATE pinbridge_events SET available_at = %(expires_at)s
WHERE id = ANY(%(ids)s::bigint[]) AND lease_token = %(token)s
  AND {PENDING}
RETURNING id
"""  # noqa: S608 - constant predicate

# The statuses of the lease's rows before COMPLETE (for the counters). No lock needed:
# only the holder of the token changes the status of a row that bears it, and the counters
# take only the rows COMPLETE returns (still bearing the token when it ran).
LEASED_STATUSES = """
SELECT id, status FROM pinbridge_events
WHERE id = ANY(%(ids)s::bigint[]) AND lease_token = %(token)s
"""

# Rows whose lease_token no longer matches were re-leased by another worker: untouched.
# Attempts are stored for the rows the lease still held (changed or released).
COMPLETE = f"""
WITH changed AS (
    UPDATE pinbridge_events AS e SET
        status = v.status,
        attempts = e.attempts + v.delta,
        next_attempt_at = COALESCE(v.next_at, e.next_attempt_at),
        available_at = COALESCE(v.next_at, e.next_attempt_at),
        lease_token = NULL,
        updated_at = %(now)s,
        message = v.message
    FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(deltas)s::int[],
                %(next_ats)s::float8[], %(messages)s::text[])
         AS v(id, status, delta, next_at, message)
    WHERE e.id = v.id AND e.lease_token = %(token)s
    RETURNING e.id, e.ad_account_id, e.event_id, e.event_name, e.status, e.attempts, e.message
), logged AS (
    INSERT INTO pinbridge_history (row_id, event_id, status, at, attempts, message)
    SELECT id, event_id, status, %(now)s, attempts, message FROM changed ORDER BY id
), unblocked AS (
    DELETE FROM pinbridge_dedup AS d USING changed AS c
    WHERE {status_in(KEY_RELEASING, "c.status")} AND d.row_id = c.id
      AND d.ad_account_id = c.ad_account_id AND d.event_id = c.event_id
      AND d.event_name = c.event_name
), released AS (
    UPDATE pinbridge_events SET lease_token = NULL, available_at = next_attempt_at
    WHERE id = ANY(%(rest)s::bigint[]) AND lease_token = %(token)s
    RETURNING id
), tried AS (
    INSERT INTO pinbridge_attempts (row_id, at, http_status, message, batch_size)
    SELECT a.row_id, a.at, a.http_status, a.message, a.batch_size
    FROM unnest(%(a_ids)s::bigint[], %(a_ats)s::float8[], %(a_statuses)s::int[],
                %(a_messages)s::text[], %(a_sizes)s::int[])
         AS a(row_id, at, http_status, message, batch_size)
    WHERE a.row_id IN (SELECT id FROM changed UNION ALL SELECT id FROM released)
    ORDER BY a.row_id
)
SELECT id, status, event_name FROM changed
"""  # noqa: S608 - constant predicate

# A replayed entry takes its dedup key back only when no other entry holds it.
REPLAY = """
WITH replayed AS (
    UPDATE pinbridge_events SET status = 'queued', attempts = 0, next_attempt_at = %(now)s,
        available_at = %(now)s, updated_at = %(now)s, lease_token = NULL, message = NULL
    WHERE status = 'failed'
      AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
      AND (%(destination)s::text IS NULL OR destination = %(destination)s::text)
      AND (%(reason)s::text IS NULL OR COALESCE(message, '') = %(reason)s::text)
    RETURNING id, ad_account_id, event_id, event_name, destination
), logged AS (
    INSERT INTO pinbridge_history (row_id, event_id, status, at, attempts)
    SELECT id, event_id, 'replayed', %(now)s, 0 FROM replayed ORDER BY id
), claimed AS (
    INSERT INTO pinbridge_dedup AS d (ad_account_id, event_id, event_name, row_id, expires_at)
    SELECT DISTINCT ON (ad_account_id, event_id, event_name)
        ad_account_id, event_id, event_name, id, %(expires_at)s
    FROM replayed ORDER BY ad_account_id, event_id, event_name, id DESC
    ON CONFLICT (ad_account_id, event_id, event_name) DO UPDATE
        SET row_id = excluded.row_id, expires_at = excluded.expires_at
        WHERE d.expires_at <= %(now)s
)
SELECT destination, COUNT(*) FROM replayed GROUP BY destination
"""

# Dead letters deleted for good, with their history, attempts and any dedup key they hold.
# The status test re-runs on a row another transaction replayed meanwhile: it survives.
DISCARD = """
WITH gone AS (
    DELETE FROM pinbridge_events
    WHERE status = 'failed'
      AND (%(ids)s::bigint[] IS NULL OR id = ANY(%(ids)s::bigint[]))
      AND (%(destination)s::text IS NULL OR destination = %(destination)s::text)
      AND (%(reason)s::text IS NULL OR COALESCE(message, '') = %(reason)s::text)
    RETURNING id, ad_account_id, event_id, event_name, destination
), history AS (
    DELETE FROM pinbridge_history WHERE row_id IN (SELECT id FROM gone)
), tried AS (
    DELETE FROM pinbridge_attempts WHERE row_id IN (SELECT id FROM gone)
), released AS (
    DELETE FROM pinbridge_dedup AS d USING gone AS g
    WHERE d.ad_account_id = g.ad_account_id AND d.event_id = g.event_id
      AND d.event_name = g.event_name AND d.row_id = g.id
)
SELECT destination, event_name, COUNT(*) FROM gone GROUP BY destination, event_name
"""

# The status test is repeated in the DELETE so that a row replayed meanwhile survives.
PURGE_CHUNK = f"""
WITH gone AS (
    DELETE FROM pinbridge_events
    WHERE id IN (
        SELECT id FROM pinbridge_events
        WHERE {FINAL} AND updated_at < %(cutoff)s
        LIMIT %(limit)s
    ) AND {FINAL} AND updated_at < %(cutoff)s
    RETURNING id, status, destination
), history AS (
    DELETE FROM pinbridge_history WHERE row_id IN (SELECT id FROM gone)
), tried AS (
    DELETE FROM pinbridge_attempts WHERE row_id IN (SELECT id FROM gone)
)
SELECT status, destination, COUNT(*) FROM gone GROUP BY status, destination
"""  # noqa: S608 - constant predicate

PURGE_DEDUP = "DELETE FROM pinbridge_dedup WHERE expires_at <= %(now)s"

HISTORY = history_statement("%(event_id)s")

_DEAD_LETTER = """
SELECT id, ad_account_id, event_id, event_name, updated_at, attempts, COALESCE(message, ''),
    destination
FROM pinbridge_events WHERE status = 'failed'"""

DEAD_LETTERS = f"""{_DEAD_LETTER}
ORDER BY id LIMIT %(limit)s OFFSET %(offset)s
"""

DEAD_LETTERS_OF = f"""{_DEAD_LETTER} AND destination = %(destination)s
ORDER BY destination, id LIMIT %(limit)s OFFSET %(offset)s
"""

DEAD_LETTER_COUNT = counters.failed_of("%(destination)s")

COUNTS = counters.COUNTS

# The first pause of a destination records since; later ones update reason and until only.
PAUSE = """
INSERT INTO pinbridge_pauses (destination, reason, since, until)
VALUES (%(destination)s, %(reason)s, %(now)s, %(until)s)
ON CONFLICT (destination) DO UPDATE SET reason = excluded.reason, until = excluded.until
"""

RESUME = "DELETE FROM pinbridge_pauses WHERE destination = %(destination)s RETURNING 1"

PAUSES = "SELECT destination, reason, since, until FROM pinbridge_pauses ORDER BY destination"

# READ COMMITTED re-tests "until <= now" on the row a concurrent claim just changed, so of
# several nodes claiming at once exactly one gets the row back.
CLAIM_PROBE = """
UPDATE pinbridge_pauses SET until = %(until)s
WHERE destination = %(destination)s AND until <= %(now)s
RETURNING 1
"""
