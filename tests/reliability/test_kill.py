"""kill -9 of the server, again and again, while a separate process sends events: after each
restart on the same queue, every event that got a 2xx is delivered; an event is re-sent
only when the killed server had sent it without recording the answer."""

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

KILLED = (
    "the server was killed (-9) after sending, before recording the answer "
    "(docs/operations.md: a node killed after sending)"
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_kill_9_under_load_loses_nothing(
    backend: str,
    queue_url: str,
    tmp_path: Path,
    record_figures: Callable[[dict[str, Any]], None],
) -> None:
    if backend == "postgres":
        skip_unless_full("kill -9 on PostgreSQL")
    kills = scale(3, 20)
    rng = random.Random(8)
    with ScenarioRun(
        tmp_path, queue_url, scenario=f"kill -9 x{kills}", backend=backend, seed=81
    ) as run:
        run.start_server()
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        for _ in range(kills):
            time.sleep(rng.uniform(0.0, 0.8))  # land the kill at varied moments
            with run.disruption(KILLED, allowed=True):
                run.server.kill()
            run.start_server()
            run.wait_recovered()
        figures, problems = run.finish()
    record_figures(figures)
    assert not problems, problems
    assert figures["accepted"] > 0
    assert figures["other_failures"], "the sender should have met the killed servers"
