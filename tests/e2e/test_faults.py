"""Every accepted event reaches (simulated) Pinterest while it throttles, fails and drops
connections: exactly once when no outcome was ambiguous, and with timeouts only re-sent
after an attempt whose answer was lost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cluster import (
    TOKEN,
    Posted,
    delivery_state,
    post_all,
    start_node,
    traffic,
    wait_for,
    write_config,
)
from tests.support.simulator import SimulatorProcess, start_simulator

pytestmark = pytest.mark.slow


def _delivered_all(simulator: SimulatorProcess, posted: Posted, node: Any) -> bool:
    received = set(simulator.stats()["accepted_event_ids"])
    return received >= posted.accepted and node.queue_depth() == 0


def test_429_500_and_resets_deliver_every_accepted_event_exactly_once(
    tmp_path: Path, record_numbers: dict[str, Any]
) -> None:
    faults = ("--rate-429", "0.15", "--rate-500", "0.15", "--rate-reset", "0.1")
    with start_simulator("--tokens", TOKEN, "--seed", "7", *faults, "--retry-after", "0.2") as sim:
        config = write_config(
            tmp_path / "pinbridge.toml",
            queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
            simulator=sim,
            batch_max_events=20,
        )
        node = start_node(config, tmp_path / "server.log")
        try:
            posted = Posted()
            post_all(node, traffic(300, "faults"), posted)
            wait_for(
                lambda: _delivered_all(sim, posted, node),
                90,
                "delivery of every event",
                lambda: delivery_state(sim, posted, node),
            )
            stats = sim.stats()
            delivered = node.metric("pinbridge_events_total", status="delivered")
        finally:
            node.stop()

    received = Counter(stats["accepted_event_ids"])
    assert posted.results == Counter(queued=300)
    assert set(received) == posted.accepted
    assert {event_id: n for event_id, n in received.items() if n > 1} == {}
    injected = {kind: stats["requests"][kind] for kind in ("429", "500", "reset")}
    assert all(injected.values()), f"every kind of fault should have happened: {injected}"
    assert delivered == 300
    record_numbers.update(
        events=300, requests=stats["requests"], resends=0, delivered_metric=delivered
    )


def test_with_timeouts_every_resend_follows_an_attempt_whose_answer_was_lost(
    tmp_path: Path, record_numbers: dict[str, Any]
) -> None:
    faults = ("--rate-timeout", "0.2", "--timeout-hold-ms", "5000", "--rate-500", "0.1")
    with start_simulator("--tokens", TOKEN, "--seed", "4", *faults) as sim:
        config = write_config(
            tmp_path / "pinbridge.toml",
            queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
            simulator=sim,
            batch_max_events=20,
            request_timeout_seconds=2.0,
            workers=3,
        )
        node = start_node(config, tmp_path / "server.log")
        try:
            posted = Posted()
            post_all(node, traffic(150, "timeouts"), posted)
            wait_for(
                lambda: _delivered_all(sim, posted, node),
                90,
                "delivery of every event",
                lambda: delivery_state(sim, posted, node),
            )
            stats = sim.stats()
        finally:
            node.stop()

    assert posted.results == Counter(queued=150)
    resends = 0
    lost_answers = 0
    for event_id in sorted(posted.accepted):
        acceptances = [e for e in stats["log"] if event_id in e["processed_event_ids"]]
        assert acceptances, f"{event_id} never reached the simulator"
        # Pinterest processed it each time; all but the last answer never reached pinbridge.
        outcomes = [e["outcome"] for e in acceptances]
        assert all(o == "timeout" for o in outcomes[:-1]), (event_id, outcomes)
        assert outcomes[-1] != "timeout", (event_id, outcomes)
        resends += len(acceptances) - 1
        lost_answers += outcomes.count("timeout")
    assert stats["requests"]["timeout"] >= 1
    assert resends == lost_answers >= 1
    record_numbers.update(
        events=150,
        requests=stats["requests"],
        resends=resends,
        events_received=len(stats["accepted_event_ids"]),
    )
