"""Version 2 limits over whole ranges the fixtures only sample: every control character in an
event_id, and how distances outside the event_time window are written."""

from __future__ import annotations

import pytest

from pinbridge.mapping import Invalid, Mapped, Mapper
from pinbridge.mapping.times import MAX_AGE, MAX_AHEAD, distance

RECEIVED_AT = 1795856500
CONTROLS = [*range(0x00, 0x20), 0x7F]
MAPPER = Mapper()


def _map(event_id: str, event_time: int = RECEIVED_AT) -> Mapped | Invalid:
    raw = {
        "event_name": "purchase",
        "user": {"email": "a@example.org"},
        "context": {"event_id": event_id, "event_timestamp": event_time},
    }
    result = MAPPER.map(raw, RECEIVED_AT)
    assert isinstance(result, Mapped | Invalid)
    return result


@pytest.mark.parametrize("code", CONTROLS, ids=[f"U+{c:04X}" for c in CONTROLS])
def test_every_control_character_makes_the_event_id_invalid(code: int) -> None:
    result = _map(f"evt{chr(code)}1")
    assert isinstance(result, Invalid)
    assert result.errors == (
        f"event_id (from context.event_id): contains the control character U+{code:04X}; "
        "Pinterest refuses U+0000 to U+001F and U+007F in an event id",
    )


@pytest.mark.parametrize("code", [0x20, 0x7E, *range(0x80, 0xA1), 0x2028, 0xFEFF])
def test_other_characters_are_allowed_in_an_event_id(code: int) -> None:
    result = _map(f"evt{chr(code)}1")
    assert isinstance(result, Mapped)
    assert result.event["event_id"] == f"evt{chr(code)}1"


@pytest.mark.parametrize(
    ("seconds", "limit", "text"),
    [
        (MAX_AHEAD + 1, MAX_AHEAD, "more than 5 minutes"),
        (359, MAX_AHEAD, "more than 5 minutes"),
        (360, MAX_AHEAD, "6 minutes"),
        (12 * 60 + 59, MAX_AHEAD, "12 minutes"),
        (3_600, MAX_AHEAD, "1 hour"),
        (7_199, MAX_AHEAD, "1 hour"),
        (86_399, MAX_AHEAD, "23 hours"),
        (86_400, MAX_AHEAD, "1 day"),
        (MAX_AGE + 1, MAX_AGE, "more than 7 days"),
        (8 * 86_400 - 1, MAX_AGE, "more than 7 days"),
        (8 * 86_400, MAX_AGE, "8 days"),
        (400 * 86_400, MAX_AGE, "400 days"),
        (1, 0, "1 second"),
        (59, 0, "59 seconds"),
    ],
)
def test_distances_use_the_largest_unit_rounded_down(seconds: int, limit: int, text: str) -> None:
    assert distance(seconds, limit) == text


@pytest.mark.parametrize(
    ("offset", "error"),
    [
        (-MAX_AGE, None),
        (-MAX_AGE - 1, "more than 7 days before"),
        (MAX_AHEAD, None),
        (MAX_AHEAD + 1, "more than 5 minutes after"),
        (0, None),
    ],
)
def test_the_window_limits_are_inclusive(offset: int, error: str | None) -> None:
    result = _map("e-1", RECEIVED_AT + offset)
    if error is None:
        assert isinstance(result, Mapped)
        assert result.event["event_time"] == RECEIVED_AT + offset
    else:
        assert isinstance(result, Invalid)
        assert result.errors[0].startswith(f"event_time: {error} it was received; Pinterest")
