"""Log a condition that can recur thousands of times a second at most once per interval.

A refused connection, a slow client or a failed ``accept()`` is worth one line, not one line
per occurrence: under attack or exhaustion, per-occurrence logging fills the disk and costs
the CPU the server needs. The first occurrence is logged at once; later ones are counted and
reported with the next line, at most one per ``interval`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

__all__ = ["LOG_INTERVAL_SECONDS", "Throttled"]

LOG_INTERVAL_SECONDS = 10.0


class Throttled:
    """One log line per ``interval`` for a recurring condition, with how often it occurred."""

    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        *,
        level: int = logging.WARNING,
        interval: float = LOG_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._message = message
        self._level = level
        self._interval = interval
        self._clock = clock
        self._count = 0
        self._logged_at: float | None = None

    def __call__(self, **fields: Any) -> None:
        """Count one occurrence; log it (with the count since the last line) if due."""
        self._count += 1
        now = self._clock()
        if self._logged_at is not None and now - self._logged_at < self._interval:
            return
        self._logger.log(
            self._level,
            self._message,
            extra={"occurrences": self._count, "log_interval_seconds": self._interval, **fields},
        )
        self._count = 0
        self._logged_at = now
