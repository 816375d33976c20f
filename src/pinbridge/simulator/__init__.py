"""A local stand-in for Pinterest's Conversions API, for tests, demos and dry runs.

``pinbridge simulate`` serves ``POST /v5/ad_accounts/{id}/events`` with Pinterest's
documented behaviour (401, 400 with code 4196, per-event checks giving 200 or 422 with
code 953), seeded fault injection (429, 500, timeout, connection reset, latency) and control
endpoints under ``/_sim``. See ``docs/simulator.md``.
"""

from pinbridge.simulator.answers import Answer, process_events
from pinbridge.simulator.checks import EventVerdict, check_event
from pinbridge.simulator.faults import Fault, FaultPlan
from pinbridge.simulator.schema import Violation, schema_violations
from pinbridge.simulator.settings import SimulatorSettings
from pinbridge.simulator.stats import Stats

__all__ = [
    "Answer",
    "EventVerdict",
    "Fault",
    "FaultPlan",
    "SimulatorSettings",
    "Stats",
    "Violation",
    "check_event",
    "process_events",
    "schema_violations",
]
