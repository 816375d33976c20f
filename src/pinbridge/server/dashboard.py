"""The dashboard page at ``/``, its script and style, served as is, and ``/openapi.json``
(see :mod:`pinbridge.server.apidoc`).

The files ship in ``pinbridge/server/static``. The page loads nothing from elsewhere (no CDN):
a Content-Security-Policy of ``'self'`` keeps it that way. It reads the JSON API with the
source key given in its own URL (``/?token=<key>``) when ``[server] source_keys`` is set.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.server.apidoc import openapi

__all__ = ["routes", "static_file"]

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def static_file(name: str) -> bytes:
    """The bytes of one file shipped in ``pinbridge/server/static``."""
    return (resources.files("pinbridge.server") / "static" / name).read_bytes()


def _serve(name: str, media_type: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return Response(static_file(name), media_type=media_type, headers=_HEADERS)

    return Route("/" + ("" if name == "index.html" else name), endpoint, methods=["GET"])


routes = [
    _serve("index.html", "text/html"),
    _serve("dashboard.js", "text/javascript"),
    _serve("dashboard.css", "text/css"),
    Route("/openapi.json", openapi, methods=["GET"]),
]
