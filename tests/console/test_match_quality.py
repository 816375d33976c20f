"""Match quality: the share of events carrying each identifier, with a hint for the biggest gap."""

from __future__ import annotations

from tests.console.conftest import ADMIN_KEY, SENDER_KEY, Console, http_client
from tests.server.events import purchase
from tests.server.harness import ServerProcess, wait_for


def test_match_quality_shows_the_share_of_click_ids_and_a_hint(
    console: Console, served: ServerProcess
) -> None:
    events = [purchase(f"mq-{n}") for n in range(8)]
    for event in events[:2]:  # a quarter of the checkouts carry the _epik click id
        event["context"]["device"]["cookie"] = "session=1; _epik=dj0yJnU9Y2xpY2s"
    for n in range(4):  # anonymous page views, half of them landing from a Pinterest ad
        url = "https://shop.example.fr/p/7001" + ("?epik=dj0yJnU9bGFuZGluZw" if n % 2 else "")
        device = {"ip": "198.51.100.23", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}
        context = {"event_id": f"mq-view-{n}", "page": {"url": url}, "device": device}
        events.append({"event_name": "page_view", "context": context})
    with http_client(served, SENDER_KEY) as sender, http_client(served, ADMIN_KEY) as admin:
        assert sender.post("/events/batch", json={"batch": events}).status_code == 202
        wait_for(
            lambda: admin.get("/v1/match-quality").json()["event_names"].get("checkout"),
            what="match quality to count the checkouts",
        )

    page = console.page
    console.open("match-quality")
    console.sign_in()
    row = page.locator("#quality tr[data-event-name=checkout]")
    row.wait_for()
    assert row.locator("td").nth(1).inner_text() == "8"
    assert row.locator("[data-identifier=click_id]").inner_text().strip() == "25%"
    assert row.locator("[data-identifier=em]").inner_text().strip() == "100%"
    assert row.locator("[data-identifier=order_id]").inner_text().strip() == "100%"
    views = page.locator("#quality tr[data-event-name=page_visit]")
    assert views.locator("[data-identifier=click_id]").inner_text().strip() == "50%"
    order_id = views.locator("[data-identifier=order_id]")
    assert order_id.inner_text().strip() == "\u2013"  # a dash: measured for checkouts only
    hints = page.locator("#hints").inner_text()
    assert "click_id" in hints and "_epik" in hints
    console.screenshot("match-quality")

    page.select_option("#quality-window", "3600")
    console.wait_text("#quality tr[data-event-name=checkout]", "25%")
    assert "window=3600" in page.url
