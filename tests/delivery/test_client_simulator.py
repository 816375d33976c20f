"""The client and the retry loop against the real ``pinbridge simulate`` process on loopback.

Pinterest's answers come from the simulator (schema checks, per-event checks, injected
faults); ``/_sim/stats`` tells what it accepted, so each test checks that no event is lost
and that none is delivered twice unless an attempt for it was ambiguous.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import pytest

from pinbridge.delivery import (
    AccountRefused,
    EventOutcome,
    PinterestClient,
    Processed,
    Rejected,
    Transient,
)
from pinbridge.delivery.retrying import deliver_with_retries
from pinbridge.secrets import Secret
from tests.delivery.helpers import event_bytes, sha256
from tests.support.simulator import SimulatorProcess, start_simulator
from tests.support.simulator_fixtures import SIMULATOR_TOKEN

ACCOUNT = "549755885175"
SEED = "20261128"
FAULT_TIMEOUT = 0.25  # client timeout where timeouts are injected; answers are held longer
HOLD_MS = 2000.0


def _send(
    sim: SimulatorProcess,
    events: Sequence[bytes],
    *,
    token: str = SIMULATOR_TOKEN,
    timeout: float = 30.0,
    test_mode: bool = False,
) -> tuple[list[EventOutcome], list[str]]:
    labels: list[str] = []

    async def go() -> list[EventOutcome]:
        async with PinterestClient(
            access_token=Secret(token),
            base_url=sim.base_url,
            timeout=timeout,
            test_mode=test_mode,
            observer=lambda label, _: labels.append(label),
        ) as client:
            return await client.send(ACCOUNT, events)

    return asyncio.run(go()), labels


class _Recorder:
    """Wraps the client to remember every outcome each event got, attempt by attempt."""

    def __init__(self, client: PinterestClient) -> None:
        self.client = client
        self.seen: dict[str, list[EventOutcome]] = {}
        self.sends = 0

    async def send(self, ad_account_id: str, events: Sequence[bytes]) -> list[EventOutcome]:
        self.sends += 1
        outcomes = await self.client.send(ad_account_id, events)
        for raw, outcome in zip(events, outcomes, strict=True):
            self.seen.setdefault(orjson.loads(raw)["event_id"], []).append(outcome)
        return outcomes

    def ambiguous(self) -> set[str]:
        return {
            event_id
            for event_id, outcomes in self.seen.items()
            if any(isinstance(o, Transient) and o.ambiguous for o in outcomes)
        }


def _deliver(
    sim: SimulatorProcess, events: Sequence[bytes], *, max_attempts: int, timeout: float = 30.0
) -> tuple[list[EventOutcome], _Recorder]:
    async def go() -> tuple[list[EventOutcome], _Recorder]:
        async with PinterestClient(
            access_token=Secret(SIMULATOR_TOKEN), base_url=sim.base_url, timeout=timeout
        ) as client:
            recorder = _Recorder(client)
            outcomes = await deliver_with_retries(
                recorder,
                ACCOUNT,
                events,
                max_attempts=max_attempts,
                base=0.005,
                cap=0.05,
                rng=random.Random(11),
            )
            return outcomes, recorder

    return asyncio.run(go())


def _mixed_events(n: int) -> tuple[list[bytes], set[str]]:
    """``n`` events; every 7th fails a per-event check (so the batch gets a 422). Returns the
    events and the ids Pinterest should reject."""
    events, bad = [], set()
    for i in range(n):
        event_id = f"m{i}"
        if i % 7 == 3:
            bad.add(event_id)
            kind = (i // 7) % 3
            if kind == 0:
                events.append(event_bytes(event_id, event_time=1_000_000_000))  # too old
            elif kind == 1:
                events.append(event_bytes(event_id, user_data={"em": ["NOT-A-DIGEST"]}))
            else:
                events.append(event_bytes(event_id, event_name="teleport"))
        else:
            events.append(event_bytes(event_id))
    return events, bad


def _ids(events: Sequence[bytes]) -> list[str]:
    return [orjson.loads(raw)["event_id"] for raw in events]


def _check_no_loss(
    events: Sequence[bytes],
    outcomes: Sequence[EventOutcome],
    accepted: list[str],
    ambiguous: set[str],
) -> Counter[str]:
    """Every event has one final outcome; processed ones reached Pinterest, rejected ones
    did not; an event reached it twice only after an ambiguous attempt."""
    counts = Counter(accepted)
    assert len(outcomes) == len(events)
    for event_id, outcome in zip(_ids(events), outcomes, strict=True):
        assert isinstance(outcome, Processed | Rejected), (event_id, outcome)
        if isinstance(outcome, Processed):
            assert counts[event_id] >= 1, f"{event_id} reported processed but never accepted"
        else:
            assert counts[event_id] == 0, f"{event_id} rejected but accepted"
        if counts[event_id] > 1:
            assert event_id in ambiguous, f"{event_id} delivered twice without an ambiguous attempt"
    assert set(counts) <= set(_ids(events))
    return counts


def test_a_mixed_batch_gets_one_outcome_per_event(simulator: SimulatorProcess) -> None:
    events, bad = _mixed_events(200)
    outcomes, labels = _send(simulator, events)
    assert labels == ["422"]
    for event_id, outcome in zip(_ids(events), outcomes, strict=True):
        if event_id in bad:
            assert isinstance(outcome, Rejected) and outcome.message
        else:
            assert outcome == Processed()
    messages = {o.message for o in outcomes if isinstance(o, Rejected)}
    assert any("event_timestamp" in m for m in messages)
    assert any("user_data.em" in m for m in messages)
    assert any("event_name" in m for m in messages)
    stats = simulator.stats()
    assert sorted(stats["accepted_event_ids"]) == sorted(set(_ids(events)) - bad)


def test_all_valid_batches_are_processed_in_chunks_of_1000(simulator: SimulatorProcess) -> None:
    events = [event_bytes(f"v{i}") for i in range(2100)]
    outcomes, labels = _send(simulator, events, test_mode=True)
    assert outcomes == [Processed()] * 2100
    assert labels == ["200", "200", "200"]
    stats = simulator.stats()
    assert [len(entry["event_ids"]) for entry in stats["log"]] == [1000, 1000, 100]
    assert all(entry["test"] for entry in stats["log"])
    assert stats["accepted_event_ids"] == _ids(events)


@pytest.mark.parametrize("poisoned", [[613], [0, 999], [1, 2, 3]])
def test_a_poisoned_key_is_isolated_by_splitting(
    simulator: SimulatorProcess, poisoned: list[int]
) -> None:
    events = [
        event_bytes(f"p{i}", utm_campaign="spring") if i in poisoned else event_bytes(f"p{i}")
        for i in range(1000)
    ]
    outcomes, labels = _send(simulator, events)
    for i, outcome in enumerate(outcomes):
        if i in poisoned:
            assert isinstance(outcome, Rejected)
            assert "utm_campaign is not a valid parameter" in outcome.message
        else:
            assert outcome == Processed()
    stats = simulator.stats()
    good = [f"p{i}" for i in range(1000) if i not in poisoned]
    assert sorted(stats["accepted_event_ids"]) == sorted(good)  # each good event once
    # each poisoned event costs at most two requests per halving of the batch
    assert len(labels) <= 1 + 2 * len(poisoned) * math.ceil(math.log2(1000))
    assert len(labels) == len(stats["log"])
    _report("poisoned", poisoned=len(poisoned), requests=Counter(labels))


def test_a_revoked_token_pauses_then_a_restored_one_delivers(simulator: SimulatorProcess) -> None:
    events = [event_bytes(f"t{i}") for i in range(1500)]
    simulator.configure(tokens=["another-token"])
    outcomes, labels = _send(simulator, events)
    assert labels == ["401"]  # the second chunk is not sent to a refused account
    assert all(isinstance(o, AccountRefused) and o.status == 401 for o in outcomes)
    assert "Authentication failed." in outcomes[0].message  # type: ignore[union-attr]
    assert simulator.stats()["accepted_event_ids"] == []

    retried, recorder = _deliver(simulator, events, max_attempts=5)
    assert recorder.sends == 1  # the refusal ends the loop at once
    assert all(isinstance(o, AccountRefused) for o in retried)

    simulator.configure(tokens=[SIMULATOR_TOKEN])
    outcomes, labels = _send(simulator, events)
    assert outcomes == [Processed()] * 1500 and labels == ["200", "200"]
    assert simulator.stats()["accepted_event_ids"] == _ids(events)


@pytest.mark.parametrize(
    ("config", "label", "ambiguous", "accepted"),
    [
        ({"rate_429": 1.0, "retry_after": 2}, "429", False, False),
        ({"rate_500": 1.0}, "500", True, False),
        ({"rate_reset": 1.0}, "connection_error", True, False),
        ({"rate_timeout": 1.0, "timeout_hold_ms": HOLD_MS}, "timeout", True, True),
    ],
    ids=["429", "500", "reset", "timeout"],
)
def test_each_fault_is_a_transient_outcome(
    simulator: SimulatorProcess, config: dict[str, Any], label: str, ambiguous: bool, accepted: bool
) -> None:
    simulator.configure(**config)
    events = [event_bytes(f"f{i}") for i in range(10)]
    timeout = FAULT_TIMEOUT if label == "timeout" else 30.0
    outcomes, labels = _send(simulator, events, timeout=timeout)
    assert labels == [label]
    assert all(isinstance(o, Transient) and o.ambiguous is ambiguous for o in outcomes)
    if label == "429":
        assert {o.retry_after for o in outcomes if isinstance(o, Transient)} == {2.0}
    # a timeout is truly ambiguous: the simulator processed the events, the answer was lost
    assert simulator.stats()["accepted_event_ids"] == (_ids(events) if accepted else [])


@pytest.fixture(scope="module")
def seeded() -> Iterator[SimulatorProcess]:
    """A simulator of our own with a fixed fault seed, so the storms below replay exactly."""
    with start_simulator(
        "--tokens", SIMULATOR_TOKEN, "--seed", SEED, "--timeout-hold-ms", str(HOLD_MS)
    ) as sim:
        yield sim


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_429": 0.5, "retry_after": 0.01},
        {"rate_500": 0.5},
        {"rate_reset": 0.4},
        {"rate_timeout": 0.2},
        {"rate_429": 0.15, "rate_500": 0.1, "rate_timeout": 0.1, "rate_reset": 0.1},
    ],
    ids=["429-storm", "500s", "resets", "timeouts", "everything"],
)
def test_with_retries_every_event_ends_once_and_none_is_lost(
    seeded: SimulatorProcess, faults: dict[str, float]
) -> None:
    quiet = {"rate_429": 0.0, "rate_500": 0.0, "rate_timeout": 0.0, "rate_reset": 0.0}
    seeded.configure(**{**quiet, "retry_after": None, **faults})
    seeded.reset()
    events, bad = _mixed_events(300)
    poisoned = {17, 240}  # also split under fire
    events = [
        event_bytes(f"m{i}", utm_source="x") if i in poisoned else raw
        for i, raw in enumerate(events)
    ]
    bad |= {f"m{i}" for i in poisoned}
    timeout = FAULT_TIMEOUT if "rate_timeout" in faults else 30.0
    outcomes, recorder = _deliver(seeded, events, max_attempts=40, timeout=timeout)
    stats = seeded.stats()
    counts = _check_no_loss(events, outcomes, stats["accepted_event_ids"], recorder.ambiguous())
    rejected = {i for i, o in zip(_ids(events), outcomes, strict=True) if isinstance(o, Rejected)}
    assert rejected == bad
    duplicates = sum(c - 1 for c in counts.values())
    if "rate_timeout" not in faults:
        assert duplicates == 0  # 429, 500, reset: the simulator processed nothing, so no repeats
    _report(
        "storm",
        faults=faults,
        sends=recorder.sends,
        most_sends_of_one_event=max(len(seen) for seen in recorder.seen.values()),
        requests={k: v for k, v in stats["requests"].items() if v},
        processed=sum(isinstance(o, Processed) for o in outcomes),
        rejected=len(rejected),
        duplicates=duplicates,
        ambiguous_events=len(recorder.ambiguous()),
    )


def test_the_token_never_reaches_logs_or_outcomes(
    simulator: SimulatorProcess, caplog: pytest.LogCaptureFixture
) -> None:
    token = "pina_" + sha256("do-not-log")[:40]
    simulator.configure(tokens=[token], rate_reset=0.5, rate_timeout=0.3, timeout_hold_ms=HOLD_MS)
    caplog.set_level(logging.DEBUG)
    outcomes: list[EventOutcome] = []
    for round_ in range(4):
        batch = [event_bytes(f"s{round_}-{i}") for i in range(5)]
        batch.append(event_bytes(f"s{round_}-bad", referrer="x"))
        sent, _ = _send(simulator, batch, token=token, timeout=FAULT_TIMEOUT)
        outcomes += sent
    simulator.configure(tokens=["other"], rate_reset=0.0, rate_timeout=0.0)
    outcomes += _send(simulator, [event_bytes("s-refused")], token=token)[0]
    assert any(isinstance(o, AccountRefused) for o in outcomes)
    text = "\n".join([caplog.text, *map(repr, outcomes), *(str(vars(r)) for r in caplog.records)])
    assert token not in text
    assert token[5:20] not in text


def _report(kind: str, **numbers: Any) -> None:
    """Numbers for the docs (shown with ``pytest -s``); no assertion rides on them."""
    print(json.dumps({"kind": kind, **numbers}, default=str, sort_keys=True))
