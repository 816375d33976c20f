"""The amplification body: 100,000 ``{}`` lines of NDJSON (300 KB, under the request size
limit) cost the sender little to send. The server refuses it at once with 413 and a short
answer, instead of answering 100,000 verbose results, and keeps serving the real sender."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.scenario import ScenarioRun

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

AMPLIFIED = "amplification bodies were posted: nothing is sent to Pinterest differently"
_LINES = 100_000
_SHORT_ANSWER = 4096
_BODIES = {
    "ndjson": (b"{}\n" * _LINES, "application/x-ndjson"),
    "json batch": (b'{"batch":[' + b",".join([b"{}"] * _LINES) + b"]}", "application/json"),
}


def test_amplification_body_is_refused_with_a_short_413(
    tmp_path: Path, record_figures: Callable[[dict[str, Any]], None]
) -> None:
    queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    answers: dict[str, dict[str, Any]] = {}
    with ScenarioRun(
        tmp_path, queue_url, scenario="amplification body", backend="sqlite", seed=100
    ) as run:
        run.start_server()
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        with run.disruption(AMPLIFIED, allowed=False, stops=False), run.server.client() as http:
            for name, (body, content_type) in _BODIES.items():
                started = time.monotonic()
                response = http.post(
                    "/events/batch", content=body, headers={"Content-Type": content_type}
                )
                answers[name] = {
                    "status": response.status_code,
                    "request_bytes": len(body),
                    "answer_bytes": len(response.content),
                    "seconds": round(time.monotonic() - started, 2),
                    "error": _error_of(response),
                }
        run.wait_recovered()
        figures, problems = run.finish()
    record_figures({**figures, "amplification": answers})
    assert not problems, problems
    for name, answer in answers.items():
        assert answer["status"] == 413, (name, answer)
        assert answer["answer_bytes"] < _SHORT_ANSWER, (name, answer)
        assert "1000" in answer["error"].replace(",", ""), (name, answer)


def _error_of(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", ""))[:300]
    except ValueError:
        return response.text[:300]
