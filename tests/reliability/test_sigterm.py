"""SIGTERM while a separate process sends events: the server stops intake, records the
answers of the batches in flight and exits 0; restarted on the same queue it delivers the
rest. No event is re-sent: a graceful stop leaves no answer unrecorded."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.scenario import ScenarioRun
from tests.reliability.suite import BACKENDS, scale, skip_unless_full

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

STOPPED = (
    "the server was stopped with SIGTERM (docs/service.md: it records the answers of the "
    "batches in flight first, so nothing should be sent again)"
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigterm_under_load_loses_nothing_and_resends_nothing(
    backend: str,
    queue_url: str,
    tmp_path: Path,
    record_figures: Callable[[dict[str, Any]], None],
) -> None:
    if backend == "postgres":
        skip_unless_full("SIGTERM on PostgreSQL")
    stops = scale(1, 5)
    rng = random.Random(15)
    exits = []
    with ScenarioRun(
        tmp_path, queue_url, scenario=f"SIGTERM x{stops}", backend=backend, seed=15
    ) as run:
        run.start_server()
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        for _ in range(stops):
            time.sleep(rng.uniform(0.0, 0.8))
            with run.disruption(STOPPED, allowed=False):
                exits.append(run.server.terminate())
            run.start_server()
            run.wait_recovered()
        figures, problems = run.finish()
    record_figures({**figures, "exit_statuses": exits})
    assert not problems, problems
    assert exits == [0] * stops, f"SIGTERM should end the server with status 0: {exits}"
    assert figures["accepted"] > 0
