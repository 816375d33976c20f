"""Read a CSV file whose header row names event paths; one event per row.

The delimiter is taken from the header line (comma, semicolon or tab: whichever it uses
most; event paths contain none of them), so spreadsheet exports in either European or
US settings read alike. The file must be UTF-8 (a leading byte-order mark is fine).

A row that cannot be read (bytes that are not UTF-8, more cells than the header has
columns) becomes a record with an error and the run goes on; a bad header stops the run
with :class:`~pinbridge.errors.InputError`, since no row could be read correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from pinbridge.errors import InputError
from pinbridge.sending.csv_paths import Column, build_event, parse_header
from pinbridge.sending.records import InputRecord

__all__ = ["read_csv"]

_BOM = b"\xef\xbb\xbf"
_DELIMITERS = (",", ";", "\t")


class _LineFeed:
    """Lines of a binary file as text, counting lines and bytes and noting bad UTF-8."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self.lines = 0
        self.offset = 0
        self.bad_lines: list[int] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        raw = self._handle.readline()
        if not raw:
            raise StopIteration
        self.lines += 1
        self.offset += len(raw)
        if self.lines == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self.bad_lines.append(self.lines)
            return raw.decode("utf-8", errors="replace")


def read_csv(handle: BinaryIO, name: str) -> tuple[tuple[Column, ...], Iterator[InputRecord]]:
    """Read and check the header of ``handle`` (binary); ``name`` is for messages.

    Returns the columns and an iterator with one record per non-blank row. Raises
    :class:`InputError` at once when the header is missing or bad.
    """
    feed = _LineFeed(handle)
    header = next((text for text in feed if text.strip()), None)
    if header is None:
        raise InputError(
            f"{name} is empty: a CSV input starts with a header row of event paths, "
            "such as event_name,context.event_id,user.email,value"
        )
    where = f"{name} line {feed.lines}"
    if feed.bad_lines:
        raise InputError(f"{where}: the header is not valid UTF-8; save the file as UTF-8")
    delimiter = _delimiter(header)
    columns = parse_header(next(csv.reader([header], delimiter=delimiter)), where)
    return columns, _rows(feed, columns, delimiter)


def _rows(feed: _LineFeed, columns: Sequence[Column], delimiter: str) -> Iterator[InputRecord]:
    reader = csv.reader(feed, delimiter=delimiter)
    span_start = 1
    while True:
        start = feed.lines + 1
        bad_before = len(feed.bad_lines)
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if feed.lines < start:
                return
            problem = f"line {start}: cannot read this CSV row ({exc}); check its quotes"
            yield InputRecord(
                span_start, start, feed.lines, feed.offset, None, error=problem, line=start
            )
            span_start = feed.lines + 1
            continue
        if not any(cell.strip() for cell in row):
            continue
        error = _row_error(feed.bad_lines[bad_before:], start, row, columns, delimiter)
        if error is None:
            event = build_event(columns, row)
            yield InputRecord(span_start, start, feed.lines, feed.offset, event, line=start)
        else:
            text = _as_csv(row, delimiter)
            yield InputRecord(
                span_start, start, feed.lines, feed.offset, None, error, text, line=start
            )
        span_start = feed.lines + 1


def _row_error(
    bad_lines: Sequence[int],
    start: int,
    row: Sequence[str],
    columns: Sequence[Column],
    delimiter: str,
) -> str | None:
    if bad_lines:
        return f"line {bad_lines[0]}: not valid UTF-8; save the file as UTF-8"
    if len(row) > len(columns):
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        return (
            f"line {start}: the row has {len(row)} cells but the header has {len(columns)} "
            f"columns; put quotes around cells that contain the delimiter ({shown})"
        )
    return None


def _delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _as_csv(row: Sequence[str], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(row)
    return buffer.getvalue()
