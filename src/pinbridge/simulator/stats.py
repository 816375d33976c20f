"""What the simulator saw: request counts by outcome, accepted event_ids, a request log.

Tests read it through ``GET /_sim/stats`` to check for loss and duplication, so
``accepted_event_ids`` keeps every processed event_id in order, duplicates included. Every
update and snapshot holds one lock, so concurrent requests never see a half-written entry.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

__all__ = ["OUTCOMES", "Stats"]

OUTCOMES = ("200", "422", "400", "401", "429", "500", "timeout", "reset")
"""Keys of ``requests`` that are always present (other statuses appear when they occur)."""


class Stats:
    """Thread-safe counters and logs of the events endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._accepted: list[str] = []
        self._log: list[dict[str, Any]] = []
        self.clear()

    def clear(self) -> None:
        """Forget everything (``POST /_sim/reset``)."""
        with self._lock:
            self._requests = dict.fromkeys(OUTCOMES, 0)
            self._accepted = []
            self._log = []

    def record(
        self,
        *,
        outcome: str,
        status: int | None,
        ad_account_id: str,
        event_ids: Sequence[str],
        processed: Sequence[str],
        test: bool,
    ) -> int:
        """Count one request; ``processed`` event_ids join ``accepted_event_ids``.

        Returns the request's sequence number (1 for the first request since the last reset).
        """
        with self._lock:
            self._requests[outcome] = self._requests.get(outcome, 0) + 1
            self._accepted.extend(processed)
            seq = len(self._log) + 1
            self._log.append(
                {
                    "seq": seq,
                    "outcome": outcome,
                    "status": status,
                    "ad_account_id": ad_account_id,
                    "event_ids": list(event_ids),
                    "processed_event_ids": list(processed),
                    "test": test,
                }
            )
            return seq

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy, shaped as ``GET /_sim/stats`` answers it."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "accepted_event_ids": list(self._accepted),
                "log": [
                    {
                        **entry,
                        "event_ids": list(entry["event_ids"]),
                        "processed_event_ids": list(entry["processed_event_ids"]),
                    }
                    for entry in self._log
                ],
            }
