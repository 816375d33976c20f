"""What a ``pinbridge send`` run did: counts and reasons per outcome, and the exit status.

Outcomes of one input record, exactly one each:

``processed``      Pinterest processed the event (``warnings`` counts those with a warning)
``failed``         Pinterest rejected the event; it is in the failed-events file
``filtered``       the mapping left it out on purpose (unmapped name, disabled, no consent)
``invalid``        unreadable, or the mapping found it unusable; in the failed-events file
``not_delivered``  no final answer (retries ran out, or the token was refused); a re-run
                   with the checkpoint sends it again
``mapped``         dry run only: would have been sent

Reasons name fields and Pinterest's messages, never event values. Numbers in them that
could be personal data or that differ from event to event (phone numbers, the timestamps
Pinterest quotes: seven digits or more) are shown as ``<n>``, so that nothing personal is
printed and alike reasons group together; the failed-events file keeps each message whole.
Numbers that belong to the words (``ISO-8601``, ``code 4196``) stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pinbridge.logs import mask_numbers

__all__ = ["SendSummary", "Tally", "exit_status", "summary_as_dict"]

EXIT_OK = 0
EXIT_SOME_NOT_SENT = 1


@dataclass(slots=True)
class Tally:
    """Events of one outcome, and how often each reason was given."""

    events: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def add(self, reasons: Iterable[str] = ()) -> None:
        """Count one event with its reasons (an event may give several)."""
        self.events += 1
        self.reasons.update(mask_numbers(reason, "<n>") for reason in reasons)


@dataclass(slots=True)
class SendSummary:
    """The whole run; ``earlier`` holds final-outcome totals of runs this one resumed."""

    input_path: Path
    input_format: str
    dry_run: bool
    processed: Tally = field(default_factory=Tally)
    with_warnings: int = 0
    failed: Tally = field(default_factory=Tally)
    filtered: Tally = field(default_factory=Tally)
    invalid: Tally = field(default_factory=Tally)
    not_delivered: Tally = field(default_factory=Tally)
    mapped: Tally = field(default_factory=Tally)
    skipped: int = 0
    earlier: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None
    already_complete: bool = False
    failed_out: Path | None = None
    checkpoint: Path | None = None
    checkpoint_complete: bool = False

    def totals(self) -> dict[str, int]:
        """Final-outcome counts over this run and the runs it resumed (for the checkpoint)."""
        mine = {
            "processed": self.processed.events,
            "processed_with_warnings": self.with_warnings,
            "failed": self.failed.events,
            "filtered": self.filtered.events,
            "invalid": self.invalid.events,
        }
        return {key: self.earlier.get(key, 0) + value for key, value in mine.items()}


def exit_status(summary: SendSummary) -> int:
    """0 when every event was processed or filtered (or, in a dry run, mapped or filtered);
    1 when any event failed, was invalid or was not delivered, in this run or a resumed one."""
    totals = summary.totals()
    trouble = totals["failed"] + totals["invalid"] + summary.not_delivered.events
    return EXIT_SOME_NOT_SENT if trouble or summary.stopped else EXIT_OK


def summary_as_dict(summary: SendSummary) -> dict[str, Any]:
    """The summary as JSON-ready data (``pinbridge send --json``)."""
    outcomes = {
        "processed": summary.processed,
        "failed": summary.failed,
        "filtered": summary.filtered,
        "invalid": summary.invalid,
        "not_delivered": summary.not_delivered,
    }
    if summary.dry_run:
        outcomes = {
            "mapped": summary.mapped,
            "filtered": summary.filtered,
            "invalid": summary.invalid,
        }
    return {
        "file": str(summary.input_path),
        "format": summary.input_format,
        "dry_run": summary.dry_run,
        "counts": {name: tally.events for name, tally in outcomes.items()},
        "processed_with_warnings": summary.with_warnings,
        "reasons": {name: dict(tally.reasons.most_common()) for name, tally in outcomes.items()},
        "skipped_from_checkpoint": summary.skipped,
        "earlier_runs": summary.earlier,
        "already_complete": summary.already_complete,
        "stopped": summary.stopped,
        "failed_out": None if summary.failed_out is None else str(summary.failed_out),
        "checkpoint": None if summary.checkpoint is None else str(summary.checkpoint),
        "checkpoint_complete": summary.checkpoint_complete,
        "exit_status": exit_status(summary),
    }
