"""Every event the mapper produces from the shared examples is accepted by the simulator."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.simulator.http import post_events
from tests.simulator.payloads import request_body
from tests.support.contract import validate_event
from tests.support.shared import EXAMPLES_DIR
from tests.support.simulator import SimulatorProcess


def _examples(now_ms: int) -> list[dict[str, Any]]:
    """The shared example events, timestamps moved to ``now_ms`` so they are fresh."""
    if not EXAMPLES_DIR.is_dir():
        pytest.skip(f"shared examples are not at {EXAMPLES_DIR}; mapper round trip skipped")
    raws: list[Any] = []
    for path in sorted(EXAMPLES_DIR.iterdir()):
        if path.suffix == ".json":
            raws.append(json.loads(path.read_text()))
        elif path.suffix == ".ndjson":
            for line in path.read_text().splitlines():
                try:
                    raws.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
    events = [raw for raw in raws if isinstance(raw, dict)]
    for event in events:
        context = event.get("context")
        if isinstance(context, dict) and "event_timestamp" in context:
            context["event_timestamp"] = now_ms
        if "event_timestamp" in event:
            event["event_timestamp"] = now_ms
    return events


@pytest.mark.parametrize("unmapped_events", ["filter", "custom"])
def test_mapped_examples_are_all_processed(
    simulator: SimulatorProcess, unmapped_events: str
) -> None:
    mapping = pytest.importorskip("pinbridge.mapping")
    mapper = mapping.Mapper(mapping.MappingOptions(unmapped_events=unmapped_events))
    now = int(time.time())
    mapped = []
    for raw in _examples(now * 1000):
        result = mapper.map(raw, now)
        if isinstance(result, mapping.Mapped):
            validate_event(result.event)
            mapped.append(result.event)
    assert len(mapped) >= 5

    response = post_events(simulator, request_body(*mapped))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["num_events_processed"] == len(mapped)
    assert [e["error_message"] for e in body["events"]] == [""] * len(mapped)
    assert simulator.stats()["accepted_event_ids"] == [e["event_id"] for e in mapped]
