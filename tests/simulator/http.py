"""Small httpx helpers for talking to a simulator process in tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.simulator.payloads import TOKEN
from tests.support.simulator import SimulatorProcess

__all__ = ["ACCOUNT", "post_events"]

ACCOUNT = "549755885175"


def post_events(
    simulator: SimulatorProcess,
    body: Any,
    *,
    token: str | None = TOKEN,
    test: bool = False,
    account: str = ACCOUNT,
    timeout: float = 30.0,
    raw: bytes | None = None,
) -> httpx.Response:
    """POST ``body`` (JSON) or ``raw`` bytes to the events endpoint, as Pinterest's client would."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    url = simulator.events_url(account, test=test)
    with httpx.Client(timeout=timeout) as client:
        if raw is not None:
            return client.post(url, content=raw, headers=headers)
        return client.post(url, json=body, headers=headers)
