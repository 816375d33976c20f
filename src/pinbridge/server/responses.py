"""JSON responses (orjson) and the one error shape every endpoint uses.

An error is ``{"error": "<what, where, how to fix>"}`` plus optional detail fields; the
message never echoes a request body, so it can never carry personal data back or into logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

__all__ = ["JSONResponse", "error_response"]


class JSONResponse(Response):
    """A JSON response rendered with orjson (fast, and strict about what it serialises)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(
    status: int,
    message: str,
    *,
    headers: Mapping[str, str] | None = None,
    **details: Any,
) -> JSONResponse:
    """``{"error": message, **details}`` with the given status code."""
    return JSONResponse({"error": message, **details}, status_code=status, headers=headers)
