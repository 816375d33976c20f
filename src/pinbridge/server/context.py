"""What every endpoint of one server shares: settings, queue, metrics, delivery, clock.

Kept on ``app.state.pinbridge``; :func:`context_of` reads it back with its type. The
delivery service is optional so that an ingest-only node (``serve --no-delivery``) and
tests can run the API alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from starlette.requests import Request

from pinbridge.config import Settings
from pinbridge.metrics import Metrics
from pinbridge.queue import Queue

__all__ = ["DeliveryRunner", "ServerContext", "context_of"]


class DeliveryRunner(Protocol):
    """What the server needs of :class:`pinbridge.delivery.worker.DeliveryService`."""

    async def run(self, stop: asyncio.Event) -> None: ...

    def paused_accounts(self) -> dict[str, str]: ...


@dataclass
class ServerContext:
    """Shared state of one app. ``draining`` turns new ingest away once shutdown began;
    ``delivery_problem`` says why delivery stopped when it stopped on its own."""

    settings: Settings
    queue: Queue
    metrics: Metrics
    service: DeliveryRunner | None
    clock: Callable[[], float]
    draining: bool = False
    delivery_problem: str | None = None

    def paused_accounts(self) -> dict[str, str]:
        """Accounts whose token Pinterest refused, with the reason (empty without delivery)."""
        return self.service.paused_accounts() if self.service is not None else {}


def context_of(request: Request) -> ServerContext:
    """The :class:`ServerContext` of the app serving ``request``."""
    return cast(ServerContext, request.app.state.pinbridge)
