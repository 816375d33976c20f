"""What became of one event sent to Pinterest: the four outcomes, one type each.

The nature of an outcome is its type (``isinstance``), never its text: ``Processed`` and
``Rejected`` are final, ``Transient`` may be retried, ``AccountRefused`` pauses the account
and keeps the event. The messages are for people (logs, dead letters, the dashboard) and
never hold the access token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "AccountRefused",
    "Answered",
    "EventOutcome",
    "Processed",
    "Rejected",
    "Transient",
    "first_refusal",
]


@dataclass(frozen=True, slots=True)
class Processed:
    """Pinterest processed the event; ``warning`` is its warning_message, if it gave one."""

    warning: str | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """Pinterest refused this event for good (a dead letter); ``message`` says why."""

    message: str


@dataclass(frozen=True, slots=True)
class Transient:
    """No final answer yet (429, 5xx, timeout, connection trouble): try again later.

    ``retry_after`` is Pinterest's Retry-After in seconds, when it sent one. ``ambiguous`` is
    true when Pinterest may have processed the event anyway (the request reached it but the
    answer was lost), so a retry may deliver it twice; Pinterest deduplicates by event_id.
    """

    reason: str
    retry_after: float | None = None
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class AccountRefused:
    """Pinterest refused the account itself (401, 403, 404): pause it, keep the event."""

    status: int
    message: str


EventOutcome = Processed | Rejected | Transient | AccountRefused


@dataclass(frozen=True, slots=True)
class Answered:
    """One event's outcome with the request that decided it: the HTTP status of the answer
    (None when none came: a timeout or a broken connection) and how many events that
    request carried. The console shows them as the event's delivery attempt."""

    outcome: EventOutcome
    http_status: int | None
    batch_size: int

    @property
    def message(self) -> str | None:
        """Pinterest's per-event message (or the reason there is none), for people."""
        outcome = self.outcome
        if isinstance(outcome, Processed):
            return outcome.warning
        if isinstance(outcome, Transient):
            return outcome.reason
        return outcome.message


def first_refusal(outcomes: Iterable[EventOutcome]) -> AccountRefused | None:
    """The first ``AccountRefused`` in ``outcomes``, or ``None``; one refusal stands for all."""
    return next((o for o in outcomes if isinstance(o, AccountRefused)), None)
