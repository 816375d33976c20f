"""A circuit breaker for the PostgreSQL queue: answer at once while the database is down.

Without it, every call made while the database is unreachable waits for the connection
pool (``[queue] pool_wait_seconds``) before it fails, and callers pile up. After a
connection-level failure the breaker *opens*: for ``cool_off`` seconds every call is refused
at once. Then it lets one call through as a trial; the trial's success *closes* the breaker
(calls go to the database again), its failure opens it for another ``cool_off``. Calls
refused meanwhile are refused at once too. There is no growing backoff, so the queue works
again within about ``cool_off`` seconds of the database coming back.

One breaker per queue object; every method is thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Breaker"]


class Breaker:
    """Open after a connection-level failure, closed again after a successful trial."""

    def __init__(self, cool_off: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._cool_off = cool_off
        self._clock = clock
        self._lock = threading.Lock()
        self._failed_at: float | None = None  # None: closed
        self._cause = ""
        self._trial = False

    def admit(self) -> str | None:
        """None when the caller may go to the database (it then reports with
        :meth:`succeeded` or :meth:`failed`); otherwise why not, for its error message."""
        with self._lock:
            if self._failed_at is None:
                return None
            now = self._clock()
            if not self._trial and now >= self._failed_at + self._cool_off:
                self._trial = True
                return None
            ago = max(0.0, now - self._failed_at)
            return (
                f"the database could not be reached {ago:.1f} s ago ({self._cause}); "
                f"pinbridge tries again at most {self._cool_off:g} s after each failure"
            )

    def succeeded(self) -> None:
        """The database answered (even with an error of the caller's): close."""
        with self._lock:
            self._failed_at = None
            self._trial = False

    def failed(self, cause: str) -> None:
        """A connection-level failure: open (again) for ``cool_off`` seconds from now."""
        with self._lock:
            self._failed_at = self._clock()
            self._cause = cause
            self._trial = False
