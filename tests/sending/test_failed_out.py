"""The failed-events file: original events plus reasons, mode 0600, resumable."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import orjson

from pinbridge.sending.failed_out import FailedOut


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_entries_are_the_original_events_with_the_reason_in_front(tmp_path: Path) -> None:
    path = tmp_path / "failed.ndjson"
    out = FailedOut(path)
    event = {"event_name": "purchase", "_pinbridge": {"old": True}, "user": {"email": "j@x.org"}}
    out.write(where={"line": 3}, outcome="failed", reasons=["Invalid event_timestamp"], event=event)
    out.write(
        where={"line": 5},
        outcome="invalid",
        reasons=["line 5: not valid JSON"],
        event=None,
        text="{x",
    )
    assert out.sync() == path.stat().st_size
    out.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _lines(path) == [
        {
            "_pinbridge": {"line": 3, "outcome": "failed", "reasons": ["Invalid event_timestamp"]},
            "event_name": "purchase",
            "user": {"email": "j@x.org"},
        },
        {
            "_pinbridge": {
                "line": 5,
                "outcome": "invalid",
                "reasons": ["line 5: not valid JSON"],
                "input": "{x",
            }
        },
    ]
    assert next(iter(_lines(path)[0])) == "_pinbridge"


def test_a_run_without_failures_leaves_no_file_and_removes_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "failed.ndjson"
    path.write_text("old entries\n")
    out = FailedOut(path)
    out.close()
    assert not path.exists()
    assert not out.exists


def test_an_existing_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "failed.ndjson"
    path.write_text("")
    path.chmod(0o644)
    out = FailedOut(path, resume_at=0)
    out.write(where={"line": 1}, outcome="invalid", reasons=["x"], event={})
    out.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_resuming_drops_entries_written_after_the_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "failed.ndjson"
    first = FailedOut(path)
    first.write(where={"line": 1}, outcome="invalid", reasons=["a"], event={"n": 1})
    kept = first.sync()
    first.write(
        where={"line": 2}, outcome="invalid", reasons=["b"], event={"n": 2}
    )  # after the checkpoint
    first.close()
    resumed = FailedOut(path, resume_at=kept)
    resumed.write(where={"line": 2}, outcome="invalid", reasons=["b"], event={"n": 2})
    resumed.close()
    assert [entry["_pinbridge"]["line"] for entry in _lines(path)] == [1, 2]
