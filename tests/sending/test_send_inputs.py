"""``pinbridge send`` on every JSON shape (NDJSON, a JSON array, pretty-printed JSON), with
the real CLI and the real simulator: what is sent, what is named, and resuming."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pinbridge.mapping import Mapper, MappingResult
from pinbridge.sending import SendPlan, run_send
from pinbridge.sending.checkpoint import Checkpoint, InputFingerprint, save_checkpoint
from pinbridge.sending.linesets import LineSet
from tests.sending.helpers import event, write_config
from tests.sending.helpers import run_send as run_send_cli
from tests.support.simulator import SimulatorProcess

Events = Sequence[dict[str, Any] | int | str]


def _ndjson(events: Events) -> str:
    return "".join(json.dumps(e) + "\n" for e in events)


def _array(events: Events) -> str:
    return json.dumps(list(events), indent=2) + "\n"


def _pretty(events: Events) -> str:
    return "".join(json.dumps(e, indent=2) + "\n" for e in events)


SHAPES: dict[str, Callable[[Events], str]] = {
    "ndjson": _ndjson,
    "json-array": _array,
    "json": _pretty,
}


def test_an_array_is_sent_and_a_bad_element_is_named_by_its_index(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    no_identity = {"event_name": "purchase", "context": {"event_id": "x-3"}}
    source = tmp_path / "events.json"
    source.write_text(_array([event("a-0"), event("a-1"), 42, no_identity, event("a-4")]))

    result = run_send_cli("--config", config, "--batch-size", "2", "--json", source)

    assert result.status == 1, result.stderr
    summary = result.summary()
    assert summary["format"] == "json-array"
    assert summary["counts"]["processed"] == 3
    assert summary["counts"]["invalid"] == 2
    assert simulator.stats()["accepted_event_ids"] == ["a-0", "a-1", "a-4"]
    assert f"pinbridge send: reading a JSON array of 5 events from {source}" in result.stderr
    assert f"{source} [2]: expected a JSON object (one Commanders Act event)" in result.stderr
    failed = [json.loads(line) for line in (tmp_path / "events.json.failed.ndjson").open()]
    assert [(e["_pinbridge"]["index"], e["_pinbridge"]["outcome"]) for e in failed] == [
        (2, "invalid"),
        (3, "invalid"),
    ]
    assert failed[0]["_pinbridge"]["input"] == "42"
    assert {k: v for k, v in failed[1].items() if k != "_pinbridge"} == no_identity
    assert summary["checkpoint_complete"] is True

    again = run_send_cli("--config", config, "--json", source)
    assert again.summary()["already_complete"] is True
    assert simulator.stats()["accepted_event_ids"] == ["a-0", "a-1", "a-4"]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_resumes_from_its_checkpoint(
    tmp_path: Path, simulator: SimulatorProcess, shape: str
) -> None:
    """The first run stops at its first batch (token refused); the re-run skips the one
    event that was final (filtered) and sends the six others."""
    events = [event("f-1", event_name="no_such_event"), *(event(f"r-{i}") for i in range(6))]
    source = tmp_path / "events.json"
    source.write_text(SHAPES[shape](events))
    wrong = write_config(tmp_path / "wrong.toml", simulator, token="revoked-token")

    refused = run_send_cli("--config", wrong, "--batch-size", "2", "--json", source)

    assert refused.status == 1
    assert refused.summary()["format"] == shape
    assert refused.summary()["counts"]["not_delivered"] == 2
    checkpoint = json.loads((tmp_path / "events.json.pinbridge-checkpoint").read_text())
    assert checkpoint["done_lines"] == [[1, 1]]  # the filtered event: line 1, or event 1

    right = write_config(tmp_path / "right.toml", simulator)
    resumed = run_send_cli("--config", right, "--batch-size", "2", "--json", source)

    assert resumed.status == 0, resumed.stderr
    assert resumed.summary()["skipped_from_checkpoint"] == 1
    assert resumed.summary()["counts"]["processed"] == 6
    assert simulator.stats()["accepted_event_ids"] == [f"r-{i}" for i in range(6)]


def test_an_empty_array_sends_nothing_and_succeeds(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = tmp_path / "events.json"
    source.write_text("[]\n")

    result = run_send_cli("--config", config, "--json", source)

    assert result.status == 0, result.stderr
    assert "reading an empty JSON array (no events)" in result.stderr
    assert set(result.summary()["counts"].values()) == {0}
    assert simulator.stats()["requests"]["200"] == 0


def test_a_pretty_printed_event_is_sent(tmp_path: Path, simulator: SimulatorProcess) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = tmp_path / "purchase.json"
    source.write_text(_pretty([event("p-1")]))

    result = run_send_cli("--config", config, "--json", source)

    assert result.status == 0, result.stderr
    assert "reading one JSON event spread over 12 lines" in result.stderr
    assert simulator.stats()["accepted_event_ids"] == ["p-1"]


def test_a_broken_array_stops_before_sending(tmp_path: Path, simulator: SimulatorProcess) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = tmp_path / "events.json"
    source.write_text('[\n  {"event_name": "purchase"},\n  {"event_name": "purchase",}\n]\n')

    result = run_send_cli("--config", config, source)

    assert result.status == 2
    assert result.stderr.startswith(
        f"pinbridge send: error: {source} starts with '[', so it is read as one JSON array of "
        "events, but it is not valid JSON at line 3, column 28 (in element [1]): trailing comma "
        "is not allowed; "
    )
    assert simulator.stats()["requests"]["200"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.json", "pinbridge.toml"]


def test_received_at_is_for_dry_runs(tmp_path: Path) -> None:
    config = write_config(tmp_path / "pinbridge.toml", None)
    source = tmp_path / "events.json"
    source.write_text(_ndjson([event("d-1")]))

    received_at = str(int(time.time()) + 3600)  # the events (stamped now) are an hour old then
    dry = run_send_cli("--config", config, "--dry-run", "--received-at", received_at, source)
    real = run_send_cli("--config", config, "--received-at", "2026-11-28T12:00:00Z", source)
    bad = run_send_cli("--dry-run", "--received-at", "noon", source)

    assert dry.status == 0, dry.stderr
    assert real.status == 2
    assert real.stderr.strip() == (
        "pinbridge send: error: --received-at needs --dry-run: a real send is received now, "
        "and Pinterest measures the events' age from its own clock; drop --received-at, or "
        "add --dry-run"
    )
    assert bad.status == 2
    assert "argument --received-at: expected Unix seconds" in bad.stderr


class _Recording:
    """The real mapper, noting the receive time it is given for each event."""

    def __init__(self) -> None:
        self.mapper = Mapper()
        self.times: list[int] = []

    def map(self, raw: object, received_at: int) -> MappingResult:
        self.times.append(received_at)
        return self.mapper.map(raw, received_at)


class _Quiet:
    def start(self, total_bytes: int, label: str) -> None: ...
    def update(self, offset: int, events: int) -> None: ...
    def note(self, message: str) -> None: ...


@pytest.mark.parametrize(("received_at", "expected"), [(1795867200, 1795867200), (None, 42)])
def test_a_dry_run_maps_every_event_with_the_given_receive_time(
    tmp_path: Path, received_at: int | None, expected: int
) -> None:
    source = tmp_path / "events.json"
    source.write_text(_array([event("t-1"), event("t-2")]))
    plan = SendPlan(source, "ndjson", None, None, dry_run=True, received_at=received_at)
    mapper = _Recording()

    asyncio.run(run_send(plan, mapper, None, _Quiet(), clock=lambda: 42.0))

    assert mapper.times == [expected, expected]


def test_a_checkpoint_that_counted_lines_of_an_array_is_not_applied(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    """Before arrays were read as arrays, every line of this file was one invalid record
    and the run ended complete; its checkpoint must not skip the events now."""
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = tmp_path / "events.json"
    source.write_text(_array([event("o-0"), event("o-1")]))
    lines = len(source.read_text().splitlines())
    old = Checkpoint(InputFingerprint.of(source), LineSet([(1, lines)]), complete=True)
    checkpoint = tmp_path / "events.json.pinbridge-checkpoint"
    save_checkpoint(checkpoint, old)

    result = run_send_cli("--config", config, "--json", source)

    assert result.status == 0, result.stderr
    assert "counts lines of the input, which is now read as events" in result.stderr
    assert result.summary()["counts"]["processed"] == 2
    assert simulator.stats()["accepted_event_ids"] == ["o-0", "o-1"]
    assert json.loads(checkpoint.read_text())["unit"] == "events"
