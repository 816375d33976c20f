"""Which key opens which endpoint (the table is in docs/service.md).

- Ingest (``POST /events``, ``POST /events/batch``): a sender key, as
  ``Authorization: Bearer <key>`` or ``?token=<key>``, chooses the destination; an operator
  key may post too (to ``?destination=NAME``, default ``default``). With no sender key
  configured at all, ingest is open and goes to ``default`` (or the only destination).
- Everything else under ``/v1/``, the console's data and ``/metrics`` (unless
  ``[server] public_metrics``): an operator key, in the header only (a key in a URL ends up
  in browser histories and proxy logs). With no operator key configured they are open;
  ``serve`` refuses to listen beyond loopback that way unless ``[server] allow_open``.

Keys are trimmed the same way wherever they are given.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from pinbridge.server.keys import KeyRing, Operator, Sender
from pinbridge.server.responses import error_response

__all__ = ["admin_refusal", "ingest_destination", "is_admin"]

_CHALLENGE = {"WWW-Authenticate": "Bearer"}
_SENDER_HINT = (
    "send a sender key (one of [server] source_keys, or destinations.NAME.source_keys) as "
    "'Authorization: Bearer <key>' or as the query parameter '?token=<key>'"
)


def ingest_destination(request: Request, ring: KeyRing, names: tuple[str, ...]) -> str | Response:
    """The destination an ingest request goes to, or the 401/404 answer refusing it.

    ``names`` are the configured destinations, ``default`` first when it exists.
    """
    in_header = _header_key(request)
    presented = in_header or _query_key(request)
    identity = ring.identify(presented)
    if isinstance(identity, Sender):
        return identity.destination
    if isinstance(identity, Operator) and in_header is None:
        return error_response(
            401,
            "an admin key is accepted in the Authorization header only (a key in a URL ends "
            "up in logs and browser histories): send 'Authorization: Bearer <key>'",
            headers=_CHALLENGE,
        )
    if isinstance(identity, Operator):
        wanted = request.query_params.get("destination", "default")
        if wanted in names:
            return wanted
        return error_response(
            404,
            f"no destination named {wanted!r}; configured destinations: {', '.join(names)}",
        )
    if presented is None and not ring.has_sender_keys:
        if "default" in names or len(names) == 1:
            return names[0]
        return error_response(
            401,
            f"several destinations are configured ({', '.join(names)}) and none is the "
            f"default: give each its source_keys and {_SENDER_HINT}",
            headers=_CHALLENGE,
        )
    return error_response(401, f"missing or wrong source key: {_SENDER_HINT}", headers=_CHALLENGE)


def admin_refusal(request: Request, ring: KeyRing) -> Response | None:
    """``None`` when the request carries an operator key (or none is configured); else 401."""
    if not ring.has_admin_keys:
        return None
    presented = _header_key(request)
    identity = ring.identify(presented)
    if isinstance(identity, Operator):
        return None
    if isinstance(identity, Sender):
        why = (
            "this is a sender key: it may only post events (POST /events, /events/batch); "
            "this endpoint needs an admin key ([server] admin_keys)"
        )
    elif presented is None and _query_key(request) is not None:
        why = (
            "?token= is accepted on the ingest endpoints only; send the admin key as "
            "'Authorization: Bearer <key>'"
        )
    else:
        why = (
            "missing or wrong admin key: send one of [server] admin_keys as "
            "'Authorization: Bearer <key>'"
        )
    return error_response(401, why, headers=_CHALLENGE)


def is_admin(request: Request, ring: KeyRing) -> bool:
    """Whether the request carries an operator key (for answers that say more to operators)."""
    if not ring.has_admin_keys:
        return True
    return isinstance(ring.identify(_header_key(request)), Operator)


def _header_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def _query_key(request: Request) -> str | None:
    if not request.scope.get("query_string"):
        return None
    token = request.query_params.get("token", "").strip()
    return token or None
