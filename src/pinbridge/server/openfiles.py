"""Open files: raise the process's limit, keep connections below it.

Every connection is a file descriptor. If connections may use them all, ``accept()`` fails
with EMFILE and the server stops answering even ``/healthz``. So: the soft limit is raised to
the hard one at start; the connection limit is kept below it, leaving room for the queue, the
delivery client, the logs and the connections answered beyond the limit. An accept that still
fails is logged at most once per interval and retried a second later
(:mod:`pinbridge.server.accepting`).
"""

from __future__ import annotations

import logging
import resource
import sys

__all__ = ["RESERVED_FILES", "connection_budget", "raise_open_file_limit"]

RESERVED_FILES = 64  # for the queue's database, the delivery client, logs, the listening socket
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
