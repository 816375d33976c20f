"""The summary's reasons: alike reasons group together, personal numbers are masked,
and the words stay as written."""

from __future__ import annotations

from pathlib import Path

from pinbridge.sending.summary import Tally
from tests.sending.helpers import run_send, write_config, write_ndjson


def test_numbers_that_belong_to_the_words_stay() -> None:
    tally = Tally()
    reason = (
        "event_time (from context.event_timestamp): not a Unix time (seconds or "
        "milliseconds) or an ISO-8601 date-time"
    )
    tally.add([reason, "HTTP 400: bad currency (code 4196), not an ISO-4217 code"])
    assert list(tally.reasons) == [
        reason,
        "HTTP 400: bad currency (code 4196), not an ISO-4217 code",
    ]


def test_phone_numbers_and_timestamps_are_masked_and_group_together() -> None:
    tally = Tally()
    tally.add(["Given event_timestamp: 1790000000 for +33 6 12 34 56 78"])
    tally.add(["Given event_timestamp: 1790000123 for 06.12.34.56.79"])
    assert dict(tally.reasons) == {"Given event_timestamp: <n> for <n>": 2}


def test_a_dry_run_prints_iso_8601_as_written(tmp_path: Path) -> None:
    config = write_config(tmp_path / "pinbridge.toml", None, credentials=False)
    source = write_ndjson(
        tmp_path / "events.ndjson",
        [
            {
                "event_name": "purchase",
                "user": {"email": "a@example.com"},
                "context": {"event_id": "t-1", "event_timestamp": "last tuesday"},
            }
        ],
    )

    result = run_send("--config", config, "--dry-run", source)

    assert result.status == 1
    text = " ".join(result.stdout.replace("│", " ").split())
    assert "ISO-8601 date-time" in text
    assert "<n>" not in text
