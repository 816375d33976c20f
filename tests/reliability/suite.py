"""How much of the fault suite runs, and the queue backends it runs on.

``make test`` runs a bounded subset (a few kills instead of 20, SQLite where PostgreSQL
would cost too much); ``make reliability`` sets ``PINBRIDGE_RELIABILITY_FULL=1`` and runs
everything.
"""

from __future__ import annotations

import os

import pytest

__all__ = [
    "BACKENDS",
    "FULL_ENV",
    "RESULTS_ENV",
    "full_suite",
    "scale",
    "skip_unless_full",
]

FULL_ENV = "PINBRIDGE_RELIABILITY_FULL"
RESULTS_ENV = "PINBRIDGE_RELIABILITY_RESULTS"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def full_suite() -> bool:
    """True under ``make reliability`` (``PINBRIDGE_RELIABILITY_FULL=1``)."""
    return os.environ.get(FULL_ENV) == "1"


def scale(subset: int, full: int) -> int:
    """``full`` in the full suite, ``subset`` in ``make test``."""
    return full if full_suite() else subset


def skip_unless_full(what: str) -> None:
    """Skip, saying why, outside the full suite."""
    if not full_suite():
        pytest.skip(f"{what} runs in the full fault suite only: make reliability")
