"""End to end against the stack's own ceiling: pinbridge serve versus a trivial handler.

In one run, on the same machine and the same stack (Starlette under uvicorn with pinbridge's
own settings): ``pinbridge serve`` (B) and bench/e2e_trivial.py (A, which only reads the
body and answers 202), each pinned to one core with ``taskset`` when it exists, loaded by
bench/e2e_load.py from another process on the other core. Cases: 1 event per request at 1
and 16 connections, 100 events per request (4 connections), on SQLite and on PostgreSQL,
and 100 per request on a queue already holding ``--stored-rows`` delivered events. A and B
alternate within each repeat (A B, then B A). Reports events/s, p50/p99, server CPU µs per
event (plus PostgreSQL's), peak RSS, each as a ratio to A, the CPU of an orjson round trip
of the same bodies, and the issue's targets. One JSON document on standard output; progress
on standard error. See docs/performance.md.

    .venv/bin/python bench/e2e.py                      # 3 repeats, SQLite and PostgreSQL
    .venv/bin/python bench/e2e.py --quick              # a smoke run
    .venv/bin/python bench/e2e.py --queues sqlite --stored-rows 0 --no-delivery
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from psycopg import sql

import pinbridge
from e2e_bodies import sample_events
from e2e_prefill import prefill
from e2e_run import BENCH, Case, Pinning, Server, measure, round_trip_us_per_event, start
from pinbridge.demo.processes import DemoError, pinbridge_command
from pinbridge.mapping import Mapped, Mapper
from pinbridge.queue.urls import postgres_target

AD_ACCOUNT_ID = "549755885175"
TOKEN = "bench-token"  # the simulator's made-up token
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CASE_KEYS = ("single-1", "single-16", "batch", "stored")

# The targets: (case key, figure, comparison, bound). Figures are medians of the
# repeats; a ratio is B / A of one repeat's interleaved pair.
TARGETS = (
    ("single-16", "events_per_second_ratio", ">=", 0.50),
    ("single-1", "events_per_second_ratio", ">=", 0.40),
    ("batch", "server_cpu_us_per_event", "<=", 25.0),
    ("batch", "cpu_vs_orjson_round_trip", "<=", 12.0),
    ("stored", "cpu_vs_empty_queue", "<=", 1.20),
)
_RATIO_FIGURES = (
    "events_per_second",
    "events_per_server_cpu_second",
    "p50_ms",
    "p99_ms",
    "server_cpu_us_per_event",
)
_MEDIAN_FIGURES = (
    *_RATIO_FIGURES,
    "requests_per_second",
    "server_cpu_cores",
    "server_waiting_for_cpu",
    "peak_rss_mib",
    "postgres_cpu_us_per_event",
    "postgres_cpu_cores",
    "orjson_round_trip_us_per_event",
    "client_cpu_share",
)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class _Bench:
    """What every run of one bench invocation shares."""

    args: argparse.Namespace
    pinning: Pinning
    workdir: Path
    stack: ExitStack
    simulator_url: str | None
    runs: int = 0

    def next_id(self) -> str:
        self.runs += 1
        return f"r{self.runs}"


def _cases(args: argparse.Namespace) -> dict[str, Case]:
    batch = f"100_events_{args.batch_connections}_connections"
    stored = f"100_events_{args.stored_rows}_stored_rows"
    return {
        "single-1": Case("1_event_1_connection", 1, 1),
        "single-16": Case("1_event_16_connections", 1, 16),
        "batch": Case(batch, 100, args.batch_connections),
        "stored": Case(stored, 100, args.batch_connections),
    }


# --- servers ---------------------------------------------------------------------------


def _start_trivial(bench: _Bench) -> Server:
    run = bench.next_id()
    argv = [sys.executable, str(BENCH / "e2e_trivial.py"), "--port", "0"]
    log = bench.workdir / f"{run}-trivial.log"
    return start("trivial handler", argv, log, bench.pinning.prefix(bench.pinning.server_cpu))


def _start_pinbridge(bench: _Bench, queue_url: str) -> Server:
    run = bench.next_id()
    config = bench.workdir / f"{run}-pinbridge.toml"
    api = bench.simulator_url or "http://127.0.0.1:9"  # never called with --no-delivery
    config.write_text(
        f"[pinterest]\ntest_mode = true\napi_base_url = {json.dumps(api)}\n\n"
        f"[queue]\nurl = {json.dumps(queue_url)}\n"
    )
    args = ["serve", "--config", str(config), "--port", "0", "--log-level", bench.args.log_level]
    if bench.args.no_delivery:
        args.append("--no-delivery")
    env = {"PINBRIDGE_AD_ACCOUNT_ID": AD_ACCOUNT_ID, "PINBRIDGE_ACCESS_TOKEN": TOKEN}
    log = bench.workdir / f"{run}-pinbridge.log"
    prefix = bench.pinning.prefix(bench.pinning.server_cpu)
    return start("pinbridge serve", pinbridge_command(*args), log, prefix, env)


def _start_simulator(bench: _Bench) -> str:
    argv = pinbridge_command("simulate", "--port", "0", "--tokens", TOKEN, "--seed", "1")
    log = bench.workdir / "simulator.log"
    simulator = start("pinbridge simulate", argv, log, bench.pinning.prefix(bench.pinning.load_cpu))
    bench.stack.callback(simulator.child.stop)
    return simulator.url


def _delivered_and_reset(bench: _Bench) -> int | None:
    """Events the simulator accepted since the last reset (then reset it), or None."""
    if bench.simulator_url is None:
        return None
    with httpx.Client(base_url=bench.simulator_url, timeout=60.0) as http:
        accepted = len(http.get("/_sim/stats").json()["accepted_event_ids"])
        http.post("/_sim/reset").raise_for_status()
    return accepted


# --- queues ----------------------------------------------------------------------------


_Backends = tuple[psycopg.Connection[Any], int] | None
"""A connection to the queues' PostgreSQL and its port, to find a server's backends."""


class _Queues:
    """Fresh queues of one kind: a SQLite file each, or a PostgreSQL schema each."""

    def __init__(self, kind: str, bench: _Bench, dsn: str) -> None:
        self.kind = kind
        self._bench = bench
        self._dsn = dsn
        self._token = secrets.token_hex(3)
        self.backends: _Backends = None
        if kind == "postgresql":
            conn = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
            bench.stack.callback(conn.close)
            self.backends = (conn, conn.info.port)

    def new(self, label: str) -> str:
        """The URL of a new, empty queue (pinbridge creates it)."""
        name = f"{label}_{self._bench.runs + 1}"
        if self.kind == "sqlite":
            return f"sqlite:///{self._bench.workdir / f'{name}.db'}"
        joiner = "&" if "?" in self._dsn else "?"
        return f"{self._dsn}{joiner}schema=bench_e2e_{self._token}_{name}"

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            path = url.removeprefix("sqlite:///")
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
            return
        target = postgres_target(url)
        assert target.schema is not None
        with psycopg.connect(target.conninfo, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(target.schema))
            )


def postgres_problem(dsn: str) -> str | None:
    """Why PostgreSQL at ``dsn`` cannot be used, or None."""
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL at {postgres_target(dsn).display} is unreachable: {exc}".strip()
    return None


def _mapped_payload() -> bytes:
    """A real mapped purchase, as pinbridge stores it, for the prefilled rows."""
    mapped = Mapper().map(sample_events(1)[0], received_at=int(time.time()))
    assert isinstance(mapped, Mapped), "the sample purchase maps"
    return orjson.dumps(mapped.event)


def _prefilled(bench: _Bench, queues: _Queues) -> tuple[str, dict[str, Any]]:
    """A queue created by pinbridge serve, then holding ``--stored-rows`` delivered events."""
    url = queues.new("stored")
    bench.stack.callback(queues.drop, url)
    server = _start_pinbridge(bench, url)  # creates the tables as this version wants them
    server.child.stop()
    _log(f"[{queues.kind}] prefilling {bench.args.stored_rows:,} delivered events ...")
    info = prefill(url, bench.args.stored_rows, AD_ACCOUNT_ID, _mapped_payload())
    _log(f"[{queues.kind}] prefilled in {info['seconds']} s")
    return url, info


# --- runs ------------------------------------------------------------------------------


def _measured(bench: _Bench, case: Case, server: Server, postgres: _Backends) -> dict[str, Any]:
    """Load ``server`` with ``case``, stop it; its figures."""
    try:
        return measure(
            server,
            case,
            pinning=bench.pinning,
            id_prefix=f"{secrets.token_hex(4)}-",
            timing=(bench.args.warmup, bench.args.duration),
            postgres=postgres,
        )
    finally:
        server.child.stop()


def _run_side(
    bench: _Bench, queues: _Queues, case: Case, side: str, stored_url: str | None = None
) -> dict[str, Any]:
    """One measured run of ``side`` (trivial or pinbridge) on ``case``; pinbridge gets a
    fresh queue, dropped afterwards, unless ``stored_url`` names the prefilled one."""
    if side == "trivial":
        figures = _measured(bench, case, _start_trivial(bench), None)
    else:
        round_trip = round_trip_us_per_event(case.per_request, bench.pinning)
        url = stored_url or queues.new(case.name)
        try:
            server = _start_pinbridge(bench, url)
            figures = _measured(bench, case, server, queues.backends)
        finally:
            if stored_url is None:
                queues.drop(url)
        figures["orjson_round_trip_us_per_event"] = round(round_trip, 3)
        figures["cpu_vs_orjson_round_trip"] = _ratio(figures["server_cpu_us_per_event"], round_trip)
        figures["delivered_to_simulator"] = _delivered_and_reset(bench)
    _log(
        f"[{queues.kind}] {case.name} {side}: {figures['events_per_second']:,.0f} events/s, "
        f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
        f"{figures['server_cpu_us_per_event']} µs CPU/event, {figures['peak_rss_mib']} MiB"
        + (f", errors: {figures['errors'][:1]}" if figures["errors"] else "")
    )
    return figures


def _ratio(b: float | None, a: float | None) -> float | None:
    return round(b / a, 3) if a and b is not None else None


def _pair_ratios(trivial: dict[str, Any], pinbridge_run: dict[str, Any]) -> dict[str, Any]:
    ratios = {f"{k}_ratio": _ratio(pinbridge_run[k], trivial[k]) for k in _RATIO_FIGURES}
    ratios["peak_rss_mib_ratio"] = _ratio(pinbridge_run["peak_rss_mib"], trivial["peak_rss_mib"])
    if "postgres_cpu_us_per_event" in pinbridge_run:
        both = (pinbridge_run["server_cpu_us_per_event"] or 0.0) + (
            pinbridge_run["postgres_cpu_us_per_event"] or 0.0
        )
        ratios["server_and_postgres_cpu_us_per_event_ratio"] = _ratio(
            both, trivial["server_cpu_us_per_event"]
        )
    ratios["cpu_vs_orjson_round_trip"] = pinbridge_run["cpu_vs_orjson_round_trip"]
    return ratios


def _versus_empty(full: dict[str, Any], empty: dict[str, Any] | None) -> dict[str, Any]:
    """The stored-rows run as ratios to this repeat's run on an empty queue."""
    if empty is None:
        return {}
    ratios = {
        "cpu_vs_empty_queue": _ratio(
            full["server_cpu_us_per_event"], empty["server_cpu_us_per_event"]
        ),
        "events_per_second_vs_empty_queue": _ratio(
            full["events_per_second"], empty["events_per_second"]
        ),
    }
    if "postgres_cpu_us_per_event" in full:
        ratios["server_and_postgres_cpu_vs_empty_queue"] = _ratio(
            (full["server_cpu_us_per_event"] or 0.0) + (full["postgres_cpu_us_per_event"] or 0.0),
            (empty["server_cpu_us_per_event"] or 0.0) + (empty["postgres_cpu_us_per_event"] or 0.0),
        )
    return ratios


