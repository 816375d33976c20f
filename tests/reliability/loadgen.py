"""The fault suite's sender: posts events to ``pinbridge serve`` from a process of its own.

Run as ``python -m tests.reliability.loadgen`` from the repository root. It posts batches of
valid events with unique event_ids (``PREFIX-BATCH-N``) at a bounded rate, like a real
sender: a batch that gets no 2xx (a 5xx, a refused connection, a reset) is posted again,
as is, until it is answered 2xx or ``--give-up-after`` seconds pass, so every event is
eventually acknowledged. It stops after ``--max-events`` events, after ``--max-seconds``, or
as soon as the ``--stop-file`` exists.

The server's address is read from ``--url-file`` before every attempt, so the test can
restart the server on another port. Everything that happens is appended to ``--record``,
one JSON object per line (see :mod:`tests.reliability.loadlog`), flushed at once: the test
reads it while the sender runs and after it exits.

Retry-After is honoured up to ``--max-retry-wait`` seconds (0.5 by default): the suite
measures how soon the server takes events again, not how patient a sender is.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx
import orjson

from tests.server.events import purchase

__all__ = ["batch_ids", "main"]

_HTTP_TIMEOUT = 30.0
_ERROR_PAUSE = 0.1


def batch_ids(prefix: str, batch: int, size: int) -> list[str]:
    """The event_ids of batch number ``batch``."""
    return [f"{prefix}-{batch}-{n}" for n in range(size)]


class _Record:
    """The record file: one JSON line per happening, written whole under a lock."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle
        self._lock = threading.Lock()

    def write(self, kind: str, **fields: Any) -> None:
        line = orjson.dumps({"kind": kind, **fields}) + b"\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()


class _Sender:
    """Shared state of the sender threads: the next batch number and when to stop."""

    def __init__(self, options: argparse.Namespace, record: _Record) -> None:
        self.options = options
        self.record = record
        self.started = time.monotonic()
        self._next = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def stopped(self) -> bool:
        if not self._stopped.is_set():
            over_time = time.monotonic() - self.started > self.options.max_seconds
            stop_file = self.options.stop_file
            if over_time or (stop_file is not None and stop_file.exists()):
                self._stopped.set()
        return self._stopped.is_set()

    def take_batch(self) -> int | None:
        """The next batch number to send, or None when the sender is done."""
        with self._lock:
            batch = self._next
            if batch * self.options.batch >= self.options.max_events or self.stopped():
                return None
            self._next += 1
            return batch

    def batches_taken(self) -> int:
        with self._lock:
            return self._next

    def run(self) -> None:
        try:
            with httpx.Client(timeout=_HTTP_TIMEOUT) as client:
                while (batch := self.take_batch()) is not None:
                    self._wait_for_slot(batch)
                    self._send(client, batch)
        except Exception as exc:  # a bug in this sender: say so in the record, for the test
            self.record.write("crash", error=f"{type(exc).__name__}: {exc}", t=time.time())

    def _wait_for_slot(self, batch: int) -> None:
        """Keep to ``--rate``: batch N leaves no sooner than N * batch / rate seconds in."""
        due = self.started + batch * self.options.batch / self.options.rate
        while (delay := due - time.monotonic()) > 0 and not self.stopped():
            time.sleep(min(delay, 0.2))

    def _send(self, client: httpx.Client, batch: int) -> None:
        ids = batch_ids(self.options.prefix, batch, self.options.batch)
        body = orjson.dumps({"batch": [purchase(event_id) for event_id in ids]})
        self.record.write("send", batch=batch, ids=ids, t=time.time())
        give_up_at = time.monotonic() + self.options.give_up_after
        while time.monotonic() < give_up_at:
            started = time.time()
            try:
                url = self.options.url_file.read_text().strip()
                response = client.post(
                    f"{url}/events/batch",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
            except (httpx.HTTPError, OSError) as exc:
                self.record.write(
                    "error", batch=batch, t0=started, t=time.time(), error=type(exc).__name__
                )
                time.sleep(_ERROR_PAUSE)
                continue
            if response.is_success:
                self._answered(batch, started, response)
                return
            self.record.write(
                "answer",
                batch=batch,
                t0=started,
                t=time.time(),
                status=response.status_code,
                error=response.text[:300],
            )
            if response.status_code < 500 and response.status_code not in (408, 429):
                return  # the server refused the events for good: nothing to retry
            time.sleep(self._retry_wait(response))
        self.record.write("gave_up", batch=batch, t=time.time())

    def _answered(self, batch: int, started: float, response: httpx.Response) -> None:
        results: list[dict[str, Any]] = response.json()["results"]
        counts: dict[str, int] = {}
        for result in results:
            counts[result["status"]] = counts.get(result["status"], 0) + 1
        accepted = [r["event_id"] for r in results if r["status"] in ("queued", "duplicate")]
        self.record.write(
            "answer",
            batch=batch,
            t0=started,
            t=time.time(),
            status=response.status_code,
            accepted=accepted,
            results=counts,
        )

    def _retry_wait(self, response: httpx.Response) -> float:
        try:
            wanted = float(response.headers.get("Retry-After", _ERROR_PAUSE))
        except ValueError:
            wanted = _ERROR_PAUSE
        longest = float(self.options.max_retry_wait)
        return max(_ERROR_PAUSE, min(wanted, longest))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loadgen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url-file", type=Path, required=True, help="holds the server's URL")
    parser.add_argument("--record", type=Path, required=True, help="JSON lines written here")
    parser.add_argument("--prefix", required=True, help="event_ids are PREFIX-BATCH-N")
    parser.add_argument("--rate", type=float, default=100.0, help="events per second")
    parser.add_argument("--batch", type=int, default=10, help="events per request")
    parser.add_argument("--senders", type=int, default=2, help="concurrent connections")
    parser.add_argument("--max-events", type=int, default=20_000)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--stop-file", type=Path, default=None)
    parser.add_argument("--give-up-after", type=float, default=120.0)
    parser.add_argument("--max-retry-wait", type=float, default=0.5)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Send until done; exit status 0 (what happened is in the record, not the status)."""
    options = _parser().parse_args(argv)
    with options.record.open("ab") as handle:
        record = _Record(handle)
        sender = _Sender(options, record)
        threads = [
            threading.Thread(target=sender.run, name=f"sender-{n}", daemon=True)
            for n in range(options.senders)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        record.write("done", batches=sender.batches_taken(), t=time.time())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
