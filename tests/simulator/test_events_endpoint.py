"""The events endpoint of a real simulator process: 200, 422, 400 and what stats record."""

from __future__ import annotations

import time

import pytest

from tests.simulator.http import ACCOUNT, post_events
from tests.simulator.mutations import all_mutations
from tests.simulator.payloads import digest, full_event, minimal_event, request_body
from tests.support.contract import contract_errors, require_contract
from tests.support.simulator import SimulatorProcess

DAY = 24 * 3600


def test_valid_events_get_200_with_one_entry_per_event_in_order(
    simulator: SimulatorProcess,
) -> None:
    odd = minimal_event("evt-3")
    odd["custom_data"] = {"currency": "euro", "value": "12,50"}
    response = post_events(
        simulator, request_body(minimal_event("evt-1"), full_event("evt-2"), odd)
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["num_events_received", "num_events_processed", "events"]
    assert body["num_events_received"] == 3
    assert body["num_events_processed"] == 3
    assert [e["status"] for e in body["events"]] == ["processed"] * 3
    assert [e["error_message"] for e in body["events"]] == ["", "", ""]
    assert body["events"][0]["warning_message"] == ""
    assert body["events"][1]["warning_message"] == ""
    warning = body["events"][2]["warning_message"]
    assert "custom_data.currency is not an ISO-4217 code" in warning
    assert "custom_data.value is not a decimal number" in warning
    assert simulator.stats()["accepted_event_ids"] == ["evt-1", "evt-2", "evt-3"]


def test_a_failed_event_makes_a_422_whose_details_are_the_200_body(
    simulator: SimulatorProcess,
) -> None:
    now = int(time.time())
    bad_hash = minimal_event("evt-bad-hash")
    bad_hash["user_data"]["em"] = ["camille@example.fr"]
    upper = minimal_event("evt-upper")
    upper["user_data"]["ph"] = [digest("33612345678").upper()]
    old = minimal_event("evt-old", now=now - 8 * DAY)
    future = minimal_event("evt-future", now=(now + 3600) * 1000)
    name = minimal_event("evt-name")
    name["event_name"] = "purchase"
    source = minimal_event("evt-source")
    source["action_source"] = "website"
    events = [minimal_event("evt-ok"), bad_hash, upper, old, future, name, source]

    response = post_events(simulator, request_body(*events))

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 953
    assert body["message"].startswith("The action could not be processed properly")
    details = body["details"]
    assert details["num_events_received"] == 7
    assert details["num_events_processed"] == 1
    statuses = [e["status"] for e in details["events"]]
    assert statuses == ["processed"] + ["failed"] * 6
    messages = [e["error_message"] for e in details["events"]]
    assert messages[0] == ""
    assert "user_data.em[0]" in messages[1]
    assert "camille" not in messages[1]
    assert "upper-case" in messages[2]
    assert messages[3].startswith(
        "Invalid event_timestamp parameter. Given timestamp is in the past."
    )
    assert f"Given event_timestamp: {now - 8 * DAY}" in messages[3]
    assert "in the future" in messages[4]
    assert "milliseconds" in messages[4]
    assert "Invalid event_name parameter" in messages[5]
    assert "Invalid action_source parameter" in messages[6]
    assert simulator.stats()["accepted_event_ids"] == ["evt-ok"]


@pytest.mark.parametrize("offset", [-7 * DAY + 60, 0, 240])
def test_event_time_inside_the_window_is_processed(
    simulator: SimulatorProcess, offset: int
) -> None:
    event = minimal_event(now=int(time.time()) + offset)
    assert post_events(simulator, request_body(event)).status_code == 200


@pytest.mark.parametrize(
    "name",
    ["app_open", "contact", "customize_product", "find_location", "initiate_checkout", "custom"],
)
def test_every_documented_event_name_is_accepted(simulator: SimulatorProcess, name: str) -> None:
    event = minimal_event()
    event["event_name"] = name
    assert post_events(simulator, request_body(event)).status_code == 200


def test_test_mode_answers_the_same_and_is_marked_in_the_log(
    simulator: SimulatorProcess,
) -> None:
    response = post_events(simulator, request_body(minimal_event("evt-t")), test=True)
    assert response.status_code == 200
    post_events(simulator, request_body(minimal_event("evt-live")))
    stats = simulator.stats()
    assert stats["accepted_event_ids"] == ["evt-t", "evt-live"]
    assert [(e["event_ids"], e["test"]) for e in stats["log"]] == [
        (["evt-t"], True),
        (["evt-live"], False),
    ]


def test_body_that_is_not_json_is_a_400(simulator: SimulatorProcess) -> None:
    response = post_events(simulator, None, raw=b'{"data": [')
    assert response.status_code == 400
    assert response.json()["code"] == 4196
    assert "not valid JSON" in response.json()["message"]


def test_schema_violation_is_a_400_naming_the_key(simulator: SimulatorProcess) -> None:
    events = [minimal_event(f"evt-{i}") for i in range(4)]
    events[3]["custom_data"] = {"foo": "bar"}
    response = post_events(simulator, request_body(*events))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 4196
    assert "data[3].custom_data.foo is not a valid parameter" in body["message"]
    stats = simulator.stats()
    assert stats["accepted_event_ids"] == []
    assert stats["requests"]["400"] == 1


def test_more_than_1000_events_is_a_400(simulator: SimulatorProcess) -> None:
    events = [minimal_event(f"evt-{i}") for i in range(1001)]
    response = post_events(simulator, request_body(*events))
    assert response.status_code == 400
    assert "data must hold at most 1000 elements, got 1001" in response.json()["message"]
    full_batch = post_events(simulator, request_body(*events[:1000]))
    assert full_batch.status_code == 200
    assert full_batch.json()["num_events_processed"] == 1000


@pytest.mark.parametrize(
    ("account", "query"), [("act-12", ""), ("1" * 19, ""), (ACCOUNT, "?test=maybe")]
)
def test_bad_path_or_query_parameter_is_a_400(
    simulator: SimulatorProcess, account: str, query: str
) -> None:
    import httpx

    url = f"{simulator.base_url}/v5/ad_accounts/{account}/events{query}"
    response = httpx.post(
        url,
        json=request_body(minimal_event()),
        headers={"Authorization": "Bearer test-token"},
    )
    assert response.status_code == 400
    assert "Invalid" in response.json()["message"]


def test_mutated_bodies_over_http_are_rejected_exactly_when_the_schema_rejects_them(
    simulator: SimulatorProcess,
) -> None:
    require_contract()
    base = request_body(full_event("evt-mut"))
    mutations = all_mutations(base)
    sample = mutations[:: max(1, len(mutations) // 40)]
    mismatches = []
    for mutation in sample:
        body = mutation.apply(base)
        status = post_events(simulator, body).status_code
        expected_400 = bool(contract_errors(body))
        if (status == 400) != expected_400 or status not in (200, 400, 422):
            mismatches.append((mutation.describe(), status))
    assert len(sample) >= 30
    assert mismatches == []
