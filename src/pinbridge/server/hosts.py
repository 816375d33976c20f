"""Refuse requests addressed to another host name while bound to loopback (421).

A web page cannot read a local pinbridge's answers (the browser's same-origin rule), unless
it makes its own host name resolve to 127.0.0.1 ("DNS rebinding"): the browser then sends
that name in ``Host``. A server listening on loopback only ever has a legitimate reason to
see its configured host, ``localhost``, a loopback address or a name the operator listed in
``[server] allowed_hosts``; anything else is answered 421 Misdirected Request.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from pinbridge.server.responses import error_response

__all__ = ["HostCheck", "host_name", "is_loopback"]


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, without port) is ``localhost`` or loopback."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@functools.lru_cache(maxsize=256)
def host_name(header: str) -> str:
    """The name in a ``Host`` header: lower case, without port, brackets or trailing dot."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


class HostCheck:
    """ASGI middleware: 421 for a ``Host`` outside ``allowed()`` when ``active()`` is true.

    Both are read per request, so a reload that changes ``allowed_hosts`` applies at once.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        active: Callable[[], bool],
        allowed: Callable[[], Collection[str]],
    ) -> None:
        self.app = app
        self._active = active
        self._allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._active():
            header = next((v for k, v in scope["headers"] if k == b"host"), None)
            if header is not None:
                name = host_name(header.decode("latin-1"))
                if not is_loopback(name) and name not in self._allowed():
                    response = error_response(
                        421,
                        f"this pinbridge listens on loopback and does not answer for host "
                        f"{name!r}; use localhost or 127.0.0.1, or add the name to "
                        "[server] allowed_hosts",
                    )
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
