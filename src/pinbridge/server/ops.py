"""Probes and metrics: ``/healthz``, ``/readyz``, ``/metrics``. No source key needed.

``/healthz`` says the process answers; ``/readyz`` says this node can do its job right now
(the queue answers, no account is paused, delivery runs, not shutting down), with every
reason when it cannot; ``/metrics`` is the Prometheus text of this process's registry.
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.server.context import context_of
from pinbridge.server.responses import JSONResponse

__all__ = ["routes"]

_log = logging.getLogger("pinbridge.server.ops")


async def healthz(request: Request) -> Response:
    """200 while the process serves requests."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 ``ready``, or 503 ``not ready`` with the list of reasons."""
    ctx = context_of(request)
    reasons: list[str] = []
    if ctx.draining:
        reasons.append("shutting down: new events are refused")
    try:
        await asyncio.to_thread(ctx.queue.ping)
    except Exception as exc:  # any failure to reach the queue makes the node unready
        _log.warning("queue unreachable", extra={"error": type(exc).__name__})
        reasons.append(f"the queue does not answer ({type(exc).__name__}); check [queue] url")
    for account, why in sorted(ctx.paused_accounts().items()):
        reasons.append(f"ad account {account} is paused: {why}")
    if ctx.delivery_problem is not None:
        reasons.append(ctx.delivery_problem)
    if reasons:
        return JSONResponse({"status": "not ready", "reasons": reasons}, status_code=503)
    return JSONResponse({"status": "ready", "reasons": []})


async def metrics(request: Request) -> Response:
    """Prometheus exposition text; the queue-depth gauge reads the queue, so in a thread."""
    registry = context_of(request).metrics.registry
    text = await asyncio.to_thread(generate_latest, registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
