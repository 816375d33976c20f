"""Start the sender process (:mod:`tests.reliability.loadgen`) and read what it recorded.

The record has one JSON object per line, with a ``kind``:

- ``send``: a batch is sent for the first time (``batch``, ``ids``, ``t``);
- ``answer``: an HTTP answer (``status``, ``t0`` when the request left, ``t`` when the
  answer came; 2xx answers carry ``accepted``, the event_ids answered queued or duplicate,
  and ``results``, counts by result status; others carry ``error``, the answer's text);
- ``error``: no answer (``error`` is the exception's class: ConnectError, ReadError, ...);
- ``gave_up``: the batch got no 2xx within ``--give-up-after``;
- ``crash``: a sender thread died of a bug; ``done``: the process finished.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.support.shared import REPO_ROOT

__all__ = ["LoadLog", "LoadProcess"]

_EXIT_TIMEOUT = 150.0


@dataclass
class LoadLog:
    """What the sender recorded so far; :meth:`update` reads the lines added since."""

    path: Path
    sent: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    results: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    """Answers other than 2xx by status, and requests without an answer by error class."""
    messages: dict[str, str] = field(default_factory=dict)
    """The first answer's text for each status other than 2xx."""
    answered_at: list[float] = field(default_factory=list)
    """When each 2xx answer arrived (epoch seconds), in file order."""
    gave_up: int = 0
    crashes: list[str] = field(default_factory=list)
    done: bool = False
    _offset: int = 0

    def update(self) -> LoadLog:
        """Read the complete lines written since the last call."""
        if not self.path.exists():
            return self
        with self.path.open("rb") as handle:
            handle.seek(self._offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1  # a line being written is read next time
        self._offset += end
        for line in data[:end].splitlines():
            self._add(orjson.loads(line))
        return self

    def _add(self, entry: dict[str, Any]) -> None:
        kind = entry["kind"]
        if kind == "send":
            self.sent.update(entry["ids"])
        elif kind == "answer" and 200 <= entry["status"] < 300:
            self.accepted.update(entry["accepted"])
            self.results.update(entry["results"])
            self.answered_at.append(entry["t"])
        elif kind == "answer":
            self.failures[str(entry["status"])] += 1
            self.messages.setdefault(str(entry["status"]), entry["error"])
        elif kind == "error":
            self.failures[entry["error"]] += 1
        elif kind == "gave_up":
            self.gave_up += 1
        elif kind == "crash":
            self.crashes.append(entry["error"])
        elif kind == "done":
            self.done = True

    def answers_after(self, moment: float) -> int:
        """How many 2xx answers arrived at or after ``moment``."""
        return sum(1 for t in self.answered_at if t >= moment)

    def first_answer_after(self, moment: float) -> float | None:
        """When the first 2xx answer at or after ``moment`` arrived."""
        return min((t for t in self.answered_at if t >= moment), default=None)

    def http_5xx(self) -> dict[str, int]:
        """5xx answers by status."""
        return {k: n for k, n in sorted(self.failures.items()) if k.isdigit() and k[0] == "5"}

    def other_failures(self) -> dict[str, int]:
        """Everything else that was not a 2xx: 4xx answers, connection errors."""
        http_5xx = self.http_5xx()
        return {k: n for k, n in sorted(self.failures.items()) if k not in http_5xx}


class LoadProcess:
    """The running sender: ``python -m tests.reliability.loadgen`` with these options."""

    def __init__(self, directory: Path, url_file: Path, prefix: str, **options: Any) -> None:
        self.record = directory / f"load-{prefix}.jsonl"
        self.stop_file = directory / f"load-{prefix}.stop"
        self.log = LoadLog(self.record)
        arguments = [
            "--url-file",
            str(url_file),
            "--record",
            str(self.record),
            "--prefix",
            prefix,
            "--stop-file",
            str(self.stop_file),
        ]
        for key, value in options.items():
            arguments += [f"--{key.replace('_', '-')}", str(value)]
        self._output = (directory / f"load-{prefix}.out").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.loadgen", *arguments],
            cwd=REPO_ROOT,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def progress(self) -> LoadLog:
        """The record so far."""
        return self.log.update()

    def stop(self) -> LoadLog:
        """Ask it to stop, wait until its batches in flight are answered; the full record."""
        self.stop_file.touch()
        try:
            self.process.wait(_EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(
                f"the sender did not finish within {_EXIT_TIMEOUT:g} s of being told to stop"
            ) from None
        finally:
            self._output.close()
        log = self.log.update()
        output = self._output.name
        assert self.process.returncode == 0, Path(output).read_text(errors="replace")
        assert not log.crashes, f"the sender crashed: {log.crashes}"
        assert log.done, "the sender's record has no 'done' line"
        return log

    def kill(self) -> None:
        """End it at once (cleanup after a failed test)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._output.close()

    def wait_for_answers(self, count: int, since: float, timeout: float) -> None:
        """Block until ``count`` 2xx answers arrived at or after ``since``."""
        deadline = time.monotonic() + timeout
        while self.progress().answers_after(since) < count:
            if self.process.poll() is not None:
                raise AssertionError(f"the sender exited early: {self.log.crashes}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the server answered fewer than {count} requests 2xx within {timeout:g} s; "
                    f"failures so far: {dict(self.log.failures)}"
                )
            time.sleep(0.1)
