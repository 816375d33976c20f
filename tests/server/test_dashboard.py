"""The dashboard in a real browser (Debian's chromium through Playwright) against a real server.

Skipped, saying why, when chromium or Playwright is not installed.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.server.events import purchase
from tests.server.harness import (
    ACCOUNT,
    TOKEN,
    ServerProcess,
    server_config,
    start_server,
    wait_for,
)
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import simulator

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["simulator"]  # the fixture, re-exported for pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
KEY = "dashboard-key-0001"
SENDER_KEY = "dashboard-sender-0001"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
if not Path(CHROMIUM).exists():
    pytest.skip(
        "chromium is not installed (apt-get install chromium); dashboard test skipped",
        allow_module_level=True,
    )


@pytest.fixture
def served(tmp_path: Path, simulator: SimulatorProcess) -> Iterator[ServerProcess]:
    simulator.configure(tokens=[TOKEN])
    config = server_config(
        tmp_path,
        sections={
            "pinterest": {"api_base_url": simulator.base_url},
            "server": {"source_keys": [SENDER_KEY], "admin_keys": [KEY]},
            "delivery": {"batch_max_age_seconds": 0.05, "pause_seconds": 60.0},
        },
    )
    with start_server(config) as server:
        yield server


def test_dashboard_signs_in_and_shows_counts_dead_letters_pauses_and_history(
    served: ServerProcess, simulator: SimulatorProcess
) -> None:
    sender = served.client(headers={"Authorization": f"Bearer {SENDER_KEY}"})
    with served.client(headers={"Authorization": f"Bearer {KEY}"}) as http, sender:
        sender.post("/events/batch", json={"batch": [purchase("dash-ok"), purchase("dash-ok-2")]})
        simulator.configure(fail_prefix="dash-dead")
        sender.post("/events", json=purchase("dash-dead"))
        for event_id, status in [("dash-ok", "delivered"), ("dash-dead", "failed")]:
            wait_for(
                lambda e=event_id, s=status: http.get(f"/v1/events/{e}").json()["status"] == s,
                what=f"{event_id} to be {status}",
            )
        simulator.configure(tokens=["refused"])
        sender.post("/events", json=purchase("dash-paused"))
        wait_for(lambda: http.get("/v1/status").json()["destinations"]["default"]["paused"])

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            failed_requests: list[str] = []
            page.on("requestfailed", lambda request: failed_requests.append(request.url))

            page.goto(served.base_url + "/")
            page.locator("#signin").wait_for(state="visible")
            assert page.locator("#console").is_hidden()  # nothing shown as if it were data
            page.fill("#admin-key", SENDER_KEY)
            page.click("#signin button")
            page.locator("#signin-message", has_text="refused").wait_for()
            page.fill("#admin-key", KEY)
            page.click("#signin button")
            page.locator("#console").wait_for(state="visible")
            counts = page.locator("#counts tbody")
            counts.locator("tr", has_text="delivered").wait_for()
            delivered = counts.locator("tr", has_text="delivered").locator("td").nth(1)
            assert delivered.inner_text() == "2"
            assert page.locator("#readiness").inner_text() == "not ready"
            assert ACCOUNT in page.locator("#paused tbody").inner_text()
            dead_row = page.locator("#dead tbody tr", has_text="dash-dead")
            dead_row.wait_for()
            assert "fail-prefix" in dead_row.inner_text()

            page.fill("#event-id", "dash-ok")
            page.click("#lookup button")
            page.locator("#history tbody tr", has_text="delivered").wait_for()
            assert "delivered" in page.locator("#history-message").inner_text()
            page.fill("#event-id", "never-sent")
            page.click("#lookup button")
            page.locator("#history-message", has_text="never queued").wait_for()
            assert page.locator("#history").is_hidden()
            assert not failed_requests, failed_requests
            assert all(url.startswith(served.base_url) for url in _loaded(page))
        finally:
            browser.close()


def _loaded(page: Page) -> list[str]:
    urls: list[str] = page.evaluate(
        "() => performance.getEntriesByType('resource').map(e => e.name)"
    )
    return urls
