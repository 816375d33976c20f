"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Tests never assert timings: hypothesis's per-example deadline is one, and on a busy
# 2-core machine a slow first example fails it by chance.
settings.register_profile("pinbridge", deadline=None)
settings.load_profile("pinbridge")

POSTGRES_ENV = "PINBRIDGE_TEST_POSTGRES_DSN"


@pytest.fixture
def postgres_dsn() -> str:
    """The PostgreSQL server to test against; skips, saying why, when it is not configured."""
    dsn = os.environ.get(POSTGRES_ENV, "").strip()
    if not dsn:
        pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server (see README)")
    return dsn
