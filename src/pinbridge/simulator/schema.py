"""Whole-request schema validation: the checks that make Pinterest answer 400 (code 4196).

:func:`schema_violations` walks a decoded body against :data:`pinbridge.simulator.spec.REQUEST`
and returns every violation in document order, each naming the offending key the way a
user reads it (``data[3].custom_data.foo``). Messages never quote values: a body may carry
personal data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pinbridge.simulator.spec import REQUEST, Arr, Bool, Int, Obj, Spec, Str

__all__ = ["Violation", "schema_violations", "describe_violations"]

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
    _check(REQUEST, body, "", found)
    return found


def describe_violations(violations: list[Violation]) -> str:
    """The message of the 400 answer: the first violation, and how many more there are."""
    first = violations[0]
    more = len(violations) - 1
    suffix = f" ({more} more problem{'s' if more != 1 else ''} in this request)" if more else ""
    return f"Invalid request body: {first.text}.{suffix}"


def _check(spec: Spec, value: object, path: str, found: list[Violation]) -> None:
    if value is None:
        if not spec.nullable:
            found.append(Violation(path, f"must be {_expected(spec)}, got null"))
        return
    if isinstance(spec, Str):
        _check_string(spec, value, path, found)
    elif isinstance(spec, Int):
        _check_integer(spec, value, path, found)
    elif isinstance(spec, Bool):
        if not isinstance(value, bool):
            found.append(Violation(path, f"must be {_expected(spec)}, got {_json_type(value)}"))
    elif isinstance(spec, Arr):
        _check_array(spec, value, path, found)
    else:
        _check_object(spec, value, path, found)


def _check_string(spec: Str, value: object, path: str, found: list[Violation]) -> None:
    if not isinstance(value, str):
        found.append(Violation(path, f"must be {_expected(spec)}, got {_json_type(value)}"))
    elif spec.enum and value not in spec.enum:
        found.append(Violation(path, f"must be one of: {', '.join(spec.enum)}"))
    elif spec.max_length is not None and len(value) > spec.max_length:
        found.append(
            Violation(path, f"must be at most {spec.max_length} characters long, got {len(value)}")
        )


def _check_integer(spec: Int, value: object, path: str, found: list[Violation]) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        hint = " (write whole numbers without a decimal point)" if isinstance(value, float) else ""
        found.append(Violation(path, f"must be {_expected(spec)}, got {_json_type(value)}{hint}"))
    elif spec.minimum is not None and value < spec.minimum:
        found.append(Violation(path, f"must be at least {spec.minimum}, got {value}"))
    elif spec.maximum is not None and value > spec.maximum:
        found.append(Violation(path, f"must be at most {spec.maximum}, got {value}"))


def _check_array(spec: Arr, value: object, path: str, found: list[Violation]) -> None:
    if not isinstance(value, list):
        found.append(Violation(path, f"must be {_expected(spec)}, got {_json_type(value)}"))
        return
    if spec.min_items is not None and len(value) < spec.min_items:
        found.append(
            Violation(path, f"must hold at least {spec.min_items} element(s), got {len(value)}")
        )
    if spec.max_items is not None and len(value) > spec.max_items:
        found.append(
            Violation(path, f"must hold at most {spec.max_items} elements, got {len(value)}")
        )
    for index, item in enumerate(value):
        _check(spec.items, item, f"{path}[{index}]", found)


def _check_object(spec: Obj, value: object, path: str, found: list[Violation]) -> None:
    if not isinstance(value, dict):
        found.append(Violation(path, f"must be {_expected(spec)}, got {_json_type(value)}"))
        return
    for key in spec.required:
        if key not in value:
            found.append(Violation(_join(path, key), "is required but missing"))
    for key, item in value.items():
        child = spec.properties.get(key) if isinstance(key, str) else None
        if child is not None:
            _check(child, item, _join(path, key), found)
        elif spec.closed:
            allowed = ", ".join(sorted(spec.properties))
            found.append(
                Violation(
                    _join(path, str(key)),
                    f"is not a valid parameter: remove it (allowed here: {allowed})",
                )
            )
    if spec.any_of_required and not any(
        all(key in value for key in keys) for keys in spec.any_of_required
    ):
        options = [" and ".join(keys) for keys in spec.any_of_required]
        found.append(
            Violation(
                path or "the request body",
                "must identify the user with at least one of: " + "; or ".join(options),
            )
        )


def _join(path: str, key: str) -> str:
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    shown = key if len(key) <= _MAX_KEY_SHOWN else key[:_MAX_KEY_SHOWN] + "..."
    escaped = shown.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


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
