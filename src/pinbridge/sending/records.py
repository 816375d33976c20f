"""What the input readers hand on: one record per event in the input, and the opened input.

A record knows where it sits in the input (its positions, for the checkpoint; its line or
array index, for messages) and how far into the input it ends (bytes, for the progress
bar). A record that could not be read carries the reason instead of an event; ``send``
counts it ``invalid`` and ``transform`` prints it as an ``invalid`` result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["EventInput", "InputFormat", "InputRecord", "InputShape"]

InputFormat = Literal["ndjson", "csv"]
"""What ``--format`` chooses: ``ndjson`` means any JSON shape, told apart when reading."""

InputShape = Literal["ndjson", "json-array", "json", "csv"]
"""What the input turned out to be: ``json`` is one or more JSON documents over many lines."""


@dataclass(frozen=True, slots=True)
class InputRecord:
    """One event of the input, or the reason it could not be read.

    Positions count what the checkpoint counts: lines for NDJSON and CSV, events (the
    first is 1) for a JSON array or JSON documents. ``span_start`` is the first position
    after the previous record (so blank lines and the CSV header belong to the record that
    follows them); ``position`` is the record's own and ``position_end`` its last (a quoted
    CSV cell may span lines). ``end_offset`` is the number of bytes of the input read once
    the record is complete. ``line`` is the line where the record starts when known;
    ``index`` its index in a JSON array. ``event`` is the event as read (a JSON object, or
    the nested object built from a CSV row); when it is ``None``, ``error`` says why, naming
    the line or index but never the content, and ``text`` holds the raw text so the user
    gets it back in the failed-events file.
    """

    span_start: int
    position: int
    position_end: int
    end_offset: int
    event: dict[str, Any] | None
    error: str | None = None
    text: str | None = None
    line: int | None = None
    index: int | None = None

    def where(self) -> dict[str, int]:
        """Where the record is, for the failed-events file: ``{"index": 3}`` or ``{"line": 5}``."""
        if self.index is not None:
            return {"index": self.index}
        return {"line": self.line if self.line is not None else self.position}


@dataclass(frozen=True, slots=True)
class EventInput:
    """An input opened for reading.

    ``description`` is the one line that says how a JSON document was read (``reading a
    JSON array of 12 events from events.json``); ``None`` for NDJSON and CSV, whose shape
    is the usual one. ``unit`` names what the positions count (``lines`` or ``events``).
    ``columns`` are the CSV header's column names (empty for JSON).
    """

    shape: InputShape
    records: Iterator[InputRecord]
    description: str | None = None
    unit: Literal["lines", "events"] = "lines"
    columns: tuple[str, ...] = ()