def _median(values: list[Any]) -> float | None:
    numbers = [v for v in values if isinstance(v, int | float)]
    return round(statistics.median(numbers), 3) if numbers else None


def _medians(runs: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[str, float | None]:
    return {key: _median([run.get(key) for run in runs]) for key in keys if runs and key in runs[0]}


def _queue_results(bench: _Bench, kind: str, dsn: str, cases: dict[str, Case]) -> dict[str, Any]:
    args = bench.args
    queues = _Queues(kind, bench, dsn)
    chosen = [key for key in CASE_KEYS if key in args.cases]
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in chosen}
    stored_url, stored_info = None, None
    if "stored" in chosen:
        stored_url, stored_info = _prefilled(bench, queues)
    for repeat in range(args.repeat):
        _log(f"[{kind}] repeat {repeat + 1} of {args.repeat}")
        empty_batch: dict[str, Any] | None = None
        for key in chosen:
            case = cases[key]
            if key == "stored":
                assert stored_url is not None
                full = _run_side(bench, queues, case, "pinbridge", stored_url)
                runs[key].append({"pinbridge": full, **_versus_empty(full, empty_batch)})
                continue
            order = ("trivial", "pinbridge") if repeat % 2 == 0 else ("pinbridge", "trivial")
            pair = {side: _run_side(bench, queues, case, side) for side in order}
            if key == "batch":
                empty_batch = pair["pinbridge"]
            runs[key].append(
                {**pair, "order": list(order), **_pair_ratios(pair["trivial"], pair["pinbridge"])}
            )
    return {
        "cases": {
            cases[key].name: _case_summary(key, cases[key], runs[key], stored_info)
            for key in chosen
        }
    }


