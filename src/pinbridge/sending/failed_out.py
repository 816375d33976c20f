"""The failed-events file: the user's own input events that were not sent, with the reason.

Each line is the original input event (for CSV, the nested event built from the row) with
one key added in front, ``_pinbridge``: ``{"line": N, "outcome": "failed" | "invalid",
"reasons": [...]}`` (``"index": N`` instead of ``"line"`` for an element of a JSON
array). The mapper ignores that key, so the user can fix the events in place and send the
file again. A line that could not be read at all is kept as text under
``_pinbridge.input``.

The file holds the user's input as given, which may include clear-text personal data, so
it is created with mode 0600 and only ever written where the user asked (or next to the
input). It is created on the first entry: a run without failures leaves no file. With no
path (a dry run without ``--failed-out``) nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

import orjson

from pinbridge.errors import InputError

__all__ = ["FailedOut"]

_MODE = 0o600


class FailedOut:
    """Appends entries to the failed-events file; :meth:`sync` makes them durable."""

    def __init__(self, path: Path | None, *, resume_at: int | None = None) -> None:
        """Start a fresh file at ``path`` (an old one is removed), or, with ``resume_at``,
        keep its first ``resume_at`` bytes (what the checkpoint accounts for) and append."""
        self.path = path
        self._handle: BinaryIO | None = None
        self._size = 0
        if path is None:
            return
        try:
            if resume_at is None:
                path.unlink(missing_ok=True)
            elif path.exists():
                self._open()
                assert self._handle is not None
                os.ftruncate(self._handle.fileno(), resume_at)
                self._size = resume_at
        except OSError as exc:
            raise self._error(exc) from None

    @property
    def exists(self) -> bool:
        """Whether the file holds anything (from this run or the earlier ones it resumes)."""
        return self._size > 0

    def write(
        self,
        *,
        where: Mapping[str, int],
        outcome: Literal["failed", "invalid"],
        reasons: Sequence[str],
        event: dict[str, Any] | None,
        text: str | None = None,
    ) -> None:
        """Add one entry: the event (or the unreadable ``text``) with why it was not sent;
        ``where`` is ``{"line": N}`` or ``{"index": N}``."""
        if self.path is None:
            return
        info: dict[str, Any] = {**where, "outcome": outcome, "reasons": list(reasons)}
        if event is None:
            info["input"] = text or ""
            entry: dict[str, Any] = {"_pinbridge": info}
        else:
            entry = {"_pinbridge": info, **{k: v for k, v in event.items() if k != "_pinbridge"}}
        data = orjson.dumps(entry) + b"\n"
        try:
            if self._handle is None:
                self._open()
            assert self._handle is not None
            self._handle.write(data)
        except OSError as exc:
            raise self._error(exc) from None
        self._size += len(data)

    def sync(self) -> int:
        """Flush and fsync what was written; returns the file's size in bytes."""
        if self._handle is not None:
            try:
                self._handle.flush()
                os.fsync(self._handle.fileno())
            except OSError as exc:
                raise self._error(exc) from None
        return self._size

    def close(self) -> None:
        """Sync and close the file, if it was opened."""
        if self._handle is not None:
            self.sync()
            self._handle.close()
            self._handle = None

    def _open(self) -> None:
        assert self.path is not None
        descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, _MODE)
        os.fchmod(descriptor, _MODE)  # an older file may have been readable by others
        self._handle = os.fdopen(descriptor, "ab")
        self._size = os.fstat(descriptor).st_size

    def _error(self, exc: OSError) -> InputError:
        return InputError(
            f"cannot write the failed-events file {self.path}: {exc.strerror}; "
            "choose a writable place with --failed-out"
        )
