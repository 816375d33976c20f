"""One fault-suite scenario run: the real processes, the disruptions, and the figures.

A :class:`ScenarioRun` starts ``pinbridge simulate`` (with faults), runs ``pinbridge serve``
on the given queue (restartable: each start writes the server's URL to a file the sender
reads), starts the sender process, and keeps the bookkeeping the reconciler needs:

- :meth:`ScenarioRun.disruption` brackets what the scenario breaks (a kill, a cut, a revoked
  token). It notes which simulator requests may have lost their answer (a
  :class:`~tests.reliability.reconcile.Window`) and when recovery begins;
- :meth:`ScenarioRun.wait_recovered` waits until the server takes events again and the
  simulator processes events again, and notes how long each took;
- :meth:`ScenarioRun.finish` stops the sender, waits until every accepted event is delivered
  (or nothing is pending), reconciles, and returns the figures.
"""

from __future__ import annotations

import contextlib
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from tests.reliability.loadlog import LoadProcess
from tests.reliability.reconcile import Window, reconcile
from tests.server.harness import TOKEN, ServerProcess, launch, server_config
from tests.support import simulator

__all__ = ["FAULTS", "WORKERS", "ScenarioRun", "eventually"]

FAULTS = (
    "--rate-429",
    "0.05",
    "--retry-after",
    "0.1",
    "--rate-500",
    "0.05",
    "--rate-reset",
    "0.03",
    "--latency-ms",
    "150",
)
"""The simulator's faults in every scenario: none of them processes events without
answering, so every re-send the reconciler sees comes from the scenario's disruptions. The
latency keeps requests in flight long enough for disruptions to catch some."""

WORKERS = 2
DELIVERY: dict[str, Any] = {
    "workers": WORKERS,
    "batch_max_events": 50,
    "batch_max_age_seconds": 0.2,
    "backoff_base_seconds": 0.05,
    "backoff_max_seconds": 0.5,
    "request_timeout_seconds": 10.0,
    "max_attempts": 1000,
    "pause_seconds": 0.5,
}
QUEUE: dict[str, Any] = {"lease_seconds": 5.0, "connect_timeout_seconds": 2.0}
_QUIET = 0.5
_QUIET_LIMIT = 15.0
_RECOVERY_TIMEOUT = 90.0
_DRAIN_TIMEOUT = 180.0


