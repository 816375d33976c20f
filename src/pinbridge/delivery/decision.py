"""The retry decision: what Pinterest answered -> what happens to each event of the batch.

A pure function of the answer (status, body, Retry-After, the clock reading the client took),
with no I/O, so every row of the table in ``docs/delivery.md`` is a unit test. The client
(``client.py``) only carries out the decision: record the outcomes, or split the batch.

Rules of thumb: an event is ``Processed`` only when Pinterest said so for that event; an
answer we cannot read is never taken as success (it is ``Transient`` and ``ambiguous``);
anything that needs a person (a refused token, a wrong account or URL) keeps the events.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import orjson

from pinbridge.delivery.outcomes import (
    AccountRefused,
    EventOutcome,
    Processed,
    Rejected,
    Transient,
)

__all__ = ["Decision", "NetworkFailure", "PerEvent", "Split", "decide", "parse_retry_after"]

_MAX_MESSAGE = 500
_NOT_JSON = object()
_REFUSAL_HINTS = {
    401: "check the access token ([pinterest] access_token or PINBRIDGE_ACCESS_TOKEN)",
    403: (
        "the token's user must own the ad account or have Admin, Analyst, Audience or "
        "Campaign access to it (Business Access)"
    ),
    404: "check [pinterest] ad_account_id and api_base_url",
}


class NetworkFailure(enum.Enum):
    """How an HTTP attempt failed when no status code came back.

    Whether the request had left us decides ``ambiguous``: before sending, Pinterest cannot
    have processed anything; after, it may have.
    """

    CONNECT = "connect"  # no connection: nothing sent
    CONNECT_TIMEOUT = "connect_timeout"  # no connection (or pool slot) in time: nothing sent
    TIMEOUT = "timeout"  # sent, no answer in time: ambiguous
    CONNECTION_LOST = "connection_lost"  # sent (maybe in part), then the connection broke

    @property
    def label(self) -> str:
        """The status label the observer and the metrics use: ``timeout`` or
        ``connection_error``."""
        if self in (NetworkFailure.TIMEOUT, NetworkFailure.CONNECT_TIMEOUT):
            return "timeout"
        return "connection_error"


@dataclass(frozen=True, slots=True)
class PerEvent:
    """Every event of the batch has its outcome, in request order."""

    outcomes: tuple[EventOutcome, ...]


@dataclass(frozen=True, slots=True)
class Split:
    """Pinterest refused the batch as a whole (400, 413): resend it in halves to find the
    events at fault. ``reason`` is Pinterest's answer, for the log."""

    reason: str


Decision = PerEvent | Split


def decide(
    status: int | None,
    body: object,
    n_events: int,
    *,
    failure: NetworkFailure | None = None,
    retry_after: str | float | None = None,
    now: float | None = None,
) -> Decision:
    """Map one HTTP attempt for a batch of ``n_events`` to a :data:`Decision`.

    ``status`` is the HTTP status, or None when there was none (``failure`` says why).
    ``body`` is the raw answer (bytes or str, parsed here) or an already-parsed JSON value.
    ``retry_after`` is the Retry-After header as sent (seconds or an HTTP-date); ``now``
    (Unix seconds) is needed to turn an HTTP-date into seconds.
    """
    if status is None or failure is not None:
        return _uniform(_network(failure or NetworkFailure.CONNECTION_LOST), n_events)
    data = _parse(body)
    wait = parse_retry_after(retry_after, now)
    if 200 <= status < 300:
        return _results(_field(data, "events"), n_events, f"HTTP {status}")
    if status == 422:
        return _results(_field(_field(data, "details"), "events"), n_events, "HTTP 422")
    if status in (400, 413):
        if n_events > 1:
            return Split(_describe(status, data))
        return _uniform(
            Rejected(f"Pinterest rejected the event: {_describe(status, data)}"), n_events
        )
    if status in _REFUSAL_HINTS or 300 <= status < 400:
        hint = _REFUSAL_HINTS.get(status, "check [pinterest] api_base_url")
        message = f"{_says(data)} — {hint}"
        return _uniform(AccountRefused(status, message), n_events)
    if status in (408, 429, 503):
        # Refused before processing: a timeout reading our request, a rate limit, or
        # Pinterest's "not accepting any traffic".
        return _uniform(Transient(_describe(status, data), wait, ambiguous=False), n_events)
    if 500 <= status < 600:
        return _uniform(Transient(_describe(status, data), wait, ambiguous=True), n_events)
    if 400 <= status < 500:
        return _uniform(
            Rejected(f"Pinterest rejected the batch: {_describe(status, data)}"), n_events
        )
    return _uniform(
        Transient(f"unexpected answer {_describe(status, data)}", wait, ambiguous=True), n_events
    )


