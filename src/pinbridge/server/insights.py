"""What the console's overview and match-quality pages show, computed from the queue's
per-minute counts (so every node of a PostgreSQL deployment shows the same numbers).

``GET /v1/stats?window=SECONDS`` gives the per-minute series of the window with the
breakdowns (filtered by reason, top invalid errors, Pinterest's statuses, per event name and
per destination) and the time from acceptance to delivery (p50, p95).
``GET /v1/match-quality?window=SECONDS&destination=NAME`` gives, per Pinterest event name,
the share of queued events carrying each identifier, with hints for the biggest gaps.
The aggregation functions are pure, so they are tested without a server.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.logs import utc_text
from pinbridge.queue.records import TallyRow
from pinbridge.server.auth import admin_refusal
from pinbridge.server.context import ServerContext, context_of
from pinbridge.server.deliverylog import destination_param
from pinbridge.server.params import int_param
from pinbridge.server.quality import CHECKOUT_ONLY, IDENTIFIERS, hints
from pinbridge.server.responses import JSONResponse, error_response

__all__ = ["match_quality_of", "percentile", "routes", "stats_of"]

MINUTE = 60
SERIES = ("received", "queued", "duplicate", "filtered", "invalid", "delivered", "failed")
SERIES_ALL = (*SERIES, "retrying", "expired")
QUALITY_WINDOWS = (3600, 86_400, 604_800)
_TOP_ERRORS = 10


def stats_of(
    rows: Iterable[TallyRow], *, since: float, until: float, latencies: Sequence[float]
) -> dict[str, Any]:
    """The overview's numbers from the tally rows of ``[since, until)``."""
    first = math.floor(since / MINUTE) * MINUTE
    minutes = {float(m): Counter[str]() for m in range(int(first), int(until), MINUTE)}
    filtered: Counter[str] = Counter()
    invalid: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    by_name: defaultdict[str, Counter[str]] = defaultdict(Counter)
    by_destination: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.metric == "pinterest_status":
            statuses[row.detail] += row.count
            continue
        if row.metric not in SERIES_ALL:
            continue
        minutes.setdefault(row.minute, Counter())[row.metric] += row.count
        by_name[row.event_name][row.metric] += row.count
        by_destination[row.destination][row.metric] += row.count
        if row.metric == "filtered":
            filtered[row.detail] += row.count
        elif row.metric == "invalid":
            invalid[row.detail] += row.count
    return {
        "step": MINUTE,
        "minutes": [
            {"minute": minute, **{name: counts[name] for name in SERIES_ALL}}
            for minute, counts in sorted(minutes.items())
        ],
        "filtered_by_reason": dict(filtered.most_common()),
        "top_invalid_errors": [
            {"error": error, "count": count} for error, count in invalid.most_common(_TOP_ERRORS)
        ],
        "pinterest_statuses": dict(statuses.most_common()),
        "latency": {
            "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95),
            "count": len(latencies),
        },
        "by_event_name": {name: dict(counts) for name, counts in sorted(by_name.items())},
        "by_destination": {name: dict(counts) for name, counts in sorted(by_destination.items())},
    }


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of ``values`` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 3)


def match_quality_of(rows: Iterable[TallyRow]) -> dict[str, Any]:
    """Per event name: how many events were queued, and the share carrying each identifier."""
    queued: Counter[str] = Counter()
    carrying: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if row.metric == "queued":
            queued[row.event_name] += row.count
        elif row.metric == "identifier":
            carrying[row.event_name][row.detail] += row.count
    names: dict[str, Any] = {}
    for name, events in sorted(queued.items()):
        if events <= 0:
            continue
        wanted = [i for i in IDENTIFIERS if name == "checkout" or i not in CHECKOUT_ONLY]
        shares = {i: round(min(1.0, carrying[name][i] / events), 3) for i in wanted}
        names[name] = {"events": events, "identifiers": shares}
    return {
        "event_names": names,
        "hints": hints({name: value["identifiers"] for name, value in names.items()}),
    }


async def stats(request: Request) -> Response:
    """``GET /v1/stats?window=SECONDS`` (60 to 604800, default 3600)."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    try:
        window = int_param(request, "window", 3600, 60, 604_800)
        destination = destination_param(request, ctx)
    except ValueError as exc:
        return error_response(400, str(exc))
    now = ctx.clock()
    since = math.floor((now - window) / MINUTE) * MINUTE
    rows, latencies, last = await asyncio.to_thread(_read_stats, ctx, since, now, destination)
    return JSONResponse(
        {
            "window": window,
            "now": now,
            "destination": destination,
            **stats_of(rows, since=since, until=now, latencies=latencies),
            "last_delivery_at": last,
            "last_delivery_at_utc": None if last is None else utc_text(last),
        }
    )


def _read_stats(
    ctx: ServerContext, since: float, until: float, destination: str | None
) -> tuple[list[TallyRow], list[float], float | None]:
    queue = ctx.queue
    return (
        queue.tallies(since, until + MINUTE, destination),
        queue.delivery_latencies(since, destination),
        queue.last_delivery_at(destination),
    )


async def match_quality(request: Request) -> Response:
    """``GET /v1/match-quality?window=SECONDS&destination=NAME``."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    try:
        window = int_param(request, "window", 86_400, 3600, 604_800)
        if window not in QUALITY_WINDOWS:
            raise ValueError(
                "query parameter window must be 3600 (1 hour), 86400 (24 hours) or 604800 (7 days)"
            )
        destination = destination_param(request, ctx)
    except ValueError as exc:
        return error_response(400, str(exc))
    now = ctx.clock()
    rows = await asyncio.to_thread(ctx.queue.tallies, now - window, now + MINUTE, destination)
    return JSONResponse({"window": window, "destination": destination, **match_quality_of(rows)})


routes = [
    Route("/v1/stats", stats, methods=["GET"]),
    Route("/v1/match-quality", match_quality, methods=["GET"]),
]
