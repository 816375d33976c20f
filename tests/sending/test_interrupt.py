"""Ctrl-C (SIGINT) on a real ``pinbridge send``: it saves the checkpoint, says how far it
got and how to resume, exits 130, and the same command then sends the rest."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

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


def test_ctrl_c_saves_the_checkpoint_says_so_and_the_same_command_resumes(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    ids = [f"c-{n}" for n in range(1, 61)]
    source = write_ndjson(tmp_path / "events.ndjson", [event(i) for i in ids])
    checkpoint = tmp_path / "events.ndjson.pinbridge-checkpoint"
    simulator.configure(latency_ms=150)
    process = subprocess.Popen(
        send_command("--config", config, "--batch-size", str(BATCH), source),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=send_env(),
    )
    try:
        deadline = time.monotonic() + WAIT_LIMIT
        while len(_done(checkpoint)) < 2 * BATCH:
            assert process.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "the checkpoint did not advance"
            time.sleep(0.01)
        assert process.poll() is None, "the run ended before it could be interrupted"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=WAIT_LIMIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 130, stderr
    done = _done(checkpoint)
    [(first, last)] = done.ranges()
    assert first == 1
    assert last < 60
    assert stderr.splitlines()[-1] == (
        f"pinbridge send: interrupted after {last} lines; checkpoint saved; "
        "run the same command to resume"
    )
    assert "Traceback" not in stderr
    assert stdout == ""
    in_flight = ids[last : last + BATCH]

    simulator.configure(latency_ms=0)
    before = len(simulator.stats()["accepted_event_ids"])
    result = run_send("--config", config, "--batch-size", str(BATCH), "--json", source)

    assert result.status == 0, result.stderr
    assert result.summary()["skipped_from_checkpoint"] == last
    accepted = simulator.stats()["accepted_event_ids"]
    assert set(accepted[before:]) == set(ids[last:])
    twice = {event_id for event_id, count in Counter(accepted).items() if count > 1}
    assert twice <= set(in_flight)  # only the batch in flight may have been sent twice
    assert set(accepted) == set(ids)
