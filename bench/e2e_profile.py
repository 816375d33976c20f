"""Where ``pinbridge serve`` spends its CPU under one of bench/e2e.py's loads.

Starts the same processes as bench/e2e.py (the simulator and the load generator on the load
core, ``pinbridge serve`` on the server core, a fresh queue), then over the measured window
reads:

- **CPU per thread** from ``/proc/PID/task/*/stat``: the main thread, which runs the event
  loop (HTTP, mapping, responses, delivery's HTTP client), and the others, which are the
  default executor's (the queue's calls: SQLite's own work and PostgreSQL's client library
  run there, mostly without the GIL), each in µs per event;
- **a profile of the thread holding the GIL** with py-spy, when it is installed
  (``pip install py-spy``; it needs permission to read the server's memory): the share of
  samples under each pinbridge function (inclusive), and under a few named stages.

It prints one JSON object. It is a diagnostic: the figures in docs/performance.md come from
bench/e2e.py, and the profiler itself slows the server (it is sampled from the other core).

    .venv/bin/python bench/e2e_profile.py --case batch --queue sqlite
    .venv/bin/python bench/e2e_profile.py --case single-16 --queue postgresql --top 40
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from e2e_proc import cpu_seconds
from e2e_run import BENCH, Case, Pinning, Server, start
from pinbridge.demo.processes import pinbridge_command

AD_ACCOUNT_ID = "549755885175"
TOKEN = "bench-token-0123456789"
CASES = {
    "single-1": Case("1_event_1_connection", 1, 1),
    "single-16": Case("1_event_16_connections", 1, 16),
    "batch": Case("100_events_4_connections", 100, 4),
}
# Stages named by the function that runs them (inclusive share of GIL samples).
STAGES = {
    "map events": "Mapper.map (pinbridge/mapping/mapper.py",
    "parse request bodies": "parse_",
    "ingest handler, all of it": "_accept (pinbridge/server/ingest.py",
    "access log line": "Logger.log (logging/__init__.py",
    "delivery loop, all of it": "DeliveryService._loop (pinbridge/delivery/worker.py",
    "queue calls, Python part": "GroupWriter._write (pinbridge/server/writer.py",
}
_TICK = float(os.sysconf("SC_CLK_TCK"))


def _threads(pid: int) -> dict[str, float]:
    """CPU seconds of ``pid``'s threads: the main thread (the event loop), the default
    executor's (``asyncio_N``: the queue's calls) and any other."""
    found: dict[str, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            name = Path(f"/proc/{pid}/task/{tid}/comm").read_text().strip()
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        if tid == str(pid):
            group = "event loop"
        elif name.startswith("asyncio_"):
            group = "thread pool"
        else:
            group = "other threads"
        found[group] = found.get(group, 0.0) + (int(fields[11]) + int(fields[12])) / _TICK
    return found


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _profile(stacks: Path, top: int) -> dict[str, Any]:
    """Inclusive shares of py-spy's raw (collapsed) stacks."""
    total = 0
    inclusive: Counter[str] = Counter()
    for line in stacks.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        for frame in set(stack.split(";")):
            inclusive[frame] += samples
    if not total:
        return {"samples": 0}

    def share(marker: str) -> float:
        return round(max((n for f, n in inclusive.items() if marker in f), default=0) / total, 3)

    functions = [(f, n) for f, n in inclusive.most_common() if "pinbridge/" in f]
    return {
        "samples": total,
        "stages": {stage: share(marker) for stage, marker in STAGES.items()},
        "pinbridge_functions": {f: round(n / total, 3) for f, n in functions[:top]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), default="batch")
    parser.add_argument("--queue", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--postgres-dsn",
        default=os.environ.get(
            "PINBRIDGE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-delivery", action="store_true")
    args = parser.parse_args()
    case = CASES[args.case]
    pinning = Pinning.detect()
    pinning.move_self(pinning.load_cpu)
    with tempfile.TemporaryDirectory(prefix="pinbridge-profile-") as tmp:
        workdir = Path(tmp)
        children: list[Server] = []
        try:
            return _run(args, case, pinning, workdir, children)
        finally:
            for child in reversed(children):
                child.child.stop()


def _run(
    args: argparse.Namespace, case: Case, pinning: Pinning, workdir: Path, children: list[Server]
) -> int:
    api = "http://127.0.0.1:9"
    if not args.no_delivery:
        argv = pinbridge_command("simulate", "--port", "0", "--tokens", TOKEN, "--seed", "1")
        simulator = start("simulator", argv, workdir / "sim.log", pinning.prefix(pinning.load_cpu))
        children.append(simulator)
        api = simulator.url
    if args.queue == "sqlite":
        queue_url = f"sqlite:///{workdir / 'queue.db'}"
    else:
        joiner = "&" if "?" in args.postgres_dsn else "?"
        queue_url = f"{args.postgres_dsn}{joiner}schema=bench_profile_{os.getpid()}"
    config = workdir / "pinbridge.toml"
    config.write_text(
        f"[pinterest]\ntest_mode = true\napi_base_url = {json.dumps(api)}\n\n"
        f"[queue]\nurl = {json.dumps(queue_url)}\n"
    )
    serve = ["serve", "--config", str(config), "--port", "0"]
    if args.no_delivery:
        serve.append("--no-delivery")
    env = {"PINBRIDGE_AD_ACCOUNT_ID": AD_ACCOUNT_ID, "PINBRIDGE_ACCESS_TOKEN": TOKEN}
    server = start(
        "pinbridge serve",
        pinbridge_command(*serve),
        workdir / "serve.log",
        pinning.prefix(pinning.server_cpu),
        env,
    )
    children.append(server)
    try:
        return _load_and_profile(args, case, pinning, server, workdir)
    finally:
        if args.queue == "postgresql":
            server.child.stop()
            import psycopg

            with psycopg.connect(args.postgres_dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS bench_profile_{os.getpid()} CASCADE")


def _load_and_profile(
    args: argparse.Namespace, case: Case, pinning: Pinning, server: Server, workdir: Path
) -> int:
    pid = server.child.pid
    load_argv = [
        *pinning.prefix(pinning.load_cpu),
        sys.executable,
        str(BENCH / "e2e_load.py"),
        *("--port", str(server.port), "--path", case.path),
        *("--per-request", str(case.per_request), "--connections", str(case.connections)),
        *("--warmup", "2", "--duration", str(args.duration), "--id-prefix", f"p{os.getpid()}-"),
    ]
    spy = _py_spy()
    stacks = workdir / "stacks.txt"
    with subprocess.Popen(load_argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL) as load:
        assert load.stdout is not None
        _, opens, closes = load.stdout.readline().decode().split()
        time.sleep(max(0.0, float(opens) - time.monotonic()))
        before, cpu_before = _threads(pid), cpu_seconds(pid)
        profiler = None
        if spy is not None:
            record = ["record", "--gil", "--format", "raw", "-r", "200", "-o", str(stacks)]
            seconds = str(int(args.duration) - 1)
            profiler = subprocess.Popen(
                [*pinning.prefix(pinning.load_cpu), spy, *record, "-d", seconds, "-p", str(pid)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        time.sleep(max(0.0, float(closes) - time.monotonic()))
        after, cpu_after = _threads(pid), cpu_seconds(pid)
        report = json.loads(load.communicate()[0].decode().strip().splitlines()[-1])
    events = report["events"]
    per_event = {
        name: round((after.get(name, 0.0) - before.get(name, 0.0)) / events * 1e6, 1)
        for name in sorted(after)
    }
    result: dict[str, Any] = {
        "case": case.name,
        "queue": args.queue,
        "delivery": not args.no_delivery,
        "events": events,
        "events_per_second": round(events / args.duration, 1),
        "server_cpu_us_per_event": round(((cpu_after or 0) - (cpu_before or 0)) / events * 1e6, 1),
        "thread_cpu_us_per_event": per_event,
        "pinning": {"server": pinning.server_cpu, "load": pinning.load_cpu},
    }
    if profiler is None:
        result["profile"] = "py-spy is not installed (pip install py-spy): no profile"
    else:
        _, err = profiler.communicate(timeout=60)
        if profiler.returncode != 0 or not stacks.exists():
            result["profile"] = f"py-spy failed: {err.decode(errors='replace').strip()[-300:]}"
        else:
            result["profile"] = _profile(stacks, args.top)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
