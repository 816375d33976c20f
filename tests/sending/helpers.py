"""Input files, configs and ``pinbridge send`` runs for the send tests.

Events are generated with the current time, since pinbridge (like Pinterest) refuses events
more than 7 days older than their receive time; ``old_event`` builds one refused for that
reason (invalid: the mapper says so before anything is sent).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import SIMULATOR_TOKEN

__all__ = [
    "ACCOUNT",
    "SendResult",
    "event",
    "old_event",
    "run_send",
    "send_command",
    "write_config",
    "write_ndjson",
]

ACCOUNT = "549755885175"
RUN_TIMEOUT = 120.0
_CLEAN_ENV = ("PINBRIDGE_CONFIG", "PINBRIDGE_AD_ACCOUNT_ID", "PINBRIDGE_ACCESS_TOKEN")


def event(event_id: str, **extra: Any) -> dict[str, Any]:
    """A purchase Pinterest accepts, with a clear-text email (hashed by the mapper)."""
    base: dict[str, Any] = {
        "event_name": "purchase",
        "value": "19.90",
        "currency": "EUR",
        "user": {"email": f"{event_id}@example.com"},
        "context": {"event_id": event_id, "event_timestamp": int(time.time())},
    }
    return {**base, **extra}


def old_event(event_id: str) -> dict[str, Any]:
    """A purchase from 10 days ago: invalid, as its event_time is outside Pinterest's window."""
    return event(event_id, context={"event_id": event_id, "event_timestamp": time.time() - 864e3})


def write_ndjson(path: Path, lines: Sequence[Mapping[str, Any] | str]) -> Path:
    """One JSON object (or a raw text line) per line."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text)
    return path


def write_config(
    path: Path,
    simulator: SimulatorProcess | None,
    *,
    token: str = SIMULATOR_TOKEN,
    credentials: bool = True,
    max_attempts: int = 2,
) -> Path:
    """A config pointing at ``simulator`` with fast retries."""
    lines = ["[pinterest]"]
    if credentials:
        lines += [f'ad_account_id = "{ACCOUNT}"', f'access_token = "{token}"']
    if simulator is not None:
        lines.append(f'api_base_url = "{simulator.base_url}"')
    lines += [
        "[delivery]",
        f"max_attempts = {max_attempts}",
        "backoff_base_seconds = 0.01",
        "backoff_max_seconds = 0.05",
        "request_timeout_seconds = 10.0",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def send_command(*args: str | Path) -> list[str]:
    """The real ``pinbridge send`` command line."""
    return [sys.executable, "-m", "pinbridge.cli", "send", *map(str, args)]


def send_env() -> dict[str, str]:
    """The environment without pinbridge's own variables, so only the test's config counts."""
    return {k: v for k, v in os.environ.items() if k not in _CLEAN_ENV}


@dataclass
class SendResult:
    """What one ``pinbridge send`` process did."""

    status: int
    stdout: str
    stderr: str

    def summary(self) -> dict[str, Any]:
        """The ``--json`` summary printed on standard output."""
        parsed: dict[str, Any] = json.loads(self.stdout)
        return parsed


def run_send(*args: str | Path) -> SendResult:
    """Run ``pinbridge send ARGS`` to the end."""
    done = subprocess.run(
        send_command(*args),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=send_env(),
        check=False,
    )
    return SendResult(done.returncode, done.stdout, done.stderr)
