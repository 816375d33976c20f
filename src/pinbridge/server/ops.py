"""Probes and metrics: ``/healthz``, ``/readyz``, ``/metrics``.

``/healthz`` says the process answers (open to all); ``/readyz`` says this node can do its
job right now (the queue answers, no destination is paused, delivery runs, not shutting
down), with every reason when an operator key asks; ``/metrics`` is the Prometheus text of
this process's registry (operator key unless ``[server] public_metrics = true``).
"""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.queue.records import PauseState
from pinbridge.server.auth import admin_refusal, is_admin
from pinbridge.server.context import ServerContext, context_of
from pinbridge.server.responses import JSONResponse

__all__ = ["routes"]

_log = logging.getLogger("pinbridge.server.ops")


async def healthz(request: Request) -> Response:
    """200 while the process serves requests."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """200 ``ready`` or 503 ``not ready``; the reasons only to an operator key.

    Without the key a probe learns nothing else (no account ids, no reasons): load
    balancers need only the status code.
    """
    ctx = context_of(request)
    reasons: list[str] = []
    if ctx.draining:
        reasons.append("shutting down: new events are refused")
    try:
        pauses = await asyncio.to_thread(_ping_and_pauses, ctx)
    except Exception as exc:  # any failure to reach the queue makes the node unready
        _log.warning("queue unreachable", extra={"error": type(exc).__name__})
        reasons.append(f"the queue does not answer ({type(exc).__name__}); check [queue] url")
    else:
        for name, pause in sorted(pauses.items()):
            reasons.append(f"destination {name} is paused: {pause.reason}")
    if ctx.delivery_problem is not None:
        reasons.append(ctx.delivery_problem)
    status = "not ready" if reasons else "ready"
    body: dict[str, object] = {"status": status}
    if is_admin(request, ctx.runtime.keys):
        body["reasons"] = reasons
    return JSONResponse(body, status_code=503 if reasons else 200)


def _ping_and_pauses(ctx: ServerContext) -> dict[str, PauseState]:
    ctx.queue.ping()
    return ctx.queue.pauses()


async def metrics(request: Request) -> Response:
    """Prometheus exposition text (operator key unless ``[server] public_metrics``)."""
    ctx = context_of(request)
    if not ctx.settings.server.public_metrics:
        refusal = admin_refusal(request, ctx.runtime.keys)
        if refusal is not None:
            return refusal
    text = await asyncio.to_thread(generate_latest, ctx.metrics.registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


routes = [
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]
