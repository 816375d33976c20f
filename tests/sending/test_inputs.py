"""Reading NDJSON and CSV files into records: events, line numbers, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinbridge.errors import InputError
from pinbridge.sending import InputRecord, detect_format, read_records


def _read(path: Path, input_format: str | None = None) -> list[InputRecord]:
    with read_records(path, detect_format(path, input_format)) as opened:
        return list(opened.records)


def test_ndjson_lines_become_events_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_bytes(
        b'\xef\xbb\xbf{"event_name": "purchase"}\n\n  \r\n{"event_name": "search"}\r\n'
    )
    records = _read(path)
    assert [r.event for r in records] == [{"event_name": "purchase"}, {"event_name": "search"}]
    assert [(r.span_start, r.position, r.position_end) for r in records] == [(1, 1, 1), (2, 4, 4)]
    assert records[-1].end_offset == path.stat().st_size


def test_ndjson_bad_lines_are_records_with_an_error_that_hides_the_content(
    tmp_path: Path,
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"event_name": "purchase"}\n{"user": {"email": "jane@example.com"\n[1, 2]\n')
    records = _read(path)
    assert records[0].error is None
    bad_json, not_object = records[1], records[2]
    assert bad_json.event is None
    assert bad_json.error is not None
    assert bad_json.error.startswith("line 2: not valid JSON")
    assert "write one JSON object per line" in bad_json.error
    assert "jane" not in bad_json.error
    assert bad_json.text == '{"user": {"email": "jane@example.com"'
    assert not_object.error == (
        "line 3: expected a JSON object (one Commanders Act event), found an array; "
        "write one event object per line"
    )


def test_format_comes_from_the_extension_unless_given(tmp_path: Path) -> None:
    assert detect_format(Path("a.CSV")) == "csv"
    assert detect_format(Path("a.ndjson")) == "ndjson"
    assert detect_format(Path("a.txt")) == "ndjson"
    assert detect_format(Path("a.txt"), "csv") == "csv"
    assert detect_format(Path("a.csv"), "json") == "ndjson"
    with pytest.raises(InputError, match="unknown input format 'xml'; use ndjson, json or csv"):
        detect_format(Path("a.txt"), "xml")


def test_csv_rows_become_nested_events(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_name,context.event_id,user.email,value,items.0.id,items.0.quantity\n"
        "purchase,e-1,a@example.com,54.90,SKU-1,2\n"
        "\n"
        'lead,e-2,,"1,5",,\n'
    )
    records = _read(path)
    assert [r.event for r in records] == [
        {
            "event_name": "purchase",
            "context": {"event_id": "e-1"},
            "user": {"email": "a@example.com"},
            "value": "54.90",
            "items": [{"id": "SKU-1", "quantity": "2"}],
        },
        {"event_name": "lead", "context": {"event_id": "e-2"}, "value": "1,5"},
    ]
    assert [(r.span_start, r.position) for r in records] == [(1, 2), (3, 4)]


def test_csv_delimiter_is_taken_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbfevent_name;value;currency\r\npurchase;12,50;EUR\r\n")
    assert [r.event for r in _read(path)] == [
        {"event_name": "purchase", "value": "12,50", "currency": "EUR"}
    ]
    tabbed = tmp_path / "export.tsv"
    tabbed.write_text("event_name\tvalue\npurchase\t3\n")
    assert [r.event for r in _read(tabbed, "csv")] == [{"event_name": "purchase", "value": "3"}]


def test_csv_quoted_cell_may_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text('event_name,search_term\nsearch,"blue\nmug"\nsearch,plate\n')
    records = _read(path)
    assert records[0].event == {"event_name": "search", "search_term": "blue\nmug"}
    assert [(r.position, r.position_end) for r in records] == [(2, 3), (4, 4)]


def test_csv_unreadable_rows_are_errors_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(
        b"event_name,user.email\n"
        b"purchase,a@example.com,extra\n"
        b"purchase,caf\xe9@example.com\n"
        b"purchase,b@example.com\n"
    )
    records = _read(path)
    assert records[0].error == (
        "line 2: the row has 3 cells but the header has 2 columns; "
        "put quotes around cells that contain the delimiter (',')"
    )
    assert records[0].text == "purchase,a@example.com,extra"
    assert records[1].error == "line 3: not valid UTF-8; save the file as UTF-8"
    assert records[2].event == {"event_name": "purchase", "user": {"email": "b@example.com"}}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty: a CSV input starts with a header row of event paths"),
        (b"\n\n", "is empty"),
        (b"event_name,user..email\n", "line 1, column 2 ('user..email'): the path has an empty"),
        (b"\nevent_name,,value\n", "line 2, column 2 has no name"),
        (b"event_name,caf\xe9\n", "line 1: the header is not valid UTF-8; save the file as UTF-8"),
    ],
)
def test_bad_csv_header_stops_before_any_row(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(content + b"purchase,x\n" if content.strip() else content)
    with pytest.raises(InputError) as caught, read_records(path, "csv"):
        pass
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_missing_input_and_directories_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"input file .*nope\.ndjson does not exist"):
        _read(tmp_path / "nope.ndjson")
    with pytest.raises(InputError, match="is a directory; give the path of a file"):
        _read(tmp_path)
