"""kill -9 of the server while events arrive and are delivered: after a restart on the same
SQLite file, every event that got a 202 reaches (simulated) Pinterest."""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.cluster import (
    TOKEN,
    Node,
    Posted,
    delivery_state,
    start_node,
    traffic,
    wait_for,
    write_config,
)
from tests.support.simulator import start_simulator

pytestmark = pytest.mark.slow

_CHUNK = 10


class _Sender(threading.Thread):
    """Posts events in small batches like a real sender: on a connection error it posts the
    same batch again a moment later (to ``self.node``, which the test points at the new
    server once it is up)."""

    def __init__(self, events: list[dict[str, Any]], node: Node) -> None:
        super().__init__(daemon=True)
        self.events = events
        self.node = node
        self.posted = Posted()
        self.connection_errors = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for start in range(0, len(self.events), _CHUNK):
                self._post(self.events[start : start + _CHUNK])
                time.sleep(0.03)
        except BaseException as exc:
            self.error = exc

    def _post(self, chunk: list[dict[str, Any]]) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                self.posted.add(self.node.post(chunk))
                return
            except httpx.TransportError:
                self.connection_errors += 1
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def test_nothing_accepted_is_lost_when_the_server_is_killed_under_load(
    tmp_path: Path, record_numbers: dict[str, Any]
) -> None:
    with start_simulator("--tokens", TOKEN, "--latency-ms", "150") as sim, ExitStack() as stack:
        config = write_config(
            tmp_path / "pinbridge.toml",
            queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
            simulator=sim,
            batch_max_events=20,
            lease_seconds=2.0,
        )
        first = start_node(config, tmp_path / "server-1.log")
        stack.callback(first.stop)
        sender = _Sender(traffic(400, "crash"), first)
        sender.start()
        wait_for(
            lambda: len(sim.stats()["accepted_event_ids"]) >= 60,
            60,
            "the first deliveries",
            lambda: first.child.log_tail(30),
        )
        first.kill()
        accepted_at_kill = len(sender.posted.accepted)
        received_at_kill = len(sim.stats()["accepted_event_ids"])
        second = start_node(config, tmp_path / "server-2.log")
        stack.callback(second.stop)
        sender.node = second
        sender.join(90)
        assert sender.error is None, sender.error
        assert not sender.is_alive(), "the sender did not finish"
        posted = sender.posted

        def all_delivered() -> bool:
            received = set(sim.stats()["accepted_event_ids"])
            return received >= posted.accepted and second.queue_depth() == 0

        wait_for(
            all_delivered,
            90,
            "delivery of every accepted event after the restart",
            lambda: delivery_state(sim, posted, second),
        )
        received = Counter(sim.stats()["accepted_event_ids"])

    assert accepted_at_kill < 400, "the kill should happen while events still arrive"
    assert sender.connection_errors >= 1, "the sender should have found the server gone"
    assert set(posted.accepted) == {e["context"]["event_id"] for e in sender.events}
    assert posted.accepted <= set(received)
    record_numbers.update(
        events=400,
        accepted_before_kill=accepted_at_kill,
        received_before_kill=received_at_kill,
        sender_connection_errors=sender.connection_errors,
        ingest_results=dict(posted.results),
        resends=sum(n - 1 for n in received.values()),
    )
