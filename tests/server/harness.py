"""Run ``pinbridge serve`` as a real process on loopback for the server tests.

:func:`start_server` writes a TOML config, starts ``python -m pinbridge.cli serve --port 0``,
waits (bounded) for its ready line on stdout and yields a :class:`ServerProcess`. Standard
error (the JSON logs) goes to a file the test can read and grep. The process is stopped with
SIGTERM at the end of the block, or killed when it does not stop.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson

__all__ = [
    "ACCOUNT",
    "TOKEN",
    "ServerProcess",
    "ServerStartError",
    "launch",
    "run_cli",
    "server_config",
    "start_server",
    "wait_for",
]

ACCOUNT = "549755885175"
TOKEN = "pinterest-token-Zq8fV2"  # the access token given to every test server
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
_SERVE = (sys.executable, "-m", "pinbridge.cli", "serve")
_READY = re.compile(r"^pinbridge serve listening on (http://\S+)$")


class ServerStartError(RuntimeError):
    """The server did not print its ready line; the message holds what it printed."""


class ServerProcess:
    """A running ``pinbridge serve``: its URL, its logs, and how to stop it."""

    def __init__(self, process: subprocess.Popen[str], stderr_path: Path, config: Path) -> None:
        self.process = process
        self.stderr_path = stderr_path
        self.config = config
        self.base_url = ""
        self.stdout_lines: list[str] = []
        self._ready = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.rstrip("\n")
            self.stdout_lines.append(line)
            match = _READY.match(line)
            if match and not self.base_url:
                self.base_url = match.group(1)
                self._ready.set()
        self._ready.set()

    def wait_ready(self) -> None:
        """Block until the ready line (or the process's end); raise with its output if none."""
        self._ready.wait(READY_TIMEOUT)
        if not self.base_url:
            self.kill()
            raise ServerStartError(
                f"pinbridge serve did not start (exit {self.process.poll()}):\n"
                f"{self.stderr_text()}\n{chr(10).join(self.stdout_lines)}"
            )

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client for this server."""
        return httpx.Client(base_url=self.base_url, timeout=30.0, **kwargs)

    def stderr_text(self) -> str:
        """Everything written to standard error so far."""
        return self.stderr_path.read_text(errors="replace")

    def log_entries(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (every line must be one JSON object)."""
        return [orjson.loads(line) for line in self.stderr_text().splitlines() if line]

    def terminate(self) -> int:
        """SIGTERM, then wait for the exit; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_TIMEOUT)

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(STOP_TIMEOUT)


def server_config(
    directory: Path,
    *,
    database: Path | None = None,
    sections: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Write a config (ad account, token, SQLite file in ``directory``) plus ``sections``."""
    merged: dict[str, dict[str, Any]] = {
        "pinterest": {"ad_account_id": ACCOUNT, "access_token": TOKEN},
        "queue": {"url": f"sqlite:///{database or directory / 'queue.db'}"},
    }
    for name, values in (sections or {}).items():
        merged.setdefault(name, {}).update(values)
    path = directory / "pinbridge.toml"
    path.write_text("".join(_toml_section(name, values) for name, values in merged.items()))
    return path


def _toml_section(name: str, values: Mapping[str, Any]) -> str:
    lines = [f"[{name}]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINBRIDGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def launch(
    config: Path,
    *args: str,
    stderr_path: Path | None = None,
    open_files: tuple[int, int] | None = None,
) -> ServerProcess:
    """Start a server and wait until it takes requests.

    ``open_files`` (soft, hard) sets the process's open-file limit, as ``ulimit -n`` would
    (util-linux ``prlimit`` execs the server: it is the same process).
    """
    stderr_path = stderr_path or config.with_name(f"serve-{time.monotonic_ns()}.log")
    limit = () if open_files is None else ("prlimit", "--nofile={}:{}".format(*open_files), "--")
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [*limit, *_SERVE, "--config", str(config), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=_clean_env(),
        )
    server = ServerProcess(process, stderr_path, config)
    server.wait_ready()
    return server


@contextlib.contextmanager
def start_server(
    config: Path, *args: str, open_files: tuple[int, int] | None = None
) -> Iterator[ServerProcess]:
    """A running server for the ``with`` block; stopped (SIGTERM, else SIGKILL) after it."""
    server = launch(config, *args, open_files=open_files)
    try:
        yield server
    finally:
        try:
            server.terminate()
        except subprocess.TimeoutExpired:
            server.kill()


def wait_for(
    condition: Any, *, timeout: float = 30.0, what: str = "condition", step: float = 0.05
) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail saying ``what`` if never."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(step)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``pinbridge ARGS`` to completion; its output and status."""
    return subprocess.run(
        [sys.executable, "-m", "pinbridge.cli", *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=60,
        check=False,
    )
