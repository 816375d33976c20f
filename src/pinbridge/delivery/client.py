"""The Pinterest Conversions API client: the only module that speaks HTTP to Pinterest.

``send`` posts already-encoded events in chunks of at most 1000, lets :func:`decide` read
each answer, and carries the decision out: one outcome per event, in order. When Pinterest
refuses a batch as a whole (400), the batch is resent in halves, recursively, until the
events at fault stand alone; the good ones go through and each bad one gets Pinterest's
own message. HTTP and network trouble become outcomes, never exceptions.

The access token is revealed only to build the Authorization header of a request; it is
masked in this object's repr and scrubbed from anything logged.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from types import TracebackType
from urllib.parse import quote

import httpx

from pinbridge import __version__
from pinbridge.delivery.decision import Decision, NetworkFailure, PerEvent, decide
from pinbridge.delivery.outcomes import (
    AccountRefused,
    Answered,
    EventOutcome,
    Processed,
    Transient,
)
from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret

__all__ = ["DEFAULT_BASE_URL", "MAX_BATCH_EVENTS", "Observer", "PinterestClient"]

DEFAULT_BASE_URL = "https://api.pinterest.com"
MAX_BATCH_EVENTS = 1000  # Pinterest's limit per request

Observer = Callable[[str, float], None]
"""Called once per HTTP attempt with the status code as text (or ``timeout`` /
``connection_error``) and the attempt's duration in seconds."""

_log = logging.getLogger(__name__)


class PinterestClient:
    """An async client for ``POST /v5/ad_accounts/{id}/events`` with one connection pool.

    Use it as ``async with PinterestClient(...) as client`` (or call :meth:`aclose`).
    ``transport`` lets tests put a mock of Pinterest under the real client.
    """

    def __init__(
        self,
        *,
        access_token: Secret,
        base_url: str = DEFAULT_BASE_URL,
        test_mode: bool = False,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        observer: Observer | None = None,
    ) -> None:
        if not timeout > 0:
            raise ConfigError(f"the request timeout must be greater than 0 seconds, not {timeout}")
        self._token = access_token
        self._base_url = _normalise_base_url(base_url)
        self._test_mode = test_mode
        self._observer = observer
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": f"pinbridge/{__version__}"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return (
            f"PinterestClient(base_url={self._base_url!r}, test_mode={self._test_mode}, "
            "access_token=Secret('***'))"
        )

    async def __aenter__(self) -> PinterestClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def send(self, ad_account_id: str, events: Sequence[bytes]) -> list[EventOutcome]:
        """Send ``events`` (orjson-encoded ``data[]`` elements) to the ad account.

        Returns one outcome per event, in the same order. Once Pinterest refuses the
        account (401, 403, 404), the rest are not sent and share that outcome.
        """
        return [answered.outcome for answered in await self.send_answered(ad_account_id, events)]

    async def send_answered(self, ad_account_id: str, events: Sequence[bytes]) -> list[Answered]:
        """:meth:`send`, with the HTTP status and size of the request that decided each event."""
        url = f"{self._base_url}/v5/ad_accounts/{quote(ad_account_id, safe='')}/events"
        answers: list[Answered] = []
        for start in range(0, len(events), MAX_BATCH_EVENTS):
            chunk = events[start : start + MAX_BATCH_EVENTS]
            refused = next((a for a in answers if isinstance(a.outcome, AccountRefused)), None)
            if refused is not None:
                answers.extend([refused] * len(chunk))
            else:
                answers.extend(await self._send_batch(url, chunk))
        return answers

    async def _send_batch(self, url: str, events: Sequence[bytes]) -> list[Answered]:
        """One attempt for the batch; on a whole-batch refusal, each half on its own."""
        decision, status = await self._attempt(url, events)
        if isinstance(decision, PerEvent):
            return [Answered(outcome, status, len(events)) for outcome in decision.outcomes]
        _log.info(
            "Pinterest refused a batch of %d events (%s); resending it in halves to find "
            "the events at fault",
            len(events),
            self._scrub(decision.reason),
        )
        middle = len(events) // 2
        first = await self._send_batch(url, events[:middle])
        refused = next((a for a in first if isinstance(a.outcome, AccountRefused)), None)
        if refused is not None:
            return first + [refused] * (len(events) - middle)
        return first + await self._send_batch(url, events[middle:])

    async def _attempt(self, url: str, events: Sequence[bytes]) -> tuple[Decision, int | None]:
        """POST one batch and decide, with the answer's HTTP status (None when none came);
        the one place the token is revealed."""
        body = b'{"data":[' + b",".join(events) + b"]}"
        headers = {
            "Authorization": f"Bearer {self._token.reveal()}",
            "Content-Type": "application/json",
        }
        params = {"test": "true"} if self._test_mode else None
        started = time.perf_counter()
        try:
            response = await self._http.post(url, content=body, headers=headers, params=params)
        except (httpx.HTTPError, OSError) as exc:
            failure = _failure_of(exc)
            self._observe(failure.label, started)
            _log.warning(
                "no answer from Pinterest for %d events: %s: %s",
                len(events),
                type(exc).__name__,
                self._scrub(str(exc)),
            )
            return decide(None, None, len(events), failure=failure), None
        self._observe(str(response.status_code), started)
        decision = decide(
            response.status_code,
            response.content,
            len(events),
            retry_after=response.headers.get("Retry-After"),
            now=time.time(),
        )
        _log.debug("Pinterest answered HTTP %d for %d events", response.status_code, len(events))
        return self._scrub_outcomes(decision), response.status_code

    def _observe(self, label: str, started: float) -> None:
        if self._observer is not None:
            self._observer(label, time.perf_counter() - started)

    def _scrub_outcomes(self, decision: Decision) -> Decision:
        """The decision with the token masked in every message, should Pinterest echo it."""
        if not isinstance(decision, PerEvent):
            return decision
        return PerEvent(tuple(map(self._scrub_outcome, decision.outcomes)))

    def _scrub_outcome(self, outcome: EventOutcome) -> EventOutcome:
        if isinstance(outcome, Processed):
            return outcome if outcome.warning is None else Processed(self._scrub(outcome.warning))
        if isinstance(outcome, Transient):
            return replace(outcome, reason=self._scrub(outcome.reason))
        return replace(outcome, message=self._scrub(outcome.message))

    def _scrub(self, text: str) -> str:
        """``text`` with the token masked, should anything ever echo it back."""
        token = self._token.reveal()
        return text.replace(token, "***") if token else text


def _failure_of(exc: BaseException) -> NetworkFailure:
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return NetworkFailure.CONNECT_TIMEOUT
    if isinstance(exc, httpx.TimeoutException):
        return NetworkFailure.TIMEOUT
    if isinstance(exc, httpx.ConnectError):
        return NetworkFailure.CONNECT
    return NetworkFailure.CONNECTION_LOST


def _normalise_base_url(base_url: str) -> str:
    """``https://host[:port][/prefix]`` without a trailing slash or ``/v5``."""
    url = base_url.strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError(
            f"the Pinterest API base URL must start with http:// or https://, not {base_url!r} "
            "(default: https://api.pinterest.com)"
        )
    return url.removesuffix("/v5")
