"""CSV header columns as event paths, and the nested event built from one row.

A column name is a dot-separated path from the event root, as in the mapping contract:
``user.email``, ``context.event_id``, ``items.0.id``. A segment made of digits walks into
an array. The header is checked once, up front, so that every row builds the same shape:
no empty segment, no duplicate, no path that is both a value and a container, no container
that is both an array and an object.

Building a row leaves empty cells out (as the mapping treats empty values as missing) and
keeps every value a string: the mapper coerces. Arrays are compacted in index order, so
an item whose cells are all empty does not exist rather than leaving a hole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pinbridge.errors import InputError

__all__ = ["Column", "build_event", "parse_header"]

Segment = str | int
_EXAMPLE = "write event paths such as user.email, context.event_id or items.0.id"


@dataclass(frozen=True, slots=True)
class Column:
    """One header cell: its 0-based position and the path it fills."""

    index: int
    name: str
    path: tuple[Segment, ...]


def parse_header(cells: Sequence[str], where: str) -> tuple[Column, ...]:
    """Check the header row and turn its cells into columns.

    ``where`` names the file and line for messages (``events.csv line 1``). Raises
    :class:`InputError` naming the column and the fix on the first problem.
    """
    columns: list[Column] = []
    for index, cell in enumerate(cells):
        name = cell.strip()
        columns.append(Column(index, name, _parse_path(name, index, where)))
    _check_shapes(columns, where)
    return tuple(columns)


def build_event(columns: Sequence[Column], cells: Sequence[str]) -> dict[str, Any]:
    """The nested event of one row; cells beyond ``columns`` must be checked by the caller."""
    root: dict[Segment, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        if not cell.strip():
            continue
        node = root
        for segment in column.path[:-1]:
            node = node.setdefault(segment, {})
        node[column.path[-1]] = cell
    finished = _finish(root)
    assert isinstance(finished, dict)  # the root segment is never an index
    return finished


def _parse_path(name: str, index: int, where: str) -> tuple[Segment, ...]:
    column = f"{where}, column {index + 1}"
    if not name:
        raise InputError(
            f"{column} has no name; name every column with an event path "
            f"({_EXAMPLE}) or remove the empty column"
        )
    parts = [part.strip() for part in name.split(".")]
    if not all(parts):
        raise InputError(f"{column} ({name!r}): the path has an empty segment; {_EXAMPLE}")
    if _is_index(parts[0]):
        raise InputError(
            f"{column} ({name!r}): a path starts with a field name, not an array index; {_EXAMPLE}"
        )
    return tuple(int(part) if _is_index(part) else part for part in parts)


def _is_index(segment: str) -> bool:
    return segment.isascii() and segment.isdigit()


def _check_shapes(columns: Sequence[Column], where: str) -> None:
    """Every path must fit one tree: reject duplicates and value/container clashes."""
    seen: dict[tuple[Segment, ...], Column] = {}
    containers: dict[tuple[Segment, ...], tuple[bool, Column]] = {}
    for column in columns:
        if column.path in seen:
            _clash(where, seen[column.path], column, "both fill the same path")
        for depth in range(1, len(column.path)):
            prefix = column.path[:depth]
            is_array = isinstance(column.path[depth], int)
            if prefix in seen:
                _clash(
                    where,
                    seen[prefix],
                    column,
                    f"{_text(prefix)} cannot be a value and hold fields",
                )
            known = containers.get(prefix)
            if known is not None and known[0] != is_array:
                _clash(
                    where, known[1], column, f"{_text(prefix)} cannot be both a list and an object"
                )
            containers.setdefault(prefix, (is_array, column))
        if column.path in containers:
            _clash(
                where,
                containers[column.path][1],
                column,
                f"{_text(column.path)} cannot be a value and hold fields",
            )
        seen[column.path] = column


def _clash(where: str, first: Column, second: Column, problem: str) -> None:
    raise InputError(
        f"{where}: columns {first.index + 1} ({first.name!r}) and "
        f"{second.index + 1} ({second.name!r}) clash: {problem}; rename or remove one of them"
    )


def _text(path: tuple[Segment, ...]) -> str:
    return ".".join(str(segment) for segment in path)


def _finish(node: object) -> object:
    """Turn index-keyed dicts into lists, in index order."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(key, int) for key in node):
        return [_finish(node[key]) for key in sorted(node)]
    return {key: _finish(value) for key, value in node.items()}
