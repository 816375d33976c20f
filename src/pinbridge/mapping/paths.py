"""Dot paths into a Commanders Act event, and what counts as an empty value.

A path such as ``context.device.ip`` or ``items.0.id`` is parsed once, at compile time, into
a tuple of steps; walking it is then a tight loop of ``dict.get`` and list indexing. The
segment ``X`` (only right after the root ``items``) means "every item" and is resolved by
the caller, which walks the rest of the path from each item.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PathError", "SourcePath", "Step", "is_empty", "parse_path", "walk"]

ITEMS_KEY = "items"
_ITEM_MARK = "X"

Step = tuple[str, int | None]
"""One path segment: the key for objects and, when it is all digits, the index for arrays."""


class PathError(ValueError):
    """A path in the configuration is malformed; the message says why (never a value)."""


@dataclass(frozen=True, slots=True)
class SourcePath:
    """A parsed path. ``per_item`` paths (``items.X.rest``) keep only ``rest`` in ``steps``."""

    text: str
    steps: tuple[Step, ...]
    per_item: bool


def parse_path(text: object) -> SourcePath:
    """Parse ``a.b.0.c`` (or ``items.X.c``); raises PathError saying what is wrong."""
    if not isinstance(text, str):
        raise PathError("a path must be a string such as 'context.device.ip'")
    if not text or text != text.strip():
        raise PathError(f"path {text!r} is empty or has spaces around it")
    segments = text.split(".")
    for segment in segments:
        if not segment or segment != segment.strip():
            raise PathError(
                f"path {text!r} has an empty segment or spaces around a dot; "
                "write keys separated by single dots, such as 'context.device.ip'"
            )
    marks = [i for i, segment in enumerate(segments) if segment == _ITEM_MARK]
    if not marks:
        return SourcePath(text, _steps(segments), per_item=False)
    if marks != [1] or segments[0] != ITEMS_KEY:
        raise PathError(
            f"path {text!r}: X stands for the index of the root items array, "
            "so it may appear once, as 'items.X.<field>'"
        )
    return SourcePath(text, _steps(segments[2:]), per_item=True)


def _steps(segments: list[str]) -> tuple[Step, ...]:
    return tuple(
        (segment, int(segment) if segment.isascii() and segment.isdigit() else None)
        for segment in segments
    )


def walk(node: object, steps: tuple[Step, ...]) -> object:
    """The value at ``steps`` below ``node``, or None when any step is missing."""
    for key, index in steps:
        kind = type(node)
        if kind is dict:
            node = node.get(key)  # type: ignore[attr-defined]
        elif kind is list and index is not None:
            node = node[index] if index < len(node) else None  # type: ignore[arg-type,index]
        else:
            return None
    return node


def is_empty(value: object) -> bool:
    """Missing, null, blank text, ``[]`` and ``{}`` are all treated as missing (spec 1)."""
    if value is None:
        return True
    kind = type(value)
    if kind is str:
        return not value or value.isspace()  # type: ignore[attr-defined]
    if kind is list or kind is dict:
        return not value
    return False
