"""Start ``pinbridge simulate`` and ``pinbridge serve`` as child processes and wait for them.

Each child writes stdout and stderr to one log file (so no pipe ever fills up) and runs in
its own session, so a Ctrl-C in the terminal reaches the demo, which stops them in order.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

from pinbridge.errors import PinbridgeError

__all__ = ["ChildProcess", "DemoError", "pinbridge_command", "spawn"]

_STOP_TIMEOUT = 15.0
_READY_LINE = re.compile(r"^pinbridge (?:simulator|serve) listening on (http://\S+)$", re.MULTILINE)


class DemoError(PinbridgeError):
    """The demo cannot go on (a child did not start or died); the message says why, with
    the end of the child's log."""


def pinbridge_command(*args: str) -> list[str]:
    """The command line running ``pinbridge ARGS`` with this interpreter."""
    return [sys.executable, "-m", "pinbridge.cli", *args]


class ChildProcess:
    """One running ``pinbridge`` child with its log file."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log_path: Path) -> None:
        self.name = name
        self.popen = popen
        self.log_path = log_path

    @property
    def pid(self) -> int:
        """The operating system's process id."""
        return self.popen.pid

    def alive(self) -> bool:
        """True while the process runs."""
        return self.popen.poll() is None

    def log_tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines it printed."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "<no log>"
        return "\n".join(text.splitlines()[-lines:]) or "<no output>"

    def wait_for_url(self, timeout: float) -> str:
        """The URL the child prints once it takes requests; raises DemoError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = _READY_LINE.search(self.log_path.read_text(errors="replace"))
            if match:
                return match.group(1)
            self._check_alive()
            time.sleep(0.05)
        raise self._not_ready(timeout)

    def wait_until_healthy(self, url: str, timeout: float) -> None:
        """Poll ``url`` until it answers 200; raises DemoError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise self._not_ready(timeout)

    def stop(self) -> int | None:
        """SIGTERM, wait (bounded), then SIGKILL; returns the exit status."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL at once, as a crash would."""
        if self.alive():
            self.popen.kill()
        self.popen.wait(_STOP_TIMEOUT)

    def _check_alive(self) -> None:
        if not self.alive():
            raise DemoError(
                f"{self.name} exited with status {self.popen.returncode} before it was ready; "
                f"the end of its log ({self.log_path}):\n{self.log_tail()}"
            )

    def _not_ready(self, timeout: float) -> DemoError:
        return DemoError(
            f"{self.name} was not ready within {timeout:g} s; "
            f"the end of its log ({self.log_path}):\n{self.log_tail()}"
        )


def spawn(
    name: str,
    args: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
) -> ChildProcess:
    """Start ``pinbridge ARGS`` with its output going to ``log_path``."""
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            pinbridge_command(*args),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            start_new_session=True,
        )
    return ChildProcess(name, popen, log_path)
