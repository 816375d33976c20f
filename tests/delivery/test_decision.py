"""The retry decision, row by row: what Pinterest answered -> each event's outcome.

Each row of ``ROWS`` is one answer; ``expect`` is either ``SPLIT`` or one pattern per event
(or one pattern for all). Patterns compare what a user or the worker acts on: the outcome's
type, the warning, a piece of the message, ``retry_after`` and ``ambiguous``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinbridge.delivery import AccountRefused, EventOutcome, Processed, Rejected, Transient
from pinbridge.delivery.decision import (
    NetworkFailure,
    PerEvent,
    Split,
    decide,
    parse_retry_after,
)

SPLIT = "split"
NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
IN_30_S = "Tue, 14 Nov 2023 22:13:50 GMT"
AGO_1_H = "Tue, 14 Nov 2023 21:13:20 GMT"


def ok(warning: str | None = None) -> tuple[Any, ...]:
    return ("processed", warning)


def rejected(part: str) -> tuple[Any, ...]:
    return ("rejected", part)


def transient(*, ambiguous: bool, retry_after: float | None = None) -> tuple[Any, ...]:
    return ("transient", ambiguous, retry_after)


def refused(status: int, part: str) -> tuple[Any, ...]:
    return ("refused", status, part)


def results(*items: dict[str, Any]) -> dict[str, Any]:
    processed = sum(i.get("status") == "processed" for i in items)
    return {
        "num_events_received": len(items),
        "num_events_processed": processed,
        "events": list(items),
    }


P = {"status": "processed", "warning_message": "", "error_message": ""}
W = {"status": "processed", "warning_message": "Non-standard currency 'ZZZ'."}
F = {"status": "failed", "error_message": "Invalid event_timestamp parameter 1."}
F_EMPTY = {"status": "failed", "error_message": ""}


def err(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


@dataclass(frozen=True)
class Row:
    name: str
    status: int | None
    body: object
    n: int
    expect: Any
    failure: NetworkFailure | None = None
    retry_after: str | None = None
    now: float | None = NOW


ROWS = [
    # 200: read events[] one to one
    Row("200 all processed, empty messages", 200, results(P, P), 2, ok()),
    Row("200 processed with a warning", 200, results(P, W), 2, [ok(), ok("Non-standard currency")]),
    Row(
        "200 with a failed event",
        200,
        results(F, P),
        2,
        [rejected("Invalid event_timestamp"), ok()],
    ),
    Row("200 failed without message", 200, results(F_EMPTY), 1, rejected("without a message")),
    Row(
        "200 failed with null message",
        200,
        results({"status": "failed", "error_message": None}),
        1,
        rejected("without a message"),
    ),
    Row(
        "200 warning not a string",
        200,
        results({"status": "processed", "warning_message": 7}),
        1,
        ok(),
    ),
    Row("201 is read like 200", 201, results(P), 1, ok()),
    Row("200 for an empty batch", 200, results(), 0, []),
    # 200 that cannot be read: never processed
    Row("200 events[] too short", 200, results(P), 2, transient(ambiguous=True)),
    Row("200 events[] too long", 200, results(P, P, P), 2, transient(ambiguous=True)),
    Row(
        "200 without events[]",
        200,
        {"num_events_received": 2, "num_events_processed": 2},
        2,
        transient(ambiguous=True),
    ),
    Row("200 events is an object", 200, {"events": {"0": P}}, 1, transient(ambiguous=True)),
    Row("200 body not JSON", 200, b"<html>OK</html>", 3, transient(ambiguous=True)),
    Row("200 empty body", 200, b"", 1, transient(ambiguous=True)),
    Row("200 body is a JSON array", 200, b"[]", 1, transient(ambiguous=True)),
    Row("200 truncated JSON", 200, b'{"events": [{"status": "proc', 1, transient(ambiguous=True)),
    Row(
        "200 unknown status for one event",
        200,
        results(P, {"status": "pending"}),
        2,
        [ok(), transient(ambiguous=True)],
    ),
    Row(
        "200 event result not an object",
        200,
        {"events": ["processed", P]},
        2,
        [transient(ambiguous=True), ok()],
    ),
    Row(
        "200 event result without status",
        200,
        results({"warning_message": "x"}),
        1,
        transient(ambiguous=True),
    ),
    Row(
        "200 status in upper case",
        200,
        results({"status": "PROCESSED"}),
        1,
        transient(ambiguous=True),
    ),
    # 422 (code 953): details.events[] one to one
    Row(
        "422 partial failure",
        422,
        {"code": 953, "message": "Not all events were processed.", "details": results(P, F, W)},
        3,
        [ok(), rejected("Invalid event_timestamp"), ok("Non-standard")],
    ),
    Row(
        "422 all failed",
        422,
        {"code": 953, "message": "m", "details": results(F, F)},
        2,
        rejected("Invalid event_timestamp"),
    ),
    Row(
        "422 without details",
        422,
        err(953, "Not all events were processed."),
        2,
        transient(ambiguous=True),
    ),
    Row(
        "422 details.events too short",
        422,
        {"code": 953, "message": "m", "details": results(P)},
        2,
        transient(ambiguous=True),
    ),
    Row(
        "422 details not an object",
        422,
        {"code": 953, "message": "m", "details": "x"},
        1,
        transient(ambiguous=True),
    ),
    Row("422 body not JSON", 422, b"Unprocessable", 2, transient(ambiguous=True)),
    # 400 / 413: split a batch, reject a single event with Pinterest's message
    Row("400 on two events", 400, err(4196, "Unknown field 'x'"), 2, SPLIT),
    Row("400 on 1000 events", 400, err(4196, "Unknown field 'x'"), 1000, SPLIT),
    Row(
        "400 on one event",
        400,
        err(4196, "Unknown field 'x' in data[0]"),
        1,
        rejected("Unknown field 'x' in data[0] (code 4196)"),
    ),
    Row(
        "400 on one event, not JSON",
        400,
        b"Bad Request",
        1,
        rejected("HTTP 400: an answer that is not JSON"),
    ),
    Row(
        "400 on one event, no message",
        400,
        {"code": 1},
        1,
        rejected("HTTP 400: no message (code 1)"),
    ),
    Row("413 on a batch", 413, b"", 5, SPLIT),
    Row("413 on one event", 413, b"", 1, rejected("HTTP 413")),
    # the account is refused: events kept
    Row(
        "401 bad token",
        401,
        err(2, "Authentication failed."),
        3,
        refused(401, "Authentication failed. (code 2)"),
    ),
    Row("401 names the fix", 401, b"", 1, refused(401, "access_token")),
    Row(
        "403 no access to the account",
        403,
        err(29, "You are not permitted to access that resource."),
        2,
        refused(403, "Business Access"),
    ),
    Row(
        "404 unknown ad account",
        404,
        err(404, "Ad account not found."),
        2,
        refused(404, "ad_account_id"),
    ),
    Row("301 redirect: wrong base URL", 301, b"", 2, refused(301, "api_base_url")),
    # transient, before processing: not ambiguous
    Row(
        "429 without Retry-After",
        429,
        err(8, "This request exceeded a rate limit."),
        2,
        transient(ambiguous=False),
    ),
    Row(
        "429 Retry-After seconds",
        429,
        err(8, "rate"),
        2,
        transient(ambiguous=False, retry_after=7.0),
        retry_after="7",
    ),
    Row(
        "429 Retry-After decimal",
        429,
        b"",
        1,
        transient(ambiguous=False, retry_after=2.5),
        retry_after=" 2.5 ",
    ),
    Row(
        "429 Retry-After HTTP-date",
        429,
        b"",
        1,
        transient(ambiguous=False, retry_after=30.0),
        retry_after=IN_30_S,
    ),
    Row(
        "429 Retry-After date in the past",
        429,
        b"",
        1,
        transient(ambiguous=False, retry_after=0.0),
        retry_after=AGO_1_H,
    ),
    Row(
        "429 Retry-After negative",
        429,
        b"",
        1,
        transient(ambiguous=False, retry_after=0.0),
        retry_after="-5",
    ),
    Row("429 Retry-After garbage", 429, b"", 1, transient(ambiguous=False), retry_after="soon"),
    Row(
        "429 Retry-After date without a clock",
        429,
        b"",
        1,
        transient(ambiguous=False),
        retry_after=IN_30_S,
        now=None,
    ),
    Row(
        "503 ramped down, Retry-After",
        503,
        err(4197, "The endpoint has been ramped down."),
        2,
        transient(ambiguous=False, retry_after=120.0),
        retry_after="120",
    ),
    Row("408 request timeout", 408, b"", 2, transient(ambiguous=False)),
    # transient, Pinterest may have processed: ambiguous
    Row("500", 500, err(1, "Internal error"), 3, transient(ambiguous=True)),
    Row(
        "500 with Retry-After",
        500,
        b"",
        1,
        transient(ambiguous=True, retry_after=3.0),
        retry_after="3",
    ),
    Row("502 from a proxy, HTML", 502, b"<html>Bad gateway</html>", 2, transient(ambiguous=True)),
    Row("504 gateway timeout", 504, b"", 2, transient(ambiguous=True)),
    Row("unexpected status 600", 600, b"", 1, transient(ambiguous=True)),
    Row("unexpected status 102", 102, b"", 1, transient(ambiguous=True)),
    # other 4xx: rejected with the message
    Row(
        "409 rejects every event",
        409,
        err(99, "Conflict"),
        2,
        rejected("HTTP 409: Conflict (code 99)"),
    ),
    Row("415 rejects", 415, b"", 1, rejected("HTTP 415")),
    # no status at all
    Row("read timeout", None, None, 4, transient(ambiguous=True), failure=NetworkFailure.TIMEOUT),
    Row(
        "connect timeout",
        None,
        None,
        4,
        transient(ambiguous=False),
        failure=NetworkFailure.CONNECT_TIMEOUT,
    ),
    Row(
        "connection refused",
        None,
        None,
        4,
        transient(ambiguous=False),
        failure=NetworkFailure.CONNECT,
    ),
    Row(
        "connection reset after sending",
        None,
        None,
        4,
        transient(ambiguous=True),
        failure=NetworkFailure.CONNECTION_LOST,
    ),
    Row("no status, no failure", None, None, 1, transient(ambiguous=True)),
]


def _encode(body: object) -> object:
    return orjson.dumps(body) if isinstance(body, dict) else body


def _check(outcome: EventOutcome, pattern: tuple[Any, ...]) -> None:
    kind = pattern[0]
    if kind == "processed":
        assert isinstance(outcome, Processed), outcome
        if pattern[1] is None:
            assert outcome.warning is None
        else:
            assert outcome.warning is not None and pattern[1] in outcome.warning
    elif kind == "rejected":
        assert isinstance(outcome, Rejected), outcome
        assert pattern[1] in outcome.message
    elif kind == "transient":
        assert isinstance(outcome, Transient), outcome
        assert outcome.ambiguous is pattern[1]
        assert outcome.retry_after == pattern[2]
        assert outcome.reason
    else:
        assert isinstance(outcome, AccountRefused), outcome
        assert outcome.status == pattern[1]
        assert pattern[2] in outcome.message


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_decide(row: Row) -> None:
    decision = decide(
        row.status,
        _encode(row.body),
        row.n,
        failure=row.failure,
        retry_after=row.retry_after,
        now=row.now,
    )
    if row.expect == SPLIT:
        assert isinstance(decision, Split)
        assert decision.reason.startswith(f"HTTP {row.status}")
        return
    assert isinstance(decision, PerEvent)
    patterns = row.expect if isinstance(row.expect, list) else [row.expect] * row.n
    assert len(decision.outcomes) == row.n
    for outcome, pattern in zip(decision.outcomes, patterns, strict=True):
        _check(outcome, pattern)


def test_decide_accepts_an_already_parsed_body() -> None:
    assert decide(200, results(P, W), 2) == decide(200, orjson.dumps(results(P, W)), 2)


def test_long_messages_are_shortened() -> None:
    decision = decide(400, orjson.dumps(err(4196, "x" * 10_000)), 1)
    assert isinstance(decision, PerEvent)
    (outcome,) = decision.outcomes
    assert isinstance(outcome, Rejected)
    assert 100 < len(outcome.message) < 600


@pytest.mark.parametrize(
    ("failure", "label"),
    [
        (NetworkFailure.TIMEOUT, "timeout"),
        (NetworkFailure.CONNECT_TIMEOUT, "timeout"),
        (NetworkFailure.CONNECT, "connection_error"),
        (NetworkFailure.CONNECTION_LOST, "connection_error"),
    ],
)
def test_network_failure_labels(failure: NetworkFailure, label: str) -> None:
    assert failure.label == label


@pytest.mark.parametrize(
    ("value", "now", "seconds"),
    [
        (None, NOW, None),
        (5, None, 5.0),
        (1.5, None, 1.5),
        ("0", None, 0.0),
        ("nan", NOW, None),
        ("Tue, 14 Nov 2023 22:15:20 GMT", NOW, 120.0),
        ("Tuesday, 14-Nov-23 22:15:20 GMT", NOW, 120.0),  # obsolete RFC 850 form
        ("14 Nov 2023 22:15:20", NOW, None),  # no zone: not an HTTP-date
        ("", NOW, None),
    ],
)
def test_parse_retry_after(
    value: str | float | None, now: float | None, seconds: float | None
) -> None:
    assert parse_retry_after(value, now) == seconds


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_event_result = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["processed", "failed", "pending", ""]) | _json,
        "warning_message": st.text(max_size=5) | _json,
        "error_message": st.text(max_size=5) | _json,
    },
)
_bodies = (
    _json
    | st.binary(max_size=40)
    | st.builds(lambda items: {"events": items}, st.lists(_event_result | _json, max_size=5))
    | st.builds(
        lambda items: {"code": 953, "details": {"events": items}},
        st.lists(_event_result, max_size=5),
    )
)


@settings(max_examples=300, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=700) | st.none(),
    body=_bodies,
    n=st.integers(min_value=0, max_value=5),
)
def test_an_event_is_processed_only_when_pinterest_said_so(
    status: int | None, body: object, n: int
) -> None:
    """Whatever comes back, decide() answers, and never calls an event processed unless
    a 2xx/422 answer holds a readable ``processed`` result at that event's place."""
    decision = decide(status, body, n, retry_after="1", now=NOW)
    if isinstance(decision, Split):
        assert status in (400, 413) and n > 1
        return
    assert len(decision.outcomes) == n
    for index, outcome in enumerate(decision.outcomes):
        if isinstance(outcome, Processed):
            assert status is not None and (200 <= status < 300 or status == 422)
            holder = body if isinstance(body, dict) else {}
            items = (
                holder.get("events")
                if status != 422
                else (holder.get("details") or {}).get("events")
            )
            assert isinstance(items, list) and len(items) == n
            assert items[index]["status"] == "processed"
