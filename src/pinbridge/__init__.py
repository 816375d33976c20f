"""pinbridge: deliver Commanders Act events to the Pinterest Conversions API, server-side."""

__all__ = ["__version__"]

__version__ = "0.1.0"
