"""Reconcile every accepted event against what the simulator received, and say why each
re-send happened.

Inputs: the sender's record (:class:`~tests.reliability.loadlog.LoadLog`), the simulator's
``GET /_sim/stats`` (its ``log`` has one entry per request, numbered by ``seq``, with the
event_ids it processed), the disruptions the scenario caused (:class:`Window`), and the final
status of each accepted event the simulator never received (``GET /v1/events/{id}``).

An accepted event is **delivered** when the simulator processed it at least once, **final**
when pinbridge gave it a final status with a reason instead (``failed`` with Pinterest's
message, ``expired``), and **lost** otherwise. Each receipt after the first is a **re-send**,
explained by the receipt before it:

- that request's answer was held past pinbridge's timeout (the simulator's ``timeout``
  fault): docs/delivery.md, "timeout waiting for the answer: Transient, ambiguous";
- that request was among those a disruption left without a recorded answer: it was one of
  the last ``in_flight`` requests before the disruption began, or came during it (a
  :class:`Window`, whose ``allowed`` says whether the docs allow a re-send there);
- otherwise the re-send is unexplained.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.reliability.loadlog import LoadLog

__all__ = ["TIMEOUT_REASON", "Figures", "Window", "reconcile"]

TIMEOUT_REASON = "Pinterest's answer timed out (docs/delivery.md: ambiguous, may be re-sent)"
_FINAL = ("failed", "expired")
_EXAMPLES = 5


@dataclass(frozen=True)
class Window:
    """Simulator requests whose answers a disruption may have kept from the queue.

    ``first_seq`` to ``last_seq`` (inclusive) are the ``seq`` numbers of the simulator's log:
    the requests in flight when the disruption began and those made during it.
    """

    reason: str
    allowed: bool
    first_seq: int
    last_seq: int

    def covers(self, seq: int) -> bool:
        return self.first_seq <= seq <= self.last_seq


@dataclass
class Figures:
    """One scenario's outcome: the JSON line it prints, and what makes it fail."""

    sent: int
    accepted: int
    delivered: int
    final_with_reason: dict[str, int]
    lost: int
    resent: int
    resent_why: dict[str, int]
    delivered_unacknowledged: int
    http_5xx: dict[str, int]
    other_failures: dict[str, int]
    simulator_requests: dict[str, int]
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "accepted": self.accepted,
            "delivered": self.delivered,
            "final_with_reason": self.final_with_reason,
            "lost": self.lost,
            "resent": self.resent,
            "resent_why": self.resent_why,
            "delivered_unacknowledged": self.delivered_unacknowledged,
            "http_5xx": self.http_5xx,
            "other_failures": self.other_failures,
            "simulator_requests": self.simulator_requests,
        }


def reconcile(
    load: LoadLog,
    stats: Mapping[str, Any],
    windows: Iterable[Window],
    final_status: Callable[[str], tuple[str, str | None]],
) -> Figures:
    """The figures of a scenario; ``problems`` lists every lost event and unexplained or
    disallowed re-send (empty when the scenario passes)."""
    windows = list(windows)
    receipts = _receipts(stats["log"])
    problems: list[str] = []
    received = set(receipts)
    final: Counter[str] = Counter()
    lost: list[str] = []
    for event_id in sorted(load.accepted - received):
        status, message = final_status(event_id)
        if status in _FINAL and message:
            final[f"{status}: {message}"] += 1
        else:
            lost.append(f"{event_id} ({status})")
    if lost:
        problems.append(f"{len(lost)} accepted events were lost, e.g. {lost[:_EXAMPLES]}")
    why: Counter[str] = Counter()
    bad: dict[str, list[str]] = {}
    for event_id, seen in receipts.items():
        for seq, outcome in seen[:-1]:  # every receipt but the last was followed by a re-send
            reason, allowed = _explain(seq, outcome, windows)
            why[reason] += 1
            if not allowed:
                bad.setdefault(reason, []).append(event_id)
    for reason, ids in bad.items():
        problems.append(f"{len(ids)} re-sends outside what the docs allow ({reason}): {ids[:5]}")
    return Figures(
        sent=len(load.sent),
        accepted=len(load.accepted),
        delivered=len(load.accepted & received),
        final_with_reason=dict(final),
        lost=len(lost),
        resent=sum(why.values()),
        resent_why=dict(why),
        delivered_unacknowledged=len((received & load.sent) - load.accepted),
        http_5xx=load.http_5xx(),
        other_failures=load.other_failures(),
        simulator_requests={k: n for k, n in stats["requests"].items() if n},
        problems=problems,
    )


def _receipts(log: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[int, str]]]:
    """Per event_id, the (seq, outcome) of every request that processed it, in order."""
    seen: dict[str, list[tuple[int, str]]] = {}
    for entry in sorted(log, key=lambda e: int(e["seq"])):
        for event_id in entry["processed_event_ids"]:
            seen.setdefault(event_id, []).append((int(entry["seq"]), str(entry["outcome"])))
    return seen


def _explain(seq: int, outcome: str, windows: list[Window]) -> tuple[str, bool]:
    """Why the request ``seq`` was followed by a re-send of one of its events."""
    if outcome == "timeout":
        return TIMEOUT_REASON, True
    covering = sorted((w for w in windows if w.covers(seq)), key=lambda w: not w.allowed)
    if covering:
        return covering[0].reason, covering[0].allowed
    return "unexplained: the earlier request was answered and no disruption covers it", False
