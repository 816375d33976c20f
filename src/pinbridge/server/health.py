"""What keeps this node from doing its job right now, in words an operator can act on.

One list serves ``/readyz`` (the reasons, for an operator key), ``GET /v1/status``
(``problems``, which the console shows as a banner) and nothing else decides readiness: the
queue answers (within about a second, see the queue's breaker), its disk took the last
write, it has room, no destination is paused, delivery runs, no shutdown is under way.
"""

from __future__ import annotations

import asyncio
import logging

from pinbridge.logs import utc_text
from pinbridge.queue.records import PauseState
from pinbridge.server.context import ServerContext

__all__ = ["node_problems"]

_log = logging.getLogger("pinbridge.server.health")


async def node_problems(ctx: ServerContext) -> list[str]:
    """Every reason this node is not ready; empty when it is."""
    problems: list[str] = []
    if ctx.draining:
        problems.append("shutting down: new events are refused")
    try:
        depth, pauses = await asyncio.to_thread(_read_queue, ctx)
    except Exception as exc:  # any failure to reach the queue makes the node unready
        _log.warning("queue unreachable", extra={"error": type(exc).__name__})
        problems.append(f"the queue's database does not answer ({exc}); check [queue] url")
    else:
        max_depth = ctx.settings.queue.max_depth
        if depth >= max_depth:
            problems.append(
                f"the queue is full ({depth:,} pending events, [queue] max_depth = "
                f"{max_depth:,}): ingest answers 503 until delivery catches up"
            )
        for name, pause in sorted(pauses.items()):
            problems.append(f"destination {name} is paused: {pause.reason}")
    if ctx.queue_state.disk_full_at is not None:
        problems.append(
            "the queue's disk is full (since "
            f"{utc_text(ctx.queue_state.disk_full_at)}): new events are refused with 507 "
            "until space is freed"
        )
    if ctx.delivery_problem is not None:
        problems.append(ctx.delivery_problem)
    return problems


def _read_queue(ctx: ServerContext) -> tuple[int, dict[str, PauseState]]:
    ctx.queue.ping()
    return ctx.queue.depth(), ctx.queue.pauses()
