"""``pinbridge serve --workers N``: several processes on one port, each a whole node, behind
one ready line; a worker that dies is replaced; SIGTERM stops them all cleanly."""

from __future__ import annotations

import signal
import uuid
from collections import Counter
from pathlib import Path

import httpx
import psutil

from tests.server.events import purchase
from tests.server.harness import TOKEN, launch, server_config, wait_for
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import simulator

__all__ = ["simulator"]


def _post_each(base_url: str, ids: list[str]) -> None:
    for event_id in ids:  # a new connection each time, so the kernel spreads them
        with httpx.Client(base_url=base_url, timeout=30) as http:
            assert http.post("/events", json=purchase(event_id)).status_code == 202


def test_workers_share_the_port_replace_the_fallen_and_stop_together(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    simulator.configure(tokens=[TOKEN])
    config = server_config(
        tmp_path,
        sections={
            "pinterest": {"api_base_url": simulator.base_url},
            "delivery": {"batch_max_age_seconds": 0.05},
            "queue": {"lease_seconds": 2.0},  # a killed worker's batch is taken over soon
        },
    )
    server = launch(config, "--workers", "2")
    try:
        parent = psutil.Process(server.process.pid)
        workers = wait_for(
            lambda: len(parent.children()) == 2 and parent.children(), what="two workers"
        )
        first = [f"w-{uuid.uuid4().hex[:10]}" for _ in range(20)]
        _post_each(server.base_url, first)

        workers[0].send_signal(signal.SIGKILL)  # a worker dies: another takes its place
        wait_for(
            lambda: len([c for c in parent.children() if c.pid != workers[0].pid]) == 2,
            what="a replacement worker",
            timeout=60,
        )
        later = [f"w-{uuid.uuid4().hex[:10]}" for _ in range(20)]
        wait_for(lambda: _accepts(server.base_url), what="the port answering", timeout=60)
        _post_each(server.base_url, later)
        wait_for(
            lambda: Counter(simulator.stats()["accepted_event_ids"]).keys() >= {*first, *later},
            what="every event delivered",
            timeout=60,
        )
        pids = [child.pid for child in parent.children()]
        assert server.terminate() == 0
        assert not any(
            psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in pids
        )
    finally:
        server.kill()
    ready_lines = [line for line in server.stdout_lines if "listening on" in line]
    assert len(ready_lines) == 1


def _accepts(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
