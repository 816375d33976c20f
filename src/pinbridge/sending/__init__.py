"""``pinbridge send``: map and send a file of events (offline conversions, backfills).

Readers turn NDJSON, JSON arrays, pretty-printed JSON or CSV into records (``transform``
uses the same JSON reader), the run loop maps and sends them in batches through the
Pinterest client with a resumable checkpoint, and the summary says what became of every
event. See ``docs/send.md``.

The names below are loaded on first use: ``pinbridge transform`` imports only the readers
and must not pay for the HTTP client that the run loop brings in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pinbridge.sending.inputs import detect_format, read_records
    from pinbridge.sending.records import EventInput, InputFormat, InputRecord, InputShape
    from pinbridge.sending.runner import Deliver, SendInterrupted, run_send
    from pinbridge.sending.session import SendPlan
    from pinbridge.sending.summary import SendSummary, exit_status, summary_as_dict

__all__ = [
    "Deliver",
    "EventInput",
    "InputFormat",
    "InputRecord",
    "InputShape",
    "SendInterrupted",
    "SendPlan",
    "SendSummary",
    "detect_format",
    "exit_status",
    "read_records",
    "run_send",
    "summary_as_dict",
]

_HOMES = {
    "detect_format": "inputs",
    "read_records": "inputs",
    "EventInput": "records",
    "InputFormat": "records",
    "InputRecord": "records",
    "InputShape": "records",
    "Deliver": "runner",
    "SendInterrupted": "runner",
    "run_send": "runner",
    "SendPlan": "session",
    "SendSummary": "summary",
    "exit_status": "summary",
    "summary_as_dict": "summary",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
