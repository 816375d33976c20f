"""Every mapped event (fixtures and shared samples) is valid for Pinterest's OpenAPI schema."""

from __future__ import annotations

import json

import pytest

from pinbridge.mapping import Mapped, Mapper
from tests.mapping.cases import load_cases, mapper_for
from tests.mapping.samples import EXPECTED, require_examples, sample_lines
from tests.support.contract import require_contract, validate_event, validate_request

CASES = [case for case in load_cases() if case.expect["status"] == "mapped"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture_event_matches_the_contract(case) -> None:  # type: ignore[no-untyped-def]
    require_contract()
    result = mapper_for(case.config).map(case.input, case.received_at)
    assert isinstance(result, Mapped), case.id
    validate_event(result.event)


def test_sample_events_match_the_contract_as_one_request() -> None:
    require_contract()
    require_examples()
    mapper = Mapper()
    events = []
    for name in sorted(EXPECTED):
        for line in sample_lines(name):
            try:
                raw = json.loads(line)
            except ValueError:
                continue
            result = mapper.map(raw, 1795856500)
            if isinstance(result, Mapped):
                validate_event(result.event)
                events.append(result.event)
    assert len(events) == 5
    validate_request({"data": events})


def test_the_validator_rejects_what_pinterest_would() -> None:
    """Guards the guard: wrong types, unknown keys, missing identity must fail validation."""
    require_contract()
    good = {
        "event_name": "checkout",
        "action_source": "web",
        "event_time": 1795856400,
        "event_id": "e",
        "user_data": {"em": ["0" * 64]},
    }
    validate_event(good)
    for bad in (
        {**good, "opt_out": None},
        {**good, "unknown": 1},
        {**good, "custom_data": {"contents": [{"quantity": "1"}]}},
        {**good, "user_data": {"client_ip_address": "1.2.3.4"}},
        {k: v for k, v in good.items() if k != "event_id"},
    ):
        with pytest.raises(AssertionError):
            validate_event(bad)
