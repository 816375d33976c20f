"""End-to-end benchmark of ``pinbridge serve``: ingest API -> queue -> delivery -> simulator.

Starts ``pinbridge simulate`` (no faults) and ``pinbridge serve`` (test mode, SQLite queue in
a temporary directory, or PostgreSQL with ``--queue-url``) on 127.0.0.1, posts a
deterministic corpus (bench/mapping.py's mix, one unique user per event, stamped fresh) from
``--clients`` threads with httpx, in batches to ``/events/batch`` (or one event per request
to ``/events`` with ``--single``), then waits (bounded) until every accepted event is final.
Prints one JSON object; exits 1 when an accepted event never reached the simulator, a post
failed or the wait timed out.

    .venv/bin/python bench/service.py [--events 20000] [--clients 4] [--batch 100]
    .venv/bin/python bench/service.py --single                  # POST /events, 5000 events
    .venv/bin/python bench/service.py --queue-url 'postgresql://postgres@127.0.0.1:5432/test?schema=bench_x'
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
import psycopg
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from mapping import KINDS, corpus  # bench/mapping.py: the same deterministic mix
from pinbridge.demo.processes import ChildProcess, DemoError, spawn
from pinbridge.queue.urls import postgres_target
from pinbridge.server.results import expand_results

AD_ACCOUNT_ID = "549755885175"
TOKEN = "bench-token"  # the simulator's made-up token
_START_TIMEOUT = 60.0
_POLL_SECONDS = 0.1
_FINAL = ("delivered", "failed", "expired")


@dataclass
class _Posting:
    """What client threads saw: each thread fills its own, merged once they are done."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    queued_ids: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def merge(self, other: _Posting) -> None:
        self.latencies += other.latencies
        self.statuses += other.statuses
        self.queued_ids += other.queued_ids
        self.errors += other.errors


def _events(count: int, now: float, id_prefix: str = "") -> list[bytes]:
    """The corpus as compact JSON, stamped within the last ``count`` ms (Pinterest refuses
    events older than 7 days, so bench/mapping.py's fixed timestamps cannot be kept)."""
    stamped = []
    for n, line in enumerate(corpus(count)):
        event = orjson.loads(line)
        event["context"]["event_timestamp"] = int(now * 1000) - (count - n)
        event["context"]["event_id"] = id_prefix + event["context"]["event_id"]
        stamped.append(orjson.dumps(event))
    return stamped


def _bodies(events: list[bytes], batch: int, single: bool) -> list[bytes]:
    if single:
        return events
    return [
        b'{"batch":[' + b",".join(events[i : i + batch]) + b"]}"
        for i in range(0, len(events), batch)
    ]


def _config(workdir: Path, sim_url: str, queue_url: str | None) -> Path:
    """Test mode, the simulator as Pinterest, every other setting at its default."""
    url = queue_url or f"sqlite:///{workdir / 'queue.db'}"
    path = workdir / "pinbridge.toml"
    path.write_text(
        f"[pinterest]\ntest_mode = true\napi_base_url = {json.dumps(sim_url)}\n\n"
        f"[queue]\nurl = {json.dumps(url)}\n"
    )
    return path


def _start(
    stack: ExitStack, workdir: Path, queue_url: str | None, log_level: str
) -> tuple[ChildProcess, str, ChildProcess, str]:
    sim = spawn(
        "pinbridge simulate",
        ["simulate", "--port", "0", "--tokens", TOKEN, "--seed", "1"],
        workdir / "simulator.log",
    )
    stack.callback(sim.stop)
    sim_url = sim.wait_for_url(_START_TIMEOUT)
    config = _config(workdir, sim_url, queue_url)
    env = {"PINBRIDGE_AD_ACCOUNT_ID": AD_ACCOUNT_ID, "PINBRIDGE_ACCESS_TOKEN": TOKEN}
    args = ["serve", "--config", str(config), "--port", "0", "--log-level", log_level]
    server = spawn("pinbridge serve", args, workdir / "server.log", env=env)
    stack.callback(server.stop)
    server_url = server.wait_for_url(_START_TIMEOUT)
    server.wait_until_healthy(f"{server_url}/healthz", _START_TIMEOUT)
    return sim, sim_url, server, server_url


