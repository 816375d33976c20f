"""The shared ``simulator`` fixture (a real process on loopback)."""

from tests.support.simulator_fixtures import simulator

__all__ = ["simulator"]
