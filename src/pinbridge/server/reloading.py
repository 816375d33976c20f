"""Live reload: ``POST /v1/reload`` (operator key) and SIGHUP read the configuration again.

New tokens, keys, destinations, mappings and event tables apply to events received after
the reload; events already queued keep their mapped payload and go to their destination's
new token, and every pause ends. An invalid configuration changes nothing: the old one stays
in force, the error is logged and kept for ``GET /v1/status`` with the time of the last good
load. Settings that cannot change under a running process (``[queue]``, ``[delivery]``,
``[server]`` host, port, limits and timeouts) are applied at the next restart, and the
answer lists them.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, fields

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.config import Settings
from pinbridge.errors import PinbridgeError
from pinbridge.server.auth import admin_refusal
from pinbridge.server.context import Runtime, ServerContext, context_of
from pinbridge.server.responses import JSONResponse, error_response

__all__ = ["ReloadResult", "reload_configuration", "routes"]

_log = logging.getLogger("pinbridge.server.reload")

_LIVE_SERVER_KEYS = frozenset(
    {
        "source_keys",
        "admin_keys",
        "public_metrics",
        "allowed_hosts",
        "allow_open",
        "max_event_bytes",
        "max_request_bytes",
        "max_events_per_request",
        "access_log",
    }
)


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: ``error`` is None when the new configuration is in force."""

    error: str | None
    destinations: tuple[str, ...]
    restart_needed: tuple[str, ...] = ()


async def reload_configuration(ctx: ServerContext) -> ReloadResult:
    """Read the configuration again and put it in force, or keep the old one on an error."""
    async with ctx.reload_lock:
        loader = ctx.loader
        try:
            if loader is None:
                raise PinbridgeError("this server has no configuration to reload")
            settings = await asyncio.to_thread(loader)
        except PinbridgeError as exc:
            ctx.reload_state.error = str(exc)
            ctx.reload_state.error_at = ctx.clock()
            _log.error("configuration reload failed; the previous one stays in force: %s", exc)
            return ReloadResult(str(exc), ctx.runtime.destination_names)
        restart = _restart_needed(ctx.settings, settings)
        ctx.runtime = Runtime.of(settings)
        for hook in ctx.on_settings:
            hook(settings)
        if ctx.service is not None:
            await ctx.service.reconfigure(settings)
        state = ctx.reload_state
        state.loaded_at = ctx.clock()
        state.reloads += 1
        state.error = state.error_at = None
        _log.info(
            "configuration reloaded",
            extra={
                "destinations": list(ctx.runtime.destination_names),
                "restart_needed": list(restart),
            },
        )
        return ReloadResult(None, ctx.runtime.destination_names, restart)


def _restart_needed(old: Settings, new: Settings) -> tuple[str, ...]:
    """The changed settings that only a restart applies, as ``[section] key``."""
    changed: list[str] = []
    for section in ("server", "queue", "delivery"):
        before, after = getattr(old, section), getattr(new, section)
        for item in fields(before):
            if section == "server" and item.name in _LIVE_SERVER_KEYS:
                continue
            if getattr(before, item.name) != getattr(after, item.name):
                changed.append(f"[{section}] {item.name}")
    return tuple(changed)


async def reload(request: Request) -> Response:
    """``POST /v1/reload``: 200 with the destinations in force, or 422 with the error."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    result = await reload_configuration(ctx)
    if result.error is not None:
        return error_response(
            422,
            f"the new configuration is invalid and was not applied (the previous one stays "
            f"in force): {result.error}",
            loaded_at=ctx.reload_state.loaded_at,
        )
    return JSONResponse(
        {
            "status": "reloaded",
            "destinations": list(result.destinations),
            "restart_needed": list(result.restart_needed),
            "loaded_at": ctx.reload_state.loaded_at,
        }
    )


routes = [Route("/v1/reload", reload, methods=["POST"])]
