"""Signing in and out, the overview, the problems banner, and what the console says when it
cannot read the data."""

from __future__ import annotations

from tests.console.conftest import (
    ADMIN_KEY,
    SENDER_KEY,
    WAIT_MS,
    Console,
    http_client,
    wait_for_status,
)
from tests.server.events import filtered, invalid, purchase
from tests.server.harness import ServerProcess, wait_for
from tests.support.simulator import SimulatorProcess


def test_sign_in_is_needed_a_sender_key_is_refused_and_sign_out_forgets_the_key(
    console: Console,
) -> None:
    page = console.page
    console.open()
    page.locator("#signin").wait_for(state="visible", timeout=WAIT_MS)
    assert page.locator("#page").is_hidden()  # nothing shown as if it were data
    assert page.locator("#nav").is_hidden()
    console.screenshot("signin")

    page.fill("#admin-key", SENDER_KEY)
    page.click("#signin button")
    console.wait_text("#signin-message", "refused")
    assert page.locator("#page").is_hidden()

    console.sign_in(ADMIN_KEY)
    console.wait_text("#page h1", "Overview")
    page.reload()  # the key is kept for this tab
    console.wait_text("#page h1", "Overview")

    page.click("#signout")
    page.locator("#signin").wait_for(state="visible", timeout=WAIT_MS)
    assert page.locator("#page").is_hidden()
    assert page.evaluate("() => window.sessionStorage.length") == 0
    page.reload()
    page.locator("#signin").wait_for(state="visible", timeout=WAIT_MS)


def test_the_overview_shows_what_came_in_and_went_out_and_the_servers_problems(
    console: Console, served: ServerProcess, simulator: SimulatorProcess
) -> None:
    with http_client(served, SENDER_KEY) as sender, http_client(served, ADMIN_KEY) as admin:
        batch = [purchase(f"ov-{n}") for n in range(6)] + [filtered("ov-f"), invalid("ov-i")]
        assert sender.post("/events/batch", json={"batch": batch}).status_code == 202
        for n in range(6):
            wait_for_status(admin, f"ov-{n}", "delivered")

        console.open("overview")
        console.sign_in()
        page = console.page
        console.wait_text("#counts tr", "delivered")
        assert (
            page.locator("#counts tr", has_text="delivered").locator("td").nth(1).inner_text()
            == "6"
        )
        ingest = page.locator("figure", has_text="Ingest")
        console.wait_text("figure .legend li", "received 8")
        assert "queued 6" in ingest.locator(".legend").inner_text()
        assert "filtered 1" in ingest.locator(".legend").inner_text()
        assert "invalid 1" in ingest.locator(".legend").inner_text()
        assert "delivered 6" in page.locator("figure", has_text="Delivery").inner_text()
        answers = page.locator("figure", has_text="Pinterest's answer")
        assert "HTTP 200" in (answers.locator("svg").text_content() or "")
        assert (
            page.locator("#destinations tr", has_text="default").locator(".badge").inner_text()
            == "delivering"
        )
        assert page.locator("#invalid-errors").count() == 1
        assert page.locator("#banner").is_hidden()  # all well, and the page can tell
        console.screenshot("overview")
        page.locator("figure", has_text="Ingest").evaluate(
            "e => { e.scrollIntoView(); scrollBy(0, -24); }"
        )
        console.screenshot("overview-charts")

        simulator.configure(tokens=["another-token"])  # Pinterest now refuses the token
        assert sender.post("/events", json=purchase("ov-paused")).status_code == 202
        wait_for(lambda: admin.get("/v1/status").json()["destinations"]["default"]["paused"])
    console.wait_text("#banner", "paused")
    console.wait_text("#destinations tr", "paused")


def test_the_console_says_so_when_it_cannot_read_the_data(
    console: Console, served: ServerProcess
) -> None:
    console.open("dead-letters")
    console.sign_in()
    console.wait_text("#no-dead-letters", "No dead letters")
    served.terminate()
    console.wait_text(".stale-notice", "Could not refresh this page")
    console.wait_text("#banner", "Cannot read the server's status")
    assert "stale" in (console.page.locator("#page").get_attribute("class") or "")
    console.go("events")  # a page never read: an error, not an empty list
    console.wait_text(".stale-notice", "Could not read this page's data")
    assert console.page.locator("#events").count() == 0
    assert console.page.locator("#events-data .empty").count() == 0
