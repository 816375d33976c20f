"""Choose the reader for an input file and open it, with errors that say how to fix things."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pinbridge.errors import InputError
from pinbridge.sending.csv_input import read_csv
from pinbridge.sending.json_input import read_events
from pinbridge.sending.records import EventInput, InputFormat

__all__ = ["FORMATS", "detect_format", "open_input", "read_records"]

FORMATS = ("ndjson", "json", "csv")
"""What ``--format`` accepts; ``json`` is another name for ``ndjson`` (any JSON shape)."""


def detect_format(path: Path, explicit: str | None = None) -> InputFormat:
    """``explicit`` when given; else CSV for a ``.csv`` file and JSON for anything else.

    The JSON reader tells NDJSON, a JSON array and pretty-printed JSON apart by itself.
    """
    if explicit is not None:
        if explicit not in FORMATS:
            raise InputError(f"unknown input format {explicit!r}; use ndjson, json or csv")
        return "csv" if explicit == "csv" else "ndjson"
    return "csv" if path.suffix.lower() == ".csv" else "ndjson"


def open_input(path: Path) -> BinaryIO:
    """Open the input file for reading (binary); :class:`InputError` says what is wrong."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(f"input file {path} does not exist; check the path") from None
    except IsADirectoryError:
        raise InputError(f"input {path} is a directory; give the path of a file") from None
    except OSError as exc:
        raise InputError(f"cannot read input file {path}: {exc.strerror}") from None


@contextlib.contextmanager
def read_records(path: Path, input_format: InputFormat) -> Iterator[EventInput]:
    """Open ``path`` and yield the opened input (its shape and records); closes the file.

    Raises :class:`InputError` naming the file when it cannot be opened, when a CSV header
    is missing or bad, or when a JSON array or document is not valid JSON.
    """
    with open_input(path) as handle:
        if input_format == "ndjson":
            yield read_events(handle, str(path))
            return
        columns, records = read_csv(handle, str(path))
        yield EventInput("csv", records, columns=tuple(column.name for column in columns))
