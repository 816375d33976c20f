"""CSV header paths and the nested events built from rows."""

from __future__ import annotations

import pytest

from pinbridge.errors import InputError
from pinbridge.sending.csv_paths import build_event, parse_header

WHERE = "events.csv line 1"


def test_rows_become_nested_events_with_arrays_and_string_values() -> None:
    columns = parse_header(
        [
            "event_name",
            "context.event_id",
            "user.email",
            "value",
            "items.0.id",
            "items.1.id",
            "items.1.product.price",
        ],
        WHERE,
    )
    event = build_event(columns, ["purchase", "e-1", "a@example.com", "54.90", "A", "B", "12"])
    assert event == {
        "event_name": "purchase",
        "context": {"event_id": "e-1"},
        "user": {"email": "a@example.com"},
        "value": "54.90",
        "items": [{"id": "A"}, {"id": "B", "product": {"price": "12"}}],
    }


def test_empty_cells_are_left_out_and_arrays_close_up() -> None:
    columns = parse_header(["event_name", "user.email", "items.0.id", "items.1.id"], WHERE)
    event = build_event(columns, ["purchase", "  ", "", "B"])
    assert event == {"event_name": "purchase", "items": [{"id": "B"}]}


def test_short_rows_read_missing_cells_as_empty() -> None:
    columns = parse_header(["event_name", "value", "currency"], WHERE)
    assert build_event(columns, ["purchase"]) == {"event_name": "purchase"}


def test_index_order_follows_the_numbers_not_the_columns() -> None:
    columns = parse_header(["items.10.id", "items.2.id", " user . email "], WHERE)
    assert build_event(columns, ["ten", "two", "x@example.com"]) == {
        "items": [{"id": "two"}, {"id": "ten"}],
        "user": {"email": "x@example.com"},
    }


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (["event_name", ""], "column 2 has no name"),
        (["user..email"], "column 1 ('user..email'): the path has an empty segment"),
        (["user.email."], "empty segment"),
        (["0.id"], "starts with a field name, not an array index"),
        (["user.email", "user.email"], "columns 1 ('user.email') and 2 ('user.email') clash"),
        (["items.1", "items.01"], "both fill the same path"),
        (["user", "user.email"], "user cannot be a value and hold fields"),
        (["user.email", "user"], "user cannot be a value and hold fields"),
        (["items.0.id", "items.name"], "items cannot be both a list and an object"),
        (["items.name", "items.0.id"], "items cannot be both a list and an object"),
    ],
)
def test_bad_headers_name_the_column_and_the_fix(header: list[str], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_header(header, WHERE)
    message = str(caught.value)
    assert expected in message
    assert message.startswith("events.csv line 1")