class ScenarioRun:
    """See the module docstring; use it as a context manager, which stops every process."""

    def __init__(
        self,
        directory: Path,
        queue_url: str,
        *,
        scenario: str,
        backend: str,
        seed: int,
    ) -> None:
        self.directory = directory
        self.scenario = scenario
        self.backend = backend
        self.started = time.time()
        self.url_file = directory / "server.url"
        self.windows: list[Window] = []
        self.ingest_back: list[float] = []
        self.delivery_back: list[float] = []
        self.servers: list[ServerProcess] = []
        self.load: LoadProcess | None = None
        self._recovery_from: tuple[float, int] | None = None
        self.sim = simulator.launch("--tokens", TOKEN, "--seed", str(seed), *FAULTS)
        self.config = server_config(
            directory,
            sections={
                "pinterest": {"api_base_url": self.sim.base_url},
                "queue": {"url": queue_url, **QUEUE},
                "delivery": DELIVERY,
            },
        )

    # -- processes ------------------------------------------------------------------

    @property
    def server(self) -> ServerProcess:
        """The server started last."""
        return self.servers[-1]

    def start_server(self) -> ServerProcess:
        """Start ``pinbridge serve`` on the queue and point the sender at it."""
        log = self.directory / f"server-{len(self.servers) + 1}.log"
        server = launch(self.config, stderr_path=log)
        self.servers.append(server)
        staged = self.url_file.with_suffix(".new")
        staged.write_text(server.base_url)
        staged.replace(self.url_file)
        return server

    def start_load(self, **options: Any) -> LoadProcess:
        """Start the sender process (options of :mod:`tests.reliability.loadgen`)."""
        prefix = f"{self.backend}-{int(self.started)}"
        self.load = LoadProcess(self.directory, self.url_file, prefix, **options)
        return self.load

    def sim_log_length(self) -> int:
        """How many events requests the simulator has logged."""
        return len(self.sim.stats()["log"])

    # -- disruptions ----------------------------------------------------------------

    @contextlib.contextmanager
    def disruption(self, reason: str, *, allowed: bool, stops: bool = True) -> Iterator[None]:
        """Bracket one disruption; ``reason`` and ``allowed`` describe the re-sends it may
        cause (``allowed``: the docs say an event may be sent again in this case).

        Undo the disruption (restart, restore) after the block. On exit, when the
        disruption ``stops`` delivery, it first waits until the simulator processes nothing
        more (requests in flight finish); then it records the window and marks the start
        of recovery.
        """
        before = self.sim_log_length()
        yield
        last = self._quiet_log_length() if stops else self.sim_log_length()
        first = max(1, before - WORKERS + 1)  # each worker may have one answer unrecorded
        self.windows.append(Window(reason, allowed, first, last))
        self._recovery_from = (time.time(), last)

    def wait_recovered(self, timeout: float = _RECOVERY_TIMEOUT) -> None:
        """Wait until, after the last disruption, the server answered the sender 2xx and
        the simulator processed events; note how long each took."""
        assert self.load is not None and self._recovery_from is not None
        since, last_seq = self._recovery_from
        self._recovery_from = None
        deadline = time.monotonic() + timeout
        ingest: float | None = None
        delivery: float | None = None
        while ingest is None or delivery is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no recovery within {timeout:g} s (ingest back after {ingest} s, "
                    f"delivery back after {delivery} s); the server's log:\n"
                    + "\n".join(self.server.stderr_text().splitlines()[-15:])
                )
            if ingest is None:
                first = self.load.progress().first_answer_after(since)
                ingest = None if first is None else first - since
            if delivery is None and self._processed_after(last_seq):
                delivery = time.time() - since
            time.sleep(0.1)
        self.ingest_back.append(ingest)
        self.delivery_back.append(delivery)

    def _processed_after(self, seq: int) -> bool:
        log = self.sim.stats()["log"]
        return any(entry["processed_event_ids"] for entry in log[seq:])

    def _quiet_log_length(self) -> int:
        """The simulator's log length once it processed no new event for ``_QUIET`` s.

        Requests that process nothing (401, 429, 500, resets) may go on, as when a paused
        account is retried: they cannot cause re-sends, so they do not count.
        """
        deadline = time.monotonic() + _QUIET_LIMIT
        stats = self.sim.stats()
        while time.monotonic() < deadline:
            time.sleep(_QUIET)
            now = self.sim.stats()
            if len(now["accepted_event_ids"]) == len(stats["accepted_event_ids"]):
                return len(now["log"])
            stats = now
        return len(stats["log"])

    def readiness(self) -> tuple[int, str]:
        """The current server's ``GET /readyz``: its status and body."""
        try:
            response = httpx.get(f"{self.server.base_url}/readyz", timeout=10)
        except httpx.HTTPError as exc:
            return 0, type(exc).__name__
        return response.status_code, response.text

    # -- the end ----------------------------------------------------------------------

    def finish(self) -> tuple[dict[str, Any], list[str]]:
        """Stop the sender, wait for delivery, reconcile: (figures, problems)."""
        assert self.load is not None
        load = self.load.stop()
        load_ended = time.time()
        self._wait_drained(load.accepted)
        drained = time.time()
        figures = reconcile(load, self.sim.stats(), self.windows, self._final_status)
        result = {
            "scenario": self.scenario,
            "backend": self.backend,
            **figures.as_dict(),
            "disruptions": len(self.windows),
            "recover_ingest_s": _summary(self.ingest_back),
            "recover_delivery_s": _summary(self.delivery_back),
            "drain_s": round(drained - load_ended, 2),
            "duration_s": round(drained - self.started, 1),
            "client_timeouts": self._client_timeouts(),
            "messages": load.messages,
        }
        return result, figures.problems

    def _wait_drained(self, accepted: set[str]) -> None:
        """Until every accepted event reached the simulator or nothing is pending."""
        deadline = time.monotonic() + _DRAIN_TIMEOUT
        with self.server.client() as http:
            while time.monotonic() < deadline:
                if accepted <= set(self.sim.stats()["accepted_event_ids"]):
                    return
                if http.get("/v1/status").json()["queue_depth"] == 0:
                    return
                time.sleep(0.5)

    def _final_status(self, event_id: str) -> tuple[str, str | None]:
        """The status of ``event_id`` in the server's delivery log, with its last message."""
        with self.server.client() as http:
            response = http.get(f"/v1/events/{quote(event_id, safe='')}")
        if response.status_code == 404:
            return "not in the delivery log", None
        body: dict[str, Any] = response.json()
        history: list[dict[str, Any]] = body["history"]
        return str(body["status"]), history[-1]["message"] if history else None

    def _client_timeouts(self) -> int:
        """Sends pinbridge gave up waiting for (from the servers' logs)."""
        return sum(server.stderr_text().count("ReadTimeout") for server in self.servers)

    # -- context manager ------------------------------------------------------------

    def __enter__(self) -> ScenarioRun:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.load is not None:
            self.load.kill()
        for server in self.servers:
            try:
                server.terminate()
            except subprocess.TimeoutExpired:
                server.kill()
        self.sim.close()


def eventually(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False), for
    scenarios that record their figures before asserting."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _summary(values: list[float]) -> dict[str, float] | None:
    """Max and median of per-disruption durations, rounded to 10 ms."""
    if not values:
        return None
    return {"max": round(max(values), 2), "median": round(statistics.median(values), 2)}
