"""What bench/e2e.py reads about processes: CPU time, time spent waiting for a core and
peak memory from ``/proc``, and which PostgreSQL backends serve a given process.

CPU is ``utime + stime`` of ``/proc/PID/stat`` (every thread of the process, in clock
ticks); the wait is the second field of each thread's ``/proc/PID/task/TID/schedstat``
(nanoseconds runnable but not running: how much other processes on the same core held
the benchmark back; threads that ended are missed, so it is a lower bound); peak memory
is ``VmHWM`` of ``/proc/PID/status`` (the resident set's high-water mark).

A PostgreSQL backend serves a process when its ``pg_stat_activity.client_port`` is the
local port of one of that process's TCP connections to the server: this counts the
backends of the benchmarked pinbridge only, not those of anyone else on a shared server,
and leaves out PostgreSQL's own background processes (WAL writer, checkpointer), which
every user of the server shares.
"""

from __future__ import annotations

import os
from typing import Any

import psutil
import psycopg

__all__ = ["cpu_seconds", "peak_rss_mib", "postgres_backends", "run_queue_wait_seconds"]

_TICK = float(os.sysconf("SC_CLK_TCK"))


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of ``pid`` so far; None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICK  # fields 14 and 15 of proc(5)


def run_queue_wait_seconds(pid: int) -> float | None:
    """Seconds the live threads of ``pid`` have waited, runnable, for a core; None when
    it is gone."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    waited = 0
    for thread in threads:
        try:
            with open(f"/proc/{pid}/task/{thread}/schedstat", "rb") as schedstat:
                waited += int(schedstat.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the thread ended meanwhile
    return waited / 1e9


def peak_rss_mib(pid: int) -> float | None:
    """``VmHWM`` of ``pid`` in MiB; None when it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def postgres_backends(conn: psycopg.Connection[Any], pid: int, port: int) -> set[int]:
    """Process ids of the backends serving ``pid``'s connections to PostgreSQL on ``port``."""
    try:
        sockets = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.Error:
        return set()
    local_ports = [s.laddr.port for s in sockets if s.raddr and s.raddr.port == port]
    if not local_ports:
        return set()
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", (local_ports,)
    ).fetchall()
    return {int(row[0]) for row in rows}
