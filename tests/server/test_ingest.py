"""The ingest API of a real ``pinbridge serve --no-delivery`` process: results, errors, limits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.server.events import filtered, invalid, purchase
from tests.server.harness import ServerProcess, server_config, start_server

KEY = "source-key-alpha"
MAX_EVENT = 4096
MAX_REQUEST = 16384
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory: Path = tmp_path_factory.mktemp("ingest")
    config = server_config(
        directory,
        sections={
            "server": {
                "source_keys": [KEY],
                "max_event_bytes": MAX_EVENT,
                "max_request_bytes": MAX_REQUEST,
            }
        },
    )
    with start_server(config, "--no-delivery") as running:
        yield running


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client(headers=AUTH) as client:
        yield client


def _id() -> str:
    return f"evt-{uuid.uuid4()}"


def _statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 202, response.text
    return [result["status"] for result in response.json()["results"]]


def test_one_event_is_queued_and_its_history_starts(http: httpx.Client) -> None:
    event_id = _id()
    response = http.post("/events", json=purchase(event_id))
    assert response.status_code == 202, response.text
    assert response.json() == {
        "results": [{"status": "queued", "event_id": event_id, "warnings": []}]
    }
    history = http.get(f"/v1/events/{event_id}").json()
    assert history["status"] == "queued"
    assert [entry["status"] for entry in history["history"]] == ["queued"]


def test_a_batch_answers_one_result_per_event_in_order(http: httpx.Client) -> None:
    ids = [_id() for _ in range(5)]
    batch = [
        purchase(ids[0]),
        filtered(ids[1]),
        invalid(ids[2]),
        purchase(ids[3]),
        purchase(ids[4]),
    ]
    response = http.post("/events/batch", json={"batch": batch})
    assert _statuses(response) == ["queued", "filtered", "invalid", "queued", "queued"]
    results = response.json()["results"]
    assert [results[i]["event_id"] for i in (0, 3, 4)] == [ids[0], ids[3], ids[4]]
    assert results[1] == {"status": "filtered", "reason": "unmapped_event"}
    assert results[2]["errors"], "an invalid event says why"
    assert http.get(f"/v1/events/{ids[2]}").status_code == 404


def test_ndjson_batch_skips_blank_lines(http: httpx.Client) -> None:
    ids = [_id() for _ in range(3)]
    lines = [orjson.dumps(purchase(ids[0])), b"", orjson.dumps(invalid(ids[1])), b"  "]
    lines.append(orjson.dumps(purchase(ids[2])))
    response = http.post(
        "/events/batch",
        content=b"\n".join(lines) + b"\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert _statuses(response) == ["queued", "invalid", "queued"]


def test_the_same_event_twice_is_a_duplicate(http: httpx.Client) -> None:
    event_id = _id()
    assert _statuses(http.post("/events", json=purchase(event_id))) == ["queued"]
    again = http.post("/events", json=purchase(event_id))
    assert again.json()["results"] == [{"status": "duplicate", "event_id": event_id}]
    other = _id()
    twice_in_one = http.post("/events/batch", json={"batch": [purchase(other), purchase(other)]})
    assert _statuses(twice_in_one) == ["queued", "duplicate"]
    history = http.get(f"/v1/events/{event_id}").json()["history"]
    assert len({entry["row_id"] for entry in history}) == 1, "stored once"


def test_warnings_come_back_with_a_queued_event(http: httpx.Client) -> None:
    event_id = _id()
    response = http.post("/events", json=purchase(event_id, value="about ten euros"))
    (result,) = response.json()["results"]
    assert result["status"] == "queued"
    assert any("value" in warning for warning in result["warnings"]), result


@pytest.mark.parametrize(
    ("path", "body", "content_type", "where"),
    [
        ("/events", b'{"event_name": "purchase",', "application/json", "not valid JSON"),
        ("/events", b"[1, 2]", "application/json", "not a list"),
        ("/events", b"", "application/json", "empty"),
        ("/events", b'{"batch": []}', "application/json", "/events/batch"),
        ("/events/batch", b'{"events": []}', "application/json", '{"batch": [event, ...]}'),
        ("/events/batch", b'{"batch": [{}, "purch', "application/json", "line 1, column 22"),
        ("/events/batch", b"\n\n", "application/x-ndjson", "no events"),
    ],
)
def test_a_malformed_body_is_a_400_that_says_where(
    http: httpx.Client, path: str, body: bytes, content_type: str, where: str
) -> None:
    response = http.post(path, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert where in response.json()["error"]


def test_an_event_over_the_event_limit_is_refused_with_413(http: httpx.Client) -> None:
    event_id = _id()
    big = purchase(event_id, note="x" * MAX_EVENT)
    response = http.post("/events", json=big)
    assert response.status_code == 413
    message = response.json()["error"]
    assert "event 0" in message and f"{MAX_EVENT:,}" in message
    assert "max_event_bytes" in message
    assert http.get(f"/v1/events/{event_id}").status_code == 404


def test_an_event_over_the_event_limit_in_a_batch_is_invalid_alone(http: httpx.Client) -> None:
    ids = [_id() for _ in range(3)]
    batch = [purchase(ids[0]), purchase(ids[1], note="x" * MAX_EVENT), purchase(ids[2])]
    response = http.post("/events/batch", json={"batch": batch})
    assert _statuses(response) == ["queued", "invalid", "queued"]
    (error,) = response.json()["results"][1]["errors"]
    assert "event 1" in error and "max_event_bytes" in error and f"{MAX_EVENT:,}" in error


def test_a_request_over_the_request_limit_is_refused_with_413(http: httpx.Client) -> None:
    ids = [_id() for _ in range(40)]
    body = orjson.dumps({"batch": [purchase(event_id) for event_id in ids]})
    assert len(body) > MAX_REQUEST
    declared = http.post(
        "/events/batch", content=body, headers={"Content-Type": "application/json"}
    )
    assert declared.status_code == 413
    assert "max_request_bytes" in declared.json()["error"]
    assert f"{MAX_REQUEST:,}" in declared.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server must count as it reads
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    streamed = http.post("/events/batch", content=chunks())
    assert streamed.status_code == 413
    assert "max_request_bytes" in streamed.json()["error"]
    assert all(http.get(f"/v1/events/{event_id}").status_code == 404 for event_id in ids[:3])


def test_source_key_as_bearer_or_query_parameter(server: ServerProcess) -> None:
    with server.client() as anonymous:
        for path in ("/events", "/events/batch"):
            response = anonymous.post(path, json=purchase(_id()))
            assert response.status_code == 401, path
            assert "source key" in response.json()["error"]
        wrong = anonymous.post(
            "/events", json=purchase(_id()), headers={"Authorization": "Bearer not-the-key"}
        )
        assert wrong.status_code == 401
        assert anonymous.post(f"/events?token={KEY}x", json=purchase(_id())).status_code == 401
        by_query = anonymous.post(f"/events?token={KEY}", json=purchase(_id()))
        assert _statuses(by_query) == ["queued"]
        by_header = anonymous.post("/events", json=purchase(_id()), headers=AUTH)
        assert _statuses(by_header) == ["queued"]
        for probe in ("/healthz", "/readyz", "/metrics"):
            assert anonymous.get(probe).status_code == 200, probe


def test_unknown_paths_and_methods_get_json_errors(http: httpx.Client) -> None:
    missing = http.get("/nowhere")
    assert missing.status_code == 404
    assert "/openapi.json" in missing.json()["error"]
    wrong_method = http.get("/events")
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.json()["error"]


def test_unknown_event_history_is_a_clear_404(http: httpx.Client) -> None:
    response = http.get("/v1/events/never-seen")
    assert response.status_code == 404
    body = response.json()
    assert body["event_id"] == "never-seen"
    assert "never queued" in body["error"]
