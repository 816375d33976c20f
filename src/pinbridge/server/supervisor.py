"""``pinbridge serve --workers N``: N server processes on one listening socket.

The parent binds the socket once and starts N copies of ``pinbridge serve`` that inherit it
(``--listen-fd``); the kernel hands each new connection to one of them. Each worker is a
whole node: its own intake, group writer and delivery workers (on SQLite they share the
file, writers taking turns; on PostgreSQL each is a node like any other). The parent prints
the ready line once every worker is ready, passes SIGTERM, SIGINT and SIGHUP on to them,
starts a new worker when one dies unexpectedly, and exits 0 once all have stopped cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from types import FrameType

__all__ = ["WORKER_READY", "inherited_socket", "supervise"]

WORKER_READY = "pinbridge serve worker ready"
"""What a worker prints on standard output once it takes requests."""

_READY_TIMEOUT = 60.0
_POLL = 0.2
_RESTART_PAUSE = 1.0
_log = logging.getLogger("pinbridge.serve.supervisor")


class _Worker:
    """One child process and a thread reading its standard output."""

    def __init__(self, command: Sequence[str], fd: int) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own command line, no shell
            command,
            stdout=subprocess.PIPE,
            text=True,
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # signals reach workers once: through this parent
        )
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(WORKER_READY):
                self.ready.set()
            else:
                sys.stdout.write(line)
                sys.stdout.flush()
        self.ready.set()


def supervise(
    sock: socket.socket,
    worker_args: Sequence[str],
    workers: int,
    announce: Callable[[], None],
) -> int:
    """Run ``workers`` processes on ``sock`` until a signal; their exit status, combined."""
    fd = sock.fileno()
    command = [sys.executable, "-m", "pinbridge.cli", "serve", *worker_args, "--listen-fd", str(fd)]
    stopping = threading.Event()

    def forward(signum: int, _frame: FrameType | None) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            stopping.set()
        for worker in running:
            if worker.process.poll() is None:
                worker.process.send_signal(signum)

    running: list[_Worker] = []
    previous = {
        sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    }
    try:
        running.extend(_Worker(command, fd) for _ in range(workers))
        deadline = time.monotonic() + _READY_TIMEOUT
        for worker in running:
            worker.ready.wait(max(0.0, deadline - time.monotonic()))
        if not all(w.ready.is_set() and w.process.poll() is None for w in running):
            stopping.set()
            forward(signal.SIGTERM, None)
            _wait_all(running)
            print(
                "pinbridge serve: error: a worker did not start; its log is above",
                file=sys.stderr,
            )
            return 2
        announce()
        _log.info("workers started", extra={"workers": workers})
        while not stopping.is_set():
            for index, worker in enumerate(running):
                status = worker.process.poll()
                if status is not None and not stopping.is_set():
                    _log.error(
                        "a worker stopped unexpectedly (exit status %s); starting another",
                        status,
                    )
                    time.sleep(_RESTART_PAUSE)
                    running[index] = _Worker(command, fd)
            stopping.wait(_POLL)
        statuses = _wait_all(running)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    return 0 if all(status == 0 for status in statuses) else 1


def _wait_all(workers: Sequence[_Worker]) -> list[int]:
    return [worker.process.wait() for worker in workers]


def inherited_socket(fd: int) -> socket.socket:
    """The listening socket a worker inherited from its parent."""
    sock = socket.socket(fileno=fd)
    os.set_inheritable(fd, False)
    return sock
