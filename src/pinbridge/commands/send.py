"""``pinbridge send FILE``: map and send a file of events (offline conversions, backfills).

Reads NDJSON, a JSON array, JSON spread over several lines, or CSV, maps each event, sends
them in batches of up to 1000 straight to Pinterest (no queue) with in-process retries,
keeps a resumable checkpoint, writes the events that failed or were invalid to a file the
user can fix and send again, and ends with a summary. Ctrl-C stops after saving the
checkpoint (exit status 130). See ``docs/send.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinbridge.commands.common import (
    add_config_argument,
    add_destination_argument,
    add_received_at_argument,
    require_credentials,
    settings_from_args,
)
from pinbridge.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from pinbridge.config import DestinationSettings, Settings
    from pinbridge.sending import SendPlan, SendSummary
    from pinbridge.sending.progress import ProgressReporter

__all__ = ["add_parser"]

EXIT_INTERRUPTED = 130


def add_parser(subparsers: Any) -> None:
    """Register ``send`` and its options."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "send",
        help="map and send a file of events: NDJSON, JSON or CSV (offline conversions, backfills)",
        description="Map every event of FILE and send them to the Pinterest Conversions API "
        "in batches, with a progress bar, a resumable checkpoint and a final summary. "
        "Events that fail or are invalid are written, with the reason, to a file you can fix "
        "and send again.",
    )
    add_config_argument(parser)
    parser.add_argument(
        "file",
        metavar="FILE",
        help="the events: NDJSON, a JSON array, JSON spread over several lines, or CSV (.csv)",
    )
    parser.add_argument(
        "--format",
        choices=("ndjson", "json", "csv"),
        help="input format (default: csv for a .csv file, else JSON: ndjson and json both "
        "mean NDJSON, a JSON array or JSON over several lines, told apart when reading)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="map and report without sending (needs no credentials; no checkpoint)",
    )
    parser.add_argument(
        "--test-mode", action="store_true", help="send with ?test=true (Pinterest's test mode)"
    )
    parser.add_argument(
        "--checkpoint", metavar="PATH", help="checkpoint file (default: FILE.pinbridge-checkpoint)"
    )
    failed = parser.add_mutually_exclusive_group()
    failed.add_argument(
        "--failed-out",
        metavar="PATH",
        help="where failed and invalid events go (default: FILE.failed.ndjson; "
        "a dry run writes them only when this is given)",
    )
    failed.add_argument(
        "--no-failed-out",
        action="store_true",
        help="write no failed-events file (it holds your input as given, personal data "
        "included); the summary still counts them with their reasons",
    )
    parser.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="N",
        help="events per request, 1 to 1000 (default: [delivery] batch_max_events)",
    )
    add_received_at_argument(
        parser,
        "with --dry-run only: the time the events count as received (the fallback "
        "event_time, and what their age is measured from); default: the clock",
    )
    add_destination_argument(
        parser, "map with this destination's tables and send to its account with its token"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.add_argument(
        "--json", action="store_true", help="print the summary as one JSON object, not a table"
    )
    parser.set_defaults(run=_run)


def _batch_size(text: str) -> int:
    from pinbridge.delivery.client import MAX_BATCH_EVENTS

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_BATCH_EVENTS:
        raise argparse.ArgumentTypeError(
            f"must be a whole number from 1 to {MAX_BATCH_EVENTS} (Pinterest's batch limit), "
            f"not {text!r}"
        )
    return value


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from rich.console import Console

    from pinbridge.sending import SendInterrupted, exit_status
    from pinbridge.sending.inputs import open_input
    from pinbridge.sending.progress import progress_reporter

    settings = settings_from_args(args)
    destination = settings.destination(args.destination)
    plan = _plan(args, settings, destination)
    open_input(plan.input_path).close()  # a missing file is said before missing credentials
    if args.received_at is not None and not plan.dry_run:
        raise InputError(
            "--received-at needs --dry-run: a real send is received now, and Pinterest measures "
            "the events' age from its own clock; drop --received-at, or add --dry-run"
        )
    if not plan.dry_run:
        require_credentials(
            settings,
            "sending",
            "; or add --dry-run to map the file without sending",
            grouped=True,
            destination=args.destination,
        )
    console = Console(stderr=True)
    _log_to(console, destination, quiet=args.quiet)
    try:
        with progress_reporter(quiet=args.quiet, console=console) as reporter:
            summary = asyncio.run(
                _send(plan, settings, destination, reporter, test_mode=args.test_mode)
            )
    except SendInterrupted as interrupted:
        print(f"pinbridge send: {interrupted}", file=sys.stderr)
        return EXIT_INTERRUPTED
    _print(summary, as_json=args.json)
    return exit_status(summary)


def _log_to(console: Console, destination: DestinationSettings, *, quiet: bool) -> None:
    """Log lines (retries, network trouble) go above the progress bar, redacted."""
    import logging

    from rich.logging import RichHandler

    from pinbridge.logs import RedactingFilter

    token = destination.pinterest.access_token
    handler = RichHandler(console=console, show_path=False, markup=False)
    secrets = [token.reveal()] if token else []
    # The account id is not personal: kept readable so a line says which account it is about.
    handler.addFilter(RedactingFilter(secrets, keep=[destination.pinterest.ad_account_id or ""]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    for chatty in ("httpx", "httpcore"):  # one line per request would bury the progress bar
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _plan(
    args: argparse.Namespace, settings: Settings, destination: DestinationSettings
) -> SendPlan:
    from pinbridge.sending import SendPlan, detect_format
    from pinbridge.sending.csv_fields import known_paths

    if args.file == "-":
        raise InputError(
            "pinbridge send reads a file, not standard input (it resumes from a checkpoint "
            "tied to the file); save the events to a file first"
        )
    path = Path(args.file)
    input_format = detect_format(path, args.format)
    return SendPlan(
        input_path=path,
        input_format=input_format,
        failed_out_path=_failed_out_path(args, path),
        checkpoint_path=None
        if args.dry_run
        else Path(args.checkpoint or f"{path}.pinbridge-checkpoint"),
        batch_size=args.batch_size or settings.delivery.batch_max_events,
        dry_run=args.dry_run,
        received_at=args.received_at,
        known_paths=known_paths(destination.mapper.options)
        if input_format == "csv"
        else frozenset(),
    )


def _failed_out_path(args: argparse.Namespace, path: Path) -> Path | None:
    """A dry run writes the invalid events only where ``--failed-out`` says: its default
    file could be the one a real run of the same input is still filling."""
    if args.no_failed_out:
        return None
    if args.failed_out:
        return Path(args.failed_out)
    return None if args.dry_run else Path(f"{path}.failed.ndjson")


async def _send(
    plan: SendPlan,
    settings: Settings,
    destination: DestinationSettings,
    reporter: ProgressReporter,
    *,
    test_mode: bool,
) -> SendSummary:
    import random
    from collections.abc import Sequence

    from pinbridge.delivery import EventOutcome, PinterestClient
    from pinbridge.delivery.retrying import deliver_with_retries
    from pinbridge.sending import run_send

    if plan.dry_run:
        return await run_send(plan, destination.mapper, None, reporter)
    pinterest, delivery = destination.pinterest, settings.delivery
    assert pinterest.access_token is not None and pinterest.ad_account_id is not None
    account = pinterest.ad_account_id
    rng = random.Random()
    client = PinterestClient(
        access_token=pinterest.access_token,
        base_url=pinterest.api_base_url,
        test_mode=test_mode or pinterest.test_mode,
        timeout=delivery.request_timeout_seconds,
    )
    async with client:

        async def deliver(events: Sequence[bytes]) -> list[EventOutcome]:
            return await deliver_with_retries(
                client,
                account,
                events,
                max_attempts=delivery.max_attempts,
                base=delivery.backoff_base_seconds,
                cap=delivery.backoff_max_seconds,
                rng=rng,
            )

        return await run_send(plan, destination.mapper, deliver, reporter)


def _print(summary: SendSummary, *, as_json: bool) -> None:
    if as_json:
        import orjson

        from pinbridge.sending import summary_as_dict

        sys.stdout.write(orjson.dumps(summary_as_dict(summary)).decode() + "\n")
        return
    from rich.console import Console

    from pinbridge.sending.report import print_summary

    print_summary(summary, Console())
