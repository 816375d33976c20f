"""The server's event loop: uvloop's when it can be imported, asyncio's own otherwise."""

from __future__ import annotations

import asyncio

import pytest

from pinbridge.server import runner


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_the_server_loop_is_uvloop() -> None:
    assert runner.run(_loop_module()).startswith("uvloop")


def test_without_uvloop_the_server_loop_is_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "_new_event_loop", None)
    assert runner.run(_loop_module()).startswith("asyncio")
