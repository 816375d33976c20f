"""The ``simulator`` pytest fixture: a real ``pinbridge simulate`` process, token "test-token".

Import it in a conftest (``from tests.support.simulator_fixtures import simulator``) or list
this module in ``pytest_plugins`` of the root conftest. One process is shared by the whole
test session to keep the suite fast; before each test it is put back to its defaults
(token "test-token", no faults, no latency) and its stats are cleared, and it is restarted
if a test killed it. Tests that need command-line-only options (``--seed``) use
:func:`tests.support.simulator.start_simulator` directly.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator

import pytest

from tests.support.simulator import SimulatorProcess, launch

__all__ = ["SIMULATOR_TOKEN", "simulator"]

SIMULATOR_TOKEN = "test-token"
_DEFAULTS: dict[str, object] = {
    "tokens": [SIMULATOR_TOKEN],
    "rate_429": 0.0,
    "rate_500": 0.0,
    "rate_timeout": 0.0,
    "rate_reset": 0.0,
    "latency_ms": 0.0,
    "retry_after": None,
    "timeout_hold_ms": 30000.0,
    "fail_prefix": None,
}
_shared: list[SimulatorProcess] = []


def _close_shared() -> None:
    while _shared:
        _shared.pop().close()


atexit.register(_close_shared)


def _fresh_simulator() -> SimulatorProcess:
    if _shared and not _shared[0].alive():
        _shared.pop().close()
    if not _shared:
        _shared.append(launch("--tokens", SIMULATOR_TOKEN))
    shared = _shared[0]
    shared.configure(**_DEFAULTS)
    shared.reset()
    return shared


@pytest.fixture
def simulator() -> Iterator[SimulatorProcess]:
    """A simulator with default options and token "test-token", stats cleared."""
    yield _fresh_simulator()
