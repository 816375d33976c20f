"""``pinbridge transform`` run as a real process (console script and ``python -m``)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.mapping.samples import EXPECTED, require_examples, sample_lines

SCRIPT = Path(sys.executable).with_name("pinbridge")
# A bare environment, but the same code: PYTHONPATH puts a worktree's src/ before the install.
_ENV = {"PATH": "/usr/bin:/bin"} | {
    key: os.environ[key] for key in ("PYTHONPATH",) if key in os.environ
}
RECEIVED_AT = "2026-11-28T10:00:00Z"
EVENT = {
    "event_name": "purchase",
    "value": "12,50",
    "user": {"email": " Secret.Person@Example.org "},
    "context": {"event_id": "e-1", "event_timestamp": 1795856400},
}


def _run(
    *args: str, stdin: str | None = None, module: bool = False, clock: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run transform with the receive time of the samples (2026-11-28), so that their age
    is the same on any day; ``clock`` leaves the receive time to the clock."""
    command = [sys.executable, "-m", "pinbridge.cli"] if module else [str(SCRIPT)]
    received = () if clock else ("--received-at", RECEIVED_AT)
    return subprocess.run(
        [*command, "transform", *received, *args],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env=_ENV,
    )


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def _write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_console_script_exists() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT} missing: install the package (make install)"


@pytest.mark.parametrize("module", [False, True], ids=["console-script", "python-m"])
def test_one_line_out_per_non_blank_line_in_order(tmp_path: Path, module: bool) -> None:
    events = [
        dict(EVENT, context={"event_id": f"e-{i}", "event_timestamp": 1795856400}) for i in range(5)
    ]
    source = _write(
        tmp_path / "in.ndjson",
        json.dumps(events[0]),
        "",
        "   ",
        *[json.dumps(e) for e in events[1:]],
        "",
    )
    done = _run(str(source), module=module)
    assert done.returncode == 0, done.stderr
    results = _lines(done.stdout)
    assert [r["event"]["event_id"] for r in results] == [f"e-{i}" for i in range(5)]
    assert results[0] == {
        "status": "mapped",
        "event": {
            "event_name": "checkout",
            "event_id": "e-0",
            "action_source": "web",
            "event_time": 1795856400,
            "user_data": {"em": [hashlib.sha256(b"secret.person@example.org").hexdigest()]},
            "custom_data": {"value": "12.5"},
        },
        "warnings": [],
    }


def test_non_json_and_non_object_lines_are_invalid_results_not_failures(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "in.ndjson",
        json.dumps(EVENT),
        "not json at all",
        "[1, 2]",
        '{"a": ',
        json.dumps(EVENT),
    )
    done = _run(str(source))
    assert done.returncode == 0
    results = _lines(done.stdout)
    assert [r["status"] for r in results] == ["mapped", "invalid", "invalid", "invalid", "mapped"]
    assert results[1]["errors"][0].startswith("line 2: not valid JSON")
    assert results[2]["errors"] == [
        "line 3: expected a JSON object (one Commanders Act event), found an array; "
        "write one event object per line"
    ]
    assert results[3]["errors"][0].startswith("line 4: not valid JSON")
    assert "not json" not in done.stdout


def test_standard_input_with_and_without_dash() -> None:
    text = json.dumps(EVENT) + "\n" + json.dumps({"event_name": "newsletter_open"}) + "\n"
    for args in ((), ("-",)):
        done = _run(*args, stdin=text)
        assert done.returncode == 0, done.stderr
        assert [r["status"] for r in _lines(done.stdout)] == ["mapped", "filtered"]
        assert _lines(done.stdout)[1] == {"status": "filtered", "reason": "unmapped_event"}


def test_clear_text_personal_data_is_not_printed() -> None:
    done = _run(stdin=json.dumps(EVENT) + "\n")
    assert "secret" not in done.stdout.lower()


def test_config_file_changes_the_mapping(tmp_path: Path) -> None:
    config = tmp_path / "pinbridge.toml"
    config.write_text(
        '[events]\nnewsletter_open = "lead"\npurchase = false\n'
        '[mapping]\n"custom_data.content_name" = { const = "Spring sale" }\n'
        '"user_data.em" = ["user.crm.mail", "user.email"]\n'
    )
    lines = [json.dumps(dict(EVENT, event_name="newsletter_open")), json.dumps(EVENT)]
    done = _run("--config", str(config), stdin="\n".join(lines))
    assert done.returncode == 0, done.stderr
    first, second = _lines(done.stdout)
    assert first["event"]["event_name"] == "lead"
    assert first["event"]["custom_data"]["content_name"] == "Spring sale"
    assert second == {"status": "filtered", "reason": "event_disabled"}


def test_event_without_time_gets_the_time_of_the_run() -> None:
    before = int(time.time())
    done = _run(stdin=json.dumps(dict(EVENT, context={"event_id": "e"})), clock=True)
    after = int(time.time())
    assert before <= _lines(done.stdout)[0]["event"]["event_time"] <= after


@pytest.mark.parametrize(
    ("config_text", "fragment"),
    [
        ('[mapping]\n"user_data.foo" = "x"\n', "[mapping] 'user_data.foo'"),
        ('[mapping]\n"event_id" = false\n', "event_id is required"),
        ('[events]\norder = "purchase"\n', "[events] 'order'"),
        ("[mapping\n", "not valid TOML"),
        ("[nonsense]\n", "unknown config section [nonsense]"),
    ],
)
def test_bad_config_exits_2_with_a_message(tmp_path: Path, config_text: str, fragment: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(config_text)
    done = _run("--config", str(config), stdin=json.dumps(EVENT))
    assert done.returncode == 2
    assert done.stdout == ""
    assert fragment in done.stderr
    assert done.stderr.startswith("pinbridge transform: error:")


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    done = _run("--config", str(tmp_path / "nope.toml"), stdin="")
    assert done.returncode == 2
    assert "nope.toml does not exist" in done.stderr


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    missing = _run(str(tmp_path / "missing.ndjson"))
    assert missing.returncode == 2
    assert "cannot read input" in missing.stderr and "missing.ndjson" in missing.stderr
    directory = _run(str(tmp_path))
    assert directory.returncode == 2
    assert "cannot read input" in directory.stderr


def test_invalid_utf8_and_bom_are_handled(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(EVENT).encode() + b"\n\xff\xfe{}\n")
    done = _run(str(source))
    assert done.returncode == 0
    assert [r["status"] for r in _lines(done.stdout)] == ["mapped", "invalid"]


def test_shared_samples_end_to_end(tmp_path: Path) -> None:
    require_examples()
    text = "\n".join(line for name in sorted(EXPECTED) for line in sample_lines(name))
    done = _run(stdin=text + "\n")
    assert done.returncode == 0, done.stderr
    statuses = [r["status"] for r in _lines(done.stdout)]
    wanted = [e["status"] for name in sorted(EXPECTED) for e in EXPECTED[name]]
    assert statuses == wanted
