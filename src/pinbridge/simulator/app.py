"""The simulator's HTTP application (aiohttp.web).

aiohttp is used because a connection reset needs the raw transport of the request
(``request.transport``), which it exposes. Routes:

- ``POST /v5/ad_accounts/{ad_account_id}/events[?test=true]``: Pinterest's endpoint;
- ``GET /_sim/stats``, ``POST /_sim/reset``, ``POST /_sim/config``: control endpoints.

Order of work for an events request: draw the fault (before any ``await``, so draws follow
arrival order), wait ``latency_ms``, read the body, then: reset -> drop the connection;
429 / 500 -> answer so; else authenticate, validate and check the events, record the result,
and for a timeout fault hold the answer ``timeout_hold_ms`` before sending it.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from pinbridge.errors import ConfigError
from pinbridge.simulator.answers import (
    AUTH_FAILED,
    RATE_LIMITED,
    SERVER_ERROR,
    Answer,
    bad_parameter,
    event_ids_in,
    process_events,
    valid_ad_account_id,
)
from pinbridge.simulator.faults import Fault, FaultPlan
from pinbridge.simulator.settings import SimulatorSettings
from pinbridge.simulator.stats import Stats

__all__ = ["MAX_BODY_BYTES", "SimulatorState", "build_app"]

MAX_BODY_BYTES = 64 * 1024 * 1024
_MS = 1000.0


@dataclass
class SimulatorState:
    """Everything the handlers share; ``settings`` is replaced whole on each change."""

    settings: SimulatorSettings
    plan: FaultPlan
    stats: Stats
    clock: Callable[[], float] = time.time


_STATE = web.AppKey("pinbridge_simulator_state", SimulatorState)


def build_app(state: SimulatorState) -> web.Application:
    """The aiohttp application serving the events endpoint and the control endpoints."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[_STATE] = state
    app.router.add_post("/v5/ad_accounts/{ad_account_id}/events", _events)
    app.router.add_get("/_sim/stats", _stats)
    app.router.add_post("/_sim/reset", _reset)
    app.router.add_post("/_sim/config", _config)
    return app


async def _events(request: web.Request) -> web.StreamResponse:
    state = request.app[_STATE]
    settings = state.settings
    fault = state.plan.draw(settings)
    account = request.match_info["ad_account_id"]
    test = request.query.get("test", "").strip().lower() == "true"
    if settings.latency_ms > 0:
        await asyncio.sleep(settings.latency_ms / _MS)
    raw = await request.read()
    if fault is Fault.RESET:
        state.stats.record(
            outcome="reset",
            status=None,
            ad_account_id=account,
            event_ids=event_ids_in(raw),
            processed=(),
            test=test,
        )
        _drop_connection(request)
        raise asyncio.CancelledError  # nothing may be written on a dropped connection
    answer = _answer(
        request, raw, settings=settings, fault=fault, account=account, clock=state.clock
    )
    outcome = "timeout" if fault is Fault.TIMEOUT else str(answer.status)
    state.stats.record(
        outcome=outcome,
        status=answer.status,
        ad_account_id=account,
        event_ids=answer.event_ids or event_ids_in(raw),
        processed=answer.processed,
        test=test,
    )
    if fault is Fault.TIMEOUT:
        await asyncio.sleep(settings.timeout_hold_ms / _MS)
    return _json(answer.status, answer.body, answer.headers)


def _answer(
    request: web.Request,
    raw: bytes,
    *,
    settings: SimulatorSettings,
    fault: Fault,
    account: str,
    clock: Callable[[], float],
) -> Answer:
    if fault is Fault.RATE_LIMIT:
        headers = {}
        if settings.retry_after is not None:
            headers["Retry-After"] = f"{settings.retry_after:g}"
        return Answer(429, RATE_LIMITED, headers=headers)
    if fault is Fault.SERVER_ERROR:
        return Answer(500, SERVER_ERROR)
    if not settings.accepts(_bearer_token(request)):
        return Answer(401, AUTH_FAILED)
    if not valid_ad_account_id(account):
        return bad_parameter(
            "Invalid ad_account_id parameter: it must be 1 to 18 digits, as shown in "
            "Ads Manager (for example 549755885175)."
        )
    test_value = request.query.get("test")
    if test_value is not None and test_value.strip().lower() not in ("true", "false"):
        return bad_parameter("Invalid test parameter: use test=true or test=false.")
    return process_events(raw, int(clock()), settings.fail_prefix)


def _bearer_token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _drop_connection(request: web.Request) -> None:
    """Close the TCP connection with a reset (RST), without writing an answer."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _stats(request: web.Request) -> web.Response:
    return _json(200, request.app[_STATE].stats.snapshot())


async def _reset(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    state.stats.clear()
    state.plan.restart()
    return _json(200, {"reset": True, "seed": state.plan.seed})


async def _config(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    try:
        changes = orjson.loads(await request.read())
    except orjson.JSONDecodeError as exc:
        return _json(400, {"error": f"the body is not valid JSON ({exc})"})
    if not isinstance(changes, dict):
        return _json(400, {"error": "the body must be a JSON object of settings to change"})
    try:
        state.settings = state.settings.with_changes(changes)
    except ConfigError as exc:
        return _json(400, {"error": str(exc)})
    return _json(200, {"config": state.settings.public(), "seed": state.plan.seed})


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps(body),
        content_type="application/json",
        headers=headers,
    )
