"""The delivery log: recent events, one event's history, payload and attempts, dead
letters (listed, grouped by reason, replayed, discarded) and a status summary.

``GET /v1/events``, ``GET /v1/events/{event_id}``, ``GET /v1/dead-letters``,
``POST /v1/dead-letters/replay|discard`` and ``GET /v1/status`` (what the console shows).
They need an operator key (``[server] admin_keys``; see :mod:`pinbridge.server.auth`).
``?destination=NAME`` narrows dead letters to one destination. Queue calls are blocking
and run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.logs import utc_text
from pinbridge.queue.records import DeadLetter, DeadLetterGroup, PauseState
from pinbridge.server.auth import admin_refusal
from pinbridge.server.body import BodyTooLarge, read_bounded
from pinbridge.server.context import ServerContext, context_of
from pinbridge.server.health import node_problems
from pinbridge.server.params import MAX_OFFSET, int_param
from pinbridge.server.responses import JSONResponse, error_response
from pinbridge.server.views import (
    dead_letter_group_view,
    dead_letter_view,
    entry_detail_view,
    entry_summary_view,
    history_entry_view,
    pause_view,
)

__all__ = ["MAX_PAGE", "destination_param", "routes"]

MAX_PAGE = 1000
MAX_RECENT = 500
STATUSES = ("queued", "retrying", "delivered", "failed", "expired")
MAX_ROW_ID = 2**63 - 1  # a 64-bit signed integer, as SQLite and PostgreSQL store row ids
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
    detail = await asyncio.to_thread(ctx.queue.entry, event_id)
    view: dict[str, Any] = {
        "event_id": event_id,
        "status": entries[-1].status,
        "history": [history_entry_view(entry) for entry in entries],
    }
    if detail is not None:
        view.update(entry_detail_view(detail))
    return JSONResponse(view)


async def recent_events(request: Request) -> Response:
    """``GET /v1/events``: the most recent queue entries, newest first, filtered."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    query = request.query_params
    try:
        limit = int_param(request, "limit", 50, 1, MAX_RECENT)
        destination = destination_param(request, ctx)
        status = query.get("status") or None
        if status is not None and status not in STATUSES:
            raise ValueError(
                f"query parameter status must be one of {', '.join(STATUSES)}, not {status!r}"
            )
    except ValueError as exc:
        return error_response(400, str(exc))
    found = await asyncio.to_thread(
        ctx.queue.entries,
        status=status,
        event_name=query.get("event_name") or None,
        destination=destination,
        event_id_prefix=query.get("event_id_prefix") or None,
        limit=limit,
    )
    return JSONResponse({"events": [entry_summary_view(entry) for entry in found]})


async def dead_letters(request: Request) -> Response:
    """Failed events with Pinterest's reason, oldest first, one page at a time; or, with
    ``?group_by=reason``, grouped by Pinterest's reason, the biggest group first."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    try:
        limit = int_param(request, "limit", 100, 1, MAX_PAGE)
        offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
        destination = destination_param(request, ctx)
        group_by = request.query_params.get("group_by")
        if group_by not in (None, "reason"):
            raise ValueError("query parameter group_by can only be reason")
    except ValueError as exc:
        return error_response(400, str(exc))
    if group_by == "reason":
        groups, total = await asyncio.to_thread(_groups, ctx, destination)
        return JSONResponse(
            {"total": total, "groups": [dead_letter_group_view(group) for group in groups]}
        )

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
    """Queue failed events again: ``{"row_ids": [...]}``, ``{"reason": "..."}`` or
    ``{"all": true}``, narrowed by ``?destination=``."""
    return await _act_on_dead_letters(request, "replayed")


async def discard(request: Request) -> Response:
    """Delete failed events for good; the same selections as replay."""
    return await _act_on_dead_letters(request, "discarded")


async def _act_on_dead_letters(request: Request, action: str) -> Response:
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    try:
        destination = destination_param(request, ctx)
        body = await read_bounded(request, _REPLAY_BODY_LIMIT)
        selection = _selection(body)
    except BodyTooLarge as exc:
        return error_response(
            413, f"the request body is over {exc.limit:,} bytes; select fewer row_ids at a time"
        )
    except ValueError as exc:
        return error_response(400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)
    act = ctx.queue.replay if action == "replayed" else ctx.queue.discard
    count = await asyncio.to_thread(
        act, selection.row_ids, ctx.clock(), destination, selection.reason
    )
    _log.info(
        f"dead letters {action}",
        extra={
            action: count,
            "selection": selection.describe(),
            "destination": destination or "all",
        },
    )
    return JSONResponse({action: count})


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


@dataclass(frozen=True)
class _Selection:
    """Which dead letters: these row ids, those with this reason, or all (both None)."""

    row_ids: list[int] | None = None
    reason: str | None = None

    def describe(self) -> str:
        if self.row_ids is not None:
            return f"{len(self.row_ids)} row ids"
        return "one reason" if self.reason is not None else "all"


def _selection(body: bytes) -> _Selection:
    hint = 'send {"row_ids": [1, 2]}, {"reason": "<Pinterest\'s message>"} or {"all": true}'
    try:
        value = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the request body is not valid JSON ({exc.msg}); {hint}") from None
    if not isinstance(value, dict):
        raise ValueError(f"the request body must be a JSON object; {hint}")
    if set(value) not in ({"row_ids"}, {"all"}, {"reason"}):
        raise ValueError(f"give exactly one of row_ids, reason or all (and nothing else); {hint}")
    if "all" in value:
        if value["all"] is not True:
            raise ValueError(f'"all" must be true; {hint}')
        return _Selection()
    if "reason" in value:
        if not isinstance(value["reason"], str) or not value["reason"]:
            raise ValueError(f'"reason" must be the non-empty text of a reason; {hint}')
        return _Selection(reason=value["reason"])
    row_ids = value["row_ids"]
    if not isinstance(row_ids, list) or not row_ids:
        raise ValueError(f'"row_ids" must be a non-empty list of row ids; {hint}')
    for index, row_id in enumerate(row_ids):
        if isinstance(row_id, bool) or not isinstance(row_id, int) or not 1 <= row_id <= MAX_ROW_ID:
            raise ValueError(
                f"row_ids[{index}] must be a row id (a positive whole number, as listed by "
                "GET /v1/dead-letters)"
            )
    return _Selection(row_ids=row_ids)


def _groups(ctx: ServerContext, destination: str | None) -> tuple[list[DeadLetterGroup], int]:
    return ctx.queue.dead_letter_groups(destination), ctx.queue.dead_letter_count(destination)


routes = [
    Route("/v1/events", recent_events, methods=["GET"]),
    Route("/v1/events/{event_id:path}", event_history, methods=["GET"]),
    Route("/v1/dead-letters", dead_letters, methods=["GET"]),
    Route("/v1/dead-letters/replay", replay, methods=["POST"]),
    Route("/v1/dead-letters/discard", discard, methods=["POST"]),
    Route("/v1/status", status, methods=["GET"]),
]
