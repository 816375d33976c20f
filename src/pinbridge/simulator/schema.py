"""Whole-request schema validation: the checks that make Pinterest answer 400 (code 4196).

:func:`schema_violations` walks a decoded body against :data:`pinbridge.simulator.spec.REQUEST`
and returns every violation in document order, each naming the offending key the way a
user reads it (``data[3].custom_data.foo``). Messages never quote values: a body may carry
personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pinbridge.simulator.spec import REQUEST, Arr, Bool, Int, Obj, Spec, Str

__all__ = ["Violation", "schema_violations", "describe_violations"]

# A path is a linked list (parent, step), rendered only when a violation is reported: most
# nodes are valid, and building strings for each of them would dominate the cost.
_Path = tuple[Any, str | int] | None

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_KEY_SHOWN = 40


@dataclass(frozen=True, slots=True)
class Violation:
    """One schema violation: where (``path``) and what is wrong (``problem``)."""

    path: str
    problem: str

    @property
    def text(self) -> str:
        """``path problem``, as one sentence fragment."""
        return f"{self.path} {self.problem}"


def schema_violations(body: object) -> list[Violation]:
    """Every way ``body`` breaks the request schema; empty when it is valid."""
    found: list[Violation] = []
    if not isinstance(body, dict):
        found.append(
            Violation("the request body", f"must be a JSON object, got {_json_type(body)}")
        )
        return found
    _check(REQUEST, body, None, found)
    return found


def describe_violations(violations: list[Violation]) -> str:
    """The message of the 400 answer: the first violation, and how many more there are."""
    first = violations[0]
    more = len(violations) - 1
    suffix = f" ({more} more problem{'s' if more != 1 else ''} in this request)" if more else ""
    return f"Invalid request body: {first.text}.{suffix}"


def _check(spec: Spec, value: object, path: _Path, found: list[Violation]) -> None:
    if value is None:
        if not spec.nullable:
            _add(found, path, f"must be {_expected(spec)}, got null")
        return
    if isinstance(spec, Str):
        _check_string(spec, value, path, found)
    elif isinstance(spec, Int):
        _check_integer(spec, value, path, found)
    elif isinstance(spec, Bool):
        if not isinstance(value, bool):
            _add(found, path, f"must be {_expected(spec)}, got {_json_type(value)}")
    elif isinstance(spec, Arr):
        _check_array(spec, value, path, found)
    else:
        _check_object(spec, value, path, found)


def _check_string(spec: Str, value: object, path: _Path, found: list[Violation]) -> None:
    if not isinstance(value, str):
        _add(found, path, f"must be {_expected(spec)}, got {_json_type(value)}")
    elif spec.enum and value not in spec.enum:
        _add(found, path, f"must be one of: {', '.join(spec.enum)}")
    elif spec.max_length is not None and len(value) > spec.max_length:
        _add(found, path, f"must be at most {spec.max_length} characters long, got {len(value)}")


def _check_integer(spec: Int, value: object, path: _Path, found: list[Violation]) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        hint = " (write whole numbers without a decimal point)" if isinstance(value, float) else ""
        _add(found, path, f"must be {_expected(spec)}, got {_json_type(value)}{hint}")
    elif spec.minimum is not None and value < spec.minimum:
        _add(found, path, f"must be at least {spec.minimum}, got {value}")
    elif spec.maximum is not None and value > spec.maximum:
        _add(found, path, f"must be at most {spec.maximum}, got {value}")


def _check_array(spec: Arr, value: object, path: _Path, found: list[Violation]) -> None:
    if not isinstance(value, list):
        _add(found, path, f"must be {_expected(spec)}, got {_json_type(value)}")
        return
    if spec.min_items is not None and len(value) < spec.min_items:
        _add(found, path, f"must hold at least {spec.min_items} element(s), got {len(value)}")
    if spec.max_items is not None and len(value) > spec.max_items:
        _add(found, path, f"must hold at most {spec.max_items} elements, got {len(value)}")
    for index, item in enumerate(value):
        _check(spec.items, item, (path, index), found)


def _check_object(spec: Obj, value: object, path: _Path, found: list[Violation]) -> None:
    if not isinstance(value, dict):
        _add(found, path, f"must be {_expected(spec)}, got {_json_type(value)}")
        return
    for key in spec.required:
        if key not in value:
            _add(found, (path, key), "is required but missing")
    for key, item in value.items():
        child = spec.properties.get(key) if isinstance(key, str) else None
        if child is not None:
            _check(child, item, (path, key), found)
        elif spec.closed:
            allowed = ", ".join(sorted(spec.properties))
            _add(
                found,
                (path, str(key)),
                f"is not a valid parameter: remove it (allowed here: {allowed})",
            )
    if spec.any_of_required and not any(
        all(key in value for key in keys) for keys in spec.any_of_required
    ):
        options = [
            keys[0] if len(keys) == 1 else f"both {' and '.join(keys)}"
            for keys in spec.any_of_required
        ]
        listed = ", ".join(options[:-1]) + f", or {options[-1]}" if len(options) > 1 else options[0]
        _add(found, path, f"must contain {listed}")


def _add(found: list[Violation], path: _Path, problem: str) -> None:
    found.append(Violation(_render(path), problem))


def _render(path: _Path) -> str:
    steps: list[str | int] = []
    while path is not None:
        path, step = path
        steps.append(step)
    text = ""
    for step in reversed(steps):
        if isinstance(step, int):
            text += f"[{step}]"
        elif _IDENTIFIER.match(step):
            text += f".{step}" if text else step
        else:
            shown = step if len(step) <= _MAX_KEY_SHOWN else step[:_MAX_KEY_SHOWN] + "..."
            escaped = shown.replace("\\", "\\\\").replace('"', '\\"')
            text += f'["{escaped}"]'
    return text or "the request body"


def _expected(spec: Spec) -> str:
    if isinstance(spec, Str):
        text = "a string"
    elif isinstance(spec, Int):
        text = "an integer"
    elif isinstance(spec, Bool):
        text = "a boolean"
    elif isinstance(spec, Arr):
        text = f"a list of {_plural(spec.items)}"
    else:
        text = "an object"
    return f"{text} or null" if spec.nullable else text


def _plural(spec: Spec) -> str:
    if isinstance(spec, Str):
        return "strings"
    if isinstance(spec, Int):
        return "integers"
    if isinstance(spec, Bool):
        return "booleans"
    if isinstance(spec, Arr):
        return "lists"
    return "objects"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
