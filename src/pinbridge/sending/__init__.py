"""``pinbridge send``: map and send a file of events (offline conversions, backfills).

Readers turn NDJSON or CSV into records, the run loop maps and sends them in batches
through the Pinterest client with a resumable checkpoint, and the summary says what
became of every event. See ``docs/send.md``.
"""

from pinbridge.sending.inputs import detect_format, read_records
from pinbridge.sending.records import InputFormat, InputRecord
from pinbridge.sending.runner import Deliver, run_send
from pinbridge.sending.session import SendPlan
from pinbridge.sending.summary import SendSummary, exit_status, summary_as_dict

__all__ = [
    "Deliver",
    "InputFormat",
    "InputRecord",
    "SendPlan",
    "SendSummary",
    "detect_format",
    "exit_status",
    "read_records",
    "run_send",
    "summary_as_dict",
]
