"""The progress bar of ``pinbridge send`` (standard error) and its notices.

Progress is measured in bytes of the input file, which both formats know exactly without
a first pass over the file; the bar shows the events handled, their rate and the ETA.
It is drawn only when standard error is a terminal and ``--quiet`` is not given; notices
(a checkpoint ignored, a line that could not be read) are printed either way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["ProgressReporter", "progress_reporter"]


class _EventRateColumn(ProgressColumn):
    """``1,234 events  310/s``: events handled in this run and their rate."""

    def render(self, task: Task) -> Text:
        events = int(task.fields.get("events", 0))
        elapsed = task.elapsed or 0.0
        rate = events / elapsed if elapsed > 0 else 0.0
        return Text(f"{events:,} events  {rate:,.0f}/s", style="progress.data.speed")


class ProgressReporter:
    """Moves the bar and prints notices above it."""

    def __init__(self, progress: Progress, console: Console) -> None:
        self._progress = progress
        self._console = console
        self._task = progress.add_task("sending", total=None, events=0)

    def start(self, total_bytes: int, label: str) -> None:
        """Set the size of the input and the label left of the bar."""
        self._progress.update(self._task, total=max(total_bytes, 1), description=label)

    def update(self, offset: int, events: int) -> None:
        """``offset`` bytes of the input are read and ``events`` handled in this run."""
        self._progress.update(self._task, completed=offset, events=events)

    def note(self, message: str) -> None:
        """A line on standard error (above the bar when it is shown)."""
        self._console.print(message, markup=False, highlight=False, soft_wrap=True)


@contextlib.contextmanager
def progress_reporter(*, quiet: bool, console: Console | None = None) -> Iterator[ProgressReporter]:
    """A reporter whose bar is live while the block runs (when stderr is a terminal)."""
    console = console or Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        _EventRateColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
    )
    with progress:
        yield ProgressReporter(progress, console)
