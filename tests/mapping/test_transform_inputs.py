"""``pinbridge transform`` (the console script) on every input shape, and ``--received-at``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(sys.executable).with_name("pinbridge")
_ENV = {"PATH": "/usr/bin:/bin"} | {
    key: os.environ[key] for key in ("PYTHONPATH",) if key in os.environ
}
NOON = 1795867200  # 2026-11-28T12:00:00Z


def _event(event_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "event_name": "purchase",
        "user": {"email": f"{event_id}@example.com"},
        "context": {"event_id": event_id, "event_timestamp": 1795856400},
        **extra,
    }


def _run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run transform; without ``--received-at`` in ``args``, with the samples' day (the
    events are from 2026-11-28 and must not age out of Pinterest's window)."""
    received = () if "--received-at" in args else ("--received-at", "2026-11-28T10:00:00Z")
    return subprocess.run(
        [str(SCRIPT), "transform", *received, *args],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=_ENV,
    )


def _results(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_a_json_array_names_a_bad_element_by_its_index_and_goes_on(tmp_path: Path) -> None:
    source = tmp_path / "events.json"
    source.write_text(json.dumps([_event("a-0"), _event("a-1"), [1, 2], _event("a-3")], indent=2))

    done = _run(str(source))

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"pinbridge transform: reading a JSON array of 4 events from {source}\n"
    results = _results(done.stdout)
    assert [r["status"] for r in results] == ["mapped", "mapped", "invalid", "mapped"]
    assert [r["event"]["event_id"] for r in results if r["status"] == "mapped"] == [
        "a-0",
        "a-1",
        "a-3",
    ]
    assert results[2]["errors"] == [
        "[2]: expected a JSON object (one Commanders Act event), found an array; "
        "every element of the array must be one event object"
    ]


def test_an_empty_array_prints_nothing() -> None:
    done = _run(stdin="[]\n")
    assert done.returncode == 0
    assert done.stdout == ""
    assert done.stderr == (
        "pinbridge transform: reading an empty JSON array (no events) from standard input\n"
    )


def test_a_pretty_printed_event_is_one_event() -> None:
    text = json.dumps(_event("p-1"), indent=2) + "\n"

    done = _run(stdin=text)

    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "pinbridge transform: reading one JSON event spread over 10 lines from standard input\n"
    )
    [result] = _results(done.stdout)
    assert result["status"] == "mapped"
    assert result["event"]["event_id"] == "p-1"


def test_pretty_printed_events_one_after_another(tmp_path: Path) -> None:
    text = "".join(json.dumps(_event(f"c-{i}"), indent=4) + "\n" for i in range(3))

    done = _run(stdin=text)

    assert done.returncode == 0, done.stderr
    assert "reading 3 JSON events spread over 30 lines from standard input" in done.stderr
    assert [r["event"]["event_id"] for r in _results(done.stdout)] == ["c-0", "c-1", "c-2"]


def test_ndjson_says_nothing_on_standard_error() -> None:
    done = _run(stdin=json.dumps(_event("n-1")) + "\n" + json.dumps(_event("n-2")) + "\n")
    assert done.returncode == 0
    assert done.stderr == ""
    assert len(_results(done.stdout)) == 2


def test_broken_json_documents_exit_2_and_print_no_result() -> None:
    array = _run(stdin='[\n  {"event_name": "purchase"},\n  {"event_name": purchase}\n]\n')
    assert array.returncode == 2
    assert array.stdout == ""
    assert array.stderr.startswith(
        "pinbridge transform: error: standard input starts with '[', so it is read as one JSON "
        "array of events, but it is not valid JSON at line 3, column 18 (in element [1]): "
    )
    document = _run(stdin='{\n  "event_name": "purchase",\n  "value" 3\n}\n')
    assert document.returncode == 2
    assert document.stdout == ""
    assert "not valid JSON at line 3, column 11: " in document.stderr


@pytest.mark.parametrize("moment", ["1795867200", "2026-11-28T12:00:00Z", "2026-11-28T13:00+01:00"])
def test_received_at_is_the_time_of_an_event_without_one(moment: str) -> None:
    untimed = {"event_name": "purchase", "user": {"email": "u@example.com"}, "context": {}}
    untimed["context"] = {"event_id": "u-1"}

    done = _run("--received-at", moment, stdin=json.dumps(untimed) + "\n")

    assert done.returncode == 0, done.stderr
    assert _results(done.stdout)[0]["event"]["event_time"] == NOON


def test_the_same_received_at_gives_the_same_output() -> None:
    text = json.dumps({"event_name": "purchase", "context": {"event_id": "r"}}) + "\n"
    first = _run("--received-at", "2026-11-28T12:00:00Z", stdin=text)
    again = _run("--received-at", "2026-11-28T12:00:00Z", stdin=text)
    assert first.stdout == again.stdout != ""


@pytest.mark.parametrize(
    ("value", "extra"),
    [("yesterday", ""), ("1795867200000", " (milliseconds? divide by 1000)"), ("", "")],
)
def test_a_bad_received_at_is_a_usage_error_saying_what_is_accepted(value: str, extra: str) -> None:
    done = _run("--received-at", value)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "pinbridge transform: error: argument --received-at: expected Unix seconds (such as "
        "1795860000) or an ISO 8601 date-time (such as 2026-11-28T10:00:00Z; no offset means "
        f"UTC), not {value!r}{extra}"
    )
