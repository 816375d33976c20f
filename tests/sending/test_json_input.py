"""The JSON reader: NDJSON, a JSON array or JSON over several lines, told apart on reading."""

from __future__ import annotations

import io
import json

import pytest

from pinbridge.errors import InputError
from pinbridge.sending import EventInput, InputRecord
from pinbridge.sending.json_input import read_events

PURCHASE = {"event_name": "purchase", "context": {"event_id": "e-1"}}
SEARCH = {"event_name": "search", "search_term": "tea"}


def _open(data: bytes) -> EventInput:
    return read_events(io.BytesIO(data), "events.json")


def _read(data: bytes) -> tuple[EventInput, list[InputRecord]]:
    opened = _open(data)
    return opened, list(opened.records)


def test_ndjson_is_read_line_by_line_and_says_nothing() -> None:
    opened, records = _read(b"\n" + json.dumps(PURCHASE).encode() + b"\n[1]\n")
    assert (opened.shape, opened.description, opened.unit) == ("ndjson", None, "lines")
    assert [r.event for r in records] == [PURCHASE, None]
    assert [(r.span_start, r.position, r.line) for r in records] == [(1, 2, 2), (3, 3, 3)]
    assert records[1].error is not None
    assert records[1].error.startswith("line 3: expected a JSON object")


def test_ndjson_streams_without_reading_ahead() -> None:
    class OneLineAtATime(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise AssertionError("read to the end: NDJSON must stream")

    stream = OneLineAtATime(json.dumps(PURCHASE).encode() + b"\n" + json.dumps(SEARCH).encode())
    assert [r.event for r in read_events(stream, "-").records] == [PURCHASE, SEARCH]


def test_an_array_gives_one_record_per_element_and_names_bad_ones_by_index() -> None:
    data = json.dumps([PURCHASE, SEARCH, 42, "x", PURCHASE], indent=2).encode()
    opened, records = _read(b"\xef\xbb\xbf" + data)
    assert opened.shape == "json-array"
    assert opened.description == "reading a JSON array of 5 events from events.json"
    assert opened.unit == "events"
    assert [r.event for r in records] == [PURCHASE, SEARCH, None, None, PURCHASE]
    assert [(r.position, r.index) for r in records] == [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)]
    assert records[2].error == (
        "[2]: expected a JSON object (one Commanders Act event), found a number; "
        "every element of the array must be one event object"
    )
    assert records[3].text == '"x"'
    assert records[3].where() == {"index": 3}
    assert records[-1].end_offset == len(data) + 3


def test_an_array_on_one_line_is_an_array_too() -> None:
    opened, records = _read(json.dumps([PURCHASE, SEARCH]).encode() + b"\n")
    assert opened.shape == "json-array"
    assert [r.event for r in records] == [PURCHASE, SEARCH]


def test_an_empty_array_has_no_events() -> None:
    opened, records = _read(b"  [ ]\n")
    assert opened.description == "reading an empty JSON array (no events) from events.json"
    assert records == []


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ('[{"a": 1},\n {"b": 2},\n {"c": x}]', "line 3, column 8 (in element [2])"),
        ('[{"a": 1}\n {"b": 2}]', "line 2, column 2 (after element [0])"),
        ('[{"a": 1}, {"b": 2}', "line 1, column 20 (after element [1])"),
        ('[{"a": 1}] {"b": 2}', "line 1, column 12 (after the end of the array)"),
    ],
)
def test_a_broken_array_is_an_error_naming_line_column_and_element(text: str, place: str) -> None:
    with pytest.raises(InputError) as caught:
        _open(text.encode())
    message = str(caught.value)
    assert message.startswith(
        "events.json starts with '[', so it is read as one JSON array of events, but it is "
        f"not valid JSON at {place}: "
    )
    assert message.endswith(
        "; no event was read; fix the JSON, or write one event per line (NDJSON)"
    )


def test_one_pretty_printed_event_is_one_record() -> None:
    data = b"\n\n" + json.dumps(PURCHASE, indent=2).encode() + b"\n\n"
    opened, records = _read(data)
    assert opened.shape == "json"
    assert opened.description == "reading one JSON event spread over 6 lines from events.json"
    assert [(r.event, r.position, r.line) for r in records] == [(PURCHASE, 1, 3)]
    assert records[0].end_offset == len(data)


def test_pretty_printed_events_one_after_another_are_read_in_order() -> None:
    data = (json.dumps(PURCHASE, indent=2) + "\n" + json.dumps(SEARCH, indent=1)).encode()
    data += b'\n"not an event"\n'
    opened, records = _read(data)
    assert opened.description == "reading 3 JSON events spread over 11 lines from events.json"
    assert [(r.event, r.position, r.line) for r in records] == [
        (PURCHASE, 1, 1),
        (SEARCH, 2, 7),
        (None, 3, 11),
    ]
    assert records[2].error is not None
    assert records[2].error.startswith("line 11: expected a JSON object")


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ('{\n  "a": 1,\n  "b" 2\n}', "line 3, column 7: unexpected character"),
        ('{\n "a": 1\n}\n{\n "b": [1,\n}', "line 6, column 1 (in event 2): "),
        ('{\n "a": NaN\n}', "line 2, column 7: "),
    ],
)
def test_a_broken_document_is_an_error_naming_line_and_column(text: str, place: str) -> None:
    with pytest.raises(InputError) as caught:
        _open(text.encode())
    assert str(caught.value).startswith(
        "events.json is read as JSON spread over several lines (line 1 starts an object that "
        f"does not end on that line), but it is not valid JSON at {place}"
    )


def test_a_broken_first_line_followed_by_events_is_ndjson() -> None:
    opened, records = _read(b'{"event_name": "purchase",\n' + json.dumps(SEARCH).encode())
    assert opened.shape == "ndjson"
    assert records[0].error is not None
    assert records[0].error.startswith("line 1: not valid JSON")
    assert records[1].event == SEARCH


def test_a_document_that_is_not_utf8_is_an_error_naming_the_line() -> None:
    with pytest.raises(InputError, match=r"events.json line 2: not valid UTF-8; save the file"):
        _open(b'[{"a": 1},\n {"b": "caf\xe9"}]')


def test_an_empty_input_is_ndjson_without_records() -> None:
    opened, records = _read(b"\n  \n")
    assert (opened.shape, records) == ("ndjson", [])


def test_a_document_only_python_would_take_is_refused_like_the_others() -> None:
    text = '{\n "a": 1\n}\n{\n "b": NaN\n}\n'
    with pytest.raises(InputError) as caught:
        _open(text.encode())
    assert "not valid JSON at line 5, column 7 (in event 2): " in str(caught.value)
