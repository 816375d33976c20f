"""``pinbridge demo`` runs the whole pipeline, exits 0 and prints its summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any

import pytest

from pinbridge.demo.report import DemoSummary, FinalStatus

pytestmark = pytest.mark.slow


def test_demo_exits_0_and_prints_its_summary(record_numbers: dict[str, Any]) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pinbridge.cli", "demo", "--events", "80", "--timeout", "90"],
        check=False,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "160"},
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Ingest: 85 events posted" in output
    assert "Every accepted event reached a final status." in output
    delivered = re.search(r"│ delivered\s+│\s+(\d+) │", output)
    assert delivered is not None, output
    assert int(delivered.group(1)) > 0
    for heading in ("Delivery of the", "Simulated Pinterest", "failed (dead letters)"):
        assert heading in output
    record_numbers.update(
        delivered=int(delivered.group(1)), seconds=round(time.monotonic() - started, 1)
    )


def test_demo_refuses_a_bad_event_count() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pinbridge.cli", "demo", "--events", "many"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--events must be a whole number, not 'many' (for example --events 300)" in done.stderr


def test_the_demo_fails_when_an_accepted_event_is_not_final_or_never_arrived() -> None:
    summary = DemoSummary(
        final={
            "a": FinalStatus("delivered"),
            "b": FinalStatus("retrying", "HTTP 500"),
            "c": None,
            "d": FinalStatus("delivered"),
            "e": FinalStatus("failed", "Invalid event_timestamp"),
        },
        simulator={"accepted_event_ids": ["a"]},
        timed_out=True,
    )
    assert summary.problems() == [
        "2 accepted events have no final status (timed out), e.g. b, c",
        "the simulator never received 1 of the events marked delivered, e.g. d",
    ]
    summary.final = {"a": FinalStatus("delivered"), "e": FinalStatus("failed", "bad")}
    assert summary.problems() == []
