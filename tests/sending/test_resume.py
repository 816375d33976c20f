"""A ``pinbridge send`` killed mid-file (SIGKILL) resumes from its checkpoint.

The run is killed once its checkpoint marks a few batches final. The re-run must deliver
exactly the events the checkpoint did not mark, write each failed line to the
failed-events file once, and leave no event lost. Only the batch in flight at the kill may
reach the simulator twice: its answer was lost with the process (an ambiguous attempt).
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pinbridge.sending.linesets import LineSet
from tests.sending.helpers import (
    event,
    run_send,
    send_command,
    send_env,
    write_config,
    write_ndjson,
)
from tests.support.simulator import SimulatorProcess

BATCH = 5
WAIT_LIMIT = 60.0


def _done(checkpoint: Path) -> LineSet:
    if not checkpoint.exists():
        return LineSet()
    return LineSet(tuple(pair) for pair in json.loads(checkpoint.read_text())["done_lines"])


def _kill_after(process: subprocess.Popen[bytes], checkpoint: Path, lines: int) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while len(_done(checkpoint)) < lines:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "the checkpoint did not advance"
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_killed_run_resumes_and_sends_only_what_was_not_final(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    lines: list[dict[str, Any] | str] = []
    for number in range(1, 61):
        invalid = number % 7 == 0  # no email: the mapper finds it invalid
        lines.append(
            {"event_name": "purchase", "context": {"event_id": f"x-{number}"}}
            if invalid
            else event(f"k-{number}")
        )
    source = write_ndjson(tmp_path / "events.ndjson", lines)
    sent_ids = {f"k-{n}" for n in range(1, 61) if n % 7}
    checkpoint = tmp_path / "events.ndjson.pinbridge-checkpoint"
    simulator.configure(latency_ms=150)
    process = subprocess.Popen(
        send_command("--config", config, "--batch-size", str(BATCH), "--quiet", source),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=send_env(),
    )
    try:
        _kill_after(process, checkpoint, 3 * BATCH)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    done = _done(checkpoint)  # what the checkpoint says after the crash
    [(first, last)] = done.ranges()
    assert first == 1
    assert last < 60
    final_ids = {f"k-{n}" for n in range(1, last + 1) if n % 7}
    in_flight = [f"k-{n}" for n in range(last + 1, 61) if n % 7][:BATCH]
    simulator.configure(latency_ms=0)
    before = len(simulator.stats()["accepted_event_ids"])

    result = run_send("--config", config, "--batch-size", str(BATCH), "--json", source)

    assert result.status == 1, result.stderr  # the invalid lines
    summary = result.summary()
    assert summary["skipped_from_checkpoint"] == last  # sent, and invalid, lines alike
    accepted = simulator.stats()["accepted_event_ids"]
    rerun = accepted[before:]
    assert set(rerun) == sent_ids - final_ids
    counts = Counter(accepted)
    assert set(counts) == sent_ids
    twice = {event_id for event_id, count in counts.items() if count > 1}
    assert twice <= set(in_flight)
    failed = [json.loads(line) for line in (tmp_path / "events.ndjson.failed.ndjson").open()]
    assert [entry["_pinbridge"]["line"] for entry in failed] == [7, 14, 21, 28, 35, 42, 49, 56]
    assert summary["earlier_runs"]["invalid"] + summary["counts"]["invalid"] == 8
