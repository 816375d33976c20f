"""``pinbridge simulate`` as a command: ready line, clean stop, clear errors on bad options."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.simulator.http import post_events
from tests.simulator.payloads import minimal_event, request_body
from tests.support.simulator import SimulatorStartError, start_simulator

_COMMAND = [sys.executable, "-m", "pinbridge.cli", "simulate"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_COMMAND, *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_port_0_picks_a_free_port_and_prints_it_when_ready() -> None:
    with start_simulator() as simulator:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", simulator.base_url)
        assert not simulator.base_url.endswith(":0")
        assert httpx.get(f"{simulator.base_url}/_sim/stats").status_code == 200
        assert "fault seed" in simulator.output()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_it_cleanly(signum: signal.Signals) -> None:
    with start_simulator("--rate-timeout", "1", "--timeout-hold-ms", "60000") as simulator:
        with pytest.raises(httpx.ReadTimeout):
            post_events(simulator, request_body(minimal_event()), timeout=0.5)
        simulator.process.send_signal(signum)
        assert simulator.process.wait(timeout=20) == 0
        assert "Traceback" not in simulator.output()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--rate-429", "2"), "--rate-429: must be between 0 and 1"),
        (("--rate-500", "x"), "--rate-500: must be a number"),
        (("--latency-ms", "-5"), "--latency-ms: must be 0 or more"),
        (("--port", "70000"), "--port: must be between 0 and 65535"),
        (("--rate-429", "0.7", "--rate-reset", "0.7"), "add up to 1.4"),
        (("--tokens", " , "), "--tokens needs at least one token"),
    ],
)
def test_bad_options_exit_2_with_a_clear_message(args: tuple[str, ...], needle: str) -> None:
    result = _run("--port", "0", *args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "listening on" not in result.stdout


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _run("--port", str(port))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port 0 picks a free one" in result.stderr


def test_the_helper_reports_a_simulator_that_cannot_start() -> None:
    with pytest.raises(SimulatorStartError) as caught, start_simulator("--rate-429", "2"):
        pass
    assert "did not print its ready line" in str(caught.value)
    assert "--rate-429: must be between 0 and 1" in str(caught.value)
