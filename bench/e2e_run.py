"""One measured run of bench/e2e.py: start a server, load it, read its CPU, stop it.

The server (``pinbridge serve`` or bench/e2e_trivial.py) is started pinned to the server
core, the load generator (bench/e2e_load.py) to the load core. The load generator names
the measured window in CLOCK_MONOTONIC time; this module sleeps until its start and end
and reads the server's CPU time (and its PostgreSQL backends', see bench/e2e_proc.py)
there, then its peak RSS, and stops it.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import psycopg

from e2e_bodies import Bodies
from e2e_proc import cpu_seconds, peak_rss_mib, postgres_backends, run_queue_wait_seconds
from pinbridge.demo.processes import ChildProcess, DemoError

__all__ = ["Case", "Pinning", "Server", "measure", "round_trip_us_per_event", "start"]

BENCH = Path(__file__).resolve().parent
_START_TIMEOUT = 60.0
_LISTENING = re.compile(r"listening on (http://\S+)$", re.MULTILINE)
_DISCOVER_AHEAD = 0.4  # find the PostgreSQL backends this long before the window opens


@dataclass(frozen=True)
class Case:
    """One load shape: ``connections`` clients posting ``per_request`` events each time."""

    name: str
    per_request: int
    connections: int

    @property
    def path(self) -> str:
        return "/events" if self.per_request == 1 else "/events/batch"


@dataclass(frozen=True)
class Pinning:
    """Which cores the server and the load get (``taskset -c``); none when ``reason``."""

    server_cpu: int | None
    load_cpu: int | None
    usable_cpus: tuple[int, ...]
    reason: str = ""

    @classmethod
    def detect(cls) -> Pinning:
        cpus = tuple(sorted(os.sched_getaffinity(0)))
        if shutil.which("taskset") is None:
            return cls(None, None, cpus, "taskset is not installed (util-linux): nothing pinned")
        if len(cpus) < 2:
            return cls(None, None, cpus, f"only {len(cpus)} usable core: nothing pinned")
        return cls(cpus[0], cpus[1], cpus)

    def prefix(self, cpu: int | None) -> list[str]:
        return [] if cpu is None else ["taskset", "-c", str(cpu)]

    def move_self(self, cpu: int | None) -> None:
        """Pin this process (the orchestrator) to ``cpu``, when pinning."""
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})


@dataclass
class Server:
    """A started server: its process, URL and port."""

    child: ChildProcess
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def start(
    name: str,
    argv: Sequence[str],
    log_path: Path,
    cpu_prefix: Sequence[str],
    env: Mapping[str, str] | None = None,
) -> Server:
    """Start ``argv`` (behind ``cpu_prefix``) and wait until it prints where it listens."""
    child_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            [*cpu_prefix, *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_env,
            start_new_session=True,
        )
    child = ChildProcess(name, popen, log_path)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        found = _LISTENING.search(log_path.read_text(errors="replace"))
        if found:
            return Server(child, found.group(1))
        if not child.alive():
            break
        time.sleep(0.05)
    child.stop()
    raise DemoError(f"{name} did not start; the end of its log:\n{child.log_tail()}")


def round_trip_us_per_event(per_request: int, pinning: Pinning, repeat: int = 5) -> float:
    """CPU µs per event of ``orjson.loads`` + ``orjson.dumps`` of request bodies like the
    load generator's, on the server core: best of ``repeat`` passes over 5,000 events."""
    bodies = Bodies(per_request, "round-trip-")
    samples = [bodies.next() for _ in range(max(1, 5000 // per_request))]
    pinning.move_self(pinning.server_cpu)
    best = float("inf")
    try:
        for _ in range(repeat):
            gc.collect()
            started = time.process_time()
            for body in samples:
                orjson.dumps(orjson.loads(body))
            best = min(best, time.process_time() - started)
    finally:
        pinning.move_self(pinning.load_cpu)
    return best / (len(samples) * per_request) * 1e6


class _PostgresCpu:
    """CPU seconds of the PostgreSQL backends serving one server process."""

    def __init__(self, conn: psycopg.Connection[Any], pid: int, port: int) -> None:
        self._conn, self._pid, self._port = conn, pid, port
        self.backends: set[int] = set()

    def discover(self) -> None:
        self.backends |= postgres_backends(self._conn, self._pid, self._port)

    def read(self) -> dict[int, float]:
        return {pid: cpu for pid in self.backends if (cpu := cpu_seconds(pid)) is not None}


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def measure(
    server: Server,
    case: Case,
    *,
    pinning: Pinning,
    id_prefix: str,
    timing: tuple[float, float],
    postgres: tuple[psycopg.Connection[Any], int] | None,
) -> dict[str, Any]:
    """Load ``server`` with ``case`` for ``timing`` (warm-up, window) seconds; the figures."""
    warmup, duration = timing
    argv = [
        *pinning.prefix(pinning.load_cpu),
        sys.executable,
        str(BENCH / "e2e_load.py"),
        *("--port", str(server.port), "--path", case.path),
        *("--per-request", str(case.per_request), "--connections", str(case.connections)),
        *("--warmup", str(warmup), "--duration", str(duration), "--id-prefix", id_prefix),
    ]
    pid = server.child.pid
    pg = _PostgresCpu(postgres[0], pid, postgres[1]) if postgres else None
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL) as load:
        assert load.stdout is not None
        first = load.stdout.readline().decode().split()
        if len(first) != 3 or first[0] != "window":
            load.kill()
            raise DemoError(f"the load generator did not start (it printed {first!r})")
        opens, closes = float(first[1]), float(first[2])
        if pg:
            _sleep_until(opens - _DISCOVER_AHEAD)
            pg.discover()
        _sleep_until(opens)
        cpu_start, wait_start = cpu_seconds(pid), run_queue_wait_seconds(pid)
        pg_start, sampled_start = pg.read() if pg else {}, time.monotonic()
        _sleep_until(closes)
        cpu_end, wait_end = cpu_seconds(pid), run_queue_wait_seconds(pid)
        pg_end, sampled_end = pg.read() if pg else {}, time.monotonic()
        if pg:  # a backend first seen now was opened during the window: all its CPU counts
            pg.discover()
            pg_end = {**pg.read(), **pg_end}
        output, _ = load.communicate(timeout=_START_TIMEOUT + duration)
    lines = output.decode().strip().splitlines()
    if not lines:
        raise DemoError(f"the load generator printed nothing (exit status {load.returncode})")
    load_report: dict[str, Any] = json.loads(lines[-1])
    if cpu_start is None or cpu_end is None or wait_start is None or wait_end is None:
        raise DemoError(f"the server died during the run:\n{server.child.log_tail()}")
    # over the sampled interval, scaled to the window (they differ by a few ms at most)
    scale = (closes - opens) / max(sampled_end - sampled_start, 1e-9)
    server_cpu = (cpu_end - cpu_start) * scale
    pg_cpu = sum(cpu - pg_start.get(backend, 0.0) for backend, cpu in pg_end.items()) * scale
    postgres_use = (pg_cpu, len(pg_end)) if pg else None
    figures = _figures(load_report, duration, server_cpu, postgres_use)
    figures["server_waiting_for_cpu"] = round((wait_end - wait_start) * scale / duration, 3)
    figures["peak_rss_mib"] = peak_rss_mib(pid)
    return figures


def _figures(
    load: dict[str, Any], duration: float, server_cpu: float, postgres: tuple[float, int] | None
) -> dict[str, Any]:
    """The run's figures; ``postgres`` is the backends' CPU seconds and their number."""
    events = load["events"]

    def per_event(cpu: float) -> float | None:
        return round(cpu / events * 1e6, 2) if events else None

    figures: dict[str, Any] = {
        "events_per_second": round(events / duration, 1),
        "requests_per_second": round(load["requests"] / duration, 1),
        "p50_ms": load["latency"]["p50_ms"],
        "p99_ms": load["latency"]["p99_ms"],
        "server_cpu_us_per_event": per_event(server_cpu),
        "server_cpu_cores": round(server_cpu / duration, 3),
        "server_waiting_for_cpu": None,
        "events_per_server_cpu_second": round(events / server_cpu) if server_cpu else None,
        "peak_rss_mib": None,
        "events": events,
        "requests": load["requests"],
        "statuses": load["statuses"],
        "queued": load["queued"],
        "latency": load["latency"],
        "client_cpu_share": load["client_cpu_share"],
        "errors": load["errors"],
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if postgres is not None:
        pg_cpu, backends = postgres
        figures["postgres_cpu_us_per_event"] = per_event(pg_cpu)
        figures["postgres_cpu_cores"] = round(pg_cpu / duration, 3)
        figures["postgres_backends"] = backends
    return figures
