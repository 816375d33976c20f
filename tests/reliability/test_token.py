"""Pinterest refuses the token (revoked at the simulator) while events arrive, then accepts
it again: the account pauses, intake goes on, nothing is lost or failed, and everything
held is delivered once the token is restored."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.scenario import ScenarioRun
from tests.reliability.suite import BACKENDS, scale, skip_unless_full
from tests.server.harness import TOKEN, wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

REVOKED = "the token was refused (401): nothing is processed, so nothing may be sent again"


@pytest.mark.parametrize("backend", BACKENDS)
def test_token_revoked_then_restored_pauses_and_loses_nothing(
    backend: str,
    queue_url: str,
    tmp_path: Path,
    record_figures: Callable[[dict[str, Any]], None],
) -> None:
    if backend == "postgres":
        skip_unless_full("the revoked token on PostgreSQL")
    revoked_for = scale(3, 10)
    with ScenarioRun(
        tmp_path, queue_url, scenario="token revoked, restored", backend=backend, seed=401
    ) as run:
        run.start_server()
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        with run.disruption(REVOKED, allowed=False):
            run.sim.configure(tokens=[])
            paused = wait_for(
                lambda: _paused(run), timeout=60, what="/readyz to say the account is paused"
            )
            time.sleep(revoked_for)
            with run.server.client() as http:
                held = http.get("/v1/status").json()["queue_depth"]
        run.sim.configure(tokens=[TOKEN])
        run.wait_recovered()
        figures, problems = run.finish()
    record_figures({**figures, "held_while_revoked": held, "revoked_s": revoked_for})
    assert not problems, problems
    assert paused[0] == 503, paused
    assert figures["simulator_requests"].get("401", 0) >= 1
    assert held > 0, "events should have waited in the queue while the token was refused"
    assert figures["final_with_reason"] == {}, "a refused token must not fail events"


def _paused(run: ScenarioRun) -> tuple[int, str] | None:
    """``/readyz`` (status, body) when it names a paused account, else None."""
    status, body = run.readiness()
    return (status, body) if "paused" in body else None
