"""``custom_data.content_ids``, ``contents`` and ``num_items`` from the root ``items`` array.

Per-item sources (``items.X.rest``) walk ``rest`` from each item; other paths walk from the
root and constants give the same value for every item. ``content_ids`` tries its source
groups in order (a run of per-item paths is one per-item fallback chain); the first group
that yields ids wins. Ids are strings, in item order, duplicates removed.
"""

from __future__ import annotations

from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.paths import is_empty, walk
from pinbridge.mapping.plan import ItemRule, ItemsPlan
from pinbridge.mapping.resolve import REJECTED, resolve, warn_notes

__all__ = ["map_items"]

_CONTENT_IDS = "custom_data.content_ids"


def map_items(
    plan: ItemsPlan, ctx: EventContext, custom: dict[str, object], warnings: list[str]
) -> None:
    """Add content_ids, contents and num_items to ``custom`` when they have a value."""
    items = ctx.root.get("items")
    item_list: list[object] = items if type(items) is list else []
    if type(items) is not list and not is_empty(items):
        warnings.append("custom_data.contents: items is not a list; no item is forwarded")
    if plan.ids is not None:
        ids = _content_ids(plan.ids, item_list, ctx, warnings)
        if ids:
            custom["content_ids"] = ids
    if plan.keys is not None and item_list:
        contents = []
        for position, item in enumerate(item_list):
            entry: dict[str, object] = {}
            for key, spec in plan.keys:
                label = f"custom_data.contents.{position}.{key}"
                value = _per_item(spec, label, item, ctx, warnings)
                if value is not None and value is not REJECTED:
                    entry[key] = value
            if entry:
                contents.append(entry)
        if contents:
            custom["contents"] = contents
    step = plan.num_items
    if step is not None:
        count = resolve(step, ctx.root, ctx, warnings)
        if count is not None and count is not REJECTED:
            custom["num_items"] = count


def _per_item(
    spec: ItemRule, label: str, item: object, ctx: EventContext, warnings: list[str]
) -> object:
    """The first accepted value for one item (same semantics as :func:`resolve`)."""
    sources, rule = spec
    rejected = False
    for source, steps, const, per_item in sources:
        value = const
        if steps is not None:
            value = walk(item if per_item else ctx.root, steps)
            if is_empty(value):
                continue
        out = rule(value, ctx)
        if ctx.notes:
            warn_notes(label, source, ctx, warnings)
        if out is None:
            continue
        if type(out) is Reject:
            warnings.append(f"{label} (from {source}): {out.reason}")
            rejected = True
            continue
        return out
    return REJECTED if rejected else None


def _content_ids(
    groups: tuple[ItemRule, ...], items: list[object], ctx: EventContext, warnings: list[str]
) -> list[str]:
    for spec in groups:
        ids: list[str] = []
        if spec[0][0][3]:  # a run of per-item paths
            for position, item in enumerate(items):
                value = _per_item(spec, f"{_CONTENT_IDS}.{position}", item, ctx, warnings)
                if type(value) is str:
                    ids.append(value)
        else:
            ids = _listed(spec, ctx, warnings)
        if ids:
            return list(dict.fromkeys(ids))
    return []


def _listed(spec: ItemRule, ctx: EventContext, warnings: list[str]) -> list[str]:
    """Ids from one root path or constant: a single value or a list of values."""
    ((label, steps, const, _),), rule = spec
    value = const if steps is None else walk(ctx.root, steps)
    ids: list[str] = []
    for element in value if type(value) is list else (value,):
        if is_empty(element):
            continue
        out = rule(element, ctx)
        if type(out) is str:
            ids.append(out)
        elif type(out) is Reject:
            warnings.append(f"{_CONTENT_IDS} (from {label}): {out.reason}")
    return ids
