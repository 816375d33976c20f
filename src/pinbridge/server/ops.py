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

from pinbridge.server.auth import admin_refusal, is_admin
from pinbridge.server.context import context_of
from pinbridge.server.health import node_problems
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
    reasons = await node_problems(ctx)
    body: dict[str, object] = {"status": "not ready" if reasons else "ready"}
    if is_admin(request, ctx.runtime.keys):
        body["reasons"] = reasons
    return JSONResponse(body, status_code=503 if reasons else 200)


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
