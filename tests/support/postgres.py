"""A fresh PostgreSQL schema per test, so tests never see each other's queue tables.

``fresh_schema_url(dsn, prefix)`` yields a ``[queue] url`` on the test server whose
``?schema=`` names a new schema (pinbridge creates it at start) and drops the schema, with
everything in it, when the block ends.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg

__all__ = ["fresh_schema_url"]


@contextlib.contextmanager
def fresh_schema_url(dsn: str, prefix: str) -> Iterator[str]:
    """``DSN?schema=<prefix>_<random>`` for the block; the schema is dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{separator}schema={schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
