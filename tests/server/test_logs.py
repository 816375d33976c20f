"""Structured logs: one JSON object per line, with secrets and personal data redacted."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from pinbridge.logs import configure_logging, redact
from pinbridge.secrets import Secret

TOKEN = "pina_AbCdEf0123456789"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("debug", secrets=[TOKEN], stream=stream)
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("user Jane.Doe+shop@example.co.uk bought", "Jane.Doe+shop@example.co.uk"),
        ("phone +33 6 12 34 56 78 given", "12 34 56 78"),
        ("phone (555) 123-4567 given", "123-4567"),
        ("phone 0033611223344 given", "0033611223344"),
        ("Authorization: Bearer sk-live-123", "sk-live-123"),
        ("GET /events?token=abc123&x=1", "abc123"),
        (f"sent with {TOKEN} today", TOKEN),
        ("client 198.51.100.23 connected", "198.51.100.23"),
    ],
)
def test_redact_removes_personal_data_and_credentials(text: str, gone: str) -> None:
    assert gone not in redact(text, [TOKEN])


@pytest.mark.parametrize(
    "kept",
    [
        "event f0b9a2c4-6e1d-4a7b-9c33-21d5e8f0a611 delivered",
        "hash 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "batch of 1000 events, 524288 bytes, row 12345",
        "next attempt on 2026-11-28",
    ],
)
def test_redact_keeps_ids_hashes_and_small_numbers(kept: str) -> None:
    assert redact(kept) == kept


def test_every_record_is_one_json_line_without_secrets(captured: io.StringIO) -> None:
    log = logging.getLogger("pinbridge.test")
    log.info("mail from %s", "jane@example.com", extra={"events": 3, "path": "/events"})
    log.warning(
        "odd request",
        extra={"authorization": f"Bearer {TOKEN}", "payload": {"email": "a@b.example"}},
    )
    log.info("token object %s", Secret(TOKEN), extra={"note": f"key={TOKEN}"})
    try:
        raise ValueError(f"refused token {TOKEN} for +33 6 12 34 56 78")
    except ValueError:
        log.exception("send failed")
    logging.getLogger("uvicorn.error").info("from uvicorn with %s", TOKEN)

    text = captured.getvalue()
    for secret in (TOKEN, "jane@example.com", "a@b.example", "12 34 56 78"):
        assert secret not in text
    entries = _lines(captured)
    assert [e["level"] for e in entries] == ["info", "warning", "info", "error", "info"]
    assert entries[0]["events"] == 3 and entries[0]["path"] == "/events"
    assert entries[0]["logger"] == "pinbridge.test"
    assert entries[1]["authorization"] == "[redacted]" and entries[1]["payload"] == "[redacted]"
    assert "ValueError" in str(entries[3]["exc"])
    assert entries[4]["logger"] == "uvicorn.error"
    assert all(str(e["ts"]).endswith("Z") for e in entries)


def test_the_configured_ad_account_id_stays_readable_other_numbers_do_not() -> None:
    line = "delivery for ad account 549755885175 is PAUSED; caller 0611223344"
    shown = redact(line, keep=frozenset({"549755885175"}))
    assert "ad account 549755885175 is PAUSED" in shown
    assert "0611223344" not in shown
