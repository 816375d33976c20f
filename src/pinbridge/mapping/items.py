"""``custom_data.content_ids``, ``contents`` and ``num_items`` from the root ``items`` array.

Per-item sources (``items.X.rest``) read ``rest`` from each item; other paths read from the
event and constants give the same value for every item. ``content_ids`` tries its source
groups in order (a run of per-item paths is one per-item fallback chain); the first group
that yields ids wins. Ids are strings, in item order, duplicates removed.

Items that are not objects are ignored, with one warning per event (spec 6); ``{}`` gives
no contents entry. Positions in warnings are positions in the original array.
"""

from __future__ import annotations

from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.nodes import fill_nodes
from pinbridge.mapping.paths import is_empty
from pinbridge.mapping.plan import ItemRule, ItemsPlan
from pinbridge.mapping.resolve import REJECTED, lookup, resolve, resolve_sources

__all__ = ["ITEMS_NOT_A_LIST", "map_items", "not_objects", "skipped_items"]

ITEMS_NOT_A_LIST = "custom_data.contents: items is not a list; no item is forwarded"
_CONTENT_IDS = "custom_data.content_ids"


def not_objects(skipped: int, total: int) -> str:
    """The warning for ``skipped`` of ``total`` items that are not objects."""
    if skipped == 1:
        return f"items: 1 of {total} items is not an object and was ignored"
    return f"items: {skipped} of {total} items are not objects and were ignored"


def skipped_items(items: list[object], warnings: list[str]) -> None:
    """Warn (once) when some of ``items`` are not objects."""
    skipped = sum(1 for item in items if type(item) is not dict)
    if skipped:
        warnings.append(not_objects(skipped, len(items)))


def map_items(
    plan: ItemsPlan,
    nodes: list[object],
    ctx: EventContext,
    custom: dict[str, object],
    warnings: list[str],
) -> None:
    """Add content_ids, contents and num_items to ``custom`` when they have a value.

    The generated build (:mod:`pinbridge.mapping.codegen`) writes the common case itself and
    calls this only when ``content_ids`` has sources of its own.
    """
    items = ctx.root.get("items")
    item_list: list[object] = items if type(items) is list else []
    if type(items) is not list and not is_empty(items):
        warnings.append(ITEMS_NOT_A_LIST)
    per_item = [
        (position, nodes + fill_nodes(plan.item_ops, item))
        for position, item in enumerate(item_list)
        if type(item) is dict and item
    ]
    if plan.keys is not None and per_item:
        contents = []
        for position, item_nodes in per_item:
            entry: dict[str, object] = {}
            for key, (sources, rule, _) in plan.keys:
                label = ("custom_data.contents", position, key)
                value = resolve_sources(sources, rule, label, item_nodes, ctx, warnings)
                if value is not None and value is not REJECTED:
                    entry[key] = value
            if entry:
                contents.append(entry)
        if contents:
            custom["contents"] = contents
    if plan.ids is not None:
        ids = _content_ids(plan.ids, per_item, nodes, ctx, warnings)
        if ids:
            custom["content_ids"] = list(dict.fromkeys(ids))
    skipped_items(item_list, warnings)
    step = plan.num_items
    if step is not None and (step.gate < 0 or nodes[step.gate] is not None):
        count = resolve(step, nodes, ctx, warnings)
        if count is not None and count is not REJECTED:
            custom["num_items"] = count


def _content_ids(
    groups: tuple[ItemRule, ...],
    per_item: list[tuple[int, list[object]]],
    nodes: list[object],
    ctx: EventContext,
    warnings: list[str],
) -> list[str]:
    for sources, rule, item_group in groups:
        ids: list[str] = []
        if item_group:
            for position, item_nodes in per_item:
                value = resolve_sources(
                    sources, rule, (_CONTENT_IDS, position, ""), item_nodes, ctx, warnings
                )
                if type(value) is str:
                    ids.append(value)
        else:
            ((label, slot, key, index, const),) = sources
            value = const if slot < 0 else lookup(nodes, slot, key, index)
            elements: list[object] = value if type(value) is list else [value]
            listed = type(value) is list
            for position, element in enumerate(elements):
                if is_empty(element):
                    continue
                out = rule(element, ctx)
                if type(out) is str:
                    ids.append(out)
                elif type(out) is Reject:
                    where = f" (list index {position})" if listed else ""
                    warnings.append(f"{_CONTENT_IDS} (from {label}): {out.reason}{where}")
        if ids:
            return ids
    return []
