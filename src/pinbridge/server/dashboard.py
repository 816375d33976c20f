"""The operator console at ``/``, its modules and style under ``/console/``, and ``/openapi.json``
(see :mod:`pinbridge.server.apidoc`).

The files ship in ``pinbridge/server/static`` and are served as they are: no build step, and
nothing loaded from elsewhere (no CDN). A Content-Security-Policy of ``'self'`` keeps it that
way and forbids inline scripts, inline styles and ``eval``. The page itself is open; the data
it reads (``/v1/...``) needs an operator key, which the page asks for.

``/console/{file}`` answers only the files found under ``static/console`` when the module is
first used (a fixed table, so no request path ever reaches the file system).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from importlib.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.server.apidoc import openapi
from pinbridge.server.responses import error_response

__all__ = ["console_files", "routes", "static_file"]

_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


def _static() -> Traversable:
    return resources.files("pinbridge.server") / "static"


@cache
def static_file(name: str) -> bytes:
    """The bytes of one file shipped in ``pinbridge/server/static``."""
    return (_static() / name).read_bytes()


@cache
def console_files() -> dict[str, tuple[bytes, str]]:
    """``{"pages/events.js": (bytes, media type), ...}``: every servable file of the console."""
    found: dict[str, tuple[bytes, str]] = {}

    def walk(directory: Traversable, prefix: str) -> None:
        for entry in directory.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
                continue
            suffix = entry.name[entry.name.rfind(".") :]
            if suffix in _MEDIA_TYPES:
                found[prefix + entry.name] = (entry.read_bytes(), _MEDIA_TYPES[suffix])

    walk(_static() / "console", "")
    return found


async def index(request: Request) -> Response:
    """The console's page: a shell that loads ``/console/main.js``."""
    return Response(static_file("index.html"), media_type="text/html", headers=_HEADERS)


async def console_file(request: Request) -> Response:
    """One module, style sheet or image of the console; 404 for anything else."""
    name = request.path_params["file"]
    entry = console_files().get(name)
    if entry is None:
        return error_response(404, f"the console has no file {name!r}")
    content, media_type = entry
    return Response(content, media_type=media_type, headers=_HEADERS)


routes = [
    Route("/", index, methods=["GET"]),
    Route("/console/{file:path}", console_file, methods=["GET"]),
    Route("/openapi.json", openapi, methods=["GET"]),
]
