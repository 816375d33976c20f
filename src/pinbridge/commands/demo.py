"""``pinbridge demo [--keep] [--events N]``: the full pipeline locally, no credentials needed."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser"]

_DEFAULT_EVENTS = 300
_MAX_EVENTS = 100_000


def add_parser(subparsers: Any) -> None:
    """Register ``demo``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="run the simulator and the server locally and push sample events through",
        description=(
            "Start `pinbridge simulate` (a local stand-in for Pinterest) and `pinbridge serve` "
            "(SQLite in a temporary directory, test mode), post sample and generated events, "
            "wait until each accepted event has a final status and print a summary. "
            "Exits 1 if any accepted event was lost or did not finish in time."
        ),
    )
    parser.add_argument(
        "--events",
        type=_event_count,
        default=_DEFAULT_EVENTS,
        metavar="N",
        help=f"generated events to post besides the samples (default {_DEFAULT_EVENTS})",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave both processes running afterwards, until Ctrl-C",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for every event to reach a final status (default 120)",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pinbridge.demo.pipeline import run_demo

    return run_demo(events=args.events, keep=args.keep, timeout=args.timeout, console=Console())


def _event_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--events must be a whole number, not {text!r} (for example --events 300)"
        ) from None
    if not 0 <= count <= _MAX_EVENTS:
        raise argparse.ArgumentTypeError(f"--events must be between 0 and {_MAX_EVENTS}")
    return count


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise argparse.ArgumentTypeError(
            f"--timeout must be a number of seconds greater than 0, not {text!r}"
        )
    return seconds
