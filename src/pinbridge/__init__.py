"""pinbridge: deliver Commanders Act events to the Pinterest Conversions API, server-side."""

from pinbridge.native import choose

__all__ = ["__version__"]

__version__ = "0.1.0"

choose()  # compiled mapping modules, unless stale or PINBRIDGE_PURE_PYTHON is set
