"""Who is asking: a presented key matched against every sender and operator key.

Sender keys (``[server] source_keys`` for ``default``, ``destinations.NAME.source_keys``
for the others) open the two ingest endpoints and choose the destination; operator keys
(``[server] admin_keys``) open everything. A presented key is compared with every key, in
constant time each and without stopping at a match, so the time taken says nothing about
which key was close. The configuration guarantees that no key is listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from pinbridge.config import Settings
from pinbridge.secrets import Secret

__all__ = ["ADMIN", "KeyRing", "Operator", "Sender"]


@dataclass(frozen=True, slots=True)
class Sender:
    """A sender key: it may post events, to ``destination`` only."""

    destination: str


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator (admin) key: every endpoint, every destination."""


ADMIN = Operator()

Identity = Sender | Operator


@dataclass(frozen=True)
class KeyRing:
    """Every key of one configuration and whom it identifies."""

    keys: tuple[tuple[Secret, Identity], ...]
    has_sender_keys: bool
    has_admin_keys: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        """The keys of ``settings``: each destination's sender keys, then the admin keys."""
        keys: list[tuple[Secret, Identity]] = []
        for name, destination in settings.destinations.items():
            keys.extend((key, Sender(name)) for key in destination.source_keys)
        senders = len(keys)
        keys.extend((key, ADMIN) for key in settings.server.admin_keys)
        return cls(tuple(keys), senders > 0, len(keys) > senders)

    def identify(self, presented: str | None) -> Identity | None:
        """Whom ``presented`` identifies, or None (no key, or no such key)."""
        if not presented:
            return None
        found: Identity | None = None
        for key, identity in self.keys:
            if key.matches(presented):
                found = identity
        return found
