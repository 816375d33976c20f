"""The Starlette application of ``pinbridge serve`` and what runs beside it.

:func:`create_app` wires the routes to one queue, one metrics registry and, optionally, a
delivery service. The app's lifespan starts the delivery loops and the periodic retention
purge; on shutdown it refuses new ingest, sets the service's ``stop`` event and waits until
the in-flight batches are finished. Closing the queue and the client is the caller's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pinbridge.config import Settings
from pinbridge.metrics import Metrics
from pinbridge.queue import Queue, QueueDiskFull, QueueUnavailable
from pinbridge.server import (
    console,
    dashboard,
    deliverylog,
    ingest,
    insights,
    ops,
    reloading,
)
from pinbridge.server.context import (
    DeliveryRunner,
    ReloadState,
    Runtime,
    ServerContext,
    context_of,
)
from pinbridge.server.hosts import HostCheck
from pinbridge.server.ingest import RETRY_AFTER_SECONDS
from pinbridge.server.responses import error_response
from pinbridge.server.throttle import Throttled

__all__ = ["PURGE_INTERVAL_SECONDS", "create_app"]

PURGE_INTERVAL_SECONDS = 3600.0
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_log = logging.getLogger("pinbridge.server")
_disk_full_log = Throttled(_log, "the queue's disk is full: ingest answers 507")
_unavailable_log = Throttled(_log, "the queue's database does not answer: ingest answers 503")
_access = logging.getLogger("pinbridge.server.access")


def create_app(
    settings: Settings,
    queue: Queue,
    metrics: Metrics,
    *,
    service: DeliveryRunner | None = None,
    clock: Callable[[], float] = time.time,
    purge_interval: float = PURGE_INTERVAL_SECONDS,
    loader: Callable[[], Settings] | None = None,
    loopback_only: bool = False,
) -> Starlette:
    """The ASGI app; ``app.state.pinbridge`` is its :class:`ServerContext`.

    ``loader`` reads the configuration again for a reload (``POST /v1/reload``, SIGHUP);
    without it a reload re-applies ``settings``. ``loopback_only`` turns the Host check on.
    """
    ctx = ServerContext(
        runtime=Runtime.of(settings),
        queue=queue,
        metrics=metrics,
        service=service,
        clock=clock,
        reload_state=ReloadState(loaded_at=clock()),
        loopback_only=loopback_only,
        loader=loader or (lambda: settings),
    )
    app = Starlette(
        routes=[
            *ingest.routes,
            *deliverylog.routes,
            *reloading.routes,
            *console.routes,
            *insights.routes,
            *ops.routes,
            *dashboard.routes,
        ],
        middleware=[
            Middleware(
                HostCheck,
                active=lambda: ctx.loopback_only,
                allowed=lambda: ctx.allowed_hosts,
            ),
            Middleware(_AccessLog, enabled=lambda: ctx.settings.server.access_log),
        ],
        exception_handlers={
            HTTPException: _http_error,
            QueueDiskFull: _queue_disk_full,
            QueueUnavailable: _queue_unavailable,
            Exception: _internal_error,
        },
        lifespan=_lifespan(ctx, purge_interval),
    )
    app.state.pinbridge = ctx
    return app


def _lifespan(
    ctx: ServerContext, purge_interval: float
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.metrics.track_queue_depth(ctx.queue.depth)
        ctx.writer.start()
        stop = asyncio.Event()
        purge = asyncio.create_task(_purge_periodically(ctx, purge_interval))
        delivery: asyncio.Task[None] | None = None
        if ctx.service is not None:
            delivery = asyncio.create_task(ctx.service.run(stop))
            delivery.add_done_callback(lambda task: _delivery_ended(ctx, stop, task))
        try:
            yield
        finally:
            ctx.draining = True
            stop.set()
            if delivery is not None:
                _log.info("finishing in-flight deliveries")
                with contextlib.suppress(Exception):  # already logged by the callback
                    await delivery
            purge.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purge
            await ctx.writer.stop()

    return lifespan


def _delivery_ended(ctx: ServerContext, stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    if stop.is_set():
        return
    error = None if task.cancelled() else task.exception()
    ctx.delivery_problem = (
        f"delivery stopped unexpectedly ({type(error).__name__}); restart pinbridge serve"
        if error is not None
        else "delivery stopped unexpectedly; restart pinbridge serve"
    )
    _log.error("delivery stopped", exc_info=error)


async def _purge_periodically(ctx: ServerContext, interval: float) -> None:
    """Drop final log entries older than ``[queue] retention_days``, now and every interval."""
    while True:
        try:
            removed = await asyncio.to_thread(ctx.queue.purge, ctx.clock())
        except Exception:  # a failed purge is retried at the next interval
            _log.exception("retention purge failed")
        else:
            if removed:
                _log.info("retention purge", extra={"removed": removed})
        await asyncio.sleep(interval)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = f"no such endpoint: {request.method} {request.url.path}; see /openapi.json"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}; see /openapi.json"
    else:
        message = str(exc.detail)
    return error_response(exc.status_code, message, headers=exc.headers)


async def _queue_disk_full(request: Request, exc: Exception) -> Response:
    ctx = context_of(request)
    ctx.queue_state.saw(exc, ctx.clock())
    _disk_full_log(error=str(exc))
    return error_response(
        507,
        "the queue's disk is full: nothing from this request was stored; send it again "
        "after Retry-After seconds (the operator must free disk space for the queue)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _queue_unavailable(request: Request, exc: Exception) -> Response:
    _unavailable_log(error=str(exc))
    return error_response(
        503,
        "the queue's database does not answer; nothing was changed; try again after "
        "Retry-After seconds (the server log has the cause)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _internal_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal error; the server log has the details")


class _AccessLog:
    """One log line per request: method, path (never the query: it may hold a key), status;
    none while ``enabled()`` is false (``[server] access_log = false``)."""

    def __init__(self, app: ASGIApp, *, enabled: Callable[[], bool]) -> None:
        self.app = app
        self._enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._enabled():
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            path: str = scope["path"]
            fields: dict[str, Any] = {
                "method": scope["method"],
                "path": path,
                "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
            level = logging.DEBUG if path in _QUIET_PATHS else logging.INFO
            _access.log(level, "request", extra=fields)