def _post_all(url: str, path: str, bodies: list[bytes], clients: int) -> _Posting:
    """POST every body once, from ``clients`` threads with one keep-alive connection each."""
    work = iter(bodies)  # next() on a list iterator is atomic under the GIL
    headers = {"Content-Type": "application/json"}
    per_thread = [_Posting() for _ in range(clients)]

    def client(seen: _Posting) -> None:
        with httpx.Client(base_url=url, timeout=60.0) as http:
            for body in work:
                start = time.perf_counter()
                try:
                    response = http.post(path, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    seen.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                seen.latencies.append(time.perf_counter() - start)
                if response.status_code != 202:
                    seen.errors.append(f"HTTP {response.status_code}: {response.text[:300]}")
                    continue
                for result in expand_results(orjson.loads(response.content)["results"]):
                    seen.statuses[result["status"]] += 1
                    if result["status"] == "queued":
                        seen.queued_ids.append(result["event_id"])

    threads = [threading.Thread(target=client, args=(seen,), daemon=True) for seen in per_thread]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = _Posting()
    for seen in per_thread:
        total.merge(seen)
    return total


def _final_count(http: httpx.Client) -> int:
    """Events the server recorded as delivered, failed or expired (its /metrics counters)."""
    total = 0.0
    for family in text_string_to_metric_families(http.get("/metrics").text):
        for sample in family.samples:
            if sample.name == "pinbridge_events_total" and sample.labels["status"] in _FINAL:
                total += sample.value
    return int(total)


def _wait_final(server_url: str, server: ChildProcess, accepted: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=server_url, timeout=10.0) as http:
        while time.monotonic() < deadline and server.alive():
            if _final_count(http) >= accepted:
                return True
            time.sleep(_POLL_SECONDS)
    return False


def _cpu(*pids: int) -> list[float | None]:
    """CPU seconds (user + system) used so far by each process; None once it is gone."""
    used: list[float | None] = []
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            used.append(None)
        else:
            used.append(times.user + times.system)
    return used


def _percentiles(latencies: list[float]) -> dict[str, float]:
    if len(latencies) < 2:
        latencies = latencies * 2 or [0.0, 0.0]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {f"p{q}_ms": round(cuts[q - 1] * 1000, 2) for q in (50, 95, 99)}


def _rate(count: float, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def _cpu_report(before: list[float | None], after: list[float | None]) -> dict[str, float | None]:
    names = ("server", "simulator", "bench_client")
    return {
        name: None if a is None or b is None else round(b - a, 2)
        for name, a, b in zip(names, before, after, strict=True)
    }


def _check_schema_absent(queue_url: str) -> tuple[str, str]:
    """The libpq conninfo and schema of ``--queue-url``; refuses a schema that exists,
    since the benchmark drops it afterwards."""
    target = postgres_target(queue_url)
    if target.schema is None:
        raise SystemExit(
            "bench/service.py: --queue-url needs ?schema=NAME (a new schema: the benchmark "
            "drops it afterwards), e.g. postgresql://postgres@127.0.0.1:5432/test?schema=bench_x"
        )
    with psycopg.connect(target.conninfo, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (target.schema,)
        ).fetchone()
    if found:
        raise SystemExit(
            f"bench/service.py: schema {target.schema!r} already exists in {target.display}; "
            "name a new one (the benchmark drops it afterwards)"
        )
    return target.conninfo, target.schema


def _drop_schema(conninfo: str, schema: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _interrupt(number: int, frame: object) -> None:
    raise KeyboardInterrupt  # so the ExitStack stops the children (they have own sessions)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, help="default 20000, or 5000 with --single")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--batch", type=int, default=100, help="events per /events/batch post")
    parser.add_argument("--single", action="store_true", help="POST /events, one per request")
    parser.add_argument("--queue-url", help="postgresql://...?schema=NEW (default: SQLite)")
    parser.add_argument("--log-level", default="info", help="pinbridge serve --log-level")
    parser.add_argument("--timeout", type=float, default=90.0, help="delivery wait bound, s")
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = 5000 if args.single else 20000
    if args.events < 2 or args.clients < 1 or not 1 <= args.batch <= 1000:
        parser.error("--events must be >= 2, --clients >= 1, --batch between 1 and 1000")
    if args.queue_url and not args.queue_url.startswith(("postgresql://", "postgres://")):
        parser.error("--queue-url must be a postgresql:// URL (the default queue is SQLite)")
    return args


@dataclass
class _Run:
    """One measured run: what the clients saw, the simulator's stats, clocks and CPU."""

    posting: _Posting
    stats: dict[str, Any]
    all_final: bool
    seconds: tuple[float, float]  # posting done, every event final; from the first post
    cpu: tuple[list[float | None], ...]  # at the first post, posting done, all final


def _warm_up(server: ChildProcess, server_url: str, sim_url: str, path: str, single: bool) -> int:
    """Post one event of each kind and wait for its delivery, so that first-request costs
    (threads, connections, caches) stay out of the figures; then clear the simulator's
    stats. Returns the server's count of final events, the baseline for the run."""
    kinds = len(KINDS)
    bodies = _bodies(_events(kinds, time.time(), "warmup-"), kinds, single)
    posting = _post_all(server_url, path, bodies, 1)
    queued = len(posting.queued_ids)
    if queued != kinds or not _wait_final(server_url, server, queued, _START_TIMEOUT):
        raise DemoError(
            f"the {kinds} warm-up events were not all queued and delivered "
            f"(queued: {queued}, errors: {posting.errors[:1]}); the end of the server's "
            f"log:\n{server.log_tail()}"
        )
    httpx.post(f"{sim_url}/_sim/reset", timeout=10.0).raise_for_status()
    return queued


def _measure(args: argparse.Namespace, stack: ExitStack, workdir: Path) -> _Run:
    sim, sim_url, server, server_url = _start(stack, workdir, args.queue_url, args.log_level)
    path = "/events" if args.single else "/events/batch"
    baseline = _warm_up(server, server_url, sim_url, path, args.single)
    bodies = _bodies(_events(args.events, time.time()), args.batch, args.single)
    pids = (server.pid, sim.pid, os.getpid())
    cpu_start, started = _cpu(*pids), time.perf_counter()
    posting = _post_all(server_url, path, bodies, args.clients)
    cpu_posted, posted = _cpu(*pids), time.perf_counter()
    target = baseline + len(posting.queued_ids)
    all_final = _wait_final(server_url, server, target, args.timeout)
    cpu_done, done = _cpu(*pids), time.perf_counter()
    stats = httpx.get(f"{sim_url}/_sim/stats", timeout=60.0).json()
    if not server.alive() or posting.errors or not all_final:
        tail = server.log_tail()
        print(f"bench/service.py: the end of the server's log:\n{tail}", file=sys.stderr)
    return _Run(
        posting,
        stats,
        all_final,
        (posted - started, done - started),
        (cpu_start, cpu_posted, cpu_done),
    )


def _report(args: argparse.Namespace, run: _Run) -> dict[str, Any]:
    posting, stats = run.posting, run.stats
    accepted = len(posting.queued_ids)
    received = Counter(stats["accepted_event_ids"])
    lost = sum(1 for event_id in posting.queued_ids if not received[event_id])
    post_seconds, total_seconds = run.seconds
    delivered = run.all_final and not lost  # every accepted event reached the simulator
    return {
        "benchmark": "service",
        "mode": "single POST /events" if args.single else "POST /events/batch",
        "events": args.events,
        "clients": args.clients,
        "batch": 1 if args.single else args.batch,
        "queue": "postgresql" if args.queue_url else "sqlite",
        "server_log_level": args.log_level,
        "mix": {kind: len(range(i, args.events, len(KINDS))) for i, kind in enumerate(KINDS)},
        "requests": len(posting.latencies) + len(posting.errors),
        "ingest_results": dict(posting.statuses),
        "post_errors": len(posting.errors),
        "first_errors": posting.errors[:3],
        "posting_seconds": round(post_seconds, 3),
        "ingest_events_per_second": _rate(accepted, post_seconds),
        "requests_per_second": _rate(len(posting.latencies), post_seconds),
        "latency": _percentiles(posting.latencies),
        "all_delivered_after_seconds": round(total_seconds, 3) if delivered else None,
        "drain_after_posting_seconds": round(total_seconds - post_seconds, 3)
        if delivered
        else None,
        "end_to_end_events_per_second": _rate(accepted, total_seconds) if delivered else None,
        "simulator_requests": sum(stats["requests"].values()),
        "simulator_requests_by_outcome": {k: v for k, v in stats["requests"].items() if v},
        "simulator_events": len(stats["accepted_event_ids"]),
        "resent_events": sum(n - 1 for n in received.values() if n > 1),
        "events_lost": lost,
        "cpu_seconds_posting": _cpu_report(run.cpu[0], run.cpu[1]),
        "cpu_seconds_draining": _cpu_report(run.cpu[1], run.cpu[2]),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}",
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    dropping = _check_schema_absent(args.queue_url) if args.queue_url else None
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as stack:
        if dropping:
            stack.callback(_drop_schema, *dropping)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pb-bench-")))
        try:
            run = _measure(args, stack, workdir)
        except DemoError as exc:
            print(f"bench/service.py: {exc}", file=sys.stderr)
            return 1
    report = _report(args, run)
    print(json.dumps(report))
    problems = [
        f"{len(run.posting.errors)} posts failed" if run.posting.errors else "",
        "" if run.all_final else f"not every accepted event was final within {args.timeout:g} s",
        f"{report['events_lost']} accepted events never reached the simulator"
        if report["events_lost"]
        else "",
    ]
    for problem in filter(None, problems):
        print(f"bench/service.py: {problem}", file=sys.stderr)
    return 1 if any(problems) else 0


if __name__ == "__main__":
    sys.exit(main())
