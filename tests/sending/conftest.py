"""Fixtures of the send tests: the real simulator process (shared by the session)."""

from __future__ import annotations

from tests.support.simulator_fixtures import simulator

__all__ = ["simulator"]
