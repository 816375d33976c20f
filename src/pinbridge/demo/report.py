"""What the demo observed, and the summary tables it prints.

:class:`DemoSummary` is filled in by the pipeline; :meth:`DemoSummary.problems` says what
went wrong (an accepted event without a final status, a delivered event the simulator never
received), and :func:`render` prints the tables with rich.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["DemoSummary", "FinalStatus", "render"]

_TOP_REASONS = 5
_LONG_NUMBER = re.compile(r"\d{6,}")


@dataclass(frozen=True, slots=True)
class FinalStatus:
    """The last status of one accepted event, with Pinterest's (or pinbridge's) message."""

    status: str
    message: str | None = None


@dataclass
class DemoSummary:
    """Everything the demo counts, from posting to the simulator's own tally."""

    posted: int = 0
    ingest: Counter[str] = field(default_factory=Counter)
    filtered_reasons: Counter[str] = field(default_factory=Counter)
    invalid_reasons: Counter[str] = field(default_factory=Counter)
    accepted: list[str] = field(default_factory=list)
    final: dict[str, FinalStatus | None] = field(default_factory=dict)
    simulator: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    timed_out: bool = False

    def delivery_counts(self) -> Counter[str]:
        """Accepted events by final status (``pending`` when none was reached)."""
        return Counter(f.status if f else "pending" for f in self.final.values())

    def reasons(self, status: str) -> Counter[str]:
        """The messages of the events that ended with ``status``, timestamps and other long
        numbers blanked out so that the same reason is counted once."""
        return Counter(
            _LONG_NUMBER.sub("…", f.message or "(no message)")
            for f in self.final.values()
            if f is not None and f.status == status
        )

    def received_ids(self) -> Counter[str]:
        """How many times the simulator accepted each event_id."""
        return Counter(str(i) for i in self.simulator.get("accepted_event_ids", []))

    def problems(self) -> list[str]:
        """Why the demo failed, one sentence each; empty when every event is accounted for."""
        found: list[str] = []
        pending = sorted(i for i, f in self.final.items() if f is None or f.status not in _FINAL)
        if pending:
            found.append(
                f"{len(pending)} accepted events have no final status"
                f"{' (timed out)' if self.timed_out else ''}, e.g. {', '.join(pending[:3])}"
            )
        received = self.received_ids()
        missing = sorted(
            i for i, f in self.final.items() if f and f.status == "delivered" and not received[i]
        )
        if missing:
            found.append(
                f"the simulator never received {len(missing)} of the events marked delivered, "
                f"e.g. {', '.join(missing[:3])}"
            )
        return found


_FINAL = ("delivered", "failed", "expired")


def render(summary: DemoSummary, console: Console) -> None:
    """Print the ingest, delivery and simulator tables."""
    console.print(_ingest_table(summary))
    console.print(_delivery_table(summary))
    console.print(_simulator_table(summary))
    console.print(f"Finished in {summary.seconds:.1f} s.")


def _ingest_table(summary: DemoSummary) -> Table:
    table = Table(title=f"Ingest: {summary.posted} events posted", title_justify="left")
    table.add_column("result")
    table.add_column("events", justify="right")
    table.add_column("why")
    table.add_row("queued", str(summary.ingest["queued"]), "mapped, hashed and stored")
    table.add_row("duplicate", str(summary.ingest["duplicate"]), "same event_id already accepted")
    table.add_row("filtered", str(summary.ingest["filtered"]), _top(summary.filtered_reasons))
    table.add_row("invalid", str(summary.ingest["invalid"]), _top(summary.invalid_reasons))
    return table


def _delivery_table(summary: DemoSummary) -> Table:
    counts = summary.delivery_counts()
    table = Table(
        title=f"Delivery of the {len(summary.final)} accepted events", title_justify="left"
    )
    table.add_column("status")
    table.add_column("events", justify="right")
    table.add_column("reason")
    warnings = summary.reasons("delivered")
    warnings.pop("(no message)", None)
    table.add_row("delivered", str(counts["delivered"]), _top(warnings))
    table.add_row("failed (dead letters)", str(counts["failed"]), _top(summary.reasons("failed")))
    table.add_row("expired", str(counts["expired"]), _top(summary.reasons("expired")))
    if counts["pending"] or any(s not in _FINAL for s in counts if s != "pending"):
        other = sum(n for s, n in counts.items() if s not in _FINAL)
        table.add_row("[red]not final[/red]", str(other), "still queued, retrying or paused")
    return table


def _simulator_table(summary: DemoSummary) -> Table:
    requests: dict[str, int] = summary.simulator.get("requests", {})
    received = summary.received_ids()
    table = Table(title="Simulated Pinterest", title_justify="left")
    table.add_column("measure")
    table.add_column("count", justify="right")
    table.add_column("detail")
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(requests.items()) if n)
    table.add_row("requests (by answer)", str(sum(requests.values())), answers)
    table.add_row(
        "events accepted", str(sum(received.values())), f"{len(received)} distinct event_ids"
    )
    resent = sum(n - 1 for n in received.values() if n > 1)
    table.add_row(
        "events received twice or more",
        str(sum(1 for n in received.values() if n > 1)),
        f"{resent} re-sends after an unknowable outcome (Pinterest deduplicates by event_id)"
        if resent
        else "",
    )
    return table


def _top(reasons: Counter[str]) -> Text:
    """The commonest reasons, as plain text (messages may hold ``[...]``, not markup)."""
    shown = [f"{n} x {reason}" for reason, n in reasons.most_common(_TOP_REASONS)]
    rest = len(reasons) - _TOP_REASONS
    if rest > 0:
        shown.append(f"... and {rest} other reasons")
    return Text("\n".join(shown))
