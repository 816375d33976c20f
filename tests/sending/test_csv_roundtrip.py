"""Any nested event, flattened to a CSV row under its paths, reads back as the same event."""

from __future__ import annotations

import csv
import io
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pinbridge.sending.csv_input import read_csv

_KEYS = st.text(
    alphabet=st.characters(categories=["L", "N"], include_characters="_-"),
    min_size=1,
    max_size=6,
).filter(lambda key: not (key.isascii() and key.isdigit()))
_CELLS = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1
).filter(str.strip)
_VALUES = st.recursive(
    _CELLS,
    lambda children: (
        st.lists(children, min_size=1, max_size=3)
        | st.dictionaries(_KEYS, children, min_size=1, max_size=3)
    ),
    max_leaves=12,
)
_EVENTS = st.dictionaries(_KEYS, _VALUES, min_size=1, max_size=4)


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else key, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}", out)
    else:
        out[prefix] = value


@settings(max_examples=100, deadline=None)
@given(_EVENTS, st.sampled_from([",", ";", "\t"]))
def test_csv_rows_round_trip_to_nested_events(event: dict[str, Any], delimiter: str) -> None:
    cells: dict[str, str] = {}
    _flatten(event, "", cells)
    # A one-column header shows no delimiter, so such a file is read as comma-separated.
    assume(len(cells) > 1 or delimiter == ",")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(cells.keys())
    writer.writerow(cells.values())
    _, rows = read_csv(io.BytesIO(buffer.getvalue().encode()), "events.csv")
    records = list(rows)
    assert [record.error for record in records] == [None]
    assert records[0].event == event
