"""Authentication and the /_sim control endpoints of a real simulator process."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.simulator.http import post_events
from tests.simulator.payloads import minimal_event, request_body
from tests.support.simulator import SimulatorProcess

AUTH_FAILED = {"code": 2, "message": "Authentication failed."}


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Basic dGVzdC10b2tlbg==", "Bearer wrong", "test-token"]
)
def test_missing_or_unknown_token_is_a_401(
    simulator: SimulatorProcess, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.post(
        simulator.events_url(), json=request_body(minimal_event()), headers=headers
    )
    assert response.status_code == 401
    assert response.json() == AUTH_FAILED
    stats = simulator.stats()
    assert stats["requests"]["401"] == 1
    assert stats["accepted_event_ids"] == []


def test_token_is_checked_before_the_body(simulator: SimulatorProcess) -> None:
    response = post_events(simulator, None, raw=b"not json", token="wrong")
    assert response.status_code == 401


def test_tokens_can_be_revoked_and_restored_live(simulator: SimulatorProcess) -> None:
    body = request_body(minimal_event("evt-1"))
    simulator.configure(tokens=[])
    assert post_events(simulator, body).status_code == 401
    simulator.configure(tokens=["other-token", "test-token"])
    assert post_events(simulator, body).status_code == 200
    simulator.configure(tokens=None)
    assert post_events(simulator, body, token="anything-goes").status_code == 200
    assert post_events(simulator, body, token=None).status_code == 401
    assert simulator.stats()["accepted_event_ids"] == ["evt-1", "evt-1"]


def test_fail_prefix_refuses_chosen_events_and_can_be_turned_off(
    simulator: SimulatorProcess,
) -> None:
    body = request_body(minimal_event("keep-1"), minimal_event("drop-1"))
    simulator.configure(fail_prefix="drop-")
    refused = post_events(simulator, body)
    assert refused.status_code == 422
    events = refused.json()["details"]["events"]
    assert [e["status"] for e in events] == ["processed", "failed"]
    assert "--fail-prefix" in events[1]["error_message"]
    simulator.configure(fail_prefix=None)
    assert post_events(simulator, body).status_code == 200
    assert simulator.stats()["accepted_event_ids"] == ["keep-1", "keep-1", "drop-1"]


def test_stats_count_every_outcome_and_log_each_request(simulator: SimulatorProcess) -> None:
    post_events(simulator, request_body(minimal_event("a")))
    post_events(simulator, request_body(minimal_event("b")), token="wrong")
    post_events(simulator, {"data": []})
    stats = simulator.stats()
    assert stats["requests"] == {
        "200": 1,
        "422": 0,
        "400": 1,
        "401": 1,
        "429": 0,
        "500": 0,
        "timeout": 0,
        "reset": 0,
    }
    assert [(e["seq"], e["outcome"], e["event_ids"]) for e in stats["log"]] == [
        (1, "200", ["a"]),
        (2, "401", ["b"]),
        (3, "400", []),
    ]


def test_reset_clears_the_stats(simulator: SimulatorProcess) -> None:
    post_events(simulator, request_body(minimal_event("a")))
    simulator.reset()
    stats = simulator.stats()
    assert stats["accepted_event_ids"] == []
    assert stats["log"] == []
    assert sum(stats["requests"].values()) == 0
    post_events(simulator, request_body(minimal_event("b")))
    assert simulator.stats()["log"][0]["seq"] == 1


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"rate_429": 1.5}, "rate_429 must be between 0 and 1"),
        ({"rate_429": 0.6, "rate_500": 0.6}, "add up to 1.2"),
        ({"latency_ms": -1}, "latency_ms must be 0 or more"),
        ({"rate_500": "high"}, "rate_500 must be a number"),
        ({"tokens": "test-token"}, "tokens must be a list"),
        ({"colour": "red"}, "unknown setting(s) colour"),
    ],
)
def test_config_rejects_bad_changes_and_keeps_the_old_settings(
    simulator: SimulatorProcess, changes: dict[str, object], needle: str
) -> None:
    response = httpx.post(f"{simulator.base_url}/_sim/config", json=changes)
    assert response.status_code == 400
    assert needle in response.json()["error"]
    assert post_events(simulator, request_body(minimal_event())).status_code == 200


def test_config_answers_the_settings_with_tokens_masked(simulator: SimulatorProcess) -> None:
    response = httpx.post(f"{simulator.base_url}/_sim/config", json={"latency_ms": 0})
    assert response.status_code == 200
    config = response.json()["config"]
    assert config["tokens"] == ["***"]
    assert "test-token" not in response.text


def test_concurrent_requests_lose_and_duplicate_nothing(simulator: SimulatorProcess) -> None:
    batches = [[f"evt-{b}-{i}" for i in range(25)] for b in range(20)]

    async def send_all() -> list[int]:
        async with httpx.AsyncClient(timeout=30.0) as client:
            replies = await asyncio.gather(
                *(
                    client.post(
                        simulator.events_url(),
                        json=request_body(*(minimal_event(i) for i in ids)),
                        headers={"Authorization": "Bearer test-token"},
                    )
                    for ids in batches
                )
            )
        return [reply.status_code for reply in replies]

    assert asyncio.run(send_all()) == [200] * 20
    stats = simulator.stats()
    expected = sorted(i for ids in batches for i in ids)
    assert sorted(stats["accepted_event_ids"]) == expected
    assert sorted(e["seq"] for e in stats["log"]) == list(range(1, 21))
    assert stats["requests"]["200"] == 20
