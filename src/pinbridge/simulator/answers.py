"""Pinterest's answers to an events request, independent of any HTTP framework.

:func:`process_events` turns the raw body of an authenticated request into the answer
Pinterest gives: 400 (code 4196) for a body that breaks the schema, 422 (code 953) when any
event failed its per-event checks, else 200; the error bodies of the other statuses are
constants here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from pinbridge.simulator.checks import EventVerdict, check_event
from pinbridge.simulator.schema import describe_violations, schema_violations

__all__ = [
    "REFUSED_ON_DEMAND",
    "AUTH_FAILED",
    "RATE_LIMITED",
    "SERVER_ERROR",
    "Answer",
    "bad_parameter",
    "event_ids_in",
    "process_events",
    "valid_ad_account_id",
]

AUTH_FAILED: dict[str, Any] = {"code": 2, "message": "Authentication failed."}
RATE_LIMITED: dict[str, Any] = {
    "code": 8,
    "message": "This request exceeded a rate limit. This can happen if the client exceeds "
    "one of the published rate limits within a short time window.",
}
SERVER_ERROR: dict[str, Any] = {
    "code": 3,
    "message": "Internal server error (injected by pinbridge simulate --rate-500).",
}
_SCHEMA_CODE = 4196
_INVALID_PARAMETER_CODE = 1
_EVENTS_FAILED_CODE = 953
_EVENTS_FAILED = (
    "The action could not be processed properly due to some or all data provided being invalid."
)
_AD_ACCOUNT_ID = re.compile(r"^[0-9]{1,18}$")


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, with the event_ids it carried and those Pinterest processed."""

    status: int
    body: dict[str, Any]
    event_ids: tuple[str, ...] = ()
    processed: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


REFUSED_ON_DEMAND = EventVerdict(
    "failed", error_message="Event refused: its event_id matches the simulator's --fail-prefix."
)


def valid_ad_account_id(ad_account_id: str) -> bool:
    """Pinterest ad account ids are 1 to 18 digits."""
    return bool(_AD_ACCOUNT_ID.match(ad_account_id))


def bad_parameter(message: str) -> Answer:
    """400 for a bad path or query parameter (not a body problem)."""
    return Answer(400, {"code": _INVALID_PARAMETER_CODE, "message": message})


def process_events(raw: bytes, now: int, fail_prefix: str | None = None) -> Answer:
    """The answer to an authenticated events request whose body is ``raw``; events whose
    event_id starts with ``fail_prefix`` fail on demand."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return Answer(
            400,
            {
                "code": _SCHEMA_CODE,
                "message": f"Invalid request body: it is not valid JSON ({exc}). "
                'Send a JSON object such as {"data": [...]}.',
            },
        )
    violations = schema_violations(body)
    event_ids = _event_ids(body)
    if violations:
        message = describe_violations(violations)
        return Answer(400, {"code": _SCHEMA_CODE, "message": message}, event_ids)
    verdicts = [
        REFUSED_ON_DEMAND
        if fail_prefix and str(event["event_id"]).startswith(fail_prefix)
        else check_event(event, now)
        for event in body["data"]
    ]
    processed = tuple(
        event["event_id"]
        for event, verdict in zip(body["data"], verdicts, strict=True)
        if verdict.status == "processed"
    )
    result = {
        "num_events_received": len(verdicts),
        "num_events_processed": len(processed),
        "events": [verdict.as_dict() for verdict in verdicts],
    }
    if len(processed) < len(verdicts):
        failed = {"code": _EVENTS_FAILED_CODE, "message": _EVENTS_FAILED, "details": result}
        return Answer(422, failed, event_ids, processed)
    return Answer(200, result, event_ids, processed)


def event_ids_in(raw: bytes) -> tuple[str, ...]:
    """The string event_ids of a raw body, as far as it can be read (for the request log)."""
    try:
        return _event_ids(orjson.loads(raw))
    except orjson.JSONDecodeError:
        return ()


def _event_ids(body: object) -> tuple[str, ...]:
    """The string event_ids found in ``data[]``, for the request log (even if invalid)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return ()
    return tuple(
        item["event_id"]
        for item in data
        if isinstance(item, dict) and isinstance(item.get("event_id"), str)
    )
