"""The delivery log: an event's history, dead letters and their replay, a status summary.

``GET /v1/events/{event_id}``, ``GET /v1/dead-letters``, ``POST /v1/dead-letters/replay``
and ``GET /v1/status`` (what the dashboard shows). They need an operator key
(``[server] admin_keys``; see :mod:`pinbridge.server.auth`). ``?destination=NAME`` narrows
dead letters and replay to one destination. Queue calls are blocking and run in a thread.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.logs import utc_text
from pinbridge.queue.records import DeadLetter, PauseState
from pinbridge.server.auth import admin_refusal
from pinbridge.server.body import BodyTooLarge, read_bounded
from pinbridge.server.context import ServerContext, context_of
from pinbridge.server.health import node_problems
from pinbridge.server.params import MAX_OFFSET, int_param
from pinbridge.server.responses import JSONResponse, error_response
from pinbridge.server.views import dead_letter_view, history_entry_view, pause_view

__all__ = ["MAX_PAGE", "destination_param", "routes"]

MAX_PAGE = 1000
_REPLAY_BODY_LIMIT = 1024 * 1024
_log = logging.getLogger("pinbridge.server.deliverylog")


async def event_history(request: Request) -> Response:
    """Every status change of every queue entry with this event_id, oldest first."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    event_id = request.path_params["event_id"]
    entries = await asyncio.to_thread(ctx.queue.history, event_id)
    if not entries:
        return error_response(
            404,
            "no event with this event_id in the delivery log: it was never queued (filtered, "
            "invalid, or sent elsewhere) or its final entry is older than [queue] "
            "retention_days",
            event_id=event_id,
        )
    return JSONResponse(
        {
            "event_id": event_id,
            "status": entries[-1].status,
            "history": [history_entry_view(entry) for entry in entries],
        }
    )


async def dead_letters(request: Request) -> Response:
    """Failed events with Pinterest's reason, oldest first, one page at a time."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    try:
        limit = int_param(request, "limit", 100, 1, MAX_PAGE)
        offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
        destination = destination_param(request, ctx)
    except ValueError as exc:
        return error_response(400, str(exc))

    def read() -> tuple[list[DeadLetter], int]:
        page = ctx.queue.dead_letters(limit=limit, offset=offset, destination=destination)
        return page, ctx.queue.dead_letter_count(destination)

    page, total = await asyncio.to_thread(read)
    return JSONResponse(
        {
            "total": total,
            "limit": limit,
            "offset": offset,
            "dead_letters": [dead_letter_view(letter) for letter in page],
        }
    )


async def replay(request: Request) -> Response:
    """Queue failed events again: ``{"row_ids": [...]}`` or ``{"all": true}``."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    try:
        destination = destination_param(request, ctx)
        body = await read_bounded(request, _REPLAY_BODY_LIMIT)
        row_ids = _replay_selection(body)
    except BodyTooLarge as exc:
        return error_response(
            413, f"the request body is over {exc.limit:,} bytes; replay fewer row_ids at a time"
        )
    except ValueError as exc:
        return error_response(400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)
    count = await asyncio.to_thread(ctx.queue.replay, row_ids, ctx.clock(), destination)
    _log.info(
        "dead letters replayed",
        extra={
            "replayed": count,
            "selection": "all" if row_ids is None else len(row_ids),
            "destination": destination or "all",
        },
    )
    return JSONResponse({"replayed": count})


async def status(request: Request) -> Response:
    """Counts, queue depth, destinations and their pauses, the configuration's load state."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    problems = await node_problems(ctx)
    counts, depth, pauses = await asyncio.to_thread(_queue_state, ctx)
    reload_state = ctx.reload_state
    return JSONResponse(
        {
            "counts": counts,
            "queue_depth": depth,
            "destinations": {
                name: {
                    "ad_account_id": destination.pinterest.ad_account_id,
                    "paused": pause_view(pauses[name]) if name in pauses else None,
                }
                for name, destination in ctx.settings.destinations.items()
            },
            "delivery": _delivery_state(ctx),
            "draining": ctx.draining,
            "problems": problems,
            "configuration": {
                "loaded_at": reload_state.loaded_at,
                "loaded_at_utc": utc_text(reload_state.loaded_at),
                "reloads": reload_state.reloads,
                "reload_error": reload_state.error,
                "reload_error_at": reload_state.error_at,
            },
        }
    )


def _queue_state(ctx: ServerContext) -> tuple[dict[str, int], int, dict[str, PauseState]]:
    return ctx.queue.counts(), ctx.queue.depth(), ctx.queue.pauses()


def destination_param(request: Request, ctx: ServerContext) -> str | None:
    """``?destination=NAME`` (a configured destination), or None for all of them."""
    name = request.query_params.get("destination")
    if name is None or name == "":
        return None
    names = ctx.runtime.destination_names
    if name not in names:
        raise ValueError(
            f"query parameter destination: no destination named {name!r}; "
            f"configured destinations: {', '.join(names)}"
        )
    return name


def _delivery_state(ctx: ServerContext) -> str:
    if ctx.service is None:
        return "off (ingest-only node)"
    return ctx.delivery_problem or "running"


def _replay_selection(body: bytes) -> list[int] | None:
    hint = 'send {"row_ids": [1, 2]} or {"all": true}'
    try:
        value = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the request body is not valid JSON ({exc.msg}); {hint}") from None
    if not isinstance(value, dict):
        raise ValueError(f"the request body must be a JSON object; {hint}")
    if set(value) not in ({"row_ids"}, {"all"}):
        raise ValueError(f"give either row_ids or all (and nothing else); {hint}")
    if "all" in value:
        if value["all"] is not True:
            raise ValueError(f'"all" must be true; {hint}')
        return None
    row_ids = value["row_ids"]
    if not isinstance(row_ids, list) or not row_ids:
        raise ValueError(f'"row_ids" must be a non-empty list of row ids; {hint}')
    for index, row_id in enumerate(row_ids):
        if isinstance(row_id, bool) or not isinstance(row_id, int) or row_id < 1:
            raise ValueError(
                f"row_ids[{index}] must be a row id (a positive whole number, as listed by "
                "GET /v1/dead-letters)"
            )
    return row_ids


routes = [
    Route("/v1/events/{event_id:path}", event_history, methods=["GET"]),
    Route("/v1/dead-letters", dead_letters, methods=["GET"]),
    Route("/v1/dead-letters/replay", replay, methods=["POST"]),
    Route("/v1/status", status, methods=["GET"]),
]
