"""The run loop of ``pinbridge send``: read, map, send in batches, checkpoint, tally.

Records are read in file order and mapped as they come. Mapped events gather into a batch
of at most ``batch_size``; filtered and invalid records are final at once. When a batch is
full (or the file ends) it is delivered through ``deliver`` (the Pinterest client with its
in-process retries), then, in this order: the failed-events file is fsynced, and the
checkpoint is replaced to mark every line of the batch with a final outcome. A crash
therefore loses at most the batch in flight, which a re-run sends again.

The run stops early when Pinterest refuses the account or token (every later batch would
be refused too), or when no event of a batch could be delivered once retries ran out
(Pinterest unreachable); the checkpoint lets the user resume after fixing the cause.

Ctrl-C cancels the run's task (``asyncio.run`` turns SIGINT into a cancellation at the next
``await``: a request in flight, or a pause the loop takes every few hundred events). The
records already final are then saved to the checkpoint, the batch in flight is left
unmarked (a re-run sends it again), and :class:`SendInterrupted` says how far it got.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import orjson

from pinbridge.delivery import (
    AccountRefused,
    EventOutcome,
    Processed,
    Rejected,
    Transient,
    first_refusal,
)
from pinbridge.delivery.client import MAX_BATCH_EVENTS
from pinbridge.mapping import Filtered, Invalid, MappingResult
from pinbridge.sending.checkpoint import Checkpoint, InputFingerprint, save_checkpoint
from pinbridge.sending.csv_fields import unknown_columns_note
from pinbridge.sending.failed_out import FailedOut
from pinbridge.sending.inputs import read_records
from pinbridge.sending.records import EventInput, InputRecord
from pinbridge.sending.session import (
    SendPlan,
    check_paths,
    open_checkpoint,
    open_failed_out,
)
from pinbridge.sending.summary import SendSummary

__all__ = ["Deliver", "EventMapper", "Reporter", "SendInterrupted", "run_send"]

Deliver = Callable[[Sequence[bytes]], Awaitable[Sequence[EventOutcome]]]
_MAX_CHUNK_RECORDS = 10_000  # checkpoint at least this often through long unsent stretches
_MAX_NOTICES = 10
_PROGRESS_EVERY = 256


class SendInterrupted(Exception):
    """The run was interrupted (Ctrl-C); the message says how far it got and how to resume."""


class EventMapper(Protocol):
    """What the run needs of :class:`pinbridge.mapping.Mapper`."""

    def map(self, raw: object, received_at: int) -> MappingResult: ...


class Reporter(Protocol):
    """What the run needs of :class:`pinbridge.sending.progress.ProgressReporter`."""

    def start(self, total_bytes: int, label: str) -> None: ...
    def update(self, offset: int, events: int) -> None: ...
    def note(self, message: str) -> None: ...


@dataclass(slots=True)
class _Pending:
    record: InputRecord
    event: dict[str, object]
    payload: bytes
    warnings: tuple[str, ...]


@dataclass(slots=True)
class _Chunk:
    pending: list[_Pending] = field(default_factory=list)
    final: list[InputRecord] = field(default_factory=list)


async def run_send(
    plan: SendPlan,
    mapper: EventMapper,
    deliver: Deliver | None,
    reporter: Reporter,
    *,
    clock: Callable[[], float] = time.time,
) -> SendSummary:
    """Send the file of ``plan``; ``deliver`` may be ``None`` only in a dry run.

    Raises :class:`~pinbridge.errors.InputError` when the input, the checkpoint or an output
    cannot be read or written, and :class:`SendInterrupted` when the run is cancelled
    (Ctrl-C); everything about single events goes in the summary.
    """
    if not 1 <= plan.batch_size <= MAX_BATCH_EVENTS:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_EVENTS}")
    if not plan.dry_run and deliver is None:
        raise ValueError("deliver is required unless this is a dry run")
    check_paths(plan)
    summary = SendSummary(plan.input_path, plan.input_format, plan.dry_run)
    with read_records(plan.input_path, plan.input_format) as opened:
        _describe(plan, opened, reporter)
        summary.input_format = opened.shape
        fingerprint = InputFingerprint.of(plan.input_path)
        checkpoint = open_checkpoint(plan, fingerprint, summary, reporter.note, opened.unit)
        if checkpoint is not None and checkpoint.complete:
            summary.already_complete = True
            if plan.failed_out_path is not None and plan.failed_out_path.exists():
                summary.failed_out = plan.failed_out_path
            return summary
        failed_out = open_failed_out(plan, checkpoint, reporter.note)
        if plan.received_at is not None:
            clock = _fixed_clock(plan.received_at)
        try:
            run = _Run(
                plan,
                summary,
                mapper=mapper,
                deliver=deliver,
                reporter=reporter,
                clock=clock,
                checkpoint=checkpoint,
                failed_out=failed_out,
            )
            reporter.start(fingerprint.size, plan.input_path.name)
            try:
                await run.consume(opened.records)
            except asyncio.CancelledError:
                raise SendInterrupted(run.interrupted(opened.unit)) from None
        finally:
            failed_out.close()
        if failed_out.exists:
            summary.failed_out = plan.failed_out_path
    return summary


def _fixed_clock(at: int) -> Callable[[], float]:
    return lambda: at


def _describe(plan: SendPlan, opened: EventInput, reporter: Reporter) -> None:
    """Say how a JSON document is read, and warn about CSV columns nothing reads."""
    if opened.description:
        reporter.note(f"pinbridge send: {opened.description}")
    if opened.columns and plan.known_paths:
        note = unknown_columns_note(str(plan.input_path), opened.columns, plan.known_paths)
        if note is not None:
            reporter.note(note)


class _Run:
    """The state of one run: the chunk being filled, the tallies, the stop reason."""

    def __init__(
        self,
        plan: SendPlan,
        summary: SendSummary,
        *,
        mapper: EventMapper,
        deliver: Deliver | None,
        reporter: Reporter,
        clock: Callable[[], float],
        checkpoint: Checkpoint | None,
        failed_out: FailedOut,
    ) -> None:
        self._plan = plan
        self._mapper = mapper
        self._deliver = deliver
        self._reporter = reporter
        self._clock = clock
        self._summary = summary
        self._checkpoint = checkpoint
        self._failed_out = failed_out
        self._chunk = _Chunk()
        self._handled = 0
        self._offset = 0
        self._unreadable = 0

    async def consume(self, records: Iterable[InputRecord]) -> None:
        """Handle every record (until a stop), then flush and settle the checkpoint."""
        done = self._checkpoint.done if self._checkpoint is not None else None
        for seen, record in enumerate(records, 1):
            self._offset = record.end_offset
            if done is not None and record.position in done:
                self._summary.skipped += 1
            else:
                self._handle(record)
                self._handled += 1
            if self._chunk_full():
                await self._flush()
                if self._summary.stopped:
                    break
            elif seen % _PROGRESS_EVERY == 0:
                self._reporter.update(self._offset, self._handled)
                await asyncio.sleep(0)  # lets Ctrl-C through when nothing else awaits
        else:
            await self._flush()
        if self._unreadable > _MAX_NOTICES:
            where = self._plan.failed_out_path
            self._reporter.note(
                f"pinbridge send: {self._unreadable - _MAX_NOTICES} more unreadable lines not "
                + (f"shown; all are in {where}" if where else "shown (add --failed-out PATH)")
            )
        self._finish_checkpoint()

    def _chunk_full(self) -> bool:
        chunk = self._chunk
        return (
            len(chunk.pending) >= self._plan.batch_size
            or len(chunk.pending) + len(chunk.final) >= _MAX_CHUNK_RECORDS
        )

    def _handle(self, record: InputRecord) -> None:
        summary = self._summary
        if record.event is None:
            error = record.error or "unreadable"
            self._unreadable += 1
            if self._unreadable <= _MAX_NOTICES:
                self._reporter.note(
                    f"pinbridge send: {self._plan.input_path} {error} "
                    "(counted invalid; the run goes on)"
                )
            self._invalid(record, [error], record.text)
            summary.invalid.add([_without_line(error)])
            return
        result = self._mapper.map(record.event, int(self._clock()))
        if isinstance(result, Filtered):
            summary.filtered.add([result.reason])
            self._chunk.final.append(record)
        elif isinstance(result, Invalid):
            summary.invalid.add(result.errors)
            self._invalid(record, result.errors)
        elif self._plan.dry_run:
            summary.mapped.add(result.warnings)
            self._chunk.final.append(record)
        else:
            payload = orjson.dumps(result.event)
            self._chunk.pending.append(_Pending(record, record.event, payload, result.warnings))

    def _invalid(
        self, record: InputRecord, reasons: Sequence[str], text: str | None = None
    ) -> None:
        self._failed_out.write(
            where=record.where(),
            outcome="invalid",
            reasons=reasons,
            event=record.event,
            text=text,
        )
        self._chunk.final.append(record)

    async def _flush(self) -> None:
        chunk = self._chunk  # kept until saved, so that an interruption can still save it
        if chunk.pending:
            assert self._deliver is not None
            outcomes = await self._deliver([item.payload for item in chunk.pending])
            if len(outcomes) != len(chunk.pending):
                raise RuntimeError(
                    f"the client answered {len(outcomes)} outcomes for {len(chunk.pending)} events"
                )
            for item, outcome in zip(chunk.pending, outcomes, strict=True):
                if self._settle(item, outcome):
                    chunk.final.append(item.record)
            self._check_stop(outcomes)
        self._chunk = _Chunk()
        self._save(chunk.final)
        self._reporter.update(self._offset, self._handled)

    def interrupted(self, unit: str) -> str:
        """Save what is final (not the batch in flight) and say how far the run got."""
        self._save(self._chunk.final)
        self._chunk = _Chunk()
        if self._checkpoint is None:
            return f"interrupted after {self._handled:,} events (a dry run: nothing was sent)"
        return (
            f"interrupted after {len(self._checkpoint.done):,} {unit}; checkpoint saved; "
            "run the same command to resume"
        )

    def _settle(self, item: _Pending, outcome: EventOutcome) -> bool:
        """Count one delivery outcome; true when it is final (the line is done)."""
        summary = self._summary
        if isinstance(outcome, Processed):
            warnings = [*item.warnings, *([outcome.warning] if outcome.warning else [])]
            summary.processed.add(warnings)
            summary.with_warnings += bool(warnings)
            return True
        if isinstance(outcome, Rejected):
            summary.failed.add([outcome.message])
            self._failed_out.write(
                where=item.record.where(),
                outcome="failed",
                reasons=[outcome.message],
                event=item.event,
            )
            return True
        if isinstance(outcome, Transient):
            reason = outcome.reason
            if outcome.ambiguous:
                reason += " (Pinterest may have processed it; it deduplicates by event_id)"
            summary.not_delivered.add([reason])
        else:
            summary.not_delivered.add([_refused(outcome)])
        return False

    def _check_stop(self, outcomes: Sequence[EventOutcome]) -> None:
        refused = first_refusal(outcomes)
        if refused is not None:
            self._summary.stopped = (
                f"{_refused(refused)}. Check [pinterest] ad_account_id and access_token (or "
                "PINBRIDGE_AD_ACCOUNT_ID / PINBRIDGE_ACCESS_TOKEN), then run the same command "
                "again: the checkpoint resumes where this run stopped."
            )
        elif all(isinstance(o, Transient) for o in outcomes):
            reasons = sorted({o.reason for o in outcomes if isinstance(o, Transient)})
            self._summary.stopped = (
                "no event of the last batch could be delivered before retries ran out "
                f"({'; '.join(reasons)}). Run the same command again later: the checkpoint "
                "resumes where this run stopped."
            )

    def _save(self, final: Sequence[InputRecord]) -> None:
        """Make the chunk's outcomes durable: failed-events file first, then the checkpoint."""
        size = self._failed_out.sync()
        if self._checkpoint is None:
            return
        for record in final:
            self._checkpoint.done.add(record.span_start, record.position_end)
        self._checkpoint.totals = self._summary.totals()
        self._checkpoint.failed_out_bytes = size
        assert self._plan.checkpoint_path is not None
        save_checkpoint(self._plan.checkpoint_path, self._checkpoint)

    def _finish_checkpoint(self) -> None:
        if self._checkpoint is None:
            return
        if not self._summary.stopped and not self._summary.not_delivered.events:
            self._checkpoint.complete = True
            self._summary.checkpoint_complete = True
            self._save(())


def _refused(outcome: AccountRefused) -> str:
    return (
        "Pinterest refused the ad account or access token "
        f"(HTTP {outcome.status}: {outcome.message})"
    )


def _without_line(error: str) -> str:
    """``line 12: not valid JSON (...)`` or ``[3]: expected ...`` -> the rest, to group by
    reason."""
    head, separator, rest = error.partition(": ")
    where = head.startswith("line ") or (head.startswith("[") and head.endswith("]"))
    return rest if separator and where else error
