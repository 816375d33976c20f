"""What the input readers hand to the run loop: one record per event in the input file.

A record knows where it sits in the file (its lines, for the checkpoint and for error
messages) and how far into the file it ends (bytes, for the progress bar). A record that
could not be read carries the reason instead of an event; the run counts it ``invalid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["InputFormat", "InputRecord"]

InputFormat = Literal["ndjson", "csv"]


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One event of the input file, or the reason it could not be read.

    ``span_start`` is the first line after the previous record (so blank lines and the CSV
    header belong to the record that follows them); ``line`` is where the event itself starts
    and ``line_end`` where it ends (a quoted CSV cell may span lines). ``end_offset`` is the
    number of bytes of the file read once this record is complete. ``event`` is the event as
    read (a JSON object, or the nested object built from a CSV row); when it is ``None``,
    ``error`` says why, naming the line but never its content, and ``text`` holds the raw
    text so the user gets it back in the failed-events file.
    """

    span_start: int
    line: int
    line_end: int
    end_offset: int
    event: dict[str, Any] | None
    error: str | None = None
    text: str | None = None
