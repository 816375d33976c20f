"""What every endpoint of one server shares: the running configuration, queue, metrics,
delivery, clock and reload state.

Kept on ``app.state.pinbridge``; :func:`context_of` reads it back with its type. The
configuration in force is one immutable :class:`Runtime`, replaced whole by a reload, so a
request sees either the old configuration or the new one, never a mix. The delivery service
is optional so that an ingest-only node (``serve --no-delivery``) and tests can run the API
alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, cast

from starlette.requests import Request

from pinbridge.config import Settings
from pinbridge.metrics import Metrics
from pinbridge.queue import Queue, QueueDiskFull
from pinbridge.server.keys import KeyRing
from pinbridge.server.writer import GroupWriter

__all__ = [
    "DeliveryRunner",
    "QueueState",
    "ReloadState",
    "Runtime",
    "ServerContext",
    "context_of",
]


class DeliveryRunner(Protocol):
    """What the server needs of :class:`pinbridge.delivery.worker.DeliveryService`."""

    async def run(self, stop: asyncio.Event) -> None: ...

    async def reconfigure(self, settings: Settings) -> None: ...


@dataclass(frozen=True)
class Runtime:
    """One loaded configuration and the key ring built from it."""

    settings: Settings
    keys: KeyRing

    @classmethod
    def of(cls, settings: Settings) -> Runtime:
        """The runtime of ``settings``."""
        return cls(settings, KeyRing.from_settings(settings))

    @property
    def destination_names(self) -> tuple[str, ...]:
        """The configured destinations, ``default`` first when it exists."""
        return tuple(self.settings.destinations)


class QueueState:
    """What the queue told the last callers: its disk was full (and since when), or not."""

    def __init__(self) -> None:
        self.disk_full_at: float | None = None

    def saw(self, error: BaseException, at: float) -> None:
        """A queue call failed with ``error``."""
        if isinstance(error, QueueDiskFull) and self.disk_full_at is None:
            self.disk_full_at = at

    def wrote(self) -> None:
        """A queue write succeeded: the disk takes writes again."""
        self.disk_full_at = None


@dataclass
class ReloadState:
    """When the configuration in force was loaded, and the last failed reload, if any."""

    loaded_at: float
    reloads: int = 0
    error: str | None = None
    error_at: float | None = None


@dataclass
class ServerContext:
    """Shared state of one app. ``draining`` turns new ingest away once shutdown began;
    ``delivery_problem`` says why delivery stopped when it stopped on its own;
    ``loopback_only`` says the server listens on loopback (the Host check applies)."""

    runtime: Runtime
    queue: Queue
    metrics: Metrics
    service: DeliveryRunner | None
    clock: Callable[[], float]
    reload_state: ReloadState
    draining: bool = False
    delivery_problem: str | None = None
    loopback_only: bool = False
    writer: GroupWriter = field(init=False)
    queue_state: QueueState = field(default_factory=QueueState)
    loader: Callable[[], Settings] | None = None
    on_settings: list[Callable[[Settings], None]] = field(default_factory=list)
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.writer = GroupWriter(self.queue, self.clock)

    @property
    def settings(self) -> Settings:
        """The configuration in force."""
        return self.runtime.settings

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Host names this server answers for besides loopback ones (the Host check)."""
        server = self.settings.server
        return frozenset((server.host.lower(), *server.allowed_hosts))


def context_of(request: Request) -> ServerContext:
    """The :class:`ServerContext` of the app serving ``request``."""
    return cast(ServerContext, request.app.state.pinbridge)
