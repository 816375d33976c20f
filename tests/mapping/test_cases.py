"""Every table-driven case in ``tests/fixtures/mapping/*.json`` (see ``cases.py``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pinbridge.mapping import Mapped, Mapper, MappingResult, result_as_dict
from pinbridge.mapping.events import EVENT_NAMES
from pinbridge.mapping.table import FIELDS, ITEM_FIELDS
from tests.mapping.cases import Case, check_case, load_cases, mapper_for

CASES = load_cases()


def _map(case: Case) -> MappingResult:
    return mapper_for(case.config).map(case.input, case.received_at)


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value.strip()] if isinstance(value, str) and len(value.strip()) >= 4 else []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    """The expectation holds; the input is untouched; mapping again gives the same result;
    warnings and errors name fields and reasons, never a value of ``user``."""
    before = copy.deepcopy(case.input)
    result = _map(case)
    check_case(case, result)
    assert case.input == before, "the mapper changed its input"
    shown = result_as_dict(result)
    assert result_as_dict(_map(case)) == shown, "mapping is not repeatable"
    user = case.input.get("user") if isinstance(case.input, dict) else None
    messages = " | ".join(shown.get("warnings", []) + shown.get("errors", []))
    leaked = [v for v in _leaves(user) if v in messages]
    assert not leaked, f"{case.id}: a user value appears in {messages!r}"


def _mapped_events() -> list[dict[str, Any]]:
    events = []
    for case in CASES:
        result = _map(case)
        if isinstance(result, Mapped):
            events.append(result.event)
    return events


def test_every_row_of_the_field_table_is_produced_by_some_case() -> None:
    produced: set[str] = set()
    item_keys: set[str] = set()
    for event in _mapped_events():
        for key, value in event.items():
            if key in ("user_data", "custom_data"):
                produced.update(f"{key}.{sub}" for sub in value)
            else:
                produced.add(key)
        for entry in event.get("custom_data", {}).get("contents", []):
            item_keys.update(entry)
    assert set(FIELDS) - produced == set()
    assert set(ITEM_FIELDS) - item_keys == set()


def test_every_built_in_event_name_has_a_case() -> None:
    named = {
        c.input["event_name"].strip().lower()
        for c in CASES
        if c.file == "event_names" and isinstance(c.input.get("event_name"), str)
    }
    assert set(EVENT_NAMES) <= named


def test_fixture_names_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


def test_mapped_events_serialise_as_json() -> None:
    for event in _mapped_events():
        assert json.loads(json.dumps(event)) == event


def test_default_mapper_is_what_settings_build() -> None:
    event = {
        "event_name": "purchase",
        "user": {"email": "a@example.org"},
        "context": {"event_id": "e"},
    }
    assert result_as_dict(Mapper().map(event, 1)) == result_as_dict(mapper_for({}).map(event, 1))
