"""Injected faults on a real simulator process: seeded, and each one as a client sees it."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from tests.simulator.http import post_events
from tests.simulator.payloads import minimal_event, request_body
from tests.support.simulator import SimulatorProcess, start_simulator

MIXED = ("--rate-429", "0.25", "--rate-500", "0.25", "--rate-reset", "0.2")


def _outcomes(simulator: SimulatorProcess, count: int) -> list[str]:
    headers = {"Authorization": "Bearer any-token"}
    with httpx.Client(timeout=30.0, headers=headers) as client:
        for index in range(count):
            body = request_body(minimal_event(f"evt-{index}"))
            with contextlib.suppress(httpx.TransportError):
                client.post(simulator.events_url(), json=body)
    return [entry["outcome"] for entry in simulator.stats()["log"]]


def test_the_same_seed_gives_the_same_fault_sequence() -> None:
    with start_simulator("--seed", "7", *MIXED) as first:
        sequence = _outcomes(first, 24)
        first.reset()
        replay = _outcomes(first, 24)
    with start_simulator("--seed", "7", *MIXED) as second:
        again = _outcomes(second, 24)
    with start_simulator("--seed", "8", *MIXED) as other:
        different = _outcomes(other, 24)
    assert len(sequence) == 24
    assert {"200", "429", "500", "reset"} <= set(sequence)
    assert replay == sequence
    assert again == sequence
    assert different != sequence


def test_rate_429_answers_code_8_with_retry_after() -> None:
    with start_simulator("--rate-429", "1", "--retry-after", "3", "--seed", "1") as sim:
        response = post_events(sim, request_body(minimal_event()), token="anything")
        assert response.status_code == 429
        assert response.json()["code"] == 8
        assert response.headers["Retry-After"] == "3"
        sim.configure(retry_after=None)
        assert "Retry-After" not in post_events(sim, request_body(minimal_event())).headers
        assert sim.stats()["requests"]["429"] == 2
        assert sim.stats()["accepted_event_ids"] == []


def test_rate_500_answers_500_and_processes_nothing(simulator: SimulatorProcess) -> None:
    simulator.configure(rate_500=1)
    response = post_events(simulator, request_body(minimal_event("evt-1")))
    assert response.status_code == 500
    assert "code" in response.json()
    simulator.configure(rate_500=0)
    assert post_events(simulator, request_body(minimal_event("evt-1"))).status_code == 200
    assert simulator.stats()["accepted_event_ids"] == ["evt-1"]


def test_reset_drops_the_connection_before_processing(simulator: SimulatorProcess) -> None:
    simulator.configure(rate_reset=1)
    with pytest.raises(httpx.TransportError):
        post_events(simulator, request_body(minimal_event("evt-lost")))
    stats = simulator.stats()
    assert stats["requests"]["reset"] == 1
    assert stats["accepted_event_ids"] == []
    assert stats["log"][0]["event_ids"] == ["evt-lost"]
    assert stats["log"][0]["status"] is None


def test_timeout_processes_the_events_but_holds_the_answer(simulator: SimulatorProcess) -> None:
    simulator.configure(rate_timeout=1, timeout_hold_ms=60000)
    with pytest.raises(httpx.ReadTimeout):
        post_events(simulator, request_body(minimal_event("evt-held")), timeout=1.0)
    stats = simulator.stats()
    assert stats["requests"]["timeout"] == 1
    assert stats["accepted_event_ids"] == ["evt-held"]
    assert stats["log"][0]["status"] == 200


def test_a_held_answer_is_sent_once_the_hold_ends(simulator: SimulatorProcess) -> None:
    simulator.configure(rate_timeout=1, timeout_hold_ms=200)
    response = post_events(simulator, request_body(minimal_event("evt-late")))
    assert response.status_code == 200
    assert response.json()["num_events_processed"] == 1
    assert simulator.stats()["log"][0]["outcome"] == "timeout"


def test_latency_delays_every_answer(simulator: SimulatorProcess) -> None:
    simulator.configure(latency_ms=5000)
    with pytest.raises(httpx.ReadTimeout):
        post_events(simulator, request_body(minimal_event()), timeout=0.5)
    simulator.configure(latency_ms=0)
    assert post_events(simulator, request_body(minimal_event())).status_code == 200
