"""A string type for secrets that never shows its value by accident.

``repr``, ``str`` and f-strings show ``'***'``; only :meth:`Secret.reveal` returns the
value, so every place that needs the clear text is easy to find with grep.
"""

from __future__ import annotations

import hmac

__all__ = ["Secret"]


class Secret:
    """An access token or API key, masked in every repr, log line and traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The clear-text value, for the one place that must send it."""
        return self._value

    def matches(self, candidate: str) -> bool:
        """Constant-time comparison with a candidate value."""
        return hmac.compare_digest(self._value.encode(), candidate.encode())

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and self.matches(other._value)

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")
