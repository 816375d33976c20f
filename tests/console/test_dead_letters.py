"""Dead letters grouped by Pinterest's reason; replay and discard, each after a confirmation."""

from __future__ import annotations

from tests.console.conftest import ADMIN_KEY, SENDER_KEY, Console, http_client, wait_for_status
from tests.server.events import purchase
from tests.server.harness import ServerProcess
from tests.support.simulator import SimulatorProcess

REFUSED = "matches the simulator's --fail-prefix"


def test_dead_letters_are_grouped_replayed_and_discarded(
    console: Console, served: ServerProcess, simulator: SimulatorProcess
) -> None:
    with http_client(served, SENDER_KEY) as sender, http_client(served, ADMIN_KEY) as admin:
        simulator.configure(rate_500=1.0)  # Pinterest fails every send: given up after 2
        for n in range(2):
            sender.post("/events", json=purchase(f"flaky-{n}"))
        for n in range(2):
            wait_for_status(admin, f"flaky-{n}", "failed")
        simulator.configure(rate_500=0.0, fail_prefix="refused-")
        sender.post("/events/batch", json={"batch": [purchase(f"refused-{n}") for n in range(3)]})
        for n in range(3):
            wait_for_status(admin, f"refused-{n}", "failed")

        page = console.page
        console.open("dead-letters")
        console.sign_in()
        console.wait_text("#dead-total", "5 dead letters")
        groups = page.locator("#groups tbody tr")
        assert groups.count() == 2
        refused = page.locator("#groups tr", has_text=REFUSED)
        assert refused.locator("td").nth(1).inner_text() == "3"  # ordered by count, largest first
        assert REFUSED in groups.first.inner_text()
        assert "HTTP 500" in page.locator("#groups tr", has_text="gave up").inner_text()
        assert page.locator("#dead-letters tbody tr").count() == 5
        console.screenshot("dead-letters")

        dialog = page.locator("#confirm")
        refused.locator("button[data-action=replay]").click()
        dialog.wait_for(state="visible")
        assert "3 dead letters" in dialog.inner_text()
        dialog.locator("button[value=cancel]").click()
        assert dialog.is_hidden()
        assert admin.get("/v1/dead-letters").json()["total"] == 5  # cancelled: nothing done

        simulator.configure(fail_prefix=None)  # the cause is fixed: replay the group
        refused.locator("button[data-action=replay]").click()
        dialog.locator("#confirm-button").click()
        console.wait_text("#action-result", "3 dead letters replayed")
        for n in range(3):
            wait_for_status(admin, f"refused-{n}", "delivered")
        console.wait_text("#dead-total", "2 dead letters")

        row = page.locator("#dead-letters tr", has_text="flaky-0")
        row.locator("button[data-action=discard]").click()
        assert "cannot be undone" in dialog.inner_text()
        dialog.locator("#confirm-button").click()
        console.wait_text("#action-result", "1 dead letter discarded")
        assert admin.get("/v1/events/flaky-0").status_code == 404  # deleted, with its history

        page.click("button[data-scope=all][data-action=replay]")
        dialog.locator("#confirm-button").click()
        console.wait_text("#action-result", "1 dead letter replayed")
        wait_for_status(admin, "flaky-1", "delivered")
        console.wait_text("#no-dead-letters", "No dead letters")

        console.go("events?event_id_prefix=refused-")  # the replayed events, delivered
        console.wait_text("#events-data p", "3 most recent entries")
        for n in range(3):
            console.wait_text(f"#events tr:has-text('refused-{n}') .badge", "delivered")
