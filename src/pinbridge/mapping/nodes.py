"""Walk every distinct path prefix once per event: the node table.

At compile time each path ``a.b.c`` becomes "key ``c`` of the node in slot s", where slot s
holds ``a.b``; every distinct prefix gets one slot, whatever the number of fields reading
below it. Per event, :func:`fill_nodes` computes all slots in one pass (a missing or scalar
node is None, and so are all its descendants), so resolving a source is a single lookup.
"""

from __future__ import annotations

from pinbridge.mapping.paths import Step

__all__ = ["NodeOp", "NodeTable", "fill_nodes"]

NodeOp = tuple[int, str, int | None]
"""(parent slot, object key, array index or None)."""


class NodeTable:
    """Slots for path prefixes, built while compiling; slot 0 is the root."""

    def __init__(self) -> None:
        self._slots: dict[tuple[Step, ...], int] = {(): 0}
        self.ops: list[NodeOp] = []

    def parent_of(self, steps: tuple[Step, ...]) -> int:
        """The slot holding everything of ``steps`` but the last step."""
        return self._slot(steps[:-1])

    def _slot(self, prefix: tuple[Step, ...]) -> int:
        found = self._slots.get(prefix)
        if found is not None:
            return found
        parent = self._slot(prefix[:-1])
        key, index = prefix[-1]
        self.ops.append((parent, key, index))
        self._slots[prefix] = len(self.ops)
        return len(self.ops)


def fill_nodes(ops: tuple[NodeOp, ...], root: object) -> list[object]:
    """Slot values for one event (or item): objects and arrays, else None."""
    nodes: list[object] = [root]
    append = nodes.append
    for parent, key, index in ops:
        node = nodes[parent]
        if node is None:
            append(None)
            continue
        if type(node) is dict:
            child = node.get(key)
        elif type(node) is list and index is not None and index < len(node):
            child = node[index]
        else:
            append(None)
            continue
        append(child if type(child) is dict or type(child) is list else None)
    return nodes
