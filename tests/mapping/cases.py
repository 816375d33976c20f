"""Table-driven mapping cases read from ``tests/fixtures/mapping/*.json``.

A fixture file is ``{"bases": {name: event}, "cases": [case, ...]}``. A case is
``{"name", "config"?, "base"?, "input", "received_at"?, "expect"}``: ``input`` is deep-merged
onto the named base (objects merge, anything else replaces). ``config`` is a TOML-shaped
object read by the real configuration loader. ``expect`` may hold:

- ``status``: mapped | filtered | invalid (required)
- ``reason``: the filter reason
- ``event``: the exact mapped event
- ``fields``: ``{dotted.path: value}`` checked one by one; ``null`` means "absent"
- ``errors`` / ``warnings``: substrings that must each appear in some error / warning
- ``error_count`` / ``warning_count``: the exact number of errors / warnings;
  ``no_warnings``: true

Anywhere in expected values, ``{"sha256": "clear text"}`` stands for the hex SHA-256 of the
UTF-8 text, so fixtures show the normalised value rather than an opaque digest. Anywhere in
inputs and expected values, ``{"repeat": "ab", "times": 3}`` stands for ``"ababab"`` (with
optional ``"first"`` and ``"then"`` texts before and after), so fixtures can hold texts
thousands of characters long.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pinbridge.config import settings_from_mapping
from pinbridge.mapping import Mapper, MappingResult, result_as_dict

__all__ = [
    "FIXTURES",
    "Case",
    "check_case",
    "expand",
    "load_cases",
    "mapper_for",
    "sha256",
]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mapping"
DEFAULT_RECEIVED_AT = 1795856500
_MISSING = object()


@dataclass(frozen=True)
class Case:
    """One fixture case, with its input already merged onto its base."""

    file: str
    name: str
    config: dict[str, Any]
    input: Any
    received_at: int
    expect: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_cases() -> list[Case]:
    """Every case of every fixture file, in file order."""
    cases: list[Case] = []
    for path in sorted(FIXTURES.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        bases = document.get("bases", {})
        for raw in document["cases"]:
            event = _repeated(raw["input"])
            if "base" in raw:
                event = _merge(copy.deepcopy(bases[raw["base"]]), event)
            cases.append(
                Case(
                    file=path.stem,
                    name=raw["name"],
                    config=raw.get("config", {}),
                    input=event,
                    received_at=raw.get("received_at", DEFAULT_RECEIVED_AT),
                    expect=_repeated(raw["expect"]),
                )
            )
    return cases


def _repeated(value: Any) -> Any:
    """Replace every ``{"first"?, "repeat", "times", "then"?}`` by the text it stands for."""
    if isinstance(value, dict):
        if {"repeat", "times"} <= set(value) <= {"first", "repeat", "times", "then"}:
            return value.get("first", "") + value["repeat"] * value["times"] + value.get("then", "")
        return {k: _repeated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_repeated(v) for v in value]
    return value


def _merge(base: Any, extra: Any) -> Any:
    if isinstance(base, dict) and isinstance(extra, dict):
        for key, value in extra.items():
            base[key] = _merge(base[key], value) if key in base else value
        return base
    return extra


_MAPPERS: dict[str, Mapper] = {}


def mapper_for(config: dict[str, Any]) -> Mapper:
    """The mapper the real configuration loader builds for ``config`` (memoised)."""
    key = json.dumps(config, sort_keys=True)
    if key not in _MAPPERS:
        _MAPPERS[key] = settings_from_mapping(config, {}).mapper
    return _MAPPERS[key]


def expand(value: Any) -> Any:
    """Replace every ``{"sha256": text}`` placeholder by the digest of ``text``."""
    if isinstance(value, dict):
        if set(value) == {"sha256"}:
            return sha256(value["sha256"])
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


def _at(document: Any, path: str) -> Any:
    node = document
    for key in path.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            return _MISSING
    return node


def check_case(case: Case, result: MappingResult) -> None:
    """Assert that ``result`` meets ``case.expect``, with a message naming the case."""
    expect = case.expect
    shown = result_as_dict(result)
    where = f"{case.id}: got {json.dumps(shown, ensure_ascii=False)}"
    assert shown["status"] == expect["status"], where
    if "reason" in expect:
        assert shown["reason"] == expect["reason"], where
    if "event" in expect:
        assert shown["event"] == expand(expect["event"]), where
    for path, wanted in expect.get("fields", {}).items():
        found = _at(shown["event"], path)
        if wanted is None:
            assert found is _MISSING, f"{path} should be absent; {where}"
        else:
            assert found == expand(wanted), f"{path}; {where}"
    for key in ("errors", "warnings"):
        for fragment in expect.get(key, []):
            assert any(fragment in line for line in shown.get(key, [])), (
                f"no {key[:-1]} mentions {fragment!r}; {where}"
            )
    if "error_count" in expect:
        assert len(shown["errors"]) == expect["error_count"], where
    if "warning_count" in expect:
        assert len(shown["warnings"]) == expect["warning_count"], where
    if expect.get("no_warnings"):
        assert shown.get("warnings", []) == [], where
