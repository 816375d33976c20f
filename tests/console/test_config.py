"""The configuration page: every destination's effective settings, secrets masked."""

from __future__ import annotations

from tests.console.conftest import ADMIN_KEY, SENDER_KEY, Console
from tests.server.harness import ACCOUNT, TOKEN


def test_the_configuration_shows_each_destination_with_its_secrets_masked(
    console: Console,
) -> None:
    page = console.page
    console.open("config")
    console.sign_in()
    default = page.locator("[data-destination=default]")
    default.wait_for()
    text = default.inner_text()
    assert ACCOUNT in text
    assert "*** (masked)" in text
    assert page.locator("[data-section=server]").count() == 1
    assert page.locator("[data-section=delivery]").count() == 1
    whole = page.locator("#page").inner_text()
    for secret in (TOKEN, ADMIN_KEY, SENDER_KEY):
        assert secret not in whole
    console.screenshot("config")
