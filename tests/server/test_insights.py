"""The console's numbers from per-minute tally rows, and the match-quality rules (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from pinbridge.queue.records import TallyRow
from pinbridge.server.insights import match_quality_of, percentile, stats_of
from pinbridge.server.quality import hints, identifiers_of

T0 = 1_795_860_000.0  # a whole minute


def row(minute: float, metric: str, count: int, **kw: Any) -> TallyRow:
    return TallyRow(
        minute=minute,
        destination=kw.get("destination", "default"),
        event_name=kw.get("event_name", "checkout"),
        metric=metric,
        detail=kw.get("detail", ""),
        count=count,
    )


def test_every_minute_of_the_window_is_in_the_series_with_zeros() -> None:
    rows = [
        row(T0, "received", 5),
        row(T0, "queued", 4),
        row(T0 + 120, "delivered", 4),
        row(T0, "filtered", 1, event_name="none", detail="consent"),
        row(T0 + 60, "invalid", 2, event_name="none", detail="event_time: 8 days before"),
        row(T0 + 60, "pinterest_status", 4, detail="200"),
    ]
    stats = stats_of(rows, since=T0, until=T0 + 180, latencies=[1.0, 2.0, 3.0, 10.0])
    assert [m["minute"] for m in stats["minutes"]] == [T0, T0 + 60, T0 + 120]
    assert [m["received"] for m in stats["minutes"]] == [5, 0, 0]
    assert [m["delivered"] for m in stats["minutes"]] == [0, 0, 4]
    assert stats["filtered_by_reason"] == {"consent": 1}
    assert stats["top_invalid_errors"] == [{"error": "event_time: 8 days before", "count": 2}]
    assert stats["pinterest_statuses"] == {"200": 4}
    assert stats["latency"] == {"p50": 2.0, "p95": 10.0, "count": 4}
    assert stats["by_event_name"]["checkout"] == {"received": 5, "queued": 4, "delivered": 4}
    assert stats["by_destination"]["default"]["invalid"] == 2


def test_corrections_for_duplicates_net_out() -> None:
    rows = [row(T0, "queued", 3), row(T0, "queued", -1), row(T0, "duplicate", 1)]
    [minute] = stats_of(rows, since=T0, until=T0 + 60, latencies=[])["minutes"]
    assert (minute["queued"], minute["duplicate"]) == (2, 1)


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [([], 0.5, None), ([4.0], 0.95, 4.0), ([1, 2, 3, 4], 0.5, 2), ([1, 2, 3, 4], 0.95, 4)],
)
def test_percentile_is_the_nearest_rank(
    values: list[float], share: float, expected: float | None
) -> None:
    assert percentile(values, share) == expected


def test_identifiers_of_a_mapped_event() -> None:
    checkout = {
        "event_name": "checkout",
        "user_data": {
            "em": ["x"],
            "client_ip_address": "1.2.3.4",
            "client_user_agent": "UA",
            "fn": ["a"],
        },
        "custom_data": {"order_id": "O-1", "value": "10", "currency": "EUR"},
    }
    assert identifiers_of(checkout) == ["em", "ip_and_user_agent", "order_id", "value_and_currency"]
    page = {
        "event_name": "page_visit",
        "user_data": {"click_id": "c", "fn": ["a"], "ln": ["b"]},
        "custom_data": {"order_id": "O-1"},
    }
    assert identifiers_of(page) == ["click_id", "fn_ln"]


def test_match_quality_gives_shares_and_a_hint_for_the_biggest_gap() -> None:
    rows = [
        row(T0, "queued", 100),
        row(T0, "identifier", 93, detail="em"),
        row(T0, "identifier", 38, detail="click_id"),
        row(T0, "identifier", 100, detail="order_id"),
        row(T0, "queued", 10, event_name="page_visit"),
        row(T0, "identifier", 10, event_name="page_visit", detail="em"),
    ]
    quality = match_quality_of(rows)
    checkout = quality["event_names"]["checkout"]
    assert checkout["events"] == 100
    assert checkout["identifiers"]["em"] == 0.93
    assert checkout["identifiers"]["click_id"] == 0.38
    assert checkout["identifiers"]["order_id"] == 1.0
    assert "order_id" not in quality["event_names"]["page_visit"]["identifiers"]
    assert quality["hints"][0].startswith("100% of page_visit events have no click_id: ")
    assert quality["hints"][1] == (
        "100% of checkout events have no IP address and user agent: are "
        "context.device.ip and context.device.user_agent both forwarded from the browser "
        "(not your server's own address)?"
    )
    assert all("advertising" not in hint for hint in quality["hints"])


def test_hints_name_the_costliest_gap_first() -> None:
    advice = hints({"checkout": {"em": 0.5, "click_id": 0.38, "ph": 0.95, "fn_ln": 0.0}})
    assert advice[0] == (
        "62% of checkout events have no click_id: is the _epik cookie forwarded in "
        "context.device.cookie, or the epik parameter kept in context.page.url?"
    )
    assert advice[1].startswith("50% of checkout events have no em: ")
    assert advice[2].startswith("100% of checkout events have no first and last name: ")
    assert len(advice) == 3  # 95% needs no advice
