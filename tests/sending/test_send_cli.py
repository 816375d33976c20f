"""``pinbridge send`` end to end: the real CLI in a subprocess, the real simulator on loopback."""

from __future__ import annotations

import csv
import json
import stat
from collections import Counter
from pathlib import Path
from typing import Any

from tests.sending.helpers import (
    event,
    old_event,
    run_send,
    write_config,
    write_ndjson,
)
from tests.support.simulator import SimulatorProcess


def _failed_entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_mixed_file_is_sent_summarised_and_its_failures_kept(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    no_identity = {"event_name": "purchase", "context": {"event_id": "i-1"}}
    too_old = old_event("o-1")
    source = write_ndjson(
        tmp_path / "events.ndjson",
        [
            event("e-1"),
            event("e-2"),
            "",
            '{"event_name": "purchase", "user": {"email": "broken@example.com"',
            event("f-1", event_name="no_such_event"),
            no_identity,
            too_old,
            event("e-3"),
            "[1, 2]",
        ],
    )

    result = run_send("--config", config, "--batch-size", "2", "--json", source)

    assert result.status == 1, result.stderr
    summary = result.summary()
    assert summary["counts"] == {
        "processed": 3,
        "failed": 0,
        "filtered": 1,
        "invalid": 4,
        "not_delivered": 0,
    }
    assert summary["reasons"]["filtered"] == {"unmapped_event": 1}
    invalid = list(summary["reasons"]["invalid"])
    assert any(r.startswith("event_time: 10 days before it was received") for r in invalid)
    assert any(r.startswith("not valid JSON") for r in invalid)
    assert any(r.startswith("expected a JSON object") for r in invalid)
    assert any(r.startswith("user_data") for r in invalid)
    assert simulator.stats()["accepted_event_ids"] == ["e-1", "e-2", "e-3"]
    assert "line 4: not valid JSON" in result.stderr
    assert "@example.com" not in result.stderr + result.stdout  # no personal data shown

    failed_out = tmp_path / "events.ndjson.failed.ndjson"
    assert summary["failed_out"] == str(failed_out)
    assert stat.S_IMODE(failed_out.stat().st_mode) == 0o600
    entries = _failed_entries(failed_out)
    assert [(e["_pinbridge"]["line"], e["_pinbridge"]["outcome"]) for e in entries] == [
        (4, "invalid"),
        (6, "invalid"),
        (7, "invalid"),
        (9, "invalid"),
    ]
    assert {k: v for k, v in entries[1].items() if k != "_pinbridge"} == no_identity
    assert {k: v for k, v in entries[2].items() if k != "_pinbridge"} == too_old
    assert entries[0]["_pinbridge"]["input"].startswith('{"event_name": "purchase"')

    checkpoint = tmp_path / "events.ndjson.pinbridge-checkpoint"
    assert summary["checkpoint_complete"] is True
    assert "example.com" not in checkpoint.read_text()

    again = run_send("--config", config, "--json", source)
    assert again.status == 1  # the invalid events are still waiting to be fixed
    assert again.summary()["already_complete"] is True
    assert again.summary()["failed_out"] == str(failed_out)  # still holds the events to fix
    assert again.summary()["earlier_runs"]["processed"] == 3
    assert simulator.stats()["accepted_event_ids"] == ["e-1", "e-2", "e-3"]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_a_csv_file_is_sent_and_the_table_summary_says_so(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    now = str(int(event("x")["context"]["event_timestamp"]))
    source = _write_csv(
        tmp_path / "orders.csv",
        [
            "event_name",
            "context.event_id",
            "context.event_timestamp",
            "user.email",
            "value",
            "currency",
            "items.0.id",
            "items.0.quantity",
            "items.1.id",
        ],
        [
            ["purchase", "c-1", now, "a@example.com", "54,90", "eur", "SKU-1", "2", "SKU-2"],
            ["purchase", "c-2", now, "b@example.com", "10", "EUR", "SKU-3", "", ""],
            ["add_to_cart", "c-3", now, "c@example.com", "", "", "SKU-4", "1", ""],
        ],
    )

    result = run_send("--config", config, source)

    assert result.status == 0, result.stdout + result.stderr
    assert simulator.stats()["accepted_event_ids"] == ["c-1", "c-2", "c-3"]
    assert [entry["test"] for entry in simulator.stats()["log"]] == [False]
    assert "pinbridge send orders.csv (csv)" in result.stdout
    processed = next(line for line in result.stdout.splitlines() if "processed" in line)
    assert processed.split("│")[2].strip() == "3"
    assert "Exit status 0." in result.stdout
    assert "\x1b[" not in result.stderr  # no progress bar drawn when stderr is not a terminal
    assert not (tmp_path / "orders.csv.failed.ndjson").exists()


def test_test_mode_sends_with_test_true(tmp_path: Path, simulator: SimulatorProcess) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = write_ndjson(tmp_path / "events.ndjson", [event(f"t-{i}") for i in range(3)])

    result = run_send("--config", config, "--test-mode", "--batch-size", "2", "--json", source)

    assert result.status == 0, result.stderr
    log = simulator.stats()["log"]
    assert [entry["test"] for entry in log] == [True, True]
    assert [i for entry in log for i in entry["event_ids"]] == ["t-0", "t-1", "t-2"]


def test_a_dry_run_maps_without_credentials_or_sending(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", None, credentials=False)
    source = write_ndjson(
        tmp_path / "events.ndjson",
        [event("d-1"), event("d-2"), event("d-3", event_name="no_such_event")],
    )

    result = run_send("--config", config, "--dry-run", "--json", source)

    assert result.status == 0, result.stderr
    summary = result.summary()
    assert summary["dry_run"] is True
    assert summary["counts"] == {"mapped": 2, "filtered": 1, "invalid": 0}
    assert simulator.stats()["requests"]["200"] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.ndjson", "pinbridge.toml"]


def test_missing_credentials_say_how_to_set_them(tmp_path: Path) -> None:
    config = write_config(tmp_path / "pinbridge.toml", None, credentials=False)
    source = write_ndjson(tmp_path / "events.ndjson", [event("m-1")])

    result = run_send("--config", config, source)

    assert result.status == 2
    assert result.stderr.strip() == (
        "pinbridge send: error: sending needs the Pinterest ad_account_id and access_token: "
        "set ad_account_id and access_token in the [pinterest] section of the config file "
        "(--config), or the environment variables PINBRIDGE_AD_ACCOUNT_ID and "
        "PINBRIDGE_ACCESS_TOKEN; or add --dry-run to map the file without sending"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.ndjson", "pinbridge.toml"]


def test_a_bad_csv_header_stops_before_sending(tmp_path: Path, simulator: SimulatorProcess) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = tmp_path / "orders.csv"
    source.write_text("event_name,user..email\npurchase,a@example.com\n")

    result = run_send("--config", config, source)

    assert result.status == 2
    assert result.stderr.strip() == (
        f"pinbridge send: error: {source} line 1, column 2 ('user..email'): the path has an "
        "empty segment; write event paths such as user.email, context.event_id or items.0.id"
    )
    assert simulator.stats()["requests"]["200"] == 0
    assert not (tmp_path / "orders.csv.pinbridge-checkpoint").exists()


def test_a_bad_batch_size_is_a_usage_error(tmp_path: Path) -> None:
    result = run_send("--batch-size", "1001", tmp_path / "events.ndjson")
    assert result.status == 2
    assert "--batch-size: must be a whole number from 1 to 1000" in result.stderr


def test_a_refused_token_stops_the_run_and_a_rerun_resumes(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    source = write_ndjson(
        tmp_path / "events.ndjson",
        [event("f-1", event_name="no_such_event")] + [event(f"r-{i}") for i in range(6)],
    )
    wrong = write_config(tmp_path / "wrong.toml", simulator, token="revoked-token")

    refused = run_send("--config", wrong, "--batch-size", "2", "--json", source)

    assert refused.status == 1
    summary = refused.summary()
    assert summary["counts"]["processed"] == 0
    assert summary["counts"]["not_delivered"] == 2
    assert "refused the ad account or access token (HTTP 401" in summary["stopped"]
    assert summary["checkpoint_complete"] is False
    assert "revoked-token" not in refused.stdout + refused.stderr

    right = write_config(tmp_path / "right.toml", simulator)
    resumed = run_send("--config", right, "--batch-size", "2", "--json", source)

    assert resumed.status == 0, resumed.stderr
    assert resumed.summary()["skipped_from_checkpoint"] == 1  # the filtered line
    assert resumed.summary()["counts"]["processed"] == 6
    assert simulator.stats()["accepted_event_ids"] == [f"r-{i}" for i in range(6)]


def test_a_checkpoint_of_another_version_of_the_file_is_not_applied(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = write_ndjson(tmp_path / "events.ndjson", [event(f"a-{i}") for i in range(3)])
    assert run_send("--config", config, "--json", source).summary()["checkpoint_complete"]
    write_ndjson(source, [event(f"b-{i}") for i in range(3)])  # same name, new events

    result = run_send("--config", config, "--json", source)

    assert result.status == 0, result.stderr
    assert "was written for another version of the input" in result.stderr
    assert result.summary()["skipped_from_checkpoint"] == 0
    assert simulator.stats()["accepted_event_ids"] == [
        *(f"a-{i}" for i in range(3)),
        *(f"b-{i}" for i in range(3)),
    ]


def test_an_unreachable_pinterest_stops_the_run_and_a_rerun_sends_the_rest(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    ids = [f"u-{i}" for i in range(9)]
    source = write_ndjson(tmp_path / "events.ndjson", [event(i) for i in ids])
    simulator.configure(rate_500=1.0)

    down = run_send("--config", config, "--batch-size", "3", "--json", source)

    assert down.status == 1
    summary = down.summary()
    assert summary["counts"]["not_delivered"] == 3
    assert summary["reasons"]["not_delivered"] != {}
    assert "could be delivered before retries ran out" in summary["stopped"]
    assert simulator.stats()["requests"]["500"] == 2  # max_attempts = 2, then it stopped

    simulator.configure(rate_500=0.0)
    up = run_send("--config", config, "--batch-size", "3", "--json", source)

    assert up.status == 0, up.stderr
    assert up.summary()["counts"]["processed"] == 9
    assert Counter(simulator.stats()["accepted_event_ids"]) == Counter(ids)


def test_fixed_events_from_the_failed_events_file_can_be_sent_again(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    source = write_ndjson(
        tmp_path / "events.ndjson",
        [event("g-1"), {"event_name": "purchase", "context": {"event_id": "g-2"}}],
    )
    assert run_send("--config", config, source).status == 1
    failed_out = tmp_path / "events.ndjson.failed.ndjson"
    [entry] = _failed_entries(failed_out)
    entry["user"] = {"email": "g-2@example.com"}  # the fix the reason asked for
    fixed = write_ndjson(tmp_path / "fixed.ndjson", [entry])

    result = run_send("--config", config, "--json", fixed)

    assert result.status == 0, result.stderr
    assert result.summary()["counts"]["processed"] == 1
    assert simulator.stats()["accepted_event_ids"] == ["g-1", "g-2"]


def test_no_failed_out_keeps_no_copy_of_the_input_but_still_reports_the_reasons(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    config = write_config(tmp_path / "pinbridge.toml", simulator)
    no_identity = {"event_name": "purchase", "context": {"event_id": "n-2"}}
    source = write_ndjson(tmp_path / "events.ndjson", [event("n-1"), no_identity, old_event("n-3")])

    result = run_send("--config", config, "--no-failed-out", "--json", source)

    assert result.status == 1, result.stderr
    summary = result.summary()
    assert summary["counts"]["processed"] == 1
    assert summary["counts"]["invalid"] == 2
    assert summary["counts"]["failed"] == 0
    assert len(summary["reasons"]["invalid"]) == 2
    assert summary["failed_out"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.ndjson",
        "events.ndjson.pinbridge-checkpoint",
        "pinbridge.toml",
    ]


def test_failed_out_and_no_failed_out_together_are_a_usage_error(tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "events.ndjson", [event("u-1")])
    result = run_send("--no-failed-out", "--failed-out", str(tmp_path / "f.ndjson"), source)
    assert result.status == 2
    assert "not allowed with argument" in result.stderr


def test_outputs_that_would_overwrite_the_input_are_refused(tmp_path: Path) -> None:
    source = write_ndjson(tmp_path / "events.ndjson", [event("h-1")])
    config = write_config(tmp_path / "pinbridge.toml", None)

    result = run_send("--config", config, "--failed-out", source, source)

    assert result.status == 2
    assert result.stderr.strip() == (
        f"pinbridge send: error: --failed-out {source} is the input file itself; "
        "choose another path"
    )
    assert source.read_text().count("h-1") == 2  # event_id and email, untouched


def test_a_missing_input_file_is_named(tmp_path: Path) -> None:
    result = run_send(tmp_path / "nope.ndjson")
    assert result.status == 2
    assert result.stderr.strip() == (
        f"pinbridge send: error: input file {tmp_path / 'nope.ndjson'} does not exist; "
        "check the path"
    )
