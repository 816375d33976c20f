"""The shared sample events map exactly as the spec says (expected results written by hand)."""

from __future__ import annotations

import json

import pytest

from pinbridge.mapping import Mapper, result_as_dict
from tests.mapping.cases import expand
from tests.mapping.samples import EXPECTED, require_examples, sample_lines
from tests.support.shared import EXAMPLES_DIR


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_maps_as_expected(name: str) -> None:
    require_examples()
    mapper = Mapper()
    lines = sample_lines(name)
    assert len(lines) == len(EXPECTED[name])
    for number, (line, expected) in enumerate(zip(lines, EXPECTED[name], strict=True), 1):
        if "errors_contain" in expected and any(
            "not valid JSON" in e for e in expected["errors_contain"]
        ):
            continue  # a non-JSON line: covered by the transform command tests
        shown = result_as_dict(mapper.map(json.loads(line), 1795856500))
        where = f"{name} line {number}: {json.dumps(shown, ensure_ascii=False)}"
        assert shown["status"] == expected["status"], where
        if "event" in expected:
            assert shown["event"] == expand(expected["event"]), where
            assert shown["warnings"] == expected["warnings"], where
        if "reason" in expected:
            assert shown["reason"] == expected["reason"], where
        for fragment in expected.get("errors_contain", []):
            assert any(fragment in error for error in shown["errors"]), where
        if "error_count" in expected:
            assert len(shown["errors"]) == expected["error_count"], where


def test_every_shared_sample_has_expectations() -> None:
    require_examples()
    assert sorted(p.name for p in EXAMPLES_DIR.iterdir() if p.is_file()) == sorted(EXPECTED)
