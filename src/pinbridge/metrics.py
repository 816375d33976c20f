"""Prometheus metrics of one pinbridge process, in one registry owned by the caller.

Ingest and delivery both count into ``events``; the queue depth is read from the queue
when ``/metrics`` is scraped (a gauge callback), so it is right on every node.
"""

from __future__ import annotations

from collections.abc import Callable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]

# Every counter and histogram would also expose a ``*_created`` timestamp series, which
# doubles the output and which nothing reading pinbridge's metrics uses.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600)


class Metrics:
    """The metrics a dashboard or Prometheus reads; one instance per process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.events = Counter(
            "pinbridge_events",
            "Events by status (ingest: queued, duplicate, filtered, invalid; delivery: "
            "delivered, failed, retrying, expired), Pinterest event name and destination.",
            ["status", "event_name", "destination"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "pinbridge_queue_depth",
            "Events accepted and not yet final (queued or retrying), all nodes.",
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "pinbridge_delivery_latency_seconds",
            "Seconds from acceptance to a final outcome (delivered or failed).",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.identifiers = Counter(
            "pinbridge_identifiers",
            "Queued events carrying each identifier (em, ph, external_id, click_id, "
            "hashed_maids, ip_and_user_agent, fn_ln; order_id and value_and_currency for "
            "checkouts), by destination and Pinterest event name: the match-quality counts.",
            ["destination", "event_name", "identifier"],
            registry=self.registry,
        )
        self.pinterest_responses = Counter(
            "pinbridge_pinterest_responses",
            "HTTP answers from Pinterest by status code (or timeout / connection_error) "
            "and destination.",
            ["status", "destination"],
            registry=self.registry,
        )

    def track_queue_depth(self, read_depth: Callable[[], int]) -> None:
        """Read the queue depth from ``read_depth`` at every scrape."""
        self.queue_depth.set_function(lambda: float(read_depth()))
