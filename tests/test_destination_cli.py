"""``--destination NAME`` in ``pinbridge transform`` and ``pinbridge send --dry-run``: the
destination's own event table and Smart Mapping apply, and an unknown name says which exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson

CONFIG = """
[pinterest]
ad_account_id = "549755885175"

[destinations.fr]
ad_account_id = "549755885176"
access_token = "fr-token-value-1234"

[destinations.fr.events]
commande_validee = "checkout"

[destinations.fr.mapping]
"custom_data.order_id" = "commande.id"
"""
EVENT = {
    "event_name": "commande_validee",
    "commande": {"id": "CMD-7"},
    "user": {"email": "jane@example.com"},
    "context": {"event_id": "e-fr-1", "event_timestamp": 1795860000},
}
RECEIVED = "1795860060"


def _pinbridge(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "pinbridge.cli", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_transform_maps_with_the_chosen_destinations_tables(tmp_path: Path) -> None:
    config = tmp_path / "pinbridge.toml"
    config.write_text(CONFIG)
    line = orjson.dumps(EVENT)
    common = ("transform", "--config", str(config), "--received-at", RECEIVED)
    default = _pinbridge(*common, stdin=line)
    french = _pinbridge(*common, "--destination", "fr", stdin=line)
    assert orjson.loads(default.stdout) == {"status": "filtered", "reason": "unmapped_event"}
    mapped = orjson.loads(french.stdout)
    assert mapped["status"] == "mapped", mapped
    assert mapped["event"]["event_name"] == "checkout"
    assert mapped["event"]["custom_data"]["order_id"] == "CMD-7"


def test_an_unknown_destination_names_the_configured_ones(tmp_path: Path) -> None:
    config = tmp_path / "pinbridge.toml"
    config.write_text(CONFIG)
    result = _pinbridge("transform", "--config", str(config), "--destination", "de", stdin=b"")
    assert result.returncode == 2
    assert b"no destination named 'de'" in result.stderr
    assert b"default, fr" in result.stderr


def test_send_dry_run_maps_with_the_chosen_destination(tmp_path: Path) -> None:
    config = tmp_path / "pinbridge.toml"
    config.write_text(CONFIG)
    events = tmp_path / "events.ndjson"
    events.write_bytes(orjson.dumps(EVENT) + b"\n")
    result = _pinbridge(
        "send",
        "--config",
        str(config),
        "--dry-run",
        "--received-at",
        RECEIVED,
        "--destination",
        "fr",
        "--json",
        "--quiet",
        str(events),
    )
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout)["counts"] == {"mapped": 1, "filtered": 0, "invalid": 0}
    unmapped = _pinbridge(
        "send",
        "--config",
        str(config),
        "--dry-run",
        "--received-at",
        RECEIVED,
        "--json",
        "--quiet",
        str(events),
    )
    assert orjson.loads(unmapped.stdout)["counts"] == {"mapped": 0, "filtered": 1, "invalid": 0}
