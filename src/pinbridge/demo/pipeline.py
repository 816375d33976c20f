"""``pinbridge demo``: the whole pipeline on one machine, with nothing to configure.

Starts the simulator (a stand-in for Pinterest, with a few injected 429s and 500s) and
``pinbridge serve`` on a SQLite file in a temporary directory, posts the sample events and
a few hundred generated ones, waits (bounded) until every accepted event has a final
status, checks the simulator received every delivered one, and prints the summary.

The server gets a fresh admin key (``[server] admin_keys``): the demo reads the status and
the delivery log with it, and ``--keep`` prints it to paste into the console's sign-in form.
"""

from __future__ import annotations

import json
import secrets
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.markup import escape

from pinbridge.demo.events import DEMO_REFUSED_PREFIX, demo_events, sample_events
from pinbridge.demo.processes import ChildProcess, DemoError, spawn
from pinbridge.demo.report import DemoSummary, FinalStatus, render
from pinbridge.server.results import expand_results

__all__ = ["DEMO_AD_ACCOUNT_ID", "DEMO_TOKEN", "run_demo"]

DEMO_AD_ACCOUNT_ID = "549755885175"
DEMO_TOKEN = "demo-token"  # noqa: S105 - the simulator's made-up token, not a credential
_START_TIMEOUT = 60.0
_POST_CHUNK = 50


def run_demo(*, events: int, keep: bool, timeout: float, console: Console) -> int:
    """Run the demo; 0 when every accepted event reached a final status, else 1."""
    started = time.monotonic()
    admin_key = secrets.token_urlsafe(18)
    with ExitStack() as stack:
        _stop_on_termination(stack)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pinbridge-demo-")))
        try:
            simulator, sim_url = _start_simulator(workdir, stack)
            server, server_url = _start_server(workdir, sim_url, admin_key, stack)
            console.print(f"Simulated Pinterest at {sim_url}; pinbridge serve at {server_url}")
            summary = _push_events(
                server,
                server_url,
                sim_url,
                admin_key=admin_key,
                count=events,
                timeout=timeout,
                console=console,
            )
        except DemoError as exc:
            console.print(f"[red]pinbridge demo: {escape(str(exc))}[/red]")
            return 1
        summary.seconds = time.monotonic() - started
        render(summary, console)
        problems = summary.problems()
        for problem in problems:
            console.print(f"[red]pinbridge demo: {escape(problem)}[/red]")
        if problems:
            console.print(f"The end of the server's log:\n{escape(server.log_tail())}")
        else:
            console.print("[green]Every accepted event reached a final status.[/green]")
        if keep:
            _keep_running(
                console,
                server_url=server_url,
                sim_url=sim_url,
                admin_key=admin_key,
                workdir=workdir,
                children=(server, simulator),
            )
        return 1 if problems else 0
    return 1  # pragma: no cover - ExitStack never swallows; mypy wants a return here


def _push_events(
    server: ChildProcess,
    server_url: str,
    sim_url: str,
    *,
    admin_key: str,
    count: int,
    timeout: float,
    console: Console,
) -> DemoSummary:
    """Post the events, wait until they are final (bounded) and gather what happened.

    Everything goes through the admin key: it may post (to ``default``) and read the log.
    """
    summary = DemoSummary()
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=server_url, timeout=30.0, headers=headers) as http:
        now = time.time()
        batch = sample_events(now) + demo_events(count, now, run_id=uuid.uuid4().hex[:8])
        _post(http, batch, summary)
        console.print(
            f"Posted {summary.posted} events; {summary.ingest['queued']} accepted. "
            "Waiting for every accepted event to reach a final status..."
        )
        summary.timed_out = not _wait_until_drained(http, server, timeout)
        if not server.alive():
            raise DemoError(
                f"pinbridge serve exited with status {server.popen.returncode}; "
                f"the end of its log:\n{server.log_tail()}"
            )
        _collect_final(http, summary)
        summary.simulator = httpx.get(f"{sim_url}/_sim/stats", timeout=30.0).json()
    return summary


def _start_simulator(workdir: Path, stack: ExitStack) -> tuple[ChildProcess, str]:
    simulator = spawn(
        "pinbridge simulate",
        [
            "simulate",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--tokens",
            DEMO_TOKEN,
            "--seed",
            "7",
            "--rate-429",
            "0.1",
            "--rate-500",
            "0.1",
            "--retry-after",
            "1",
            "--fail-prefix",
            DEMO_REFUSED_PREFIX,
        ],
        workdir / "simulator.log",
    )
    stack.callback(simulator.stop)
    return simulator, simulator.wait_for_url(_START_TIMEOUT)


def _start_server(
    workdir: Path, sim_url: str, admin_key: str, stack: ExitStack
) -> tuple[ChildProcess, str]:
    config = workdir / "pinbridge.toml"
    config.touch(mode=0o600)  # it holds the admin key; the directory is the demo's own
    config.write_text(_config_text(workdir / "pinbridge.db", sim_url, admin_key))
    server = spawn(
        "pinbridge serve",
        ["serve", "--config", str(config), "--port", "0"],
        workdir / "server.log",
        env={"PINBRIDGE_ACCESS_TOKEN": DEMO_TOKEN},  # not written to disk, even for a demo
    )
    stack.callback(server.stop)
    url = server.wait_for_url(_START_TIMEOUT)
    server.wait_until_healthy(f"{url}/healthz", _START_TIMEOUT)
    return server, url