def _case_summary(
    key: str, case: Case, runs: list[dict[str, Any]], stored: dict[str, Any] | None
) -> dict[str, Any]:
    sides = ("pinbridge",) if key == "stored" else ("trivial", "pinbridge")
    median: dict[str, Any] = {
        side: _medians([r[side] for r in runs], _MEDIAN_FIGURES) for side in sides
    }
    ratio_keys = tuple(k for k in (runs[0] if runs else {}) if k not in (*sides, "order"))
    median |= _medians(runs, ratio_keys)
    summary: dict[str, Any] = {
        "path": case.path,
        "events_per_request": case.per_request,
        "connections": case.connections,
        "median": median,
        "targets": _targets(key, median),
        "runs": runs,
    }
    if key == "stored":
        summary["prefill"] = stored
    return summary


def _targets(key: str, median: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for target_key, figure, comparison, bound in TARGETS:
        if target_key != key:
            continue
        value = median.get(figure, median.get("pinbridge", {}).get(figure))
        met = None if value is None else (value >= bound if comparison == ">=" else value <= bound)
        found.append(
            {"figure": figure, "target": f"{comparison} {bound:g}", "value": value, "met": met}
        )
    return found


# --- main ------------------------------------------------------------------------------


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, help="interleaved A/B pairs per case (default 3)")
    parser.add_argument("--duration", type=float, help="measured seconds per run (default 6)")
    parser.add_argument("--warmup", type=float, help="seconds of load before that (default 2)")
    parser.add_argument(
        "--queues", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASE_KEYS),
        help=f"comma-separated subset of {', '.join(CASE_KEYS)}",
    )
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get("PINBRIDGE_TEST_POSTGRES_DSN") or DEFAULT_DSN,
        help="where the PostgreSQL queues go, one new schema per run "
        "(default: $PINBRIDGE_TEST_POSTGRES_DSN, else %(default)s)",
    )
    parser.add_argument(
        "--stored-rows", type=int, help="delivered events in the 'stored' case (default 1000000)"
    )
    parser.add_argument(
        "--batch-connections", type=int, default=4, help="connections of the 100-event cases"
    )
    parser.add_argument(
        "--no-delivery",
        action="store_true",
        help="pinbridge serve --no-delivery: ingest only (default: delivering to a local "
        "pinbridge simulate on the load core)",
    )
    parser.add_argument("--log-level", default="info", help="pinbridge serve --log-level")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 1 repeat of 1 s, 10,000 stored rows"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    for name, normal, short in (
        ("repeat", 3, 1),
        ("duration", 6.0, 1.0),
        ("warmup", 2.0, 0.5),
        ("stored_rows", 1_000_000, 10_000),
    ):
        if getattr(args, name) is None:
            setattr(args, name, short if quick else normal)
    args.queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not set(args.queues) <= {"sqlite", "postgresql"} or not args.queues:
        parser.error("--queues takes sqlite, postgresql or both")
    if not set(args.cases) <= set(CASE_KEYS) or not args.cases:
        parser.error(f"--cases takes some of {', '.join(CASE_KEYS)}")
    if args.stored_rows <= 0:
        args.cases = [c for c in args.cases if c != "stored"]
    if args.repeat < 1 or args.duration <= 0 or args.warmup < 0.5:
        parser.error("--repeat must be >= 1, --duration > 0, --warmup >= 0.5")
    return args


