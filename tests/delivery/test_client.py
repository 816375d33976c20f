"""The client against a scripted Pinterest edge (httpx.MockTransport): the request it sends,
chunking, splitting on 400, network trouble as outcomes, and the token kept secret."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Any

import httpx
import pytest

from pinbridge.delivery import (
    AccountRefused,
    EventOutcome,
    PinterestClient,
    Processed,
    Rejected,
    Transient,
)
from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret
from tests.delivery.helpers import FakePinterest, answer_per_event, event_bytes

TOKEN = "pina_SECRET_token_6d1f0c2b"
ACCOUNT = "549755885175"


def _send(
    fake: FakePinterest, events: list[bytes], **options: Any
) -> tuple[list[EventOutcome], list[tuple[str, float]]]:
    observed: list[tuple[str, float]] = []

    async def go() -> list[EventOutcome]:
        async with PinterestClient(
            access_token=Secret(TOKEN),
            base_url=options.pop("base_url", "https://pinterest.test"),
            transport=fake.transport(),
            observer=lambda label, seconds: observed.append((label, seconds)),
            **options,
        ) as client:
            return await client.send(ACCOUNT, events)

    return asyncio.run(go()), observed


def test_the_request_is_what_pinterest_documents() -> None:
    fake = FakePinterest(answer_per_event)
    # odd but valid JSON spacing: the client must send the bytes as given, not re-encode them
    events = [b'{ "event_id" : "a", "event_name": "lead" }', event_bytes("b")]
    outcomes, _ = _send(fake, events)
    (recorded,) = fake.requests
    request = recorded.request
    assert request.method == "POST"
    assert str(request.url) == f"https://pinterest.test/v5/ad_accounts/{ACCOUNT}/events"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == b'{"data":[' + events[0] + b"," + events[1] + b"]}"
    assert outcomes == [Processed(), Processed()]


def test_test_mode_adds_test_true() -> None:
    fake = FakePinterest(answer_per_event)
    _send(fake, [event_bytes("a")], test_mode=True)
    assert fake.requests[0].request.url.params["test"] == "true"


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9/v5",
        "http://127.0.0.1:9/v5/",
        " http://127.0.0.1:9 ",
    ],
)
def test_base_url_may_end_with_a_slash_or_v5(base_url: str) -> None:
    fake = FakePinterest(answer_per_event)
    _send(fake, [event_bytes("a")], base_url=base_url)
    assert (
        str(fake.requests[0].request.url) == f"http://127.0.0.1:9/v5/ad_accounts/{ACCOUNT}/events"
    )


def test_a_bad_base_url_is_a_config_error_naming_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"must start with http:// or https://.*api\.pinterest"):
        PinterestClient(access_token=Secret(TOKEN), base_url="api.pinterest.com")


def test_batches_hold_at_most_1000_events_and_outcomes_keep_order() -> None:
    fake = FakePinterest(answer_per_event)
    ids = [f"e{i}-fail" if i % 250 == 0 else f"e{i}" for i in range(2345)]
    outcomes, observed = _send(fake, [event_bytes(i) for i in ids])
    assert fake.batch_sizes() == [1000, 1000, 345]
    assert [e["event_id"] for r in fake.requests for e in r.events] == ids
    assert len(outcomes) == len(ids)
    for event_id, outcome in zip(ids, outcomes, strict=True):
        if event_id.endswith("fail"):
            assert outcome == Rejected(f"bad {event_id}")
        else:
            assert outcome == Processed()
    assert [label for label, _ in observed] == ["422", "422", "422"]
    assert all(seconds >= 0 for _, seconds in observed)


def test_an_empty_send_makes_no_request() -> None:
    fake = FakePinterest(answer_per_event)
    outcomes, _ = _send(fake, [])
    assert outcomes == [] and fake.requests == []


def test_warnings_and_422_partial_failures_are_per_event() -> None:
    fake = FakePinterest(answer_per_event)
    outcomes, observed = _send(
        fake, [event_bytes("a-warn"), event_bytes("b-fail"), event_bytes("c")]
    )
    assert outcomes == [Processed("non-standard field"), Rejected("bad b-fail"), Processed()]
    assert [label for label, _ in observed] == ["422"]


@pytest.mark.parametrize(("size", "bad"), [(16, [5]), (1000, [999]), (1000, [0, 517]), (7, [3])])
def test_split_isolates_bad_events_in_few_requests(size: int, bad: list[int]) -> None:
    fake = FakePinterest(answer_per_event)
    events = [
        event_bytes(f"e{i}", poison=1) if i in bad else event_bytes(f"e{i}") for i in range(size)
    ]
    outcomes, observed = _send(fake, events)
    for index, outcome in enumerate(outcomes):
        if index in bad:
            assert isinstance(outcome, Rejected)
            assert "Unknown field 'poison' in data[]. (code 4196)" in outcome.message
        else:
            assert outcome == Processed()
    # every good event reached a 200 exactly once
    delivered = [
        e["event_id"]
        for r in fake.requests
        if "poison" not in json.dumps(r.events)
        for e in r.events
    ]
    assert sorted(delivered) == sorted(f"e{i}" for i in range(size) if i not in bad)
    # each bad event costs at most two requests per halving
    assert len(fake.requests) <= 1 + 2 * len(bad) * math.ceil(math.log2(size))
    assert len(observed) == len(fake.requests)


def test_400_on_a_single_event_rejects_it_with_pinterests_message() -> None:
    fake = FakePinterest(answer_per_event)
    outcomes, _ = _send(fake, [event_bytes("a", poison=True)])
    assert outcomes == [
        Rejected(
            "Pinterest rejected the event: HTTP 400: Unknown field 'poison' in data[]. (code 4196)"
        )
    ]
    assert len(fake.requests) == 1


def _raise(exc: Exception) -> FakePinterest:
    def rule(events: list[dict[str, Any]]) -> httpx.Response:
        raise exc

    return FakePinterest(rule)


@pytest.mark.parametrize(
    ("exc", "label", "ambiguous"),
    [
        (httpx.ReadTimeout("timed out"), "timeout", True),
        (httpx.WriteTimeout("timed out"), "timeout", True),
        (httpx.ConnectTimeout("timed out"), "timeout", False),
        (httpx.PoolTimeout("no free connection"), "timeout", False),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection_error", False),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "connection_error", True),
        (httpx.RemoteProtocolError("Server disconnected"), "connection_error", True),
        (httpx.DecodingError("bad gzip"), "connection_error", True),
        (ConnectionResetError(104, "reset"), "connection_error", True),
    ],
)
def test_network_trouble_is_an_outcome_not_an_exception(
    exc: Exception, label: str, ambiguous: bool
) -> None:
    outcomes, observed = _send(_raise(exc), [event_bytes("a"), event_bytes("b")])
    assert len(outcomes) == 2
    assert all(isinstance(o, Transient) and o.ambiguous is ambiguous for o in outcomes)
    assert [lbl for lbl, _ in observed] == [label]


def test_retry_after_reaches_the_outcome() -> None:
    fake = FakePinterest(
        lambda events: httpx.Response(
            429, json={"code": 8, "message": "rate"}, headers={"Retry-After": "17"}
        )
    )
    outcomes, observed = _send(fake, [event_bytes("a")])
    assert outcomes == [Transient("HTTP 429: rate (code 8)", retry_after=17.0, ambiguous=False)]
    assert observed[0][0] == "429"


def test_a_refused_account_stops_the_send_and_keeps_every_event() -> None:
    fake = FakePinterest(
        lambda events: httpx.Response(401, json={"code": 2, "message": "Authentication failed."})
    )
    outcomes, _ = _send(fake, [event_bytes(f"e{i}") for i in range(2500)])
    assert len(fake.requests) == 1  # the two other chunks were not sent
    assert len(outcomes) == 2500
    assert all(isinstance(o, AccountRefused) and o.status == 401 for o in outcomes)
    assert "Authentication failed." in outcomes[-1].message  # type: ignore[union-attr]


def test_a_refusal_during_a_split_keeps_the_other_half() -> None:
    calls: list[int] = []

    def rule(events: list[dict[str, Any]]) -> httpx.Response:
        calls.append(len(events))
        if len(calls) == 1:
            return httpx.Response(400, json={"code": 4196, "message": "bad"})
        return httpx.Response(403, json={"code": 29, "message": "Not permitted."})

    outcomes, _ = _send(FakePinterest(rule), [event_bytes(f"e{i}") for i in range(10)])
    assert calls == [10, 5]
    assert all(isinstance(o, AccountRefused) and o.status == 403 for o in outcomes)


def _echo_token(events: list[dict[str, Any]]) -> httpx.Response:
    """A misbehaving edge that quotes the token back in every kind of message."""
    kind = events[0]["event_id"]
    message = f"token {TOKEN} is not valid"
    if kind == "401":
        return httpx.Response(401, json={"code": 2, "message": message})
    if kind == "400":
        return httpx.Response(400, json={"code": 4196, "message": message})
    if kind == "failed":
        return httpx.Response(
            200, json={"events": [{"status": "failed", "error_message": message}]}
        )
    if kind == "warn":
        return httpx.Response(
            200, json={"events": [{"status": "processed", "warning_message": message}]}
        )
    if kind == "500":
        return httpx.Response(500, json={"code": 1, "message": message})
    raise httpx.ReadError(f"connection lost while sending Bearer {TOKEN}")


@pytest.mark.parametrize("kind", ["401", "400", "failed", "warn", "500", "read_error"])
def test_the_token_never_shows_in_outcomes_reprs_or_logs(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakePinterest(_echo_token)
    outcomes, _ = _send(fake, [event_bytes(kind)])
    client = PinterestClient(access_token=Secret(TOKEN), transport=fake.transport())
    seen = [repr(client), str(client), *map(repr, outcomes), *map(str, outcomes), caplog.text]
    seen += [str(vars(r)) for r in caplog.records]
    assert outcomes and all(TOKEN not in text for text in seen)
    assert "***" in repr(outcomes) + caplog.text  # what the token was replaced with
    assert fake.requests[0].request.headers["Authorization"] == f"Bearer {TOKEN}"  # still sent


def test_the_timeout_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="timeout must be greater than 0"):
        PinterestClient(access_token=Secret(TOKEN), timeout=0)
