"""Error types shared by every layer.

Errors carry their nature in their type, never in their message: callers decide
what to do with ``isinstance``, not by parsing text.
"""

__all__ = [
    "ConfigError",
    "InputError",
    "PinbridgeError",
]


class PinbridgeError(Exception):
    """Base class of every error pinbridge raises on purpose."""


class ConfigError(PinbridgeError):
    """The configuration is wrong; the message names the key and what is allowed."""


class InputError(PinbridgeError):
    """Input a user gave (a file, a request body) cannot be read; the message says where."""
