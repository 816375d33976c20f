"""Source-key authentication of the ingest and delivery-log endpoints.

When ``[server] source_keys`` is empty every request is let in. Otherwise a request must
present one of the keys as ``Authorization: Bearer <key>`` or as the ``token`` query
parameter (for senders that cannot set headers). Every key is compared in constant time,
and all of them are always compared, so timing says nothing about which key was close.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request

from pinbridge.secrets import Secret
from pinbridge.server.responses import JSONResponse, error_response

__all__ = ["check_source_key"]

_UNAUTHORIZED = (
    "missing or wrong source key: send one of the keys in [server] source_keys as "
    "'Authorization: Bearer <key>' or as the query parameter '?token=<key>'"
)


def check_source_key(request: Request, keys: Sequence[Secret]) -> JSONResponse | None:
    """``None`` when the request may go on; a 401 JSON response otherwise."""
    if not keys:
        return None
    presented = _presented_key(request)
    accepted = False
    for key in keys:
        accepted |= key.matches(presented or "")
    if presented is not None and accepted:
        return None
    return error_response(401, _UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = request.query_params.get("token")
    return token if token else None
