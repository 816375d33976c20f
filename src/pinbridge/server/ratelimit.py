"""A warning logged at most once per interval, with how many times it happened meanwhile.

For conditions that can repeat thousands of times a second (refused keys, exhausted file
descriptors): the first occurrence is logged at once, later ones are counted and reported
together when the interval has passed, so the log says what happens without drowning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["RateLimitedWarning"]


class RateLimitedWarning:
    """``note()`` each occurrence; ``message`` takes the count and the interval (``%d``)."""

    def __init__(
        self,
        log: logging.Logger,
        message: str,
        *,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._message = message
        self._interval = interval
        self._clock = clock
        self._count = 0
        self._since: float | None = None

    def note(self) -> None:
        """Count one occurrence; log when none was logged within the interval."""
        now = self._clock()
        self._count += 1
        if self._since is None or now - self._since >= self._interval:
            self._log.warning(self._message, self._count, round(self._interval))
            self._count = 0
            self._since = now
