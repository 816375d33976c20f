"""Console endpoints that read the running configuration: the mapping playground
(``POST /v1/transform``) and the effective configuration (``GET /v1/config``).

Both need an operator key. The playground maps with the destination's live mapper and the
server's clock as the receive time, exactly as ingest would, and stores and sends nothing.
The configuration view never shows a secret: tokens are ``"***"`` (or null when missing),
keys are counted, the queue URL has its password masked.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.config import DestinationSettings, Settings
from pinbridge.mapping import result_as_dict
from pinbridge.queue.urls import redact_url
from pinbridge.secrets import Secret
from pinbridge.server.auth import admin_refusal
from pinbridge.server.body import BodyTooLarge, read_bounded
from pinbridge.server.context import context_of
from pinbridge.server.responses import JSONResponse, error_response

__all__ = ["config_view", "routes"]


async def transform(request: Request) -> Response:
    """``POST /v1/transform?destination=NAME``: what ingest would make of one event."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    name = request.query_params.get("destination") or "default"
    names = ctx.runtime.destination_names
    if name not in names:
        return error_response(
            404, f"no destination named {name!r}; configured destinations: {', '.join(names)}"
        )
    try:
        body = await read_bounded(request, ctx.settings.server.max_event_bytes)
        event = orjson.loads(body)
    except BodyTooLarge as exc:
        return error_response(
            413,
            f"the event is over {exc.limit:,} bytes ([server] max_event_bytes), as ingest "
            "would refuse it",
            limit=exc.limit,
        )
    except orjson.JSONDecodeError as exc:
        return error_response(
            400,
            f"the request body is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}; paste one Commanders Act event (a JSON object)",
        )
    except ClientDisconnect:
        return Response(status_code=400)
    mapper = ctx.settings.destination(name).mapper
    return JSONResponse(result_as_dict(mapper.map(event, received_at=int(ctx.clock()))))


async def configuration(request: Request) -> Response:
    """``GET /v1/config``: the effective configuration of every destination, secrets masked."""
    ctx = context_of(request)
    refusal = admin_refusal(request, ctx.runtime.keys)
    if refusal is not None:
        return refusal
    return JSONResponse(config_view(ctx.settings))


def config_view(settings: Settings) -> dict[str, Any]:
    """The configuration as JSON with every secret masked (see the module docstring)."""
    return {
        "destinations": {
            name: _destination_view(destination)
            for name, destination in settings.destinations.items()
        },
        "server": _plain(settings.server),
        "queue": {**_plain(settings.queue), "url": redact_url(settings.queue.url)},
        "delivery": _plain(settings.delivery),
    }


def _destination_view(destination: DestinationSettings) -> dict[str, Any]:
    options = destination.mapping_options
    return {
        **_plain(destination.pinterest),
        "token_source": destination.token_source,
        "source_keys": len(destination.source_keys),
        "options": _plain(destination.options),
        "consent": _plain(destination.consent),
        "events": dict(options.events),
        "mapping": dict(options.fields),
    }


def _plain(section: Any) -> dict[str, Any]:
    """A settings dataclass as JSON: secrets as ``"***"``, lists of secrets as a count."""
    view: dict[str, Any] = {}
    for item in dataclasses.fields(section):
        value = getattr(section, item.name)
        if isinstance(value, Secret):
            view[item.name] = "***"
        elif isinstance(value, tuple) and value and isinstance(value[0], Secret):
            view[item.name] = len(value)
        elif isinstance(value, tuple):
            view[item.name] = list(value)
        else:
            view[item.name] = value
    return view


routes = [
    Route("/v1/transform", transform, methods=["POST"]),
    Route("/v1/config", configuration, methods=["GET"]),
]
