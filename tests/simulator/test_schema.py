"""The simulator's hand-written validator rejects exactly what Pinterest's schema rejects.

In-process, to stay fast: every generated mutation of valid bodies is validated both by
``pinbridge.simulator.schema`` and by the official OpenAPI schema (``contract_errors``), and
the two must agree on valid/invalid; when invalid, the simulator's message must name the key.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinbridge.simulator.schema import describe_violations, schema_violations
from tests.simulator.mutations import Mutation, all_mutations
from tests.simulator.payloads import full_event, minimal_event, request_body
from tests.support.contract import contract_errors, require_contract

NOW = 1_795_000_000


def _bases() -> dict[str, dict[str, Any]]:
    ip_only = minimal_event("evt-ip", now=NOW)
    ip_only["user_data"] = {"client_ip_address": "198.51.100.23", "client_user_agent": "UA"}
    maids_only = minimal_event("evt-maid", now=NOW)
    maids_only["user_data"] = {"hashed_maids": ["0" * 64]}
    return {
        "minimal": request_body(minimal_event(now=NOW)),
        "full": request_body(full_event(now=NOW)),
        "ip-and-agent": request_body(ip_only),
        "maids": request_body(maids_only),
    }


BASES = _bases()


def _agrees(body: Any) -> tuple[bool, list[str], list[str]]:
    ours = [v.text for v in schema_violations(body)]
    theirs = contract_errors(body)
    return bool(ours) == bool(theirs), ours, theirs


@pytest.fixture(autouse=True)
def _contract() -> None:
    require_contract()


@pytest.mark.parametrize("name", sorted(BASES))
def test_base_bodies_are_valid_for_both(name: str) -> None:
    assert contract_errors(BASES[name]) == []
    assert schema_violations(BASES[name]) == []


@pytest.mark.parametrize("name", sorted(BASES))
def test_every_single_mutation_is_judged_like_the_schema(name: str) -> None:
    mutations = all_mutations(BASES[name])
    assert len(mutations) > 50
    disagreements = []
    for mutation in mutations:
        same, ours, theirs = _agrees(mutation.apply(BASES[name]))
        if not same:
            disagreements.append((mutation.describe(), ours, theirs))
    assert disagreements == []


@pytest.mark.parametrize("name", sorted(BASES))
def test_rejections_name_the_offending_key(name: str) -> None:
    unnamed = []
    rejected = 0
    for mutation in all_mutations(BASES[name]):
        violations = schema_violations(mutation.apply(BASES[name]))
        if not violations:
            continue
        rejected += 1
        target = mutation.target
        if not any(target.startswith(v.path) or v.path.startswith(target) for v in violations):
            unnamed.append((mutation.describe(), [v.text for v in violations]))
    assert rejected > 20
    assert unnamed == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], "the request body must be a JSON object, got a list"),
        ("data", "the request body must be a JSON object, got a string"),
        ({}, "data is required but missing"),
        ({"data": None}, "data must be a list of objects, got null"),
        ({"data": []}, "data must hold at least 1 element(s), got 0"),
        ({"data": [{}]}, "data[0].event_name is required but missing"),
        (
            {"data": [minimal_event(now=NOW)], "test": True},
            "test is not a valid parameter: remove it (allowed here: data)",
        ),
    ],
)
def test_whole_body_problems(body: Any, expected: str) -> None:
    assert bool(contract_errors(body))
    message = describe_violations(schema_violations(body))
    assert message.startswith(f"Invalid request body: {expected}")


@pytest.mark.parametrize(("count", "valid"), [(1, True), (1000, True), (1001, False)])
def test_at_most_1000_events(count: int, valid: bool) -> None:
    body = request_body(*(minimal_event(f"e{i}", now=NOW) for i in range(count)))
    assert (contract_errors(body) == []) is valid
    violations = schema_violations(body)
    assert (violations == []) is valid
    if not valid:
        assert violations[0].text == "data must hold at most 1000 elements, got 1001"


def test_user_data_accepts_extra_keys_but_needs_an_identifier() -> None:
    event = minimal_event(now=NOW)
    event["user_data"]["loyalty_tier"] = {"any": ["shape"]}
    assert schema_violations(request_body(event)) == []
    event["user_data"] = {"client_ip_address": "198.51.100.23", "ph": ["0" * 64]}
    violations = schema_violations(request_body(event))
    assert [v.text for v in violations] == [
        "data[0].user_data must contain em, hashed_maids, "
        "or both client_ip_address and client_user_agent"
    ]
    assert contract_errors(request_body(event))


def test_wrong_type_messages_say_what_is_expected() -> None:
    event = minimal_event(now=NOW)
    event["event_time"] = 1795000000.0
    event["custom_data"] = {"value": 12.5, "currency": None}
    texts = [v.text for v in schema_violations(request_body(event))]
    assert texts == [
        "data[0].event_time must be an integer, got a decimal number "
        "(write whole numbers without a decimal point)",
        "data[0].custom_data.value must be a string or null, got a decimal number",
    ]


def test_messages_never_quote_values() -> None:
    event = minimal_event(now=NOW)
    event["user_data"]["em"] = ["camille@example.fr", 7]
    event["user_data"]["client_ip_address"] = 198
    message = describe_violations(schema_violations(request_body(event)))
    assert "camille" not in message
    assert "198" not in message
    assert "data[0].user_data.em[1] must be a string, got an integer" in message


@st.composite
def _compound_mutation(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    body = BASES[draw(st.sampled_from(sorted(BASES)))]
    applied = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        mutation: Mutation = draw(st.sampled_from(all_mutations(body)))
        body = mutation.apply(body)
        applied.append(mutation.describe())
        if not isinstance(body.get("data"), list):
            break
    return body, applied


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_compound_mutation())
def test_compound_mutations_are_judged_like_the_schema(
    case: tuple[dict[str, Any], list[str]],
) -> None:
    body, applied = case
    same, ours, theirs = _agrees(body)
    assert same, (applied, ours, theirs)
