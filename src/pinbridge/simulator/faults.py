"""Seeded fault injection: one draw per request, in arrival order.

A single :class:`random.Random` makes the sequence of faults a function of the seed and the
order requests arrive in, so a run can be replayed with ``--seed``. Each draw is one uniform
number split by the four rates (429, 500, timeout, reset) in that order; the rest is "no fault".
A draw is taken for every events request, even when every rate is 0, so changing rates
live does not shift the sequence.
"""

from __future__ import annotations

import enum
import random
import secrets

from pinbridge.simulator.settings import SimulatorSettings

__all__ = ["Fault", "FaultPlan"]

_SEED_BITS = 31


class Fault(enum.Enum):
    """What to do to one request instead of (or on top of) answering it normally."""

    NONE = "none"
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    TIMEOUT = "timeout"
    RESET = "reset"


class FaultPlan:
    """The seeded sequence of faults; :meth:`restart` replays it from the beginning."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed if seed is not None else secrets.randbits(_SEED_BITS)
        self._rng = random.Random(self.seed)

    def restart(self) -> None:
        """Start the sequence over, as a fresh process with the same seed would."""
        self._rng = random.Random(self.seed)

    def draw(self, settings: SimulatorSettings) -> Fault:
        """The fault for the next request, given the current rates."""
        point = self._rng.random()
        for fault, rate in (
            (Fault.RATE_LIMIT, settings.rate_429),
            (Fault.SERVER_ERROR, settings.rate_500),
            (Fault.TIMEOUT, settings.rate_timeout),
            (Fault.RESET, settings.rate_reset),
        ):
            if point < rate:
                return fault
            point -= rate
        return Fault.NONE
