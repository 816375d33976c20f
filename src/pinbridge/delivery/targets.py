"""Where each destination's events go: its ad account and a client holding its token.

:class:`Targets` keeps one sender per destination of the configuration in force. A reload
(:meth:`Targets.reconfigure`) builds new senders for the destinations whose connection
settings changed (token, base URL, test mode, timeout) and closes the replaced ones once the
sends that hold them are done, so a batch in flight finishes with the token it began with
and the next batch already uses the new one.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pinbridge.config import DestinationSettings, Settings
from pinbridge.delivery.outcomes import Answered

__all__ = ["Connect", "EventSender", "Target", "Targets"]


class EventSender(Protocol):
    """What the worker needs of :class:`~pinbridge.delivery.client.PinterestClient`."""

    async def send_answered(
        self, ad_account_id: str, events: Sequence[bytes]
    ) -> list[Answered]: ...

    async def aclose(self) -> None: ...


Connect = Callable[[DestinationSettings], EventSender]
"""Builds the sender of one destination (the real one: a PinterestClient with its token)."""


@dataclass(frozen=True)
class Target:
    """One destination as the worker sends to it."""

    name: str
    ad_account_id: str
    sender: EventSender


def _connection_of(destination: DestinationSettings, timeout: float) -> tuple[object, ...]:
    """What a sender is built from: a change in any of it needs a new sender."""
    pinterest = destination.pinterest
    return (pinterest.access_token, pinterest.api_base_url, pinterest.test_mode, timeout)


class Targets:
    """The senders of every configured destination; see the module docstring."""

    def __init__(self, settings: Settings, connect: Connect) -> None:
        self._connect = connect
        self._targets: dict[str, Target] = {}
        self._built_from: dict[str, tuple[object, ...]] = {}
        self._in_use: dict[int, int] = {}
        self._retired: list[EventSender] = []
        self._apply(settings)

    def names(self) -> tuple[str, ...]:
        """The destinations events are delivered to."""
        return tuple(self._targets)

    def get(self, name: str) -> Target | None:
        """The target of destination ``name``, or None when it is no longer configured."""
        return self._targets.get(name)

    @contextlib.asynccontextmanager
    async def holding(self, target: Target) -> AsyncIterator[Target]:
        """Use ``target``'s sender; a reload closes it only after every holder is done."""
        key = id(target.sender)
        self._in_use[key] = self._in_use.get(key, 0) + 1
        try:
            yield target
        finally:
            self._in_use[key] -= 1
            if not self._in_use[key]:
                del self._in_use[key]
            await self._close_retired()

    async def reconfigure(self, settings: Settings) -> None:
        """Follow a reloaded configuration (see the module docstring)."""
        self._apply(settings)
        await self._close_retired()

    async def aclose(self) -> None:
        """Close every sender (when the service stops)."""
        for target in self._targets.values():
            self._retired.append(target.sender)
        self._targets = {}
        await self._close_retired()

    def _apply(self, settings: Settings) -> None:
        timeout = settings.delivery.request_timeout_seconds
        targets: dict[str, Target] = {}
        built_from: dict[str, tuple[object, ...]] = {}
        for name, destination in settings.destinations.items():
            connection = _connection_of(destination, timeout)
            old = self._targets.get(name)
            if old is not None and self._built_from.get(name) == connection:
                sender = old.sender
            else:
                sender = self._connect(destination)
                if old is not None:
                    self._retired.append(old.sender)
            targets[name] = Target(name, destination.pinterest.ad_account_id or "", sender)
            built_from[name] = connection
        self._retired.extend(t.sender for n, t in self._targets.items() if n not in targets)
        self._targets = targets
        self._built_from = built_from

    async def _close_retired(self) -> None:
        still: list[EventSender] = []
        for sender in self._retired:
            if id(sender) in self._in_use:
                still.append(sender)
            else:
                await sender.aclose()
        self._retired = still
