"""``POST /events`` and ``POST /events/batch``: map at the door, store durably, answer 202.

Every event is mapped on arrival, so only hashed data is ever stored. The mapped events of
one request are enqueued in one call, and the 202 goes out only after that call returned
(the queue has committed them). A full queue stores nothing and answers 503 with
``Retry-After``: the sender keeps the events and tries again.

Before anything is read, the content type (JSON or NDJSON) and encoding (none or gzip) are
checked (415 otherwise); sizes apply to the decompressed body, and the number of events is
checked before any is mapped (413). The answer is kept small by :mod:`.results`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.mapping import Filtered, Invalid, Mapped
from pinbridge.queue.records import EnqueueResult, NewEvent, QueueFull, Tally
from pinbridge.server.auth import ingest_destination
from pinbridge.server.body import (
    BadCompression,
    BodyTooLarge,
    UnsupportedEncoding,
    read_decoded,
)
from pinbridge.server.context import ServerContext, context_of
from pinbridge.server.parsing import (
    BadBody,
    BrokenEvent,
    IncomingEvent,
    TooManyEvents,
    parse_batch,
    parse_ndjson,
    parse_single,
)
from pinbridge.server.quality import identifiers_of
from pinbridge.server.responses import JSONResponse, error_response
from pinbridge.server.results import compact_results
from pinbridge.server.throttle import Throttled

__all__ = ["RETRY_AFTER_SECONDS", "routes"]

RETRY_AFTER_SECONDS = 5
_NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_NO_EVENT_NAME = "none"  # metrics label of events that have no Pinterest event name
_log = logging.getLogger("pinbridge.server.ingest")
_refused_senders = Throttled(
    _log,
    "ingest refused requests without a valid sender key: a sender is misconfigured (wrong or "
    "missing key) or someone is guessing",
    interval=60.0,
)


async def ingest_one(request: Request) -> Response:
    """One Commanders Act event as a JSON object."""
    ctx = context_of(request)
    destination = _destination(request, ctx)
    if isinstance(destination, Response):
        return destination
    if _body_kind(request) is None:
        return _unsupported_type(request)
    limits = ctx.settings.server
    limit = min(limits.max_event_bytes, limits.max_request_bytes)
    try:
        body = await read_decoded(request, limit)
        event = parse_single(body)
    except UnsupportedEncoding as exc:
        return error_response(415, str(exc))
    except BodyTooLarge as exc:
        return _too_large(exc, ctx, single=True)
    except (BadBody, BadCompression) as exc:
        return error_response(400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)
    return await _accept(request, ctx, destination, [event], len(body))


async def ingest_batch(request: Request) -> Response:
    """``{"batch": [...]}``, or newline-delimited JSON with an NDJSON content type."""
    ctx = context_of(request)
    destination = _destination(request, ctx)
    if isinstance(destination, Response):
        return destination
    kind = _body_kind(request)
    if kind is None:
        return _unsupported_type(request)
    limits = ctx.settings.server
    parse = parse_ndjson if kind == "ndjson" else parse_batch
    try:
        body = await read_decoded(request, limits.max_request_bytes)
        events = parse(
            body,
            max_events=limits.max_events_per_request,
            max_event_bytes=limits.max_event_bytes,
        )
    except UnsupportedEncoding as exc:
        return error_response(415, str(exc))
    except BodyTooLarge as exc:
        return _too_large(exc, ctx, single=False)
    except TooManyEvents as exc:
        return _too_many(exc)
    except (BadBody, BadCompression) as exc:
        return error_response(400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)
    return await _accept(request, ctx, destination, events, len(body))


def _body_kind(request: Request) -> str | None:
    """``"ndjson"``, ``"json"`` (also when no type is given), or None: not accepted."""
    media = _media_type(request)
    if media in _NDJSON_TYPES:
        return "ndjson"
    if media in ("", "application/json") or (
        media.startswith("application/") and media.endswith("+json")
    ):
        return "json"
    return None


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _unsupported_type(request: Request) -> Response:
    media = _media_type(request)
    shown = media if len(media) <= 60 else media[:60] + "..."
    hint = (
        " (curl -d sends a form: add -H 'Content-Type: application/json')"
        if media in _FORM_TYPES
        else ""
    )
    return error_response(
        415,
        f"Content-Type {shown!r} is not accepted; send application/json (one event, or "
        '{"batch": [event, ...]}) or application/x-ndjson (one event per line)' + hint,
    )


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
        _refused_senders()
    return destination


def _too_large(exc: BodyTooLarge, ctx: ServerContext, *, single: bool) -> Response:
    limits = ctx.settings.server
    if exc.decompressed:
        how_big = f"decompresses to more than {exc.limit:,} bytes"
    else:
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


def _too_many(exc: TooManyEvents) -> Response:
    how_many = f"{exc.count:,}" if exc.count is not None else f"more than {exc.limit:,}"
    return error_response(
        413,
        f"the request has {how_many} events, over the limit of {exc.limit:,} events per "
        "request ([server] max_events_per_request); nothing was stored: send them in several "
        "requests or raise the limit",
        limit=exc.limit,
    )


async def _accept(
    request: Request,
    ctx: ServerContext,
    destination: str,
    events: list[IncomingEvent | BrokenEvent],
    request_bytes: int,
) -> Response:
    """Map in the event loop (short, CPU-bound work: a thread would only add a hop), then
    store through the group writer, which answers once the commit is on disk."""
    batch = _map(ctx, destination, events)
    tallies = _tallies(destination, batch.counts)
    if batch.to_store:
        try:
            stored = await ctx.writer.enqueue([new for _, new in batch.to_store], tallies)
        except QueueFull:
            _log.warning("queue full; request refused", extra={"events": len(events)})
            return error_response(
                503,
                f"the queue is full ([queue] max_depth = {ctx.settings.queue.max_depth:,} "
                "pending events): nothing from this request was stored; send it again after "
                "Retry-After seconds",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        ctx.queue_state.wrote()
        _settle(ctx, destination, batch, stored)
    else:
        ctx.writer.add_tallies(tallies)
    pairs = Counter(zip((result["status"] for result in batch.results), batch.names, strict=True))
    for (status, name), count in pairs.items():
        ctx.metrics.events.labels(status, name, destination).inc(count)
    return JSONResponse({"results": compact_results(batch.results, request_bytes)}, status_code=202)


@dataclass
class _Batch:
    """One request's events after mapping: a result per event (the stored ones filled in
    after the commit), their Pinterest names, what to store and the console's counts (the
    queue counts queued, duplicate and identifiers itself, when it stores)."""

    results: list[dict[str, Any]]
    names: list[str]
    to_store: list[tuple[int, NewEvent]]
    counts: Counter[tuple[str, str, str]]


def _map(ctx: ServerContext, name: str, events: list[IncomingEvent | BrokenEvent]) -> _Batch:
    """Map every event with the destination's mapper; nothing is stored yet."""
    now = ctx.clock()
    destination = ctx.settings.destination(name)
    account = destination.pinterest.ad_account_id or ""
    mapper = destination.mapper
    batch = _Batch([{} for _ in events], [_NO_EVENT_NAME] * len(events), [], Counter())
    counts = batch.counts
    for index, incoming in enumerate(events):
        if isinstance(incoming, BrokenEvent):
            batch.results[index] = {"status": "invalid", "errors": [incoming.error], "warnings": []}
            counts[(_NO_EVENT_NAME, "invalid", incoming.error)] += 1
            continue
        mapped = mapper.map(incoming.value, received_at=int(now))
        if isinstance(mapped, Filtered):
            batch.results[index] = {"status": "filtered", "reason": mapped.reason}
            counts[(_NO_EVENT_NAME, "filtered", mapped.reason)] += 1
        elif isinstance(mapped, Invalid):
            batch.results[index] = {
                "status": "invalid",
                "errors": list(mapped.errors),
                "warnings": list(mapped.warnings),
            }
            counts[(_NO_EVENT_NAME, "invalid", mapped.errors[0])] += 1
        else:
            new = _new_event(name, account, mapped)
            batch.to_store.append((index, new))
            batch.names[index] = new.event_name
    for event_name in batch.names:
        counts[(event_name, "received", "")] += 1
    return batch


