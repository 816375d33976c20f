"""Text PostgreSQL cannot store (U+0000) or that is not UTF-8 (a lone surrogate) never
fails a transaction: both backends store U+FFFD instead, and answer alike."""

from __future__ import annotations

import pytest

from pinbridge.queue import Delivered, Failed, PauseState, Queue, Retrying
from tests.queue.support import T0, event

NUL_ID = "order-\x00-17"
STORED_ID = "order-\ufffd-17"


def test_a_nul_in_the_event_fields_is_stored_as_a_replacement_character(queue: Queue) -> None:
    sent = event(NUL_ID, name="check\x00out", account="5497\x00", destination="e\x00u")
    results = queue.enqueue([sent, event("plain")], T0)
    assert [(r.event_id, r.status) for r in results] == [(NUL_ID, "queued"), ("plain", "queued")]
    assert queue.enqueue([sent], T0 + 1)[0].status == "duplicate"
    held = queue.lease(T0 + 2, max_events=10, max_bytes=10**6, lease_seconds=60)
    assert held is not None
    assert (held.destination, held.ad_account_id) == ("e\ufffdu", "5497\ufffd")
    assert [(e.event_id, e.event_name) for e in held.events] == [(STORED_ID, "check\ufffdout")]
    [entry] = queue.history(NUL_ID)
    assert (entry.status, entry.event_name, entry.destination) == (
        "queued",
        "check\ufffdout",
        "e\ufffdu",
    )
    assert queue.history(STORED_ID) == [entry]


@pytest.mark.parametrize(
    ("message", "stored"),
    [
        ("bad\x00value", "bad\ufffdvalue"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("déjà \x00\udfff", "déjà \ufffd\ufffd"),
    ],
)
def test_messages_from_pinterest_never_fail_the_transaction(
    queue: Queue, message: str, stored: str
) -> None:
    queue.enqueue([event("a"), event("b"), event("c")], T0)
    held = queue.lease(T0, max_events=10, max_bytes=10**6, lease_seconds=60)
    assert held is not None
    a, b, c = held.events
    queue.complete(
        held,
        {a.row_id: Failed(message), b.row_id: Delivered(message), c.row_id: Retrying(T0, message)},
        T0 + 1,
    )
    assert [d.message for d in queue.dead_letters()] == [stored]
    assert queue.history("b")[-1].message == stored
    assert queue.history("c")[-1].message == stored
    assert queue.counts()["delivered"] == 1


def test_pause_reasons_and_destination_names_are_cleaned_alike(queue: Queue) -> None:
    queue.pause("e\x00u", "token\x00refused \ud800", T0, T0 + 60)
    assert queue.pauses() == {"e\ufffdu": PauseState("token\ufffdrefused \ufffd", T0, T0 + 60)}
    assert queue.claim_probe("e\x00u", T0 + 60, T0 + 120) is True
    assert queue.resume("e\x00u") is True


def test_lookups_with_a_nul_answer_instead_of_failing(queue: Queue) -> None:
    assert queue.history("\x00") == []
    assert queue.dead_letters(destination="\x00") == []
    assert queue.dead_letter_count("\x00") == 0
    assert queue.replay(None, T0, destination="\x00") == 0
    assert queue.lease(T0, max_events=1, max_bytes=1, lease_seconds=1, only="\x00") is None
    assert queue.lease(T0, max_events=1, max_bytes=1, lease_seconds=1, exclude=["\x00"]) is None
