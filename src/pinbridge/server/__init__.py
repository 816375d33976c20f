"""The HTTP side of ``pinbridge serve``: ingest API, delivery log, probes, dashboard.

:func:`create_app` builds the Starlette app around a queue, a metrics registry and an
optional delivery service; :func:`serve_app` runs it under uvicorn with graceful shutdown.
See ``docs/service.md``.
"""

from pinbridge.server.app import create_app
from pinbridge.server.context import DeliveryRunner, ServerContext
from pinbridge.server.runner import bind_socket, serve_app

__all__ = ["DeliveryRunner", "ServerContext", "bind_socket", "create_app", "serve_app"]
