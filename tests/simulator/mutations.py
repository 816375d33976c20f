"""Generated mutations of valid request bodies, to compare the simulator with the schema.

A mutation is a named change at one location of a body: drop a key, add an unknown key,
replace a value by one of another type (or ``null``), or by a value at the edge of a length
or range limit. The locations come from walking the body, not from the simulator's own
schema tables, so the comparison with Pinterest's OpenAPI schema stays independent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EDGE_INTEGERS",
    "EDGE_LENGTHS",
    "FOREIGN_VALUES",
    "Mutation",
    "all_mutations",
    "locations",
    "render",
]

Location = tuple[str | int, ...]

FOREIGN_VALUES: tuple[Any, ...] = (None, True, 7, 7.0, 1.5, "text", [], {}, ["x"], [1], {"k": 1})
EDGE_INTEGERS = (-1, 0, 100, 101, 1152, 1153, 30720, 30721, 100000, 100001, 1048576, 1048577)
EDGE_LENGTHS = (5, 6, 35, 36, 40, 41, 100, 101, 200, 201)
UNKNOWN_KEY = "zz_unknown"


@dataclass(frozen=True)
class Mutation:
    """One change at ``location``; ``kind`` is drop, add, replace."""

    kind: str
    location: Location
    value: Any = None

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """A mutated deep copy of ``body``."""
        mutated = copy.deepcopy(body)
        if self.kind == "add":
            _at(mutated, self.location)[UNKNOWN_KEY] = "x"
        elif self.kind == "drop":
            del _at(mutated, self.location[:-1])[self.location[-1]]
        else:
            _at(mutated, self.location[:-1])[self.location[-1]] = copy.deepcopy(self.value)
        return mutated

    @property
    def target(self) -> str:
        """The key a schema error should name, as the simulator writes paths."""
        if self.kind == "add":
            return render((*self.location, UNKNOWN_KEY))
        return render(self.location)

    def describe(self) -> str:
        """Readable id for test reports."""
        shown = repr(self.value)
        shown = shown if len(shown) < 30 else shown[:27] + "..."
        return f"{self.kind} {render(self.location) or '<root>'}" + (
            f" = {shown}" if self.kind == "replace" else ""
        )


def _at(body: Any, location: Location) -> Any:
    node = body
    for step in location:
        node = node[step]
    return node


def locations(node: Any, prefix: Location = ()) -> Iterator[tuple[Location, Any]]:
    """Every (location, value) in ``node``, parents before children."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from locations(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from locations(value, (*prefix, index))


def render(location: Location) -> str:
    """``("data", 0, "user_data", "em", 0)`` -> ``data[0].user_data.em[0]``."""
    text = ""
    for step in location:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


def edge_values(value: Any) -> tuple[Any, ...]:
    """Values at the limits the schema sets on this kind of value."""
    if isinstance(value, bool):
        return ()
    if isinstance(value, int):
        return (*EDGE_INTEGERS, 2**63)
    if isinstance(value, str):
        return (*(("a" * n) for n in EDGE_LENGTHS), "x" * 16385, "not-an-enum-value")
    return ()


def all_mutations(body: dict[str, Any]) -> list[Mutation]:
    """Every single mutation of ``body`` this module knows."""
    found: list[Mutation] = []
    for location, value in locations(body):
        if isinstance(value, dict):
            found.append(Mutation("add", location))
        if location and isinstance(location[-1], str):
            found.append(Mutation("drop", location))
        if location:
            found.extend(Mutation("replace", location, v) for v in FOREIGN_VALUES)
            found.extend(Mutation("replace", location, v) for v in edge_values(value))
    return found
