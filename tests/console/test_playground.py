"""The mapping playground: what the running configuration makes of a pasted event."""

from __future__ import annotations

import json

from tests.console.conftest import ADMIN_KEY, Console, http_client
from tests.server.events import EMAIL, filtered, invalid, purchase
from tests.server.harness import ServerProcess


def _paste(console: Console, event: object) -> None:
    text = event if isinstance(event, str) else json.dumps(event, indent=2)
    console.page.fill("#event-input", text)


def test_the_playground_maps_filters_and_refuses_without_storing_anything(
    console: Console, served: ServerProcess
) -> None:
    page = console.page
    console.open("playground")
    console.sign_in()
    console.wait_text("#result-status", "mapped")  # the example maps as it is

    _paste(console, purchase("play-1"))
    console.wait_text("#mapped-event", "play-1")
    mapped = json.loads(page.locator("#mapped-event").inner_text())
    assert mapped["event_name"] == "checkout"
    assert mapped["custom_data"]["order_id"] == "ORD-play-1"
    assert len(mapped["user_data"]["em"][0]) == 64
    assert EMAIL.lower() not in page.locator("#playground-result").inner_text().lower()
    assert page.locator("#playground-destination").input_value() == "default"
    console.screenshot("playground")

    _paste(console, filtered("play-2"))
    console.wait_text("#filter-reason", "unmapped_event")
    assert "[events]" in page.locator("#filter-reason").inner_text()

    _paste(console, invalid("play-3"))
    console.wait_text("#result-status", "invalid")
    assert page.locator("#result-errors li").count() >= 1

    _paste(console, '{"event_name": "purchase",')
    console.wait_text("#json-error", "not valid JSON")

    with http_client(served, ADMIN_KEY) as admin:
        assert admin.get("/v1/events", params={"event_id_prefix": "play-"}).json()["events"] == []
        minutes = admin.get("/v1/stats").json()["minutes"]
        assert sum(minute["received"] for minute in minutes) == 0  # nothing was ingested
