"""What the simulator is told to do: accepted tokens, fault rates, latency.

Set from the command line at start and changed live through ``POST /_sim/config``; both
paths validate the same way and raise :class:`pinbridge.errors.ConfigError` naming the key
and what is allowed. Tokens are kept as :class:`pinbridge.secrets.Secret` so they never show.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret

__all__ = ["CHANGEABLE", "FAULT_RATES", "SimulatorSettings", "parse_tokens"]

FAULT_RATES = ("rate_429", "rate_500", "rate_timeout", "rate_reset")
_DURATIONS = ("latency_ms", "timeout_hold_ms")
CHANGEABLE = ("tokens", *FAULT_RATES, *_DURATIONS, "retry_after", "fail_prefix")
"""Keys ``POST /_sim/config`` accepts."""


@dataclass(frozen=True)
class SimulatorSettings:
    """The simulator's behaviour; ``tokens=None`` accepts any Bearer token."""

    tokens: tuple[Secret, ...] | None = None
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    rate_reset: float = 0.0
    latency_ms: float = 0.0
    retry_after: float | None = None
    timeout_hold_ms: float = 30000.0
    fail_prefix: str | None = None
    """Events whose event_id starts with this are answered ``failed`` (a refusal on demand,
    for tests that need dead letters from events the mapper accepts)."""

    def __post_init__(self) -> None:
        for name in FAULT_RATES:
            _require_number(name, getattr(self, name), upper=1.0)
        for name in _DURATIONS:
            _require_number(name, getattr(self, name), upper=None)
        if self.retry_after is not None:
            _require_number("retry_after", self.retry_after, upper=None)
        total = sum(getattr(self, name) for name in FAULT_RATES)
        if total > 1.0 + 1e-9:
            raise ConfigError(
                f"the fault rates ({', '.join(FAULT_RATES)}) add up to {total:g}; they are "
                "the chances of exclusive outcomes of one draw per request, so their sum "
                "must be at most 1"
            )

    def accepts(self, token: str) -> bool:
        """Whether a request carrying Bearer ``token`` is authenticated."""
        if not token:
            return False
        if self.tokens is None:
            return True
        return any(secret.matches(token) for secret in self.tokens)

    def with_changes(self, changes: Mapping[str, Any]) -> SimulatorSettings:
        """A copy with ``changes`` (a ``/_sim/config`` body) applied; ConfigError if bad."""
        unknown = sorted(set(changes) - set(CHANGEABLE))
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)}; allowed: {', '.join(CHANGEABLE)}"
            )
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "tokens":
                values[key] = _tokens(value)
            elif key in ("retry_after", "fail_prefix") and value is None:
                values[key] = None
            elif key == "fail_prefix":
                if not isinstance(value, str) or not value:
                    raise ConfigError("fail_prefix must be a non-empty string, or null")
                values[key] = value
            else:
                values[key] = _number(key, value)
        return dataclasses.replace(self, **values)

    def public(self) -> dict[str, Any]:
        """The settings as JSON, tokens masked (their count only)."""
        return {
            "tokens": None if self.tokens is None else ["***"] * len(self.tokens),
            **{name: getattr(self, name) for name in FAULT_RATES},
            "latency_ms": self.latency_ms,
            "timeout_hold_ms": self.timeout_hold_ms,
            "retry_after": self.retry_after,
            "fail_prefix": self.fail_prefix,
        }


def parse_tokens(text: str) -> tuple[Secret, ...]:
    """``--tokens T1,T2`` as secrets; ConfigError when no token is left."""
    tokens = tuple(Secret(part.strip()) for part in text.split(",") if part.strip())
    if not tokens:
        raise ConfigError("--tokens needs at least one token, e.g. --tokens test-token")
    return tokens


def _tokens(value: object) -> tuple[Secret, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
        raise ConfigError(
            "tokens must be a list of non-empty strings (an empty list refuses every "
            "request) or null (accept any Bearer token)"
        )
    return tuple(Secret(token) for token in value)


def _number(key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key} must be a number, got {type(value).__name__}")
    return float(value)


def _require_number(name: str, value: float, *, upper: float | None) -> None:
    if not math.isfinite(value) or value < 0 or (upper is not None and value > upper):
        allowed = f"between 0 and {upper:g}" if upper is not None else "0 or more"
        raise ConfigError(f"{name} must be {allowed}, got {value:g}")
