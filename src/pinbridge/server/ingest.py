"""``POST /events`` and ``POST /events/batch``: map at the door, store durably, answer 202.

Every event is mapped on arrival, so only hashed data is ever stored. The mapped events of
one request are enqueued in one call, and the 202 goes out only after that call returned
(the queue has committed them). A full queue stores nothing and answers 503 with
``Retry-After``: the sender keeps the events and tries again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.mapping import Filtered, Invalid, Mapped
from pinbridge.queue.records import NewEvent, QueueFull
from pinbridge.server.auth import ingest_destination
from pinbridge.server.body import BodyTooLarge, read_bounded
from pinbridge.server.context import ServerContext, context_of
from pinbridge.server.parsing import (
    BadBody,
    IncomingEvent,
    parse_batch,
    parse_ndjson,
    parse_single,
)
from pinbridge.server.ratelimit import RateLimitedWarning
from pinbridge.server.responses import JSONResponse, error_response

__all__ = ["RETRY_AFTER_SECONDS", "routes"]

RETRY_AFTER_SECONDS = 5
_NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
_NO_EVENT_NAME = "none"  # metrics label of events that have no Pinterest event name
_log = logging.getLogger("pinbridge.server.ingest")
_refused_senders = RateLimitedWarning(
    _log,
    "ingest refused %d requests without a valid sender key in the last %d s: a sender is "
    "misconfigured (wrong or missing key) or someone is guessing",
)


async def ingest_one(request: Request) -> Response:
    """One Commanders Act event as a JSON object."""
    ctx = context_of(request)
    destination = _destination(request, ctx)
    if isinstance(destination, Response):
        return destination
    limits = ctx.settings.server
    limit = min(limits.max_event_bytes, limits.max_request_bytes)
    try:
        body = await read_bounded(request, limit)
        event = parse_single(body)
    except BodyTooLarge as exc:
        return _too_large(exc, ctx, single=True)
    except BadBody as exc:
        return error_response(400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)
    return await _accept(request, ctx, destination, [event])


async def ingest_batch(request: Request) -> Response:
    """``{"batch": [...]}``, or newline-delimited JSON with an NDJSON content type."""
    ctx = context_of(request)
    destination = _destination(request, ctx)
    if isinstance(destination, Response):
        return destination
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = await read_bounded(request, ctx.settings.server.max_request_bytes)
        events = parse_ndjson(body) if content_type in _NDJSON_TYPES else parse_batch(body)
    except BodyTooLarge as exc:
        return _too_large(exc, ctx, single=False)
    except BadBody as exc:
        return error_response(400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)
    return await _accept(request, ctx, destination, events)


def _destination(request: Request, ctx: ServerContext) -> str | Response:
    """The destination of the request's key, or the answer refusing the request."""
    if ctx.draining:
        return error_response(
            503,
            "pinbridge is shutting down and accepts no new events; send them again shortly "
            "(to this node once it restarted, or to another one)",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    runtime = ctx.runtime
    destination = ingest_destination(request, runtime.keys, runtime.destination_names)
    if isinstance(destination, Response) and destination.status_code == 401:
        _refused_senders.note()
    return destination


def _too_large(exc: BodyTooLarge, ctx: ServerContext, *, single: bool) -> Response:
    limits = ctx.settings.server
    how_big = f"{'declares' if exc.declared else 'is more than'} {exc.seen:,} bytes"
    if single and exc.limit == limits.max_event_bytes:
        message = (
            f"event 0 {how_big}, over the limit of {exc.limit:,} bytes for one event "
            "([server] max_event_bytes); trim the event or raise the limit"
        )
    else:
        message = (
            f"the request body {how_big}, over the limit of {exc.limit:,} bytes per request "
            "([server] max_request_bytes); send fewer events per request or raise the limit"
        )
    return error_response(413, message, limit=exc.limit)


async def _accept(
    request: Request, ctx: ServerContext, destination: str, events: list[IncomingEvent]
) -> Response:
    try:
        results, names = await asyncio.to_thread(_map_and_enqueue, ctx, destination, events)
    except QueueFull:
        _log.warning("queue full; request refused", extra={"events": len(events)})
        return error_response(
            503,
            f"the queue is full ([queue] max_depth = {ctx.settings.queue.max_depth:,} pending "
            "events): nothing from this request was stored; send it again after Retry-After "
            "seconds",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    pairs = Counter(zip((result["status"] for result in results), names, strict=True))
    tally: Counter[str] = Counter()
    for (status, name), count in pairs.items():
        ctx.metrics.events.labels(status, name, destination).inc(count)
        tally[status] += count
    _log.info(
        "events received",
        extra={
            "path": request.url.path,
            "destination": destination,
            "events": len(events),
            **dict(sorted(tally.items())),
        },
    )
    return JSONResponse({"results": results}, status_code=202)


def _map_and_enqueue(
    ctx: ServerContext, name: str, events: list[IncomingEvent]
) -> tuple[list[dict[str, Any]], list[str]]:
    """One result per event, in order, and its Pinterest event name (for the metrics)."""
    now = ctx.clock()
    settings = ctx.settings
    destination = settings.destination(name)
    account = destination.pinterest.ad_account_id or ""
    limit = settings.server.max_event_bytes
    results: list[dict[str, Any]] = [{} for _ in events]
    names = [_NO_EVENT_NAME] * len(events)
    to_store: list[tuple[int, NewEvent, tuple[str, ...]]] = []
    for index, incoming in enumerate(events):
        if incoming.size > limit:
            results[index] = _oversized(index, incoming.size, limit)
            continue
        mapped = destination.mapper.map(incoming.value, received_at=int(now))
        if isinstance(mapped, Filtered):
            results[index] = {"status": "filtered", "reason": mapped.reason}
        elif isinstance(mapped, Invalid):
            results[index] = {
                "status": "invalid",
                "errors": list(mapped.errors),
                "warnings": list(mapped.warnings),
            }
        else:
            to_store.append((index, _new_event(name, account, mapped), mapped.warnings))
            names[index] = str(mapped.event["event_name"])
    if to_store:
        stored = ctx.queue.enqueue([new for _, new, _ in to_store], now)
        for (index, _, warnings), outcome in zip(to_store, stored, strict=True):
            result: dict[str, Any] = {"status": outcome.status, "event_id": outcome.event_id}
            if outcome.status == "queued":
                result["warnings"] = list(warnings)
            results[index] = result
    return results, names


def _new_event(destination: str, account: str, mapped: Mapped) -> NewEvent:
    event = mapped.event
    return NewEvent(
        ad_account_id=account,
        event_id=str(event["event_id"]),
        event_name=str(event["event_name"]),
        event_time=int(event["event_time"]),
        payload=orjson.dumps(event),
        destination=destination,
    )


def _oversized(index: int, size: int, limit: int) -> dict[str, Any]:
    return {
        "status": "invalid",
        "errors": [
            f"event {index} is {size:,} bytes, over the limit of {limit:,} bytes for one event "
            "([server] max_event_bytes); trim the event or raise the limit"
        ],
        "warnings": [],
    }


routes = [
    Route("/events", ingest_one, methods=["POST"]),
    Route("/events/batch", ingest_batch, methods=["POST"]),
]
