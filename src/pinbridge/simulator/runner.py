"""Run the simulator until SIGTERM or SIGINT.

The listening socket is bound here (port 0 lets the system pick a free port) and the ready
line ``pinbridge simulator listening on http://HOST:PORT`` is announced only once the server
accepts connections, so scripts and tests can wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable

from aiohttp import web

from pinbridge.errors import ConfigError
from pinbridge.simulator.app import SimulatorState, build_app

__all__ = ["READY_PREFIX", "bind", "serve", "url_for"]

READY_PREFIX = "pinbridge simulator listening on "
_SHUTDOWN_SECONDS = 1.0
_BACKLOG = 512


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; ConfigError saying how to fix it when that fails."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(
            f"--host {host!r} is not an address this machine can listen on ({exc.strerror}); "
            "use 127.0.0.1 for local tests"
        ) from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port "
            "(--port 0 picks a free one) or stop the program using it"
        ) from exc
    return sock


def url_for(host: str, port: int) -> str:
    """``http://HOST:PORT``, with brackets around an IPv6 address."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


async def serve(
    state: SimulatorState, host: str, port: int, announce: Callable[[str], None]
) -> None:
    """Serve until SIGTERM/SIGINT; ``announce(url)`` is called once connections are accepted."""
    sock = bind(host, port)
    runner = web.AppRunner(build_app(state), access_log=None, handler_cancellation=True)
    await runner.setup()
    try:
        site = web.SockSite(runner, sock, shutdown_timeout=_SHUTDOWN_SECONDS, backlog=_BACKLOG)
        await site.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        announce(url_for(host, sock.getsockname()[1]))
        await stop.wait()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
    finally:
        await runner.cleanup()
        with contextlib.suppress(OSError):
            sock.close()
