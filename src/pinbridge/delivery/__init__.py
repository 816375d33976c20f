"""Delivery to Pinterest: the client, the per-event outcomes, the retry decision and timing.

``client`` is the only module that speaks HTTP to Pinterest; ``decision`` (what an answer
means) and ``backoff`` (when to try again) are pure; ``retrying`` loops for one-shot
senders. The queue-driven worker lives in ``worker``. See ``docs/delivery.md``.
"""

from pinbridge.delivery.client import PinterestClient
from pinbridge.delivery.outcomes import (
    AccountRefused,
    EventOutcome,
    Processed,
    Rejected,
    Transient,
    first_refusal,
)

__all__ = [
    "AccountRefused",
    "EventOutcome",
    "PinterestClient",
    "Processed",
    "Rejected",
    "Transient",
    "first_refusal",
]
