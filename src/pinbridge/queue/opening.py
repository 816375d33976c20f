"""``open_queue``: pick the backend named by ``[queue] url`` and open it.

Backends are imported only when chosen, so a SQLite deployment never loads psycopg.
"""

from __future__ import annotations

from pinbridge.config import QueueSettings
from pinbridge.errors import ConfigError
from pinbridge.queue.base import Queue
from pinbridge.queue.urls import postgres_target, redact_url, sqlite_path

__all__ = ["open_queue"]


def open_queue(settings: QueueSettings) -> Queue:
    """Open (creating its tables when missing) the queue at ``settings.url``.

    Raises :class:`~pinbridge.errors.ConfigError` for a malformed URL or setting and
    :class:`~pinbridge.queue.records.QueueUnavailable` when the database cannot be opened;
    both name the URL without its password.
    """
    _check_settings(settings)
    url = settings.url
    if url.startswith("sqlite:"):
        from pinbridge.queue.sqlite import SqliteQueue

        return SqliteQueue(sqlite_path(url), settings, redact_url(url))
    if url.startswith(("postgresql://", "postgres://")):
        from pinbridge.queue.postgres import PostgresQueue

        return PostgresQueue(postgres_target(url), settings)
    raise ConfigError(
        f"[queue] url {redact_url(url)!r} is not supported; write sqlite:///PATH "
        "(for example sqlite:///pinbridge.db) or postgresql://user@host:port/database"
    )


def _check_settings(settings: QueueSettings) -> None:
    """Range checks for the keys ``config.py`` does not check itself."""
    if settings.pool_size < 1:
        raise ConfigError("[queue] pool_size must be at least 1 (default 8)")
    if settings.pool_wait_seconds <= 0:
        raise ConfigError("[queue] pool_wait_seconds must be greater than 0 (default 1)")
    if settings.connect_timeout_seconds < 2:
        raise ConfigError(
            "[queue] connect_timeout_seconds must be at least 2 (libpq's minimum; default 2)"
        )
    if settings.busy_timeout_seconds <= 0:
        raise ConfigError("[queue] busy_timeout_seconds must be greater than 0 (default 30)")
    for key in ("max_depth", "dedup_window_hours", "lease_seconds", "retention_days"):
        if getattr(settings, key) <= 0:
            raise ConfigError(f"[queue] {key} must be greater than 0")
