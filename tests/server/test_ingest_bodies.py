"""What an ingest body may be: types, encodings, event counts, broken lines, answer sizes."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from pinbridge.server.results import expand_results
from tests.server.events import purchase
from tests.server.harness import ServerProcess, server_config, start_server

MAX_EVENTS = 1000
MAX_REQUEST = 512 * 1024
NDJSON = {"Content-Type": "application/x-ndjson"}
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    config = server_config(
        tmp_path_factory.mktemp("bodies"),
        sections={
            "server": {"max_events_per_request": MAX_EVENTS, "max_request_bytes": MAX_REQUEST}
        },
    )
    with start_server(config, "--no-delivery") as running:
        yield running


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _id() -> str:
    return f"body-{uuid.uuid4()}"


def _ndjson(*events: Any) -> bytes:
    return b"".join(orjson.dumps(event) + b"\n" for event in events)


def _results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 202, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_broken_ndjson_line_is_that_events_invalid_result(http: httpx.Client) -> None:
    first, last = _id(), _id()
    lines = [orjson.dumps(purchase(first)), b"", b'{"event_name": "purch', b"42"]
    lines += [orjson.dumps(purchase(last)), b"[{}]"]
    response = http.post("/events/batch", content=b"\n".join(lines), headers=NDJSON)
    results = _results(response)
    assert [r["status"] for r in results] == ["queued", "invalid", "invalid", "queued", "invalid"]
    assert (results[0]["event_id"], results[3]["event_id"]) == (first, last)
    assert results[1]["errors"][0].startswith("line 3 is not valid JSON: ")
    assert results[2]["errors"] == ["line 4 must be an event (a JSON object), not a number"]
    assert results[4]["errors"] == ["line 6 must be an event (a JSON object), not a list"]
    assert http.get(f"/v1/events/{last}").status_code == 200


def test_a_batch_element_that_is_no_object_is_invalid_alone(http: httpx.Client) -> None:
    first, last = _id(), _id()
    batch = {"batch": [purchase(first), "purchase", 7, purchase(last)]}
    results = _results(http.post("/events/batch", json=batch))
    assert [r["status"] for r in results] == ["queued", "invalid", "invalid", "queued"]
    assert results[1]["errors"] == ["batch[1] must be an event (a JSON object), not text"]
    assert results[2]["errors"] == ["batch[2] must be an event (a JSON object), not a number"]


def test_a_batch_document_that_is_not_json_as_a_whole_is_a_400(http: httpx.Client) -> None:
    body = b'{"batch": [' + orjson.dumps(purchase(_id())) + b', {"event_name": }]}'
    response = http.post("/events/batch", content=body, headers=JSON)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]


@pytest.mark.parametrize("lines", [MAX_EVENTS + 1, 3 * MAX_EVENTS])
def test_more_events_than_allowed_is_a_413_before_any_is_mapped(
    http: httpx.Client, lines: int
) -> None:
    event_id = _id()
    body = _ndjson(purchase(event_id), *([{}] * (lines - 1)))
    response = http.post("/events/batch", content=body, headers=NDJSON)
    assert response.status_code == 413
    message = response.json()["error"]
    assert "max_events_per_request" in message and f"{MAX_EVENTS:,} events" in message
    batch = http.post("/events/batch", json={"batch": [purchase(event_id)] + [{}] * lines})
    assert batch.status_code == 413
    assert f"has {lines + 1:,} events" in batch.json()["error"]
    assert http.get(f"/v1/events/{event_id}").status_code == 404, "nothing was stored"


def test_blank_lines_do_not_count_as_events(http: httpx.Client) -> None:
    body = _ndjson(purchase(_id())) + b"\n\n \r\n" * MAX_EVENTS
    response = http.post("/events/batch", content=body, headers=NDJSON)
    assert [r["status"] for r in _results(response)] == ["queued"]


def test_repeated_results_are_sent_once_and_the_answer_stays_small(http: httpx.Client) -> None:
    body = b"{}\n" * MAX_EVENTS  # 3 KB that used to get a 300 KB answer
    response = http.post("/events/batch", content=body, headers=NDJSON)
    results = _results(response)
    assert len(results) == MAX_EVENTS, "still one result per event, in order"
    assert results[0]["status"] == "invalid" and results[0]["errors"]
    assert results[1:] == [{"same_as": 0}] * (MAX_EVENTS - 1)
    assert len(response.content) < 6 * len(body), len(response.content)


def test_distinct_errors_are_detailed_only_within_the_budget(http: httpx.Client) -> None:
    body = b"x\n" * MAX_EVENTS  # each line's error names its own line number
    response = http.post("/events/batch", content=body, headers=NDJSON)
    results = expand_results(_results(response))
    assert len(results) == MAX_EVENTS
    assert all(r["status"] == "invalid" for r in results)
    assert results[0]["errors"][0].startswith("line 1 is not valid JSON")
    assert results[9]["errors"][0].startswith("line 10 is not valid JSON")
    assert results[-1]["errors"][0].startswith("not detailed: ")
    # 1,000 results, each a reference of a few bytes at most, plus the detailed ones.
    assert len(response.content) < 20 * MAX_EVENTS + 2 * 4096, len(response.content)


def test_queued_results_stay_whole_and_in_order(http: httpx.Client) -> None:
    ids = [_id() for _ in range(3)]
    event = purchase(ids[0])
    batch = {"batch": [event, {}, purchase(ids[1]), {}, event, purchase(ids[2])]}
    results = _results(http.post("/events/batch", json=batch))
    assert results[0] == {"status": "queued", "event_id": ids[0], "warnings": []}
    assert results[2] == {"status": "queued", "event_id": ids[1], "warnings": []}
    assert results[3] == {"same_as": 1}
    assert results[4] == {"status": "duplicate", "event_id": ids[0]}
    assert results[5] == {"status": "queued", "event_id": ids[2], "warnings": []}


@pytest.mark.parametrize("ndjson", [True, False])
def test_a_gzip_body_is_accepted(http: httpx.Client, ndjson: bool) -> None:
    ids = [_id(), _id()]
    events = [purchase(event_id) for event_id in ids]
    raw = _ndjson(*events) if ndjson else orjson.dumps({"batch": events})
    headers = {**(NDJSON if ndjson else JSON), "Content-Encoding": "gzip"}
    response = http.post("/events/batch", content=gzip.compress(raw), headers=headers)
    assert [r["event_id"] for r in _results(response)] == ids
    one = _id()
    single = gzip.compress(orjson.dumps(purchase(one)))
    response = http.post("/events", content=single, headers={**JSON, "Content-Encoding": "gzip"})
    assert _results(response)[0]["event_id"] == one


def test_a_gzip_body_of_several_members_is_read_whole(http: httpx.Client) -> None:
    ids = [_id(), _id()]
    body = b"".join(gzip.compress(_ndjson(purchase(event_id))) for event_id in ids)
    headers = {**NDJSON, "Content-Encoding": "gzip"}
    response = http.post("/events/batch", content=body, headers=headers)
    assert [r["event_id"] for r in _results(response)] == ids


def test_a_gzip_bomb_stops_at_the_request_limit(http: httpx.Client) -> None:
    bomb = gzip.compress(b" " * (64 * MAX_REQUEST))
    assert len(bomb) < MAX_REQUEST // 10, "a small body that expands 64 times past the limit"
    headers = {**NDJSON, "Content-Encoding": "gzip"}
    response = http.post("/events/batch", content=bomb, headers=headers)
    assert response.status_code == 413
    message = response.json()["error"]
    assert f"decompresses to more than {MAX_REQUEST:,} bytes" in message
    assert "max_request_bytes" in message


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"not gzip at all", "not valid gzip"),
        (gzip.compress(b'{"batch": []}')[:-6], "cut short"),
        (gzip.compress(b'{"batch": []}') + b"trailing", "not valid gzip"),
    ],
)
def test_a_broken_gzip_body_is_a_400(http: httpx.Client, body: bytes, where: str) -> None:
    response = http.post("/events/batch", content=body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 400
    assert where in response.json()["error"]


@pytest.mark.parametrize("encoding", ["br", "deflate", "gzip, gzip", "zstd"])
def test_another_content_encoding_is_a_415_naming_gzip(http: httpx.Client, encoding: str) -> None:
    response = http.post(
        "/events/batch", content=b"{}", headers={**JSON, "Content-Encoding": encoding}
    )
    assert response.status_code == 415
    assert "Content-Encoding: gzip" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/events", "application/x-www-form-urlencoded"),
        ("/events/batch", "application/x-www-form-urlencoded"),
        ("/events/batch", "multipart/form-data; boundary=xyz"),
        ("/events/batch", "text/plain"),
        ("/events", "application/xml"),
    ],
)
def test_a_body_that_is_not_json_is_a_415_naming_the_accepted_types(
    http: httpx.Client, path: str, content_type: str
) -> None:
    response = http.post(
        path, content=b"event_name=purchase", headers={"Content-Type": content_type}
    )
    assert response.status_code == 415
    message = response.json()["error"]
    assert "application/json" in message and "application/x-ndjson" in message


def test_ndjson_sent_as_json_is_a_400_naming_the_ndjson_type(http: httpx.Client) -> None:
    body = _ndjson(purchase(_id()), purchase(_id()))
    response = http.post("/events/batch", content=body, headers=JSON)
    assert response.status_code == 400
    assert "Content-Type: application/x-ndjson" in response.json()["error"]


def test_a_json_document_sent_as_ndjson_is_a_400_naming_the_json_type(
    http: httpx.Client,
) -> None:
    body = orjson.dumps({"batch": [purchase(_id())]}, option=orjson.OPT_INDENT_2)
    response = http.post("/events/batch", content=body, headers=NDJSON)
    assert response.status_code == 400
    assert "Content-Type: application/json" in response.json()["error"]
