"""The reconciler finds lost events and unexplained re-sends, and names each re-send's
reason (so a fault scenario can fail)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reliability.loadlog import LoadLog
from tests.reliability.reconcile import TIMEOUT_REASON, Window, reconcile

pytestmark = pytest.mark.reliability

KILLED = Window("killed", allowed=True, first_seq=2, last_seq=3)
STOPPED = Window("stopped", allowed=False, first_seq=2, last_seq=3)


def _load(accepted: set[str], sent: set[str] | None = None) -> LoadLog:
    load = LoadLog(Path("unused"))
    load.sent = set(sent or accepted)
    load.accepted = set(accepted)
    return load


def _stats(*requests: tuple[str, list[str]]) -> dict[str, Any]:
    """A ``/_sim/stats`` whose log holds ``requests`` (outcome, processed ids), seq from 1."""
    log = [
        {"seq": seq, "outcome": outcome, "processed_event_ids": ids}
        for seq, (outcome, ids) in enumerate(requests, start=1)
    ]
    return {"requests": {"200": len(log)}, "log": log}


def _never_final(event_id: str) -> tuple[str, str | None]:
    return "retrying", None


def test_every_accepted_event_delivered_once_passes() -> None:
    figures = reconcile(_load({"a", "b"}), _stats(("200", ["a"]), ("200", ["b"])), [], _never_final)
    assert figures.problems == []
    assert (figures.accepted, figures.delivered, figures.lost, figures.resent) == (2, 2, 0, 0)


def test_an_accepted_event_never_received_nor_final_is_lost() -> None:
    figures = reconcile(_load({"a", "b"}), _stats(("200", ["a"])), [], _never_final)
    assert figures.lost == 1
    assert figures.problems == ["1 accepted events were lost, e.g. ['b (retrying)']"]


def test_an_event_final_with_a_reason_is_not_lost() -> None:
    def failed(event_id: str) -> tuple[str, str | None]:
        return "failed", "Invalid event_name parameter"

    figures = reconcile(_load({"a"}), _stats(("422", [])), [], failed)
    assert figures.problems == []
    assert figures.final_with_reason == {"failed: Invalid event_name parameter": 1}


def test_a_re_send_after_an_answered_request_is_unexplained() -> None:
    figures = reconcile(
        _load({"a"}), _stats(("200", ["a"]), ("200", []), ("200", ["a"])), [], _never_final
    )
    assert figures.resent == 1
    assert len(figures.problems) == 1
    assert figures.problems[0].startswith("1 re-sends outside what the docs allow (unexplained")


def test_a_re_send_after_a_timeout_is_allowed() -> None:
    figures = reconcile(_load({"a"}), _stats(("timeout", ["a"]), ("200", ["a"])), [], _never_final)
    assert figures.problems == []
    assert figures.resent_why == {TIMEOUT_REASON: 1}


@pytest.mark.parametrize(
    ("window", "problems"),
    [(KILLED, 0), (STOPPED, 1)],
    ids=["allowed", "not allowed"],
)
def test_a_re_send_after_a_request_in_a_window_takes_its_reason(
    window: Window, problems: int
) -> None:
    stats = _stats(("200", ["x"]), ("200", ["a"]), ("200", []), ("200", ["a"]))
    figures = reconcile(_load({"a", "x"}), stats, [window], _never_final)
    assert figures.resent_why == {window.reason: 1}
    assert len(figures.problems) == problems


def test_a_re_send_of_a_request_before_the_window_is_unexplained() -> None:
    stats = _stats(("200", ["a"]), ("200", []), ("200", []), ("200", ["a"]))
    figures = reconcile(_load({"a"}), stats, [KILLED], _never_final)
    assert "killed" not in figures.resent_why
    assert len(figures.problems) == 1


def test_delivered_events_the_sender_never_saw_acknowledged_are_counted() -> None:
    figures = reconcile(
        _load({"a"}, sent={"a", "b"}), _stats(("200", ["a", "b"])), [], _never_final
    )
    assert figures.delivered_unacknowledged == 1
    assert figures.problems == []
