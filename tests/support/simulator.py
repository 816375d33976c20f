"""Run ``pinbridge simulate`` as a real process on loopback for tests.

``start_simulator(*cli_args)`` starts ``python -m pinbridge.cli simulate --port 0 ...``,
waits (bounded) for its ready line and yields a :class:`SimulatorProcess`; the process is
terminated when the ``with`` block ends. Stdout and stderr are merged and kept, so a process
that fails to start is reported with everything it printed.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx

__all__ = ["READY_TIMEOUT", "SimulatorProcess", "SimulatorStartError", "start_simulator"]

READY_TIMEOUT = 30.0
_READY = re.compile(r"^pinbridge simulator listening on (http://\S+)$")
_STOP_TIMEOUT = 10.0
_MAX_KEPT_LINES = 500


class SimulatorStartError(RuntimeError):
    """The simulator did not print its ready line; the message holds its output."""


class _OutputPump:
    """Reads the child's merged output in a thread so the pipe never fills up."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.base_url: str | None = None
        self.ready = threading.Event()
        self.closed = threading.Event()
        self._process = process
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            line = raw.rstrip("\n")
            if len(self.lines) < _MAX_KEPT_LINES:
                self.lines.append(line)
            match = _READY.match(line)
            if match and self.base_url is None:
                self.base_url = match.group(1)
                self.ready.set()
        self.closed.set()
        self.ready.set()

    def text(self) -> str:
        return "\n".join(self.lines) or "<no output>"


class SimulatorProcess:
    """A running simulator: its URL and its control endpoints."""

    def __init__(self, process: subprocess.Popen[str], base_url: str, pump: _OutputPump) -> None:
        self.process = process
        self.base_url = base_url
        self._pump = pump
        self._http = httpx.Client(base_url=base_url, timeout=10.0)

    def events_url(self, ad_account_id: str = "549755885175", *, test: bool = False) -> str:
        """The full URL of the events endpoint for one ad account."""
        query = "?test=true" if test else ""
        return f"{self.base_url}/v5/ad_accounts/{ad_account_id}/events{query}"

    def stats(self) -> dict[str, Any]:
        """``GET /_sim/stats``: request counts, accepted event_ids and the request log."""
        return self._control("GET", "/_sim/stats")

    def configure(self, **changes: Any) -> None:
        """``POST /_sim/config``: change tokens, fault rates or latency while it runs."""
        self._control("POST", "/_sim/config", changes)

    def reset(self) -> None:
        """``POST /_sim/reset``: clear the stats and restart the seeded fault sequence."""
        self._control("POST", "/_sim/reset")

    def kill(self) -> None:
        """Kill the process at once (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(_STOP_TIMEOUT)

    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr merged)."""
        return self._pump.text()

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def close(self) -> None:
        """Terminate (SIGTERM, then SIGKILL after a bounded wait) and release the client."""
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(_STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()

    def _control(self, method: str, path: str, body: object = None) -> dict[str, Any]:
        response = self._http.request(method, path, json=body)
        if response.status_code != 200:
            raise AssertionError(
                f"simulator {method} {path} answered {response.status_code}: {response.text}"
            )
        result: dict[str, Any] = response.json()
        return result


def launch(*cli_args: str, ready_timeout: float = READY_TIMEOUT) -> SimulatorProcess:
    """Start a simulator and wait for its ready line; the caller must ``close()`` it."""
    command = [sys.executable, "-m", "pinbridge.cli", "simulate", "--port", "0", *cli_args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    pump = _OutputPump(process)
    pump.ready.wait(ready_timeout)
    if pump.base_url is None:
        if process.poll() is None:
            process.kill()
        process.wait(_STOP_TIMEOUT)
        pump.closed.wait(_STOP_TIMEOUT)
        status = process.returncode
        raise SimulatorStartError(
            f"`{' '.join(command[1:])}` did not print its ready line within "
            f"{ready_timeout:.0f}s (exit status {status}); its output:\n{pump.text()}"
        )
    return SimulatorProcess(process, pump.base_url, pump)


@contextlib.contextmanager
def start_simulator(*cli_args: str) -> Iterator[SimulatorProcess]:
    """Run ``pinbridge simulate --port 0 *cli_args`` for the duration of the block."""
    simulator = launch(*cli_args)
    try:
        yield simulator
    finally:
        simulator.close()
