"""Where a ``pinbridge send`` run starts: the plan, its outputs checked, and the checkpoint
and failed-events file opened either fresh or where an earlier run left them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pinbridge.delivery.client import MAX_BATCH_EVENTS
from pinbridge.errors import InputError
from pinbridge.sending.checkpoint import (
    Checkpoint,
    InputFingerprint,
    load_checkpoint,
    path_digest,
)
from pinbridge.sending.failed_out import FailedOut
from pinbridge.sending.records import InputFormat
from pinbridge.sending.summary import SendSummary

__all__ = ["SendPlan", "check_paths", "open_checkpoint", "open_failed_out"]


@dataclass(frozen=True, slots=True)
class SendPlan:
    """What to send and where the outputs go.

    ``checkpoint_path`` is ``None`` in a dry run (nothing is delivered, so there is no
    progress to keep). ``failed_out_path`` is ``None`` when no failed-events file is wanted
    (``--no-failed-out``, or a dry run without ``--failed-out``). ``received_at`` (Unix
    seconds) is the receive time every event is mapped with; ``None``: the clock, read for
    each event. ``known_paths`` are the event paths the mapping reads (items as
    ``items.X.id``): CSV columns outside them get one warning; empty: no check.
    """

    input_path: Path
    input_format: InputFormat
    failed_out_path: Path | None
    checkpoint_path: Path | None
    batch_size: int = MAX_BATCH_EVENTS
    dry_run: bool = False
    received_at: int | None = None
    known_paths: frozenset[str] = frozenset()


def check_paths(plan: SendPlan) -> None:
    """Refuse outputs that would overwrite the input (or each other)."""
    source = plan.input_path.resolve()
    outputs = {
        "--checkpoint": plan.checkpoint_path,
        "--failed-out": plan.failed_out_path,
    }
    for option, path in outputs.items():
        if path is not None and path.resolve() == source:
            raise InputError(f"{option} {path} is the input file itself; choose another path")
    checkpoint, failed_out = plan.checkpoint_path, plan.failed_out_path
    if checkpoint and failed_out and checkpoint.resolve() == failed_out.resolve():
        raise InputError("--checkpoint and --failed-out must be different files")


def open_checkpoint(
    plan: SendPlan,
    fingerprint: InputFingerprint,
    summary: SendSummary,
    note: Callable[[str], None],
    unit: str = "lines",
) -> Checkpoint | None:
    """The checkpoint to continue (or a fresh one); ``None`` in a dry run. ``unit`` is what
    the positions of the input count (``lines`` or ``events``).

    Fills the summary's ``checkpoint`` and ``earlier`` from it; ``note`` says why a
    checkpoint of another version of the input was ignored.
    """
    if plan.checkpoint_path is None:
        return None
    summary.checkpoint = plan.checkpoint_path
    saved, why_not = load_checkpoint(plan.checkpoint_path, fingerprint, unit)
    if why_not:
        note(f"pinbridge send: {why_not}")
    if saved is None:
        path = plan.failed_out_path
        digest = path_digest(path) if path else ""
        return Checkpoint(fingerprint, failed_out_digest=digest, unit=unit)
    summary.earlier = dict(saved.totals)
    summary.checkpoint_complete = saved.complete
    return saved


def open_failed_out(
    plan: SendPlan, checkpoint: Checkpoint | None, note: Callable[[str], None]
) -> FailedOut:
    """The failed-events file: fresh, or, when resuming, cut back to what the checkpoint
    accounts for (entries written after the last checkpoint are written again)."""
    path = plan.failed_out_path
    if path is None or checkpoint is None or not checkpoint.done:
        return FailedOut(path)
    if checkpoint.failed_out_digest != path_digest(path):
        earlier = (
            "were not kept (--no-failed-out)"
            if not checkpoint.failed_out_digest
            else "are in the file given with --failed-out then"
        )
        note(
            f"pinbridge send: the failed events of earlier runs {earlier}; "
            f"this run writes its own to {path}"
        )
        checkpoint.failed_out_digest = path_digest(path)
        checkpoint.failed_out_bytes = 0
        return FailedOut(path)
    present = path.stat().st_size if path.exists() else 0
    if present < checkpoint.failed_out_bytes:
        note(
            f"pinbridge send: {path} is shorter than the checkpoint expects (moved or edited?); "
            "failed events of earlier runs may be missing from it"
        )
        return FailedOut(path, resume_at=present)
    return FailedOut(path, resume_at=checkpoint.failed_out_bytes)