def _config_text(database: Path, sim_url: str, admin_key: str) -> str:
    """A demo configuration: quick batches and retries, so the demo takes seconds."""
    return f"""\
[pinterest]
ad_account_id = "{DEMO_AD_ACCOUNT_ID}"
test_mode = true
api_base_url = {json.dumps(sim_url)}

[server]
host = "127.0.0.1"
admin_keys = [{json.dumps(admin_key)}]

[queue]
url = {json.dumps(f"sqlite:///{database}")}
lease_seconds = 15

[delivery]
batch_max_events = 50
batch_max_age_seconds = 0.2
backoff_base_seconds = 0.2
backoff_max_seconds = 2.0
request_timeout_seconds = 5.0
pause_seconds = 2.0
"""


def _post(http: httpx.Client, events: list[dict[str, Any]], summary: DemoSummary) -> None:
    """POST the events in batches and tally the per-event results."""
    for start in range(0, len(events), _POST_CHUNK):
        chunk = events[start : start + _POST_CHUNK]
        response = http.post("/events/batch", json={"batch": chunk})
        if response.status_code != 202:
            raise DemoError(
                f"POST /events/batch answered {response.status_code}: {response.text[:500]}"
            )
        summary.posted += len(chunk)
        for result in _results(response.json()):
            status = str(result.get("status"))
            summary.ingest[status] += 1
            if status == "queued":
                summary.accepted.append(str(result["event_id"]))
            elif status == "filtered":
                summary.filtered_reasons[str(result.get("reason"))] += 1
            elif status == "invalid":
                for error in result.get("errors", []):
                    summary.invalid_reasons[str(error)] += 1


def _results(body: Any) -> list[dict[str, Any]]:
    results = body.get("results", []) if isinstance(body, dict) else body
    return expand_results([r for r in results if isinstance(r, dict)])


def _wait_until_drained(http: httpx.Client, server: ChildProcess, timeout: float) -> bool:
    """True once the server's queue holds nothing pending; False after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            return False
        if _queue_depth(http) == 0:
            return True
        time.sleep(0.25)
    return False


def _queue_depth(http: httpx.Client) -> int | None:
    """Pending events per ``GET /v1/status``; None while the server cannot say."""
    try:
        response = http.get("/v1/status")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    body = response.json()
    depth = body.get("queue_depth") if isinstance(body, dict) else None
    return depth if isinstance(depth, int) else None


def _collect_final(http: httpx.Client, summary: DemoSummary) -> None:
    """The last status of every accepted event, from ``GET /v1/events/{event_id}``."""
    for event_id in summary.accepted:
        summary.final[event_id] = _final_status(http, event_id)


def _final_status(http: httpx.Client, event_id: str) -> FinalStatus | None:
    try:
        response = http.get(f"/v1/events/{quote(event_id, safe='')}")
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    history = _history(response.json())
    if not history:
        return None
    last = history[-1]
    return FinalStatus(str(last.get("status")), last.get("message") or None)


def _history(body: Any) -> list[dict[str, Any]]:
    entries = body.get("history", []) if isinstance(body, dict) else body
    return [e for e in entries if isinstance(e, dict)]


def _keep_running(
    console: Console,
    *,
    server_url: str,
    sim_url: str,
    admin_key: str,
    workdir: Path,
    children: tuple[ChildProcess, ...],
) -> None:
    auth = f"-H 'Authorization: Bearer {admin_key}'"
    console.print(
        "\nBoth processes keep running (press Ctrl-C to stop them):\n"
        f"  console           {server_url}/\n"
        f"  admin key         {admin_key}   (paste it into the console's sign-in form)\n"
        f"  dead letters      curl {auth} {server_url}/v1/dead-letters\n"
        f"  metrics           curl {auth} {server_url}/metrics\n"
        f"  post events       curl -X POST {server_url}/events "
        "-H 'Content-Type: application/json' -d @event.json\n"
        f"  simulator stats   {sim_url}/_sim/stats\n"
        f"  logs              {workdir}/server.log, {workdir}/simulator.log",
        markup=False,
        highlight=False,
        soft_wrap=True,  # the key must stay on one line to be copied
    )
    try:
        _wait_while(lambda: all(child.alive() for child in children))
    except KeyboardInterrupt:
        console.print("Stopping...")


def _stop_on_termination(stack: ExitStack) -> None:
    """Treat SIGTERM and SIGHUP like Ctrl-C, so the children (in sessions of their own)
    are stopped rather than orphaned when the demo is killed or its terminal closes."""
    if threading.current_thread() is not threading.main_thread():
        return
    for number in (signal.SIGTERM, signal.SIGHUP):
        previous = signal.signal(number, _interrupt)
        stack.callback(signal.signal, number, previous)


def _interrupt(number: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _wait_while(condition: Callable[[], bool]) -> None:
    while condition():
        time.sleep(0.5)
