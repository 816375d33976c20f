"""``pinbridge serve``: the ingest API, the durable queue and the delivery workers in one process.

Prints ``pinbridge serve listening on http://HOST:PORT`` on standard output once it takes
requests; logs go to standard error as JSON lines. SIGTERM (or Ctrl+C) stops intake, lets the
requests in flight and the batches being delivered finish, closes everything, exits 0.
"""

from __future__ import annotations

import argparse
import socket
from typing import TYPE_CHECKING

from pinbridge.commands.common import add_config_argument, require_credentials, settings_from_args
from pinbridge.errors import ConfigError

if TYPE_CHECKING:
    from pinbridge.config import Settings
    from pinbridge.secrets import Secret

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
    parser.add_argument("--log-level", choices=_LOG_LEVELS, default="info")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load the configuration, check it, and serve until a signal."""
    import asyncio

    from pinbridge.logs import configure_logging

    settings = settings_from_args(args)
    token = require_credentials(settings, "pinbridge serve")
    host = args.host or settings.server.host
    port = settings.server.port if args.port is None else args.port
    if not 0 <= port < 65536:
        raise ConfigError(f"--port must be between 0 and 65535, not {port}")
    # The redaction filter must know the clear values to recognise them in any log line.
    keys = [key.reveal() for key in settings.server.source_keys]
    account = settings.pinterest.ad_account_id
    configure_logging(args.log_level, secrets=[token.reveal(), *keys], keep=[account or ""])
    return asyncio.run(_serve(settings, token, host, port, deliver=not args.no_delivery))


async def _serve(settings: Settings, token: Secret, host: str, port: int, *, deliver: bool) -> int:
    import logging

    from pinbridge.delivery import PinterestClient
    from pinbridge.delivery.worker import DeliveryService, response_observer
    from pinbridge.metrics import Metrics
    from pinbridge.queue import open_queue
    from pinbridge.server.app import create_app
    from pinbridge.server.runner import bind_socket, serve_app

    log = logging.getLogger("pinbridge.serve")
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another [server] host/port "
            "(or --host/--port)"
        ) from None
    queue = open_queue(settings.queue)
    try:
        metrics = Metrics()
        client = PinterestClient(
            access_token=token,
            base_url=settings.pinterest.api_base_url,
            test_mode=settings.pinterest.test_mode,
            timeout=settings.delivery.request_timeout_seconds,
            observer=response_observer(metrics),
        )
        async with client:
            service = DeliveryService(settings, queue, client, metrics) if deliver else None
            app = create_app(settings, queue, metrics, service=service)
            context = app.state.pinbridge

            def stop_intake() -> None:
                context.draining = True

            await serve_app(
                app,
                sock,
                settings.server,
                on_signal=stop_intake,
                on_ready=lambda: _announce(sock, deliver),
            )
    finally:
        queue.close()
        sock.close()
    log.info("pinbridge serve stopped")
    return 0


def _announce(sock: socket.socket, deliver: bool) -> None:
    import logging

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"pinbridge serve listening on http://{shown}:{port}", flush=True)
    logging.getLogger("pinbridge.serve").info(
        "listening", extra={"port": port, "delivery": "on" if deliver else "off"}
    )
