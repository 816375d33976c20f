"""Fixtures of the end-to-end tests: a fresh PostgreSQL schema per test, the numbers log."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.postgres import fresh_schema_url

NUMBERS_ENV = "PINBRIDGE_E2E_NUMBERS"


@pytest.fixture
def pg_queue_url(postgres_dsn: str) -> Iterator[str]:
    """A ``[queue] url`` on the test PostgreSQL, in a schema of its own (dropped afterwards)."""
    with fresh_schema_url(postgres_dsn, "e2e") as url:
        yield url


@pytest.fixture
def record_numbers(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """A dict a test fills with what it observed; printed, and appended as one JSON line
    to the file named by ``$PINBRIDGE_E2E_NUMBERS`` when set."""
    numbers: dict[str, Any] = {}
    yield numbers
    line = json.dumps({"test": request.node.name, **numbers}, sort_keys=True)
    print(f"\nnumbers: {line}")
    target = os.environ.get(NUMBERS_ENV)
    if target:
        with open(target, "a") as handle:
            handle.write(line + "\n")
