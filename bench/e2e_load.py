"""The load generator of bench/e2e.py: keep-alive HTTP/1.1 POSTs from one asyncio process.

Opens ``--connections`` connections to ``--port`` on 127.0.0.1; each posts a fresh body
(bench/e2e_bodies.py), waits for the whole answer and posts the next (a closed loop). Raw
sockets and a minimal response parser keep the client's own cost far below the server's,
and each connection builds its next body while the server answers the current one.

Prints ``window T0 T1`` on standard output once connected: the measured window in
CLOCK_MONOTONIC seconds, which every process on the machine shares, so bench/e2e.py can
read the server's CPU at the same instants. Requests before T0 are the warm-up; a request
counts when its answer arrives within [T0, T1). When done it prints one JSON object:
requests, events answered 202, answers by status, ``"queued"`` results seen, latency
percentiles and its own CPU use over the window (to show it was not the bottleneck).

    python bench/e2e_load.py --port 8080 --path /events/batch --per-request 100 \
        --connections 4 --warmup 2 --duration 6 --id-prefix run1-
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from e2e_bodies import Bodies

__all__ = ["main"]

_REQUEST_TIMEOUT = 60.0
_QUEUED = b'"status":"queued"'


class _Connection(asyncio.Protocol):
    """One keep-alive connection; :meth:`exchange` sends a request and returns the answer."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._arrived = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0 or self._waiter is None:
            return
        head = bytes(self._buffer[:end]).lower()
        marker = head.find(b"\r\ncontent-length:")
        if marker < 0:
            self._fail(ValueError(f"an answer without content-length: {head[:200]!r}"))
            return
        stop = head.find(b"\r\n", marker + 2)
        length = int(head[marker + 17 : stop if stop >= 0 else end])
        total = end + 4 + length
        if len(self._buffer) < total:
            return
        self._arrived = time.monotonic()
        body = bytes(self._buffer[end + 4 : total])
        del self._buffer[:total]
        waiter, self._waiter = self._waiter, None
        if not waiter.done():
            waiter.set_result((int(head[9:12]), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"the server closed the connection ({exc})"))

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def send(self, request: bytes) -> None:
        """Send ``request``; :meth:`answer` waits for the answer."""
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)

    async def answer(self) -> tuple[int, bytes, float]:
        """The answer's status code, body and arrival time (CLOCK_MONOTONIC)."""
        assert self._waiter is not None
        status, body = await asyncio.wait_for(self._waiter, _REQUEST_TIMEOUT)
        return status, body, self._arrived

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


@dataclass
class _Tally:
    """What the connections saw within the window."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    events: int = 0
    queued: int = 0
    errors: list[str] = field(default_factory=list)


async def _drive(
    connection: _Connection, head: bytes, bodies: Bodies, window: tuple[float, float], tally: _Tally
) -> None:
    """Post until the window closes. The next body is built while the server works on the
    current one, and a latency ends when the answer is read off the socket (not when this
    loop resumes), so the client's own work neither idles the server nor adds to latency."""
    start_at, end_at = window
    body = bodies.next()
    while True:
        sent = time.monotonic()
        if sent >= end_at:
            return
        connection.send(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        body = bodies.next()
        try:
            status, answer, done = await connection.answer()
        except (OSError, ValueError, TimeoutError) as exc:
            tally.errors.append(f"{type(exc).__name__}: {exc}")
            return
        if start_at <= done < end_at:
            tally.latencies.append(done - sent)
            tally.statuses[status] += 1
            if status == 202:
                tally.events += bodies.per_request
                tally.queued += answer.count(_QUEUED)
            elif len(tally.errors) < 5:
                tally.errors.append(f"HTTP {status}: {answer[:300].decode(errors='replace')}")


def _percentiles(latencies: list[float]) -> dict[str, float | None]:
    if not latencies:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    cuts = statistics.quantiles(latencies * 2 if len(latencies) < 2 else latencies, n=100)
    return {
        "p50_ms": round(cuts[49] * 1000, 3),
        "p90_ms": round(cuts[89] * 1000, 3),
        "p99_ms": round(cuts[98] * 1000, 3),
        "max_ms": round(max(latencies) * 1000, 3),
    }


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    bodies = Bodies(args.per_request, args.id_prefix)
    head = (
        f"POST {args.path} HTTP/1.1\r\nHost: 127.0.0.1:{args.port}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    connections = []
    for _ in range(args.connections):
        _, connection = await loop.create_connection(_Connection, "127.0.0.1", args.port)
        connections.append(connection)
    start_at = time.monotonic() + args.warmup
    end_at = start_at + args.duration
    print(f"window {start_at!r} {end_at!r}", flush=True)
    cpu_at_start: list[float] = []
    loop.call_at(start_at, lambda: cpu_at_start.append(time.process_time()))
    tally = _Tally()
    await asyncio.gather(*(_drive(c, head, bodies, (start_at, end_at), tally) for c in connections))
    cpu_used = time.process_time() - (cpu_at_start[0] if cpu_at_start else 0.0)
    for connection in connections:
        connection.close()
    return {
        "window": [start_at, end_at],
        "requests": sum(tally.statuses.values()),
        "events": tally.events,
        "statuses": {str(code): n for code, n in sorted(tally.statuses.items())},
        "queued": tally.queued,
        "latency": _percentiles(tally.latencies),
        "client_cpu_seconds": round(cpu_used, 3),
        "client_cpu_share": round(cpu_used / max(time.monotonic() - start_at, 1e-9), 3),
        "errors": tally.errors[:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="/events or /events/batch")
    parser.add_argument("--per-request", type=int, default=1, help="events per request body")
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before the window")
    parser.add_argument("--duration", type=float, default=6.0, help="the window, seconds")
    parser.add_argument("--id-prefix", default="e2e-", help="event_id prefix (unique per run)")
    args = parser.parse_args(argv)
    report = asyncio.run(_run(args))
    print(json.dumps(report), flush=True)
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
