"""``pinbridge simulate``: run a local stand-in for Pinterest's Conversions API.

Point ``pinterest.api_base_url`` at the printed URL for dry runs, tests and demos.
See ``docs/simulator.md`` for what it checks and how faults are injected.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

__all__ = ["add_parser"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8099


def add_parser(subparsers: Any) -> None:
    """Register ``simulate`` and its options."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="run a local Pinterest Conversions API simulator",
        description="Serve POST /v5/ad_accounts/{id}/events the way Pinterest does, with "
        "optional seeded fault injection, plus /_sim/stats, /_sim/reset and /_sim/config.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help="port (%(default)s; 0 picks a free one)"
    )
    parser.add_argument(
        "--tokens",
        metavar="T1,T2",
        help="comma-separated access tokens to accept (default: any Bearer token)",
    )
    parser.add_argument(
        "--seed", type=int, help="seed of the fault sequence (default: random, printed)"
    )
    for status in ("429", "500"):
        parser.add_argument(
            f"--rate-{status}",
            type=_probability,
            default=0.0,
            metavar="P",
            help=f"chance (0-1) that a request is answered {status}",
        )
    parser.add_argument(
        "--rate-timeout",
        type=_probability,
        default=0.0,
        metavar="P",
        help="chance that a request is processed but its answer held --timeout-hold-ms",
    )
    parser.add_argument(
        "--rate-reset",
        type=_probability,
        default=0.0,
        metavar="P",
        help="chance that the connection is dropped without an answer (nothing processed)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0.0,
        metavar="MS",
        help="delay added to every answer",
    )
    parser.add_argument(
        "--retry-after",
        type=_non_negative,
        metavar="S",
        help="send Retry-After: S (seconds) with every 429",
    )
    parser.add_argument(
        "--fail-prefix",
        metavar="PREFIX",
        help="answer 'failed' for every event whose event_id starts with PREFIX (dead letters "
        "on demand, for tests and demos)",
    )
    parser.add_argument(
        "--timeout-hold-ms",
        type=_non_negative,
        default=30000.0,
        metavar="MS",
        help="how long a timeout fault holds the answer (default: 30000)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or SIGINT; exit status 0 on a clean stop."""
    import asyncio

    from pinbridge.simulator.app import SimulatorState
    from pinbridge.simulator.faults import FaultPlan
    from pinbridge.simulator.runner import READY_PREFIX, serve
    from pinbridge.simulator.settings import SimulatorSettings, parse_tokens
    from pinbridge.simulator.stats import Stats

    settings = SimulatorSettings(
        tokens=parse_tokens(args.tokens) if args.tokens is not None else None,
        rate_429=args.rate_429,
        rate_500=args.rate_500,
        rate_timeout=args.rate_timeout,
        rate_reset=args.rate_reset,
        latency_ms=args.latency_ms,
        retry_after=args.retry_after,
        timeout_hold_ms=args.timeout_hold_ms,
        fail_prefix=args.fail_prefix or None,
    )
    plan = FaultPlan(args.seed)
    state = SimulatorState(settings=settings, plan=plan, stats=Stats())
    print(
        f"pinbridge simulator: fault seed {plan.seed} (pass --seed {plan.seed} to replay)",
        file=sys.stderr,
        flush=True,
    )

    def announce(url: str) -> None:
        print(f"{READY_PREFIX}{url}", flush=True)

    asyncio.run(serve(state, args.host, args.port, announce))
    return 0


def _probability(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (a probability), got {text}")
    return value


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 0 and 65535, got {value}")
    return value
