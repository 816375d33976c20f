"""The events page (live list with filters) and the inspector of one event."""

from __future__ import annotations

import re

from tests.console.conftest import ADMIN_KEY, SENDER_KEY, Console, http_client, wait_for_status
from tests.server.events import EMAIL, purchase
from tests.server.harness import ServerProcess

_SHA256 = re.compile(r'"[0-9a-f]{64}"')


def test_events_arrive_live_and_the_filters_stay(console: Console, served: ServerProcess) -> None:
    page = console.page
    console.open("events")
    console.sign_in()
    console.wait_text("#events-data .empty", "No event matches these filters.")

    with http_client(served, SENDER_KEY) as sender, http_client(served, ADMIN_KEY) as admin:
        for n in range(3):
            sender.post("/events", json=purchase(f"live-{n}"))
        console.wait_text("#events tr", "live-2")  # arrives without reloading the page
        wait_for_status(admin, "live-2", "delivered")
        console.wait_text("#events tr:has-text('live-2') .badge", "delivered")

        page.fill("#event-filters input[name=event_id_prefix]", "live-1")
        console.wait_text("#events-data p", "1 most recent entry")
        assert page.locator("#events tbody tr").count() == 1
        assert "event_id_prefix=live-1" in page.url  # the filter is in the address
        sender.post("/events", json=purchase("live-1-again"))
        console.wait_text("#events tr", "live-1-again")  # refreshed with the filter kept
        assert page.locator("#events tr", has_text="live-0").count() == 0
        assert page.locator("#event-filters input[name=event_id_prefix]").input_value() == "live-1"

        page.select_option("#event-filters select[name=status]", "failed")
        console.wait_text("#events-data .empty", "No event matches these filters.")
        page.reload()  # the filters come back from the address
        console.wait_text("#events-data .empty", "No event matches these filters.")
        assert page.locator("#event-filters select[name=status]").input_value() == "failed"

        console.go("events")
        page.wait_for_url(re.compile(r"#/events$"))
        for n in range(3, 12):
            sender.post("/events", json=purchase(f"live-{n}"))
        console.wait_text("#events tr", "live-11")
        wait_for_status(admin, "live-11", "delivered")
        console.wait_text("#events tr:has-text('live-11') .badge", "delivered")
    console.screenshot("events")


def test_the_inspector_shows_the_payload_warnings_and_pinterests_answer(
    console: Console, served: ServerProcess
) -> None:
    event = purchase("inspect-1")
    event["user"]["phone"] = "12"  # too short: a warning at ingest, the event still goes
    with http_client(served, SENDER_KEY) as sender, http_client(served, ADMIN_KEY) as admin:
        sender.post("/events", json=event)
        wait_for_status(admin, "inspect-1", "delivered")

    page = console.page
    console.open("events")
    console.sign_in()
    page.click("#events a.event-id:text-is('inspect-1')")
    console.wait_text("#page h1", "inspect-1")
    assert page.url.endswith("#/events/inspect-1")
    payload = page.locator("#payload").inner_text()
    assert '"event_name": "checkout"' in payload
    assert _SHA256.search(payload)  # hashed identifiers only
    assert EMAIL.lower() not in payload.lower()
    assert "user_data.ph" in page.locator("#warnings").inner_text()
    attempt = page.locator("#attempts tbody tr").first
    assert "HTTP 200" in attempt.inner_text()
    assert attempt.locator("td").nth(3).inner_text() == "1"  # batch size
    assert page.locator("#history tr", has_text="delivered").count() == 1
    assert page.locator("#event-summary .badge").inner_text() == "delivered"
    console.screenshot("inspector")

    console.go("events/never-sent")
    console.wait_text("#not-found", "never queued")
