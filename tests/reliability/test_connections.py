"""Connections that hog the server: idle ones, slow ones (slowloris headers, a trickled
body) and enough of them to exhaust its open files. The server ends them, keeps serving
the real sender, survives, and nothing accepted is lost."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.reliability.flood import Flood
from tests.reliability.scenario import ScenarioRun, eventually
from tests.reliability.suite import skip_unless_full

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

HOGGED = "connections hogged the server: nothing is sent to Pinterest differently"
_HOLD = 10.0
_CLOSE_WITHIN = 120.0
_FILE_LIMIT = 256


def _address(run: ScenarioRun) -> tuple[str, int]:
    parts = urlsplit(run.server.base_url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def test_slow_and_idle_connections_are_closed_and_senders_still_served(
    tmp_path: Path, record_figures: Callable[[dict[str, Any]], None]
) -> None:
    skip_unless_full("slow and idle connections (a 30 s hold)")
    queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    with ScenarioRun(
        tmp_path, queue_url, scenario="slow and idle connections", backend="sqlite", seed=408
    ) as run:
        run.start_server()
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        flood = Flood(_address(run))
        try:
            with run.disruption(HOGGED, allowed=False, stops=False):
                flooded_at = time.time()
                flood.open("idle", 200)
                flood.open("slow-headers", 50)
                flood.open("slow-body", 50)
                time.sleep(_HOLD)
                served = load.progress().answers_after(flooded_at)
                closed_all = eventually(lambda: flood.open_count() == 0, _CLOSE_WITHIN)
                connections = flood.figures()
            run.wait_recovered()
        finally:
            flood.close()
        figures, problems = run.finish()
    record_figures({**figures, "connections": connections, "served_while_hogged": served})
    assert not problems, problems
    assert served > 0, "the real sender should be served while slow connections are open"
    assert closed_all, f"the server left connections open: {connections}"
    for slow in ("slow-headers", "slow-body"):  # answered 408 when answered at all
        answers = connections[slow]["answers"]
        assert isinstance(answers, dict) and set(answers) <= {"408"}, connections[slow]


def test_open_file_exhaustion_is_survived_and_loses_nothing(
    tmp_path: Path, record_figures: Callable[[dict[str, Any]], None]
) -> None:
    queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    with ScenarioRun(
        tmp_path, queue_url, scenario="open-file exhaustion", backend="sqlite", seed=24
    ) as run:
        server = run.start_server()
        limit = (_FILE_LIMIT, _FILE_LIMIT)
        resource.prlimit(server.process.pid, resource.RLIMIT_NOFILE, limit)
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        flood = Flood(_address(run))
        try:
            with run.disruption(HOGGED, allowed=False, stops=False):
                flooded_at = time.time()
                flood.open("idle", 2 * _FILE_LIMIT)
                time.sleep(_HOLD)
                served = load.progress().answers_after(flooded_at)
                alive_while_flooded = server.process.poll() is None
                connections = flood.figures()
                flood.close()
            run.wait_recovered()
        finally:
            flood.close()
        alive = server.process.poll() is None
        figures, problems = run.finish()
    record_figures(
        {
            **figures,
            "file_limit": _FILE_LIMIT,
            "connections": connections,
            "refused": dict(flood.refused),
            "served_while_flooded": served,
        }
    )
    assert not problems, problems
    assert alive_while_flooded and alive, "the server should survive running out of files"
    assert served > 0, "the real sender should be served while the flood holds connections"
    assert len(run.servers) == 1, "the server should not have needed a restart"
