"""Which fields can have a value in this event, from the keys the event actually has.

Most fields of the table are absent from any one event (a page view has no items, a search
no user). Rather than trying every field's sources, the plan keeps, per parent node, the
keys its fields read; per event, only the fields whose keys are present are resolved. A
field with a constant source, or one that reads a whole node or an array element, is
always resolved. A field that is not resolved is simply "empty" (its fallback still runs).
"""

from __future__ import annotations

from collections.abc import Sequence

from pinbridge.mapping.plan import CONST, CompiledSource

__all__ = ["Presence", "build_presence", "present"]

Presence = tuple[tuple[tuple[int, dict[str, tuple[int, ...]], tuple[int, ...]], ...], bytes]
"""(per parent slot: (slot, key -> field indexes, every field index of the slot)), always."""


def build_presence(
    sources_per_field: Sequence[tuple[CompiledSource, ...]], visit_always: Sequence[bool]
) -> Presence:
    """Index the fields (by position) under the parent slots and keys they read.

    ``visit_always`` marks fields to visit even when absent (a fallback, a required field).
    """
    by_slot: dict[int, dict[str, list[int]]] = {}
    always = bytearray(1 if flag else 0 for flag in visit_always)
    for position, sources in enumerate(sources_per_field):
        for _, slot, key, _, _ in sources:
            if slot == CONST or key is None:
                always[position] = 1
            else:
                by_slot.setdefault(slot, {}).setdefault(key, []).append(position)
    table = tuple(
        (
            slot,
            {key: tuple(positions) for key, positions in keys.items()},
            tuple(sorted({p for positions in keys.values() for p in positions})),
        )
        for slot, keys in sorted(by_slot.items())
    )
    return table, bytes(always)


def present(presence: Presence, nodes: list[object]) -> bytearray:
    """A flag per field: 1 when one of its keys is present in this event's nodes."""
    table, always = presence
    flags = bytearray(always)
    for slot, keys, every in table:
        node = nodes[slot]
        if node is None:
            continue
        if type(node) is dict:
            if len(node) <= len(keys):
                for key in node:
                    positions = keys.get(key)
                    if positions is not None:
                        for position in positions:
                            flags[position] = 1
            else:
                for key, positions in keys.items():
                    if key in node:
                        for position in positions:
                            flags[position] = 1
        else:  # an array: its elements are read by index; let each field look
            for position in every:
                flags[position] = 1
    return flags
