"""Three ``pinbridge serve`` processes share one PostgreSQL queue; one is killed (-9) while
its workers hold batches, and every accepted event is still delivered.

The victim runs with a longer lease than the others, so the events it holds are the only
rows whose lease runs past ``now + SURVIVOR_LEASE``: that is how the test knows it killed
the node mid-batch, and how many events the survivors had to take over.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.e2e.cluster import (
    TOKEN,
    Posted,
    delivery_state,
    postgres_parts,
    start_node,
    traffic,
    wait_for,
    write_config,
)
from tests.support.simulator import start_simulator

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

_EVENTS = 600
_CHUNK = 25
SURVIVOR_LEASE = 2.0
VICTIM_LEASE = 6.0


def _held_past(queue_url: str, seconds: float) -> int:
    """Pending events whose lease runs more than ``seconds`` from now."""
    dsn, schema = postgres_parts(queue_url)
    with psycopg.connect(dsn) as connection:
        row = connection.execute(
            f"SELECT count(*) FROM {schema}.pinbridge_events WHERE lease_token IS NOT NULL "
            "AND status IN ('queued', 'retrying', 'paused') AND available_at > %s",
            (time.time() + seconds,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_three_nodes_on_postgres_deliver_everything_when_one_dies_mid_batch(
    tmp_path: Path, pg_queue_url: str, record_numbers: dict[str, Any]
) -> None:
    with start_simulator("--tokens", TOKEN, "--latency-ms", "400") as sim, ExitStack() as stack:
        configs = [
            write_config(
                tmp_path / f"node-{number}.toml",
                queue_url=pg_queue_url,
                simulator=sim,
                batch_max_events=20,
                lease_seconds=VICTIM_LEASE if number == 1 else SURVIVOR_LEASE,
            )
            for number in range(3)
        ]
        nodes = []
        for number, config in enumerate(configs):
            nodes.append(start_node(config, tmp_path / f"node-{number}.log"))
            stack.callback(nodes[-1].stop)
        posted = Posted()
        events = traffic(_EVENTS, "scale")
        for index, start in enumerate(range(0, _EVENTS, _CHUNK)):
            posted.add(nodes[index % 3].post(events[start : start + _CHUNK]))
        victim, survivors = nodes[1], (nodes[0], nodes[2])

        def victim_holds_a_batch() -> bool:
            return _held_past(pg_queue_url, SURVIVOR_LEASE + 0.1) > 0

        wait_for(victim_holds_a_batch, 60, "the victim node leasing a batch")
        victim.kill()
        held_by_victim = _held_past(pg_queue_url, SURVIVOR_LEASE + 0.1)
        received_at_kill = len(sim.stats()["accepted_event_ids"])

        def all_delivered() -> bool:
            received = set(sim.stats()["accepted_event_ids"])
            return received >= posted.accepted and survivors[0].queue_depth() == 0

        wait_for(
            all_delivered,
            90,
            "delivery of every accepted event by the surviving nodes",
            lambda: delivery_state(sim, posted, survivors[0]),
        )
        received = Counter(sim.stats()["accepted_event_ids"])
        per_node = [n.metric("pinbridge_events_total", status="delivered") for n in survivors]

    assert posted.results == Counter(queued=_EVENTS)
    assert held_by_victim > 0, "the victim should die holding leased events"
    assert received_at_kill < _EVENTS, "the victim should die while work remains"
    assert set(received) == posted.accepted
    resent = {event_id: n for event_id, n in received.items() if n > 1}
    record_numbers.update(
        events=_EVENTS,
        held_by_victim_at_kill=held_by_victim,
        received_at_kill=received_at_kill,
        delivered_by_survivors=per_node,
        resends=sum(n - 1 for n in resent.values()),
    )
