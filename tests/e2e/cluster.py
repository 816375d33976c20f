"""Real ``pinbridge serve`` processes for the end-to-end tests, and the traffic they get.

A :class:`Node` is one server process (``--port 0``; its stdout and stderr go to one log
file the tests read afterwards). :func:`traffic` builds Commanders Act events of distinct
users with clear-text emails and phones, so the privacy test has something to look for.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from pinbridge.demo.processes import ChildProcess, spawn
from pinbridge.server.results import expand_results
from tests.support.simulator import SimulatorProcess

__all__ = [
    "ACCOUNT",
    "TOKEN",
    "Node",
    "Posted",
    "clear_text_of",
    "delivery_state",
    "post_all",
    "postgres_parts",
    "start_node",
    "traffic",
    "wait_for",
    "write_config",
]

ACCOUNT = "549755885175"
TOKEN = "e2e-secret-token-7f3a9c"  # the simulator accepts it; it must never reach disk or logs
START_TIMEOUT = 60.0
_POST_CHUNK = 25


def write_config(
    path: Path, *, queue_url: str, simulator: SimulatorProcess, **delivery: Any
) -> Path:
    """A config for a test node: quick batches and retries, short leases."""
    queue = {"lease_seconds": delivery.pop("lease_seconds", 3.0)}
    settings = {
        "workers": 2,
        "batch_max_events": 50,
        "batch_max_age_seconds": 0.1,
        "backoff_base_seconds": 0.05,
        "backoff_max_seconds": 0.5,
        "request_timeout_seconds": 5.0,
        "max_attempts": 1000,
        "pause_seconds": 0.5,
        **delivery,
    }
    lines = [
        "[pinterest]",
        f'ad_account_id = "{ACCOUNT}"',
        "test_mode = true",
        f"api_base_url = {json.dumps(simulator.base_url)}",
        "[queue]",
        f"url = {json.dumps(queue_url)}",
        *(f"{key} = {json.dumps(value)}" for key, value in queue.items()),
        "[delivery]",
        *(f"{key} = {json.dumps(value)}" for key, value in settings.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Node:
    """One running ``pinbridge serve``."""

    child: ChildProcess
    url: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url, timeout=30.0)

    def post(self, events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """POST one batch; the per-event results of the 202."""
        response = self.http.post("/events/batch", json={"batch": list(events)})
        assert response.status_code == 202, response.text
        return expand_results(response.json()["results"])

    def queue_depth(self) -> float:
        return self.metric("pinbridge_queue_depth")

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        text = self.http.get("/metrics").text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and labels.items() <= sample.labels.items()
        )

    def log(self) -> str:
        return self.child.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9 (the HTTP client stays open: a sender thread may still hold it)."""
        self.child.kill()

    def stop(self) -> None:
        """SIGTERM and wait for a graceful exit."""
        self.child.stop()
        self.http.close()


def start_node(config: Path, log_path: Path) -> Node:
    """``pinbridge serve --config CONFIG --port 0``, ready for requests."""
    child = spawn(
        f"pinbridge serve ({log_path.name})",
        ["serve", "--config", str(config), "--port", "0", "--log-level", "debug"],
        log_path,
        env={"PINBRIDGE_ACCESS_TOKEN": TOKEN},
    )
    try:
        url = child.wait_for_url(START_TIMEOUT)
        child.wait_until_healthy(f"{url}/healthz", START_TIMEOUT)
    except Exception:
        child.kill()
        raise
    return Node(child, url)


@dataclass
class Posted:
    """What the senders were told: event_ids acknowledged (202 queued or duplicate)."""

    accepted: set[str] = field(default_factory=set)
    results: Counter[str] = field(default_factory=Counter)

    def add(self, results: Iterable[dict[str, Any]]) -> None:
        for result in results:
            self.results[result["status"]] += 1
            if result["status"] in ("queued", "duplicate"):
                self.accepted.add(result["event_id"])


def traffic(count: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` valid Commanders Act events of distinct users (clear-text email and phone)."""
    now_ms = int(time.time() * 1000)
    events = []
    for number in range(count):
        email, phone = clear_text_of(prefix, number)
        events.append(
            {
                "event_name": ("purchase", "add_to_cart", "page_view")[number % 3],
                "id": f"ORD-{prefix}-{number}",
                "value": 10 + number % 90,
                "currency": "EUR",
                "user": {"email": email, "phone": phone, "country": "FR"},
                "context": {
                    "event_id": f"{prefix}-{number}",
                    "event_timestamp": now_ms - number,
                    "device": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (e2e)"},
                },
            }
        )
    return events


def clear_text_of(prefix: str, number: int) -> tuple[str, str]:
    """The clear-text email and phone of user ``number`` of ``traffic(prefix)``."""
    return (
        f"e2e.{prefix}.user{number}@example.com",
        f"06 {number // 100 % 100:02d} 11 {number % 100:02d} 42",
    )


def post_all(node: Node, events: Sequence[dict[str, Any]], posted: Posted) -> None:
    """POST ``events`` to ``node`` in small batches, recording the results."""
    for start in range(0, len(events), _POST_CHUNK):
        posted.add(node.post(events[start : start + _POST_CHUNK]))


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    detail: Callable[[], str] | None = None,
) -> None:
    """Poll ``condition`` until true; fail saying ``what`` did not happen in time, and
    ``detail()`` (the state that explains why)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            explained = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"{what} did not happen within {timeout:g} s{explained}")
        time.sleep(0.2)


def delivery_state(simulator: SimulatorProcess, posted: Posted, node: Node) -> str:
    """What is missing and why: for a delivery wait that timed out."""
    received = set(simulator.stats()["accepted_event_ids"])
    missing = sorted(posted.accepted - received)
    try:
        status = node.http.get("/v1/status").text
    except httpx.HTTPError as exc:
        status = f"<{type(exc).__name__}>"
    return (
        f"{len(missing)} accepted events never reached the simulator, e.g. {missing[:5]}; "
        f"{node.url} /v1/status: {status}\nthe end of its log:\n{node.child.log_tail(30)}"
    )


def postgres_parts(queue_url: str) -> tuple[str, str]:
    """The connection string and the schema of a ``postgresql://...?schema=NAME`` queue URL."""
    parts = urlsplit(queue_url)
    schema = parse_qs(parts.query)["schema"][0]
    return parts._replace(query="").geturl(), schema
