"""The checkpoint: line sets, atomic saves, the input fingerprint, no personal data."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from pinbridge.errors import InputError
from pinbridge.sending.checkpoint import (
    Checkpoint,
    InputFingerprint,
    load_checkpoint,
    save_checkpoint,
)
from pinbridge.sending.linesets import LineSet


def test_line_sets_merge_ranges_in_any_order() -> None:
    lines = LineSet()
    for first, last in [(1, 3), (7, 7), (4, 5), (10, 12), (9, 9), (20, 25), (8, 8)]:
        lines.add(first, last)
    assert lines.ranges() == [(1, 5), (7, 12), (20, 25)]
    assert 5 in lines and 6 not in lines and 0 not in lines and 26 not in lines
    assert len(lines) == 5 + 6 + 6
    lines.add(2, 22)
    assert lines.ranges() == [(1, 25)]
    with pytest.raises(ValueError, match="empty line range"):
        lines.add(5, 4)


def test_a_saved_checkpoint_loads_back_for_the_same_input(tmp_path: Path) -> None:
    source = tmp_path / "events.ndjson"
    source.write_text('{"user": {"email": "jane@example.com"}}\n' * 3)
    fingerprint = InputFingerprint.of(source)
    checkpoint = Checkpoint(fingerprint, LineSet([(1, 2)]), {"processed": 2}, "d" * 64, 10)
    path = tmp_path / "events.ndjson.pinbridge-checkpoint"
    save_checkpoint(path, checkpoint)
    loaded, why_not = load_checkpoint(path, InputFingerprint.of(source))
    assert why_not == ""
    assert loaded is not None
    assert loaded.done.ranges() == [(1, 2)]
    assert (loaded.totals, loaded.failed_out_bytes, loaded.complete) == (
        {"processed": 2},
        10,
        False,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, source.name])
    text = path.read_text()
    assert "jane" not in text and "example.com" not in text and "events.ndjson" not in text


def test_a_checkpoint_of_another_file_version_is_ignored_with_the_reason(tmp_path: Path) -> None:
    source = tmp_path / "events.ndjson"
    source.write_text('{"event_name": "purchase"}\n')
    path = tmp_path / "cp"
    save_checkpoint(path, Checkpoint(InputFingerprint.of(source), LineSet([(1, 1)])))
    source.write_text('{"event_name": "checkout"}\n')  # same size, other bytes
    os.utime(source, ns=(1, 1))
    loaded, why_not = load_checkpoint(path, InputFingerprint.of(source))
    assert loaded is None
    assert why_not == (
        f"checkpoint {path} was written for another version of the input (its modification "
        "time, first 64 KiB differ); ignoring it and starting from the first line"
    )


def test_no_checkpoint_is_no_reason(tmp_path: Path) -> None:
    fingerprint = InputFingerprint(0, 0, "")
    assert load_checkpoint(tmp_path / "absent", fingerprint) == (None, "")


@pytest.mark.parametrize(
    "content", [b"not json", b"{}", orjson.dumps({"kind": "other", "version": 1})]
)
def test_a_file_that_is_not_a_checkpoint_stops_the_run(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "cp"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"is not a pinbridge send checkpoint .* delete it"):
        load_checkpoint(path, InputFingerprint(0, 0, ""))


def test_an_unwritable_checkpoint_place_says_how_to_fix_it(tmp_path: Path) -> None:
    checkpoint = Checkpoint(InputFingerprint(0, 0, ""))
    with pytest.raises(InputError, match=r"cannot write checkpoint .* with --checkpoint"):
        save_checkpoint(tmp_path / "missing-dir" / "cp", checkpoint)


def test_a_checkpoint_that_counts_otherwise_is_ignored_with_the_reason(tmp_path: Path) -> None:
    source = tmp_path / "events.json"
    source.write_text('[{"event_name": "purchase"}]\n')
    fingerprint = InputFingerprint.of(source)
    path = tmp_path / "cp"
    save_checkpoint(path, Checkpoint(fingerprint, LineSet([(1, 1)]), complete=True))
    document = orjson.loads(path.read_bytes())
    del document["unit"]  # as pinbridge wrote it before it counted events
    path.write_bytes(orjson.dumps(document))

    assert load_checkpoint(path, fingerprint)[0] is not None  # no unit: lines
    loaded, why_not = load_checkpoint(path, fingerprint, "events")

    assert loaded is None
    assert why_not == (
        f"checkpoint {path} counts lines of the input, which is now read as events (written "
        "by an older pinbridge?); ignoring it and starting from the first event"
    )
    save_checkpoint(path, Checkpoint(fingerprint, LineSet([(1, 1)]), unit="events"))
    loaded, why_not = load_checkpoint(path, fingerprint, "events")
    assert (loaded is not None, why_not) == (True, "")
