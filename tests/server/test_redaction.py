"""Clear-text personal data, the access token and source keys reach neither logs nor disk.

A real server receives events full of clear-text PII, bad requests that carry it, and
requests authenticated both ways; it delivers to the simulator, is stopped, and then its
standard error and every SQLite file it wrote are searched byte by byte. URLs in log lines
keep their user and host (the database a message is about) and lose only their password.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import orjson
import pytest

from pinbridge.logs import RedactingFilter, redact
from tests.server.events import EMAIL, PHONE, PHONE_DIGITS, filtered, invalid, purchase
from tests.server.harness import TOKEN, server_config, start_server, wait_for
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import simulator

__all__ = ["simulator"]  # the fixture, re-exported for pytest

KEY = "source-key-Hx71pQ"
# Everything that must never be found, in the forms it could take.
FORBIDDEN = [
    EMAIL,
    EMAIL.lower(),
    EMAIL.split("@")[0],
    PHONE,
    PHONE_DIGITS,
    PHONE.replace(" ", ""),
    TOKEN,
    KEY,
]


def test_logs_and_database_files_hold_no_personal_data_or_secrets(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    simulator.configure(tokens=[TOKEN])
    database = tmp_path / "queue.db"
    config = server_config(
        tmp_path,
        database=database,
        sections={
            "pinterest": {"api_base_url": simulator.base_url},
            "server": {"source_keys": [KEY], "max_event_bytes": 4096},
            "delivery": {"batch_max_age_seconds": 0.05},
        },
    )
    ids = [f"pii-{uuid.uuid4()}" for _ in range(5)]
    with start_server(config, "--log-level", "debug") as server:
        with server.client(headers={"Authorization": f"Bearer {KEY}"}) as http:
            batch = [purchase(e) for e in ids] + [invalid("pii-i"), filtered("pii-f")]
            assert http.post("/events/batch", json={"batch": batch}).status_code == 202
            ndjson = b"\n".join(orjson.dumps(purchase(f"pii-n-{n}")) for n in range(3))
            http.post(
                "/events/batch", content=ndjson, headers={"Content-Type": "application/x-ndjson"}
            )
            broken = orjson.dumps(purchase("pii-broken"))[:-5]
            assert http.post("/events", content=broken).status_code == 400
            assert EMAIL not in http.post("/events", content=broken).text
            huge = purchase("pii-huge", note=EMAIL * 200)
            assert http.post("/events", json=huge).status_code == 413
            wrong_shape = orjson.dumps({"batch": [purchase("pii-s"), EMAIL]})
            answer = http.post("/events/batch", content=wrong_shape)
            assert answer.status_code == 202 and EMAIL not in answer.text
            cut_line = b'{"user": {"email": "' + EMAIL.encode() + b'"'
            answer = http.post(
                "/events/batch", content=cut_line, headers={"Content-Type": "application/x-ndjson"}
            )
            assert answer.status_code == 202 and EMAIL not in answer.text
            for event_id in ids:
                wait_for(
                    lambda e=event_id: http.get(f"/v1/events/{e}").json()["status"] == "delivered",
                    what=f"{event_id} to be delivered",
                )
        with server.client() as anonymous:
            assert anonymous.post(f"/events?token={KEY}", json=purchase("pii-q")).status_code == 202
            assert anonymous.post("/events?token=guess-" + KEY, json={}).status_code == 401
        assert server.terminate() == 0
        logs = server.stderr_text()

    entries = [orjson.loads(line) for line in logs.splitlines() if line]
    assert any(entry.get("path") == "/events" for entry in entries), "requests are logged"
    files = [p for p in tmp_path.iterdir() if p.name.startswith("queue.db")]
    assert files, "the SQLite database was written"
    for name, data in [("stderr", logs.encode()), *((p.name, p.read_bytes()) for p in files)]:
        for secret in FORBIDDEN:
            assert secret.encode() not in data, f"{secret!r} found in {name}"
            assert secret.lower().encode() not in data.lower(), f"{secret!r} found in {name}"


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            "queue postgresql://postgres@127.0.0.1:5432/test: connection refused",
            "queue postgresql://postgres@127.0.0.1:5432/test: connection refused",
        ),
        (
            "cannot open queue postgresql://pinbridge:s3cret@db.internal:5432/q?schema=pb",
            "cannot open queue postgresql://pinbridge:***@db.internal:5432/q?schema=pb",
        ),
        (
            "queue postgres://pinbridge:***@10.100.200.150:5432/q is down",
            "queue postgres://pinbridge:***@10.100.200.150:5432/q is down",
        ),
        ("postgresql://bob:p@ss@db/q", "postgresql://bob:***@db/q"),
        ("http://u:pw@[2001:db8::1]:8080/x", "http://u:***@[2001:db8::1]:8080/x"),
        ("sqlite:////var/lib/pinbridge/queue.db", "sqlite:////var/lib/pinbridge/queue.db"),
    ],
)
def test_url_user_and_host_stay_readable_only_the_password_is_masked(line: str, shown: str) -> None:
    assert redact(line) == shown


@pytest.mark.parametrize(
    ("line", "gone"),
    [
        (f"contact {EMAIL} now", EMAIL),
        (f"page https://shop.example/cart?email={EMAIL}", EMAIL),
        (f"page https://shop.example?email={EMAIL}", EMAIL),
        (f"queue postgresql://pinbridge@db/q failed for {EMAIL}", EMAIL),
        (f"callto://{PHONE_DIGITS}", PHONE_DIGITS),
        (f"https://wa.me/{PHONE_DIGITS}", PHONE_DIGITS),
        ("client 198.51.100.23 connected", "198.51.100.23"),
    ],
)
def test_emails_and_numbers_outside_a_url_authority_are_still_masked(line: str, gone: str) -> None:
    assert gone not in redact(line)


def _filtered(redactor: RedactingFilter, msg: str, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord({"msg": msg, **extra})
    redactor.filter(record)
    return record


def test_a_text_remembered_as_clean_is_redacted_once_a_reload_makes_it_secret() -> None:
    redactor = RedactingFilter(secrets=["old-token-abcdefghij"])
    text = "sent with new-token-klmnopqrst"
    assert _filtered(redactor, text, path=text).msg == text  # clean so far, and remembered
    redactor.update(["new-token-klmnopqrst"])
    record = _filtered(redactor, text, path=text)
    assert "new-token" not in record.msg
    assert "new-token" not in str(vars(record)["path"])


def test_texts_that_needed_redacting_are_redacted_every_time() -> None:
    redactor = RedactingFilter()
    for _ in range(3):
        record = _filtered(redactor, f"contact {EMAIL}", path=f"/x/{EMAIL}")
        assert EMAIL not in record.msg
        assert EMAIL not in str(vars(record)["path"])
