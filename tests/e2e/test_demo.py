"""``pinbridge demo`` runs the whole pipeline, exits 0 and prints its summary; with ``--keep``
it leaves the console running and prints its address and an admin key that opens it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import httpx
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
    dead_letters = re.search(r"│ failed \(dead letters\)\s+│\s+(\d+) │", output)
    assert dead_letters is not None and int(dead_letters.group(1)) > 0, output
    assert "fail-prefix" in output  # the simulator's reason, shown with the dead letters
    for heading in ("Delivery of the", "Simulated Pinterest", "failed (dead letters)"):
        assert heading in output
    record_numbers.update(
        delivered=int(delivered.group(1)), seconds=round(time.monotonic() - started, 1)
    )


def test_demo_keep_prints_the_console_address_and_an_admin_key_that_opens_it() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "pinbridge.cli", "demo", "--events", "20", "--keep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
    )
    lines: list[str] = []
    found = threading.Event()

    def pump() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            lines.append(line)
            if "admin key" in line:
                found.set()
        found.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        found.wait(120)
        output = "".join(lines)
        console = re.search(r"^\s+console\s+(http://\S+)/$", output, re.MULTILINE)
        key = re.search(r"^\s+admin key\s+(\S+)\s+\(paste it", output, re.MULTILINE)
        assert console is not None and key is not None, output
        url, admin_key = console.group(1), key.group(1)
        assert len(admin_key) >= 16
        assert httpx.get(f"{url}/", timeout=10).text.count("/console/main.js") == 1
        assert httpx.get(f"{url}/v1/status", timeout=10).status_code == 401  # the key is needed
        signed_in = {"Authorization": f"Bearer {admin_key}"}
        status = httpx.get(f"{url}/v1/status", headers=signed_in, timeout=10)
        assert status.status_code == 200, status.text
        assert status.json()["counts"].get("delivered", 0) > 0
    finally:
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(60) == 0, "".join(lines)


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
