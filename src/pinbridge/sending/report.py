"""Print the summary of a ``pinbridge send`` run as rich tables (standard output)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from pinbridge.sending.summary import SendSummary, Tally, exit_status

__all__ = ["print_summary"]

_MAX_REASONS = 10
_LABELS = {
    "processed": "processed",
    "failed": "failed (rejected by Pinterest)",
    "filtered": "filtered (not sent on purpose)",
    "invalid": "invalid (not sent)",
    "not_delivered": "not delivered (send again)",
    "mapped": "mapped (would be sent)",
}


def print_summary(summary: SendSummary, console: Console) -> None:
    """Counts per outcome, the most frequent reasons, and where the outputs are."""
    resumed = bool(summary.earlier)
    table = Table(title=_title(summary), title_justify="left")
    table.add_column("outcome")
    table.add_column("events", justify="right")
    if resumed:
        table.add_column("earlier runs", justify="right")
    table.add_column("notes")
    for name, tally in _outcomes(summary):
        row = [_LABELS[name], str(tally.events)]
        if resumed:
            row.append(str(summary.earlier.get(name, 0)) if name in summary.earlier else "")
        row.append(_note(summary, name))
        table.add_row(*row)
    console.print(table)
    reasons = _reasons_table(summary)
    if reasons is not None:
        console.print(reasons)
    for line in _footer(summary):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _title(summary: SendSummary) -> str:
    title = f"pinbridge send {summary.input_path.name} ({summary.input_format})"
    return f"{title}: dry run, nothing sent" if summary.dry_run else title


def _outcomes(summary: SendSummary) -> list[tuple[str, Tally]]:
    if summary.dry_run:
        return [
            ("mapped", summary.mapped),
            ("filtered", summary.filtered),
            ("invalid", summary.invalid),
        ]
    return [
        ("processed", summary.processed),
        ("failed", summary.failed),
        ("filtered", summary.filtered),
        ("invalid", summary.invalid),
        ("not_delivered", summary.not_delivered),
    ]


def _note(summary: SendSummary, name: str) -> str:
    if name == "processed":
        return f"{summary.with_warnings} with warnings"
    if name == "mapped":
        return f"{summary.mapped.reasons.total()} warnings"
    return ""


def _reasons_table(summary: SendSummary) -> Table | None:
    table = Table(title="reasons (this run)", title_justify="left")
    table.add_column("outcome")
    table.add_column("reason")
    table.add_column("count", justify="right")
    for name, tally in _outcomes(summary):
        label = "warning" if name in ("processed", "mapped") else name.replace("_", " ")
        common = tally.reasons.most_common()
        for reason, count in common[:_MAX_REASONS]:
            table.add_row(label, reason, str(count))
        if len(common) > _MAX_REASONS:
            rest = sum(count for _, count in common[_MAX_REASONS:])
            table.add_row(label, f"... {len(common) - _MAX_REASONS} more reasons", str(rest))
    return table if table.row_count else None


def _footer(summary: SendSummary) -> list[str]:
    lines = []
    if summary.already_complete:
        lines.append(
            f"Nothing to do: the checkpoint {summary.checkpoint} says this file was already "
            "sent completely. Delete the checkpoint to send the file again."
        )
    elif summary.skipped:
        lines.append(f"Skipped {summary.skipped} events already handled by an earlier run.")
    if summary.stopped:
        lines.append(f"Stopped early: {summary.stopped}")
    if summary.failed_out is not None:
        lines.append(
            f"Failed and invalid events, as you gave them, with the reasons: {summary.failed_out} "
            "(may contain personal data from your input; delete it once fixed)."
        )
    if summary.checkpoint is not None and not summary.already_complete:
        if summary.checkpoint_complete:
            lines.append(f"Checkpoint {summary.checkpoint}: complete (a re-run sends nothing).")
        else:
            lines.append(
                f"Checkpoint {summary.checkpoint}: incomplete; run the same command again "
                "to send what was not delivered."
            )
    lines.append(f"Exit status {exit_status(summary)}.")
    return lines
