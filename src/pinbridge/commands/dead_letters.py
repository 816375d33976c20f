"""``pinbridge dead-letters list|replay``: failed events and their requeueing, on the queue itself.

Works directly on the queue named by ``[queue] url``, so it works whether or not
``pinbridge serve`` runs (a running server delivers replayed events at once).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pinbridge.commands.common import add_config_argument, settings_from_args

if TYPE_CHECKING:
    from pinbridge.queue import Queue

__all__ = ["add_parser", "run_list", "run_replay"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``dead-letters`` with its ``list`` and ``replay`` actions."""
    parser = subparsers.add_parser(
        "dead-letters",
        help="list failed events with Pinterest's reason; requeue them",
        description="Dead letters are events Pinterest refused for good (or whose attempts "
        "ran out). List them, then replay the ones worth sending again.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list dead letters, oldest first")
    add_config_argument(listing)
    listing.add_argument("--limit", type=_positive, default=100, help="at most N (default 100)")
    listing.add_argument("--offset", type=_not_negative, default=0, help="skip the first N")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_destination_argument(listing)
    listing.set_defaults(run=run_list)
    replay = actions.add_parser("replay", help="queue dead letters again")
    add_config_argument(replay)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every dead letter")
    which.add_argument(
        "row_ids",
        nargs="*",
        type=_positive,
        default=[],
        metavar="ROW_ID",
        help="row ids, as shown by 'pinbridge dead-letters list'",
    )
    _add_destination_argument(replay)
    replay.set_defaults(run=run_replay)


def _add_destination_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--destination",
        metavar="NAME",
        help="only this destination's dead letters (default: every destination)",
    )


def run_list(args: argparse.Namespace) -> int:
    """Print one page of dead letters (a table, or JSON lines with ``--json``)."""
    import orjson

    from pinbridge.server.views import dead_letter_view

    with _open(args) as queue:
        letters = queue.dead_letters(
            limit=args.limit, offset=args.offset, destination=args.destination
        )
        total = queue.dead_letter_count(args.destination)
    views = [dead_letter_view(letter) for letter in letters]
    if args.json:
        for view in views:
            print(orjson.dumps(view).decode())
        return 0
    if not views:
        print("no dead letters" if total == 0 else f"no dead letters past offset {args.offset}")
        return 0
    columns = ("row_id", "failed_at_utc", "destination", "event_name", "event_id", "attempts")
    rows = [[str(view[c]) for c in columns] for view in views]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    header = [c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)]
    print(*header, "MESSAGE", sep="  ")
    for row, view in zip(rows, views, strict=True):
        print(*(v.ljust(w) for v, w in zip(row, widths, strict=True)), view["message"], sep="  ")
    first = args.offset + 1
    print(f"{total} dead letter(s) in total; shown: {first} to {args.offset + len(views)}")
    return 0


def run_replay(args: argparse.Namespace) -> int:
    """Requeue the selected dead letters; exit 1 when none of the given row ids was one."""
    import time

    selection: list[int] | None = None if args.all else list(dict.fromkeys(args.row_ids))
    with _open(args) as queue:
        count = queue.replay(selection, time.time(), args.destination)
    if selection is None:
        print(f"replayed {count} dead letter(s): queued again for delivery")
        return 0
    print(f"replayed {count} of {len(selection)} row id(s): queued again for delivery")
    if count < len(selection):
        print(
            f"{len(selection) - count} row id(s) were not dead letters (unknown, already "
            "replayed or delivered); see 'pinbridge dead-letters list'"
        )
    return 0 if count else 1


@contextlib.contextmanager
def _open(args: argparse.Namespace) -> Iterator[Queue]:
    from pinbridge.queue import open_queue

    settings = settings_from_args(args)
    if args.destination is not None:
        settings.destination(args.destination)  # a ConfigError naming the configured ones
    queue = open_queue(settings.queue)
    try:
        yield queue
    finally:
        queue.close()


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _not_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (0 or more)")
    return int(text)
