"""Several nodes on one PostgreSQL: the console of one node shows what another received, as
everything it shows comes from the queue database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.console.conftest import (
    ADMIN_KEY,
    SENDER_KEY,
    console_config,
    http_client,
    open_console,
    wait_for_status,
)
from tests.server.events import purchase
from tests.server.harness import TOKEN, start_server
from tests.support.simulator import SimulatorProcess

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.postgres


def test_the_console_of_one_node_shows_the_events_another_node_received(
    browser: Browser, tmp_path: Path, simulator: SimulatorProcess, pg_queue_url: str
) -> None:
    simulator.configure(tokens=[TOKEN], fail_prefix="node-refused-")
    configs = []
    for name in ("ingest", "console"):
        (tmp_path / name).mkdir()
        configs.append(console_config(tmp_path / name, simulator, queue={"url": pg_queue_url}))
    with (
        start_server(configs[0], "--no-delivery") as ingest_node,
        start_server(configs[1]) as console_node,
    ):
        with http_client(ingest_node, SENDER_KEY) as sender:
            batch = [purchase(f"node-{n}") for n in range(4)] + [purchase("node-refused-1")]
            assert sender.post("/events/batch", json={"batch": batch}).status_code == 202
        with http_client(console_node, ADMIN_KEY) as admin:
            wait_for_status(admin, "node-3", "delivered")  # delivered by the other node
            wait_for_status(admin, "node-refused-1", "failed")

        with open_console(browser, console_node.base_url) as console:
            page = console.page
            console.open("events")
            console.sign_in()
            for n in range(4):
                console.wait_text(f"#events tr:has-text('node-{n}') .badge", "delivered")
            console.go("events/node-0")  # sent in one batch with the refused event: a 422
            console.wait_text("#event-summary .badge", "delivered")
            assert "HTTP 422" in page.locator("#attempts tbody tr").first.inner_text()
            console.go("dead-letters")
            console.wait_text("#dead-total", "1 dead letter")
            console.go("overview")
            console.wait_text("figure .legend li", "received 5")
            assert "delivered 4" in page.locator("figure", has_text="Delivery").inner_text()
