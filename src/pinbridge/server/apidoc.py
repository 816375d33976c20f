"""``GET /openapi.json``: the hand-written API document, with what only the running
configuration knows filled in.

The document (``static/openapi.json``) is checked against the real server by the test suite
(schemathesis), so it must be exactly as strict as the server. Two rules depend on the
configuration: which destinations a request may name (the ``enum`` of the ``DestinationName``
and ``DestinationFilter`` schemas) and how many events one request may carry (``maxItems`` of
``Batch`` and ``NdjsonBatch``). They are filled in from the configuration in force, so the
document stays true after a reload.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from pinbridge.server.context import context_of

__all__ = ["api_document", "openapi"]


@cache
def _static() -> bytes:
    return (resources.files("pinbridge.server") / "static" / "openapi.json").read_bytes()


@lru_cache(maxsize=8)
def api_document(destinations: tuple[str, ...], max_events: int) -> bytes:
    """The document for a configuration with these destinations and this events-per-request
    limit, as JSON bytes."""
    document: dict[str, Any] = orjson.loads(_static())
    schemas = document["components"]["schemas"]
    schemas["DestinationName"]["enum"] = list(destinations)
    schemas["DestinationFilter"]["enum"] = ["", *destinations]
    schemas["Batch"]["properties"]["batch"]["maxItems"] = max_events
    schemas["NdjsonBatch"]["maxItems"] = max_events
    return orjson.dumps(document)


async def openapi(request: Request) -> Response:
    """pinbridge's own API as an OpenAPI 3.0 document, for the configuration in force."""
    ctx = context_of(request)
    body = api_document(ctx.runtime.destination_names, ctx.settings.server.max_events_per_request)
    return Response(body, media_type="application/json")
