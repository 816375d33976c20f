"""The operator console in a real browser (Debian's chromium through Playwright) against a real
``pinbridge serve`` and the real simulator.

Each test signs in like an operator, drives one page and writes its screenshot to
``docs/images/console-<page>.png`` (1280x800), which docs/dashboard.md shows. The tests are
skipped, saying why, when Playwright or chromium is not installed.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.server.harness import TOKEN, ServerProcess, server_config, start_server, wait_for
from tests.support.postgres import fresh_schema_url
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import simulator

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

__all__ = ["simulator"]  # the fixture, re-exported for pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN_KEY = "console-admin-key-0001"
SENDER_KEY = "console-sender-key-0001"
IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
WAIT_MS = 30_000  # the longest a page may take to show what a test waits for


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless chromium for the console's tests (each test gets its own context).

    Package-scoped, not session-scoped: Playwright's sync API keeps an event loop running
    in the main thread while it is open, and ``asyncio.run`` in later tests would fail."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install chromium); console tests skipped")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def console_config(directory: Path, simulator: SimulatorProcess, **sections: Any) -> Path:
    """A server config: the simulator as Pinterest, one sender and one admin key, quick
    batches and retries (a send that fails is retried once, then the event is a dead letter)."""
    merged: dict[str, dict[str, Any]] = {
        "pinterest": {"api_base_url": simulator.base_url},
        "server": {"source_keys": [SENDER_KEY], "admin_keys": [ADMIN_KEY]},
        "delivery": {
            "batch_max_age_seconds": 0.05,
            "max_attempts": 2,
            "backoff_base_seconds": 0.05,
            "backoff_max_seconds": 0.2,
            "pause_seconds": 60.0,
        },
    }
    for name, values in sections.items():
        merged.setdefault(name, {}).update(values)
    return server_config(directory, sections=merged)


@pytest.fixture
def served(tmp_path: Path, simulator: SimulatorProcess) -> Iterator[ServerProcess]:
    """A running server on a SQLite queue, delivering to the simulator."""
    simulator.configure(tokens=[TOKEN])
    with start_server(console_config(tmp_path, simulator)) as server:
        yield server


@pytest.fixture
def pg_queue_url(postgres_dsn: str) -> Iterator[str]:
    """A ``[queue] url`` on the test PostgreSQL, in a schema of its own (dropped afterwards)."""
    with fresh_schema_url(postgres_dsn, "console") as url:
        yield url


@dataclass
class Console:
    """A browser tab on the console of one server, with what went wrong in it."""

    page: Page
    base_url: str
    errors: list[str] = field(default_factory=list)

    def open(self, route: str = "") -> None:
        """Load the console at ``#/route`` (a fresh page load)."""
        self.page.goto(f"{self.base_url}/#/{route}")

    def sign_in(self, key: str = ADMIN_KEY) -> None:
        """Type the key in the sign-in form and wait for the pages' navigation."""
        self.wait(self.page.locator("#signin"), "the sign-in form")
        self.page.fill("#admin-key", key)
        self.page.click("#signin button")
        self.wait(self.page.locator("#nav"), "the navigation (signed in)")

    def go(self, route: str) -> None:
        """Follow the navigation to ``#/route`` without reloading (as a click would)."""
        self.page.evaluate("(route) => { window.location.hash = '#/' + route; }", route)

    def wait_text(self, selector: str, text: str) -> None:
        """Wait until an element matching ``selector`` shows ``text``."""
        self.wait(self.page.locator(selector, has_text=text).first, f"{selector} to show {text!r}")

    def wait(self, locator: Locator, what: str) -> None:
        """Wait until ``locator`` is visible; fail with what the page showed instead."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            locator.wait_for(timeout=WAIT_MS)
        except PlaywrightTimeout:
            shown = self.page.locator("body").inner_text()
            raise AssertionError(
                f"timed out waiting for {what}; the page ({self.page.url}) shows:\n{shown}\n"
                f"errors: {self.errors}"
            ) from None

    def screenshot(self, name: str) -> Path:
        """Write the visible part of the page to docs/images/console-<name>.png."""
        IMAGES.mkdir(parents=True, exist_ok=True)
        path = IMAGES / f"console-{name}.png"
        self.page.mouse.move(0, 0)  # no hover effect or focus ring in the picture
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        self.page.screenshot(path=path)
        return path

    def loaded_urls(self) -> list[str]:
        """Every resource the page loaded (scripts, styles, API calls)."""
        urls: list[str] = self.page.evaluate(
            "() => performance.getEntriesByType('resource').map(e => e.name)"
        )
        return urls


@pytest.fixture
def console(browser: Browser, served: ServerProcess) -> Iterator[Console]:
    """A new browser context on the served console, not signed in yet."""
    with open_console(browser, served.base_url) as tab:
        yield tab


@contextlib.contextmanager
def open_console(browser: Browser, base_url: str) -> Iterator[Console]:
    """A console tab on ``base_url``; afterwards, fails on script errors, CSP violations and
    resources from elsewhere."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    tab = Console(page, base_url)
    page.on("pageerror", lambda error: tab.errors.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            tab.errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield tab
        elsewhere = [url for url in tab.loaded_urls() if not url.startswith(base_url)]
        assert not elsewhere, f"the console loaded resources from elsewhere: {elsewhere}"
        assert not tab.errors, tab.errors
    finally:
        context.close()


def http_client(server: ServerProcess, key: str) -> httpx.Client:
    """A client sending ``key`` as the Bearer token."""
    return server.client(headers={"Authorization": f"Bearer {key}"})


def wait_for_status(admin: httpx.Client, event_id: str, status: str) -> None:
    """Wait until the delivery log says ``event_id`` is ``status``."""

    def reached() -> bool:
        answer = admin.get(f"/v1/events/{event_id}")
        return answer.status_code == 200 and answer.json()["status"] == status

    wait_for(reached, what=f"{event_id} to be {status}")
