"""The queue's disk fills up while events arrive (SQLite on a small tmpfs): ingest answers
507 "the queue's disk is full" and stores nothing of those requests; once space is freed
it takes events again, and every event accepted before, during and after is delivered."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.scenario import ScenarioRun, eventually
from tests.support.tmpfs import small_tmpfs

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

DISK_FULL = (
    "the queue's disk was full: a worker had Pinterest's answer but could not record it "
    "(docs/delivery.md: when an event is sent a second time)"
)
_TMPFS_SIZE = "16m"
_FULL_FOR = 3.0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs mounted for the test; skips, saying why, when it cannot be."""
    with small_tmpfs(tmp_path / "disk", _TMPFS_SIZE) as disk:
        yield disk


def _fill(disk: Path) -> Path:
    """Write zeros until the disk is full; the filler file."""
    filler = disk / "filler"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as handle:  # unbuffered: closing has nothing to flush
        try:
            while True:
                handle.write(block)
        except OSError:
            pass
    return filler


def test_disk_full_answers_507_and_loses_nothing(
    small_disk: Path, tmp_path: Path, record_figures: Callable[[dict[str, Any]], None]
) -> None:
    queue_url = f"sqlite:///{small_disk / 'queue.db'}"
    with ScenarioRun(
        tmp_path, queue_url, scenario="disk full (SQLite on tmpfs)", backend="sqlite", seed=507
    ) as run:
        run.start_server()
        load = run.start_load(rate=100, batch=10, senders=2)
        load.wait_for_answers(3, since=0, timeout=60)
        with run.disruption(DISK_FULL, allowed=True):
            filler = _fill(small_disk)
            refused = eventually(lambda: load.progress().failures.total() >= 1, 60)
            time.sleep(_FULL_FOR)
        filler.unlink()
        run.wait_recovered()
        alive = run.server.process.poll() is None
        figures, problems = run.finish()
    record_figures({**figures, "tmpfs": _TMPFS_SIZE})
    assert not problems, problems
    assert refused, "ingest should refuse events while the disk is full"
    assert alive, "the server should survive a full disk"
    assert "disk is full" in load.log.messages.get("507", ""), load.log.messages
    assert set(figures["http_5xx"]) == {"507"}, "a full disk is a 507, nothing else"
