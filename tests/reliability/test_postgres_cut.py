"""PostgreSQL unreachable, then back, while events arrive: pinbridge talks to PostgreSQL
through the suite's TCP proxy, which is cut (every connection reset, new ones refused) and
restored, so the shared PostgreSQL server is never restarted. Nothing accepted is lost;
the 5xx answers and the time to recover are figures, not assertions."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.reliability.scenario import ScenarioRun
from tests.reliability.suite import scale
from tests.support.tcp_proxy import running_proxy

pytestmark = [pytest.mark.reliability, pytest.mark.slow, pytest.mark.postgres]

UNREACHABLE = (
    "PostgreSQL was unreachable: a worker had Pinterest's answer but could not record it "
    "(docs/operations.md: the queue could not record the answer)"
)


@pytest.mark.parametrize("backend", ["postgres"])
def test_postgres_unreachable_and_back_loses_nothing(
    backend: str,
    queue_url: str,
    tmp_path: Path,
    record_figures: Callable[[dict[str, Any]], None],
) -> None:
    cuts = scale(1, 3)
    cut_seconds = scale(3, 5)
    parts = urlsplit(queue_url)
    assert parts.hostname is not None
    with running_proxy((parts.hostname, parts.port or 5432)) as proxy:
        user = f"{parts.username}@" if parts.username else ""
        proxied = parts._replace(netloc=f"{user}127.0.0.1:{proxy.port}").geturl()
        with ScenarioRun(
            tmp_path,
            proxied,
            scenario=f"PostgreSQL cut x{cuts} ({cut_seconds} s each)",
            backend=backend,
            seed=5432,
        ) as run:
            run.start_server()
            load = run.start_load(rate=100, batch=10, senders=2)
            load.wait_for_answers(3, since=0, timeout=60)
            dropped = []
            for _ in range(cuts):
                time.sleep(1.0)
                with run.disruption(UNREACHABLE, allowed=True):
                    dropped.append(proxy.cut())
                    time.sleep(cut_seconds)
                proxy.restore()
                run.wait_recovered()
            figures, problems = run.finish()
    record_figures({**figures, "cut_s": cut_seconds, "connections_reset": dropped})
    assert not problems, problems
    assert all(dropped), f"every cut should have reset pinbridge's connections: {dropped}"
    assert figures["accepted"] > 0
