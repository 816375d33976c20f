"""The resumable checkpoint of ``pinbridge send``: which input lines have a final outcome.

The checkpoint is a small JSON file holding only numbers and digests, never event content:
the input's fingerprint, the line ranges whose outcome is final (processed, failed, filtered
or invalid), running totals per outcome, and where the failed-events file stood. It is
replaced atomically (temporary file, fsync, rename, fsync of the directory) after every
batch, so a crash leaves either the previous checkpoint or the new one.

The fingerprint ties it to one version of the input: the file's size, its modification
time (nanoseconds) and the SHA-256 of its first 64 KiB must all match, otherwise the
checkpoint is ignored (and a notice says why) and the file is sent from the start. The
checkpoint also says what its positions count (``lines``, or ``events`` for a JSON array or
JSON over several lines; a checkpoint without it counts lines): one that counts otherwise
than the input is read now (a version of pinbridge that read the same file as NDJSON) is
ignored the same way, since its numbers would skip the wrong events.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from pinbridge.errors import InputError
from pinbridge.sending.linesets import LineSet

__all__ = [
    "HEAD_BYTES",
    "Checkpoint",
    "InputFingerprint",
    "load_checkpoint",
    "path_digest",
    "save_checkpoint",
]

HEAD_BYTES = 64 * 1024
_KIND = "pinbridge-send-checkpoint"
_VERSION = 1


@dataclass(frozen=True, slots=True)
class InputFingerprint:
    """What identifies one version of the input file."""

    size: int
    mtime_ns: int
    head_sha256: str

    @classmethod
    def of(cls, path: Path) -> InputFingerprint:
        """Fingerprint ``path``; raises :class:`InputError` when it cannot be read."""
        try:
            with path.open("rb") as handle:
                status = os.fstat(handle.fileno())
                head = handle.read(HEAD_BYTES)
        except OSError as exc:
            raise InputError(f"cannot read input file {path}: {exc.strerror}") from None
        return cls(status.st_size, status.st_mtime_ns, hashlib.sha256(head).hexdigest())

    def differences(self, other: InputFingerprint) -> list[str]:
        """What differs from ``other``, in words (empty when they match)."""
        found = []
        if self.size != other.size:
            found.append("size")
        if self.mtime_ns != other.mtime_ns:
            found.append("modification time")
        if self.head_sha256 != other.head_sha256:
            found.append("first 64 KiB")
        return found


@dataclass(slots=True)
class Checkpoint:
    """Progress through one input file; ``totals`` count final outcomes so far, by kind."""

    fingerprint: InputFingerprint
    done: LineSet = field(default_factory=LineSet)
    totals: dict[str, int] = field(default_factory=dict)
    failed_out_digest: str = ""
    failed_out_bytes: int = 0
    complete: bool = False
    unit: str = "lines"


def path_digest(path: Path) -> str:
    """A digest of a file's absolute path: says "same file" without storing the path."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()


def load_checkpoint(
    path: Path, fingerprint: InputFingerprint, unit: str = "lines"
) -> tuple[Checkpoint | None, str]:
    """The checkpoint at ``path`` if it belongs to this input, read in positions of ``unit``,
    else ``None`` and why not.

    The reason is empty when there simply is no checkpoint. A file that is not a pinbridge
    checkpoint raises :class:`InputError`: skipping lines on a guess is worse than stopping.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        raise InputError(f"cannot read checkpoint {path}: {exc.strerror}") from None
    try:
        saved = _parse(orjson.loads(raw))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise InputError(
            f"{path} is not a pinbridge send checkpoint (or is damaged); delete it to send the "
            "file from the start, or give another path with --checkpoint"
        ) from None
    differences = saved.fingerprint.differences(fingerprint)
    if differences:
        return None, (
            f"checkpoint {path} was written for another version of the input "
            f"(its {', '.join(differences)} differ); ignoring it and starting from the first line"
        )
    if saved.unit != unit:
        return None, (
            f"checkpoint {path} counts {saved.unit} of the input, which is now read as {unit} "
            f"(written by an older pinbridge?); ignoring it and starting from the first {unit[:-1]}"
        )
    return saved, ""


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint at ``path`` atomically and durably."""
    document = {
        "kind": _KIND,
        "version": _VERSION,
        "input": {
            "size": checkpoint.fingerprint.size,
            "mtime_ns": checkpoint.fingerprint.mtime_ns,
            "head_sha256": checkpoint.fingerprint.head_sha256,
        },
        "done_lines": checkpoint.done.ranges(),
        "totals": checkpoint.totals,
        "failed_out": {
            "path_sha256": checkpoint.failed_out_digest,
            "bytes": checkpoint.failed_out_bytes,
        },
        "complete": checkpoint.complete,
        "unit": checkpoint.unit,
    }
    data = orjson.dumps(document) + b"\n"
    directory = path.parent
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(directory)
    except OSError as exc:
        raise InputError(
            f"cannot write checkpoint {path}: {exc.strerror}; "
            "choose a writable place with --checkpoint"
        ) from None


def _parse(document: Any) -> Checkpoint:
    if document["kind"] != _KIND or document["version"] != _VERSION:
        raise ValueError("not a checkpoint of this version")
    source = document["input"]
    fingerprint = InputFingerprint(
        int(source["size"]), int(source["mtime_ns"]), str(source["head_sha256"])
    )
    done = LineSet((int(first), int(last)) for first, last in document["done_lines"])
    totals = {str(key): int(value) for key, value in document["totals"].items()}
    failed_out = document["failed_out"]
    return Checkpoint(
        fingerprint,
        done,
        totals,
        str(failed_out["path_sha256"]),
        int(failed_out["bytes"]),
        bool(document["complete"]),
        str(document.get("unit", "lines")),
    )


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