def _interrupt(number: int, frame: object) -> None:
    raise KeyboardInterrupt  # so the ExitStack stops the children and drops the schemas


@contextmanager
def _bench(args: argparse.Namespace) -> Iterator[_Bench]:
    pinning = Pinning.detect()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pb-e2e-")))
        pinning.move_self(pinning.load_cpu)
        bench = _Bench(args, pinning, workdir, stack, None)
        if not args.no_delivery:
            bench.simulator_url = _start_simulator(bench)
        yield bench


def _machine(pinning: Pinning) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": list(pinning.usable_cpus),
        "taskset": shutil.which("taskset"),
        "pinned": pinning.reason
        or {"server_cpu": pinning.server_cpu, "load_cpu": pinning.load_cpu},
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pinbridge_package": str(Path(pinbridge.__file__).parent),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    cases = _cases(args)
    report: dict[str, Any] = {
        "benchmark": "e2e",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "settings": {
            "repeat": args.repeat,
            "warmup_seconds": args.warmup,
            "duration_seconds": args.duration,
            "delivery": "none (pinbridge serve --no-delivery)"
            if args.no_delivery
            else "to pinbridge simulate on the load core",
            "log_level": args.log_level,
            "stored_rows": args.stored_rows if "stored" in args.cases else None,
            "events": "bench/mapping.py's purchase and page_view in turn, fresh event_id, "
            "stamped at send time",
        },
        "queues": {},
    }
    try:
        with _bench(args) as bench:
            report["machine"] = _machine(bench.pinning)
            for kind in args.queues:
                problem = postgres_problem(args.postgres_dsn) if kind == "postgresql" else None
                if problem:
                    _log(f"[postgresql] skipped: {problem}")
                    report["queues"][kind] = {"skipped": problem}
                    continue
                report["queues"][kind] = _queue_results(bench, kind, args.postgres_dsn, cases)
    except DemoError as exc:
        _log(f"bench/e2e.py: {exc}")
        return 1
    report["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets"] = [
        {"queue": kind, "case": name, **target}
        for kind, result in report["queues"].items()
        for name, case in result.get("cases", {}).items()
        for target in case["targets"]
    ]
    print(json.dumps(report))
    for target in report["targets"]:
        verdict = {True: "met", False: "NOT met", None: "unknown"}[target["met"]]
        _log(
            f"target [{target['queue']}] {target['case']}: {target['figure']} "
            f"{target['value']} (target {target['target']}): {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
