"""``pinbridge transform [--config FILE] [INPUT]``: map NDJSON events without sending them.

Reads one JSON event per line (INPUT, or standard input when absent or ``-``) and prints
one JSON result per non-blank line, in order: mapped (the event exactly as it would go in
``data[]``), filtered (with the reason) or invalid (with every error). Streams line by
line, so it works on files of any size and behind a pipe. See ``docs/mapping.md``.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import IO, TYPE_CHECKING, Any

from pinbridge.commands.common import add_config_argument, settings_from_args
from pinbridge.errors import InputError

if TYPE_CHECKING:
    from pinbridge.mapping import Mapper, MappingResult

__all__ = ["add_parser", "run"]

_BOM = b"\xef\xbb\xbf"


def add_parser(subparsers: Any) -> None:
    """Register ``transform`` and its arguments."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "transform",
        help="map NDJSON events and print one result line per event, without sending",
        description="Map Commanders Act events (one JSON object per line) to Pinterest "
        "Conversions API events and print one JSON line per input line: "
        '{"status": "mapped", "event": ..., "warnings": [...]}, '
        '{"status": "filtered", "reason": ...} or '
        '{"status": "invalid", "errors": [...], "warnings": [...]}. Nothing is sent.',
    )
    add_config_argument(parser)
    parser.add_argument(
        "input",
        nargs="?",
        default="-",
        metavar="INPUT",
        help="NDJSON file of events (default: standard input; '-' also means standard input)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Map every line of the input; exit 0 when every line was handled."""
    import time

    settings = settings_from_args(args)
    received_at = int(time.time())
    name = "standard input" if args.input == "-" else args.input
    try:
        if args.input == "-":
            _transform(sys.stdin.buffer, name, settings.mapper, received_at)
            return 0
        try:
            stream = open(args.input, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError as exc:
            raise InputError(f"cannot read input {name}: {exc.strerror or exc}") from None
        with stream:
            _transform(stream, name, settings.mapper, received_at)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _transform(stream: IO[bytes], name: str, mapper: Mapper, received_at: int) -> None:
    import orjson

    from pinbridge.mapping import Invalid, result_as_dict

    out = sys.stdout.buffer
    flush_each = not _is_regular_file(stream)
    number = 0
    try:
        for number, line in enumerate(stream, 1):
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]  # noqa: PLW2901
            if not line.strip():
                continue
            try:
                raw = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                result: MappingResult = Invalid(
                    (f"line {number}: not valid JSON ({exc.msg} at column {exc.colno})",)
                )
            else:
                result = mapper.map(raw, received_at)
            out.write(orjson.dumps(result_as_dict(result)) + b"\n")
            if flush_each:
                out.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise InputError(
            f"cannot read input {name} after line {number}: {exc.strerror or exc}"
        ) from None
    out.flush()


def _is_regular_file(stream: IO[bytes]) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False
