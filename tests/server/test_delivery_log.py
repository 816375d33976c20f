"""Delivery seen through the API: history, dead letters, replay (HTTP and CLI), readiness.

A real ``pinbridge serve`` delivers to the real simulator process. Dead letters come from
the simulator refusing events on demand (``fail_prefix``), as Pinterest refuses bad events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.server.events import purchase
from tests.server.harness import (
    ACCOUNT,
    TOKEN,
    ServerProcess,
    run_cli,
    server_config,
    start_server,
    wait_for,
)
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import simulator

__all__ = ["simulator"]  # the fixture, re-exported for pytest


@pytest.fixture
def served(tmp_path: Path, simulator: SimulatorProcess) -> Iterator[ServerProcess]:
    simulator.configure(tokens=[TOKEN])
    config = server_config(
        tmp_path,
        sections={
            "pinterest": {"api_base_url": simulator.base_url},
            "delivery": {"batch_max_age_seconds": 0.05, "pause_seconds": 0.5},
        },
    )
    with start_server(config) as server:
        yield server


def _final(http: httpx.Client, event_id: str, status: str) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        body: dict[str, Any] = http.get(f"/v1/events/{event_id}").json()
        return body if body.get("status") == status else None

    result: dict[str, Any] = wait_for(reached, what=f"{event_id} to be {status}")
    return result


def _ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{uuid.uuid4()}" for _ in range(count)]


def test_accepted_events_are_delivered_and_their_history_says_so(
    served: ServerProcess, simulator: SimulatorProcess
) -> None:
    ids = _ids("ok", 10)
    with served.client() as http:
        http.post("/events/batch", json={"batch": [purchase(e) for e in ids]})
        for event_id in ids:
            history = _final(http, event_id, "delivered")["history"]
            assert [h["status"] for h in history] == ["queued", "delivered"]
            assert history[-1]["attempts"] == 1
        status = http.get("/v1/status").json()
        assert status["counts"]["delivered"] == len(ids)
        assert status["queue_depth"] == 0
        assert status["delivery"] == "running"
        metrics = http.get("/metrics").text
    assert sorted(simulator.stats()["accepted_event_ids"]) == sorted(ids)
    labels = 'destination="default",event_name="checkout"'
    assert f'pinbridge_events_total{{{labels},status="delivered"}} {len(ids)}.0' in metrics
    assert f'pinbridge_events_total{{{labels},status="queued"}} {len(ids)}.0' in metrics
    assert 'pinbridge_pinterest_responses_total{destination="default",status="200"}' in metrics
    assert "pinbridge_delivery_latency_seconds_count" in metrics


def test_refused_events_become_dead_letters_that_can_be_replayed(
    served: ServerProcess, simulator: SimulatorProcess
) -> None:
    simulator.configure(fail_prefix="dead-")
    bad = _ids("dead", 3)
    with served.client() as http:
        http.post("/events/batch", json={"batch": [purchase(e) for e in bad]})
        for event_id in bad:
            history = _final(http, event_id, "failed")["history"]
            assert "fail-prefix" in history[-1]["message"]

        page = http.get("/v1/dead-letters").json()
        assert page["total"] == 3
        letters = {d["event_id"]: d for d in page["dead_letters"]}
        assert set(letters) == set(bad)
        assert all(
            d["ad_account_id"] == ACCOUNT and d["event_name"] == "checkout"
            for d in page["dead_letters"]
        )
        second = http.get("/v1/dead-letters", params={"limit": 1, "offset": 1}).json()
        assert [d["event_id"] for d in second["dead_letters"]] == [
            page["dead_letters"][1]["event_id"]
        ]
        assert http.get("/v1/dead-letters", params={"limit": "0"}).status_code == 400

        one = letters[bad[0]]["row_id"]
        replayed = http.post("/v1/dead-letters/replay", json={"row_ids": [one]})
        assert replayed.json() == {"replayed": 1}
        history = _final(http, bad[0], "failed")["history"]
        assert [h["status"] for h in history] == ["queued", "failed", "replayed", "failed"]

        bad_body = http.post("/v1/dead-letters/replay", json={"row_ids": ["one"]})
        assert bad_body.status_code == 400 and "row_ids[0]" in bad_body.json()["error"]

        config = str(served.config)
        listed = run_cli("dead-letters", "list", "--config", config)
        assert listed.returncode == 0, listed.stderr
        assert all(event_id in listed.stdout for event_id in bad)
        assert "3 dead letter(s) in total" in listed.stdout
        as_json = run_cli("dead-letters", "list", "--json", "--limit", "2", "--config", config)
        assert [orjson.loads(line)["event_id"] for line in as_json.stdout.splitlines()] == [
            d["event_id"] for d in page["dead_letters"][:2]
        ]

        replay_all = run_cli("dead-letters", "replay", "--all", "--config", str(served.config))
        assert replay_all.returncode == 0, replay_all.stderr
        assert "replayed 3 dead letter(s)" in replay_all.stdout
        for event_id in bad:
            history = _final(http, event_id, "failed")["history"]
            assert [h["status"] for h in history].count("replayed") >= 1

        unknown = run_cli("dead-letters", "replay", "999999", "--config", str(served.config))
        assert unknown.returncode == 1
        assert "not dead letters" in unknown.stdout


def test_a_refused_token_pauses_the_destination_and_readyz_says_so(
    served: ServerProcess, simulator: SimulatorProcess
) -> None:
    with served.client() as http:
        assert http.get("/readyz").json() == {"status": "ready", "reasons": []}
        simulator.configure(tokens=["another-token"])
        event_id = _ids("paused", 1)[0]
        http.post("/events", json=purchase(event_id))
        readiness = wait_for(
            lambda: (r := http.get("/readyz")).status_code == 503 and r.json(),
            what="readyz to report the paused destination",
        )
        assert readiness["status"] == "not ready"
        assert any("destination default is paused" in r for r in readiness["reasons"])
        paused = http.get("/v1/status").json()["destinations"]["default"]["paused"]
        assert "HTTP 401" in paused["reason"]
        assert http.get(f"/v1/events/{event_id}").json()["status"] == "queued"

        simulator.configure(tokens=[TOKEN])
        _final(http, event_id, "delivered")
        wait_for(lambda: http.get("/readyz").status_code == 200, what="readyz to recover")