def _settle(
    ctx: ServerContext, destination: str, batch: _Batch, stored: list[EnqueueResult]
) -> None:
    """Fill in the stored events' results; count the identifiers of the queued ones."""
    found: Counter[tuple[str, str]] = Counter()
    for (index, new), outcome in zip(batch.to_store, stored, strict=True):
        result: dict[str, Any] = {"status": outcome.status, "event_id": outcome.event_id}
        if outcome.status == "queued":
            result["warnings"] = list(new.warnings)
            found.update((new.event_name, one) for one in new.identifiers)
        batch.results[index] = result
    identifiers = ctx.metrics.identifiers
    for (event_name, one), count in found.items():
        identifiers.labels(destination, event_name, one).inc(count)


def _tallies(destination: str, counts: Counter[tuple[str, str, str]]) -> list[Tally]:
    return [
        Tally(destination, event_name, metric, detail, count)
        for (event_name, metric, detail), count in counts.items()
        if count
    ]


def _new_event(destination: str, account: str, mapped: Mapped) -> NewEvent:
    event = mapped.event
    return NewEvent(
        ad_account_id=account,
        event_id=str(event["event_id"]),
        event_name=str(event["event_name"]),
        event_time=int(event["event_time"]),
        payload=orjson.dumps(event),
        destination=destination,
        warnings=mapped.warnings,
        identifiers=tuple(identifiers_of(event)),
    )


routes = [
    Route("/events", ingest_one, methods=["POST"]),
    Route("/events/batch", ingest_batch, methods=["POST"]),
]
