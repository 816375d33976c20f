"""Open files: raise the process's limit, keep connections below it, log exhaustion calmly.

Every connection is a file descriptor. If connections may use them all, ``accept()`` fails
with EMFILE, the server stops answering even ``/healthz``, and asyncio logs a traceback per
failed accept, thousands a second (3.11 retries the whole backlog in one tick). So: the soft
limit is raised to the hard one at start; the connection limit is kept below it, leaving
room for the queue, the delivery client, the logs and the connections answered beyond the
limit; and an accept that still fails is logged at most once per interval.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import sys
from typing import Any

from pinbridge.server.throttle import Throttled

__all__ = [
    "RESERVED_FILES",
    "accept_exhaustion_logged_calmly",
    "connection_budget",
    "raise_open_file_limit",
]

RESERVED_FILES = 64  # for the queue's database, the delivery client, logs, the listening socket
_EXHAUSTION = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_log = logging.getLogger("pinbridge.server.openfiles")


def raise_open_file_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard one where allowed; the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # an infinite hard limit above the kernel's nr_open
            pass
    return sys.maxsize if soft == resource.RLIM_INFINITY else soft


def connection_budget(max_connections: int, open_files: int, spare: int) -> int:
    """``max_connections``, lowered (with a warning) so that connections cannot use every file.

    ``spare`` connections beyond the limit are still accepted to be answered (see
    :mod:`pinbridge.server.limits`); they and :data:`RESERVED_FILES` must fit too.
    """
    room = open_files - RESERVED_FILES - spare
    if max_connections <= room:
        return max_connections
    allowed = max(1, room)
    _log.warning(
        "[server] max_connections is more than the open-file limit allows; using the lower "
        "number: raise the limit (ulimit -n, or LimitNOFILE= in a systemd unit) or lower "
        "max_connections",
        extra={
            "max_connections": max_connections,
            "open_file_limit": open_files,
            "using": allowed,
        },
    )
    return allowed


def accept_exhaustion_logged_calmly(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop`` log failed accepts (out of files or memory) once per interval.

    Other exceptions keep asyncio's default handling. asyncio itself pauses accepting for a
    second after such a failure, so the server answers again as soon as files are free.
    """
    note = Throttled(
        _log,
        "cannot accept new connections: the process is out of file descriptors or memory; "
        "connections wait in the listen backlog until some close (raise the open-file limit "
        "or lower [server] max_connections)",
        level=logging.ERROR,
    )

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if (
            isinstance(error, OSError)
            and error.errno in _EXHAUSTION
            and "accept" in str(context.get("message", ""))
        ):
            note(error=errno.errorcode.get(error.errno or 0, "unknown"))
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
