"""``pinbridge serve``: the ingest API, the durable queue and the delivery workers in one process.

Prints ``pinbridge serve listening on http://HOST:PORT`` on standard output once it takes
requests; logs go to standard error as JSON lines. SIGTERM (or Ctrl+C) stops intake, lets the
requests in flight and the batches being delivered finish, closes everything, exits 0.
SIGHUP reads the configuration again (see docs/service.md, "Live reload").
"""

from __future__ import annotations

import argparse
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING

from pinbridge.commands.common import (
    add_config_argument,
    require_destination_credentials,
    settings_from_args,
)
from pinbridge.errors import ConfigError

if TYPE_CHECKING:
    from pinbridge.config import DestinationSettings, Settings
    from pinbridge.delivery.targets import Connect, EventSender
    from pinbridge.logs import RedactingFilter
    from pinbridge.metrics import Metrics

__all__ = ["add_parser", "run"]

_LOG_LEVELS = ("debug", "info", "warning", "error")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``serve`` and its options."""
    parser = subparsers.add_parser(
        "serve",
        help="run the delivery service: ingest API, durable queue, delivery workers, dashboard",
        description="Accept Commanders Act events over HTTP, queue them durably and deliver "
        "them to the Pinterest Conversions API. See docs/service.md.",
    )
    add_config_argument(parser)
    parser.add_argument("--host", help="address to listen on (default: [server] host)")
    parser.add_argument(
        "--port",
        type=int,
        help="port to listen on; 0 picks a free one (default: [server] port)",
    )
    parser.add_argument(
        "--no-delivery",
        action="store_true",
        help="accept and queue events without sending them (an ingest-only node: "
        "another node on the same PostgreSQL queue delivers)",
    )
    parser.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="N server processes on the same port, each with its own intake and delivery "
        "workers (default 1; see docs/service.md for how many per core)",
    )
    parser.add_argument("--log-level", choices=_LOG_LEVELS, default="info")
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)  # a worker's socket
    parser.set_defaults(run=run)


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 64")
    return int(text)


def run(args: argparse.Namespace) -> int:
    """Load the configuration, check it, and serve until a signal."""
    from pinbridge.logs import configure_logging

    settings = settings_from_args(args)
    require_destination_credentials(settings, "pinbridge serve")
    host = args.host or settings.server.host
    port = settings.server.port if args.port is None else args.port
    if not 0 <= port < 65536:
        raise ConfigError(f"--port must be between 0 and 65535, not {port}")
    secrets, keep = _redaction_of(settings)
    redactor = configure_logging(args.log_level, secrets=secrets, keep=keep)
    if args.listen_fd is not None:
        from pinbridge.server.supervisor import inherited_socket

        sock = inherited_socket(args.listen_fd)
    else:
        sock = _listen(settings, host, port)
    if args.workers > 1 and args.listen_fd is None:
        from pinbridge.server.supervisor import supervise

        worker_args = ["--log-level", args.log_level]
        if args.config:
            worker_args += ["--config", args.config]
        if args.host:
            worker_args += ["--host", args.host]
        if args.no_delivery:
            worker_args.append("--no-delivery")
        return supervise(
            sock, worker_args, args.workers, lambda: _announce(sock, not args.no_delivery)
        )

    def load() -> Settings:
        reloaded = settings_from_args(args)
        require_destination_credentials(reloaded, "the reloaded configuration")
        return reloaded

    from pinbridge.server.runner import run as run_loop

    worker = args.listen_fd is not None  # a worker of serve --workers N: the same loop
    return run_loop(
        _serve(
            settings,
            sock,
            deliver=not args.no_delivery,
            load=load,
            redactor=redactor,
            worker=worker,
        )
    )


def _listen(settings: Settings, host: str, port: int) -> socket.socket:
    """The listening socket, once it is safe to listen there (see Safe by default)."""
    from pinbridge.server.hosts import is_loopback
    from pinbridge.server.runner import bind_socket

    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another [server] host/port "
            "(or --host/--port)"
        ) from None
    address = str(sock.getsockname()[0])
    try:
        _refuse_open_exposure(settings, is_loopback(address), address)
    except ConfigError:
        sock.close()
        raise
    return sock


def _redaction_of(settings: Settings) -> tuple[list[str], list[str]]:
    """The clear values the log filter must hide (tokens, keys) and the ones it must show
    (ad account ids), so that it can recognise them in any log line."""
    secrets = [key.reveal() for key in settings.server.admin_keys]
    keep: list[str] = []
    for destination in settings.destinations.values():
        token = destination.pinterest.access_token
        if token is not None:
            secrets.append(token.reveal())
        secrets.extend(key.reveal() for key in destination.source_keys)
        keep.append(destination.pinterest.ad_account_id or "")
    return secrets, keep


async def _serve(
    settings: Settings,
    sock: socket.socket,
    *,
    deliver: bool,
    load: Callable[[], Settings],
    redactor: RedactingFilter,
    worker: bool,
) -> int:
    import asyncio
    import logging
    import os
    import signal

    from pinbridge.delivery.worker import DeliveryService
    from pinbridge.metrics import Metrics
    from pinbridge.queue import open_queue
    from pinbridge.server.app import create_app
    from pinbridge.server.hosts import is_loopback
    from pinbridge.server.reloading import reload_configuration
    from pinbridge.server.runner import serve_app
    from pinbridge.server.supervisor import WORKER_READY

    log = logging.getLogger("pinbridge.serve")
    loopback = is_loopback(str(sock.getsockname()[0]))
    queue = open_queue(settings.queue)
    try:
        metrics = Metrics()
        service = (
            DeliveryService(settings, queue, metrics, connect=_connector(settings, metrics))
            if deliver
            else None
        )
        app = create_app(
            settings, queue, metrics, service=service, loader=load, loopback_only=loopback
        )
        context = app.state.pinbridge
        context.on_settings.append(lambda new: redactor.update(*_redaction_of(new)))

        def stop_intake() -> None:
            context.draining = True

        loop = asyncio.get_running_loop()
        reloads: set[asyncio.Task[object]] = set()

        def on_hangup() -> None:
            task = loop.create_task(reload_configuration(context))
            reloads.add(task)
            task.add_done_callback(reloads.discard)

        loop.add_signal_handler(signal.SIGHUP, on_hangup)
        try:
            await serve_app(
                app,
                sock,
                settings.server,
                on_signal=stop_intake,
                on_ready=(
                    (lambda: print(f"{WORKER_READY} (pid {os.getpid()})", flush=True))
                    if worker
                    else (lambda: _announce(sock, deliver))
                ),
            )
        finally:
            loop.remove_signal_handler(signal.SIGHUP)
    finally:
        queue.close()
        sock.close()
    log.info("pinbridge serve stopped")
    return 0


def _refuse_open_exposure(settings: Settings, loopback: bool, address: str) -> None:
    """Beyond loopback, both kinds of keys are needed unless ``[server] allow_open``."""
    if loopback or settings.server.allow_open:
        return
    senders = any(d.source_keys for d in settings.destinations.values())
    missing = [
        what
        for what, present in (
            ("sender keys ([server] source_keys, or destinations.NAME.source_keys)", senders),
            ("operator keys ([server] admin_keys)", bool(settings.server.admin_keys)),
        )
        if not present
    ]
    if missing:
        raise ConfigError(
            f"pinbridge serve will not listen on {address} (reachable from other machines) "
            f"without {' and '.join(missing)}: set them (keys of at least 16 characters), or "
            "listen on 127.0.0.1, or set [server] allow_open = true to run it open on purpose"
        )


def _connector(settings: Settings, metrics: Metrics) -> Connect:
    """How the delivery service builds each destination's Pinterest client."""
    from pinbridge.delivery import PinterestClient
    from pinbridge.delivery.worker import response_observer

    timeout = settings.delivery.request_timeout_seconds

    def connect(destination: DestinationSettings) -> EventSender:
        token = destination.pinterest.access_token
        assert token is not None  # require_destination_credentials checked it
        return PinterestClient(
            access_token=token,
            base_url=destination.pinterest.api_base_url,
            test_mode=destination.pinterest.test_mode,
            timeout=timeout,
            observer=response_observer(metrics, destination.name),
        )

    return connect


def _announce(sock: socket.socket, deliver: bool) -> None:
    import logging

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"pinbridge serve listening on http://{shown}:{port}", flush=True)
    logging.getLogger("pinbridge.serve").info(
        "listening", extra={"port": port, "delivery": "on" if deliver else "off"}
    )
