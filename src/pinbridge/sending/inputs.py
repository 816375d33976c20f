"""Choose the reader for an input file and open it, with errors that say how to fix things."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pinbridge.errors import InputError
from pinbridge.sending.csv_input import read_csv
from pinbridge.sending.ndjson_input import read_ndjson
from pinbridge.sending.records import InputFormat, InputRecord

__all__ = ["detect_format", "open_input", "read_records"]


def detect_format(path: Path, explicit: str | None = None) -> InputFormat:
    """``explicit`` when given; else CSV for a ``.csv`` file and NDJSON for anything else."""
    if explicit is not None:
        if explicit not in ("ndjson", "csv"):
            raise InputError(f"unknown input format {explicit!r}; use ndjson or csv")
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
def read_records(path: Path, input_format: InputFormat) -> Iterator[Iterator[InputRecord]]:
    """Open ``path`` and yield an iterator over its records; closes the file on exit.

    Raises :class:`InputError` naming the file when it cannot be opened, or (for CSV) when
    its header is missing or bad.
    """
    with open_input(path) as handle:
        if input_format == "ndjson":
            yield read_ndjson(handle)
            return
        records = read_csv(handle, str(path))
        first = next(records, None)  # reads and checks the header now, before any sending
        yield _chain(first, records)


def _chain(first: InputRecord | None, rest: Iterator[InputRecord]) -> Iterator[InputRecord]:
    if first is not None:
        yield first
        yield from rest
