"""The ``pinbridge`` command: one entry point, one module per subcommand.

Each module in :mod:`pinbridge.commands` exposes ``add_parser(subparsers)``, which registers
its arguments and sets ``run`` (a function taking the parsed arguments and returning the exit
status). Command modules import their heavy dependencies inside ``run`` so that
``pinbridge --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pinbridge import __version__
from pinbridge.errors import PinbridgeError

__all__ = ["main"]

COMMANDS = ("transform", "simulate", "serve", "dead_letters", "send", "demo")
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="pinbridge",
        description="Deliver Commanders Act events to the Pinterest Conversions API.",
    )
    parser.add_argument("--version", action="version", version=f"pinbridge {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"pinbridge.commands.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; configuration and input errors exit with status 2."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except PinbridgeError as exc:
        print(f"pinbridge {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
