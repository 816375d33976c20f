"""``pinbridge transform [--config FILE] [--received-at TIME] [INPUT]``: map events, send nothing.

Reads JSON events (INPUT, or standard input when absent or ``-``) in any shape the
JSON reader of ``pinbridge send`` knows: NDJSON, a JSON array, or JSON spread over several
lines. Prints one JSON result per event, in order: mapped (the event exactly as it would go
in ``data[]``), filtered (with the reason) or invalid (with every error). NDJSON streams
line by line, so it works on files of any size and behind a pipe. ``--received-at`` fixes
the receive time, so that a run can be repeated with the same result. See
``docs/mapping.md``.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

from pinbridge.commands.common import (
    add_config_argument,
    add_destination_argument,
    add_received_at_argument,
    settings_from_args,
)
from pinbridge.errors import InputError

if TYPE_CHECKING:
    from pinbridge.mapping import Mapper, MappingResult

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Register ``transform`` and its arguments."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "transform",
        help="map JSON events and print one result line per event, without sending",
        description="Map Commanders Act events (NDJSON, a JSON array, or JSON spread over "
        "several lines) to Pinterest Conversions API events and print one JSON line per "
        'event: {"status": "mapped", "event": ..., "warnings": [...]}, '
        '{"status": "filtered", "reason": ...} or '
        '{"status": "invalid", "errors": [...], "warnings": [...]}. Nothing is sent.',
    )
    add_config_argument(parser)
    add_received_at_argument(
        parser,
        "the time the events count as received (the fallback event_time, and what their "
        "age is measured from); default: the clock when the command starts",
    )
    add_destination_argument(
        parser, "map with this destination's event table, Smart Mapping and consent"
    )
    parser.add_argument(
        "input",
        nargs="?",
        default="-",
        metavar="INPUT",
        help="file of events (default: standard input; '-' also means standard input)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Map every event of the input; exit 0 when every event was handled."""
    import time

    mapper = settings_from_args(args).destination(args.destination).mapper
    received_at: int = args.received_at if args.received_at is not None else int(time.time())
    name = "standard input" if args.input == "-" else args.input
    try:
        if args.input == "-":
            _transform(sys.stdin.buffer, name, mapper, received_at)
            return 0
        try:
            stream = open(args.input, "rb")  # noqa: SIM115 - closed below, after streaming
        except OSError as exc:
            raise InputError(f"cannot read input {name}: {exc.strerror or exc}") from None
        with stream:
            _transform(stream, name, mapper, received_at)
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, without a traceback at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def _transform(stream: BinaryIO, name: str, mapper: Mapper, received_at: int) -> None:
    import orjson

    from pinbridge.mapping import Invalid, result_as_dict
    from pinbridge.sending.json_input import read_events

    out = sys.stdout.buffer
    flush_each = not _is_regular_file(stream)
    where = "at its start"
    try:
        opened = read_events(stream, name)
        if opened.description:
            print(f"pinbridge transform: {opened.description}", file=sys.stderr, flush=True)
        for record in opened.records:
            where = f"after line {record.line}" if record.line else where
            if record.event is None:
                result: MappingResult = Invalid((record.error or "unreadable",))
            else:
                result = mapper.map(record.event, received_at)
            out.write(orjson.dumps(result_as_dict(result)) + b"\n")
            if flush_each:
                out.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise InputError(f"cannot read input {name} {where}: {exc.strerror or exc}") from None
    out.flush()


def _is_regular_file(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):
        return False
