"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

import pytest

POSTGRES_ENV = "PINBRIDGE_TEST_POSTGRES_DSN"


@pytest.fixture
def postgres_dsn() -> str:
    """The PostgreSQL server to test against; skips, saying why, when it is not configured."""
    dsn = os.environ.get(POSTGRES_ENV, "").strip()
    if not dsn:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server (see README)")
    return dsn
