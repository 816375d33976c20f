"""The Host check's parsing: which names count as loopback, and how a Host header is read."""

from __future__ import annotations

import pytest

from pinbridge.server.hosts import host_name, is_loopback


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("localhost:8080", "localhost"),
        ("LocalHost", "localhost"),
        ("127.0.0.1:9", "127.0.0.1"),
        ("[::1]:8080", "::1"),
        ("[::1]", "::1"),
        ("shop.example.", "shop.example"),
        (" pinbridge.internal:443 ", "pinbridge.internal"),
        ("::1", "::1"),
    ],
)
def test_host_header_names(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("app.localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.10", False),
        ("attacker.example", False),
        ("127.0.0.1.nip.io", False),
    ],
)
def test_loopback_names(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