def parse_retry_after(value: str | float | None, now: float | None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None when
    absent or unreadable. A date in the past gives 0; a date needs ``now`` (Unix seconds)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            seconds = _seconds_until(text, now)
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _seconds_until(text: str, now: float | None) -> float:
    if now is None:
        return math.nan
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return math.nan
    if when.tzinfo is None:  # RFC 9110 dates are always GMT
        return math.nan
    return when.timestamp() - now


def _network(failure: NetworkFailure) -> Transient:
    if failure is NetworkFailure.CONNECT:
        return Transient("could not connect to Pinterest (nothing was sent)", ambiguous=False)
    if failure is NetworkFailure.CONNECT_TIMEOUT:
        return Transient("timed out connecting to Pinterest (nothing was sent)", ambiguous=False)
    if failure is NetworkFailure.TIMEOUT:
        return Transient(
            "timed out waiting for Pinterest's answer (it may have processed the events)",
            ambiguous=True,
        )
    return Transient(
        "connection to Pinterest lost after sending (it may have processed the events)",
        ambiguous=True,
    )


def _results(items: object, n_events: int, where: str) -> PerEvent:
    """Per-event outcomes from an ``events[]`` array, which must match the batch one to one."""
    if not isinstance(items, list) or len(items) != n_events:
        count = f"{len(items)} results" if isinstance(items, list) else "no events[] array"
        reason = (
            f"unreadable {where} answer from Pinterest ({count} for {n_events} events); "
            "it may have processed the events"
        )
        return _uniform(Transient(reason, ambiguous=True), n_events)
    return PerEvent(tuple(_one_result(item, where) for item in items))


def _one_result(item: object, where: str) -> EventOutcome:
    status = _field(item, "status")
    if status == "processed":
        return Processed(_text(_field(item, "warning_message")))
    if status == "failed":
        message = _text(_field(item, "error_message"))
        return Rejected(message or "Pinterest marked the event failed without a message")
    return Transient(
        f"unreadable {where} answer from Pinterest (no known status for this event); "
        "it may have processed it",
        ambiguous=True,
    )


def _uniform(outcome: EventOutcome, n_events: int) -> PerEvent:
    return PerEvent((outcome,) * n_events)


def _parse(body: object) -> object:
    """The JSON value of a raw body; None for an empty one; ``_NOT_JSON`` when unreadable."""
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes | bytearray | memoryview):
        if not bytes(body).strip():
            return None
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return _NOT_JSON
    return body


def _field(data: object, key: str) -> object:
    return data.get(key) if isinstance(data, dict) else None


def _text(value: object) -> str | None:
    """Pinterest's message, or None for a missing or empty one ("" means no message)."""
    if isinstance(value, str) and value.strip():
        return _shorten(value.strip())
    return None


def _describe(status: int, data: object) -> str:
    """``HTTP 400: <Pinterest's message> (code 4196)``, as far as the body allows."""
    return f"HTTP {status}: {_says(data)}"


def _says(data: object) -> str:
    """Pinterest's message and code from an error body, or what was wrong with the body."""
    message = _text(_field(data, "message"))
    code = _field(data, "code")
    if data is _NOT_JSON:
        text = "an answer that is not JSON"
    elif message:
        text = message
    else:
        text = "no message"
    if isinstance(code, int) and not isinstance(code, bool):
        text += f" (code {code})"
    return text


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
