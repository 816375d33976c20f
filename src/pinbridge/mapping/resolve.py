"""Resolve one field: try its sources in order; the first value the rule accepts wins.

Empty values are skipped silently. A non-empty value the rule rejects adds a warning naming
the field, the source path and the reason (never the value), and the next source is tried.
Sources are slot lookups in the node table (:mod:`pinbridge.mapping.nodes`).
"""

from __future__ import annotations

from pinbridge.mapping.context import EventContext, Reject, Rule
from pinbridge.mapping.plan import CompiledSource, FieldStep

__all__ = ["REJECTED", "lookup", "resolve", "resolve_sources", "warn_derived", "warn_notes"]


class _Rejected:
    """Returned when every non-empty source was rejected (differs from "all empty")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REJECTED"


REJECTED = _Rejected()


def lookup(nodes: list[object], slot: int, key: str | None, index: int | None) -> object:
    """The value of one source: ``key`` (or ``index``) of the node in ``slot``."""
    node = nodes[slot]
    if key is None:
        return node
    if type(node) is dict:
        return node.get(key)
    if type(node) is list and index is not None and index < len(node):
        return node[index]
    return None


def resolve(step: FieldStep, nodes: list[object], ctx: EventContext, warnings: list[str]) -> object:
    """The accepted value of a field, None when every source is empty, or REJECTED."""
    return resolve_sources(step.sources, step.rule, step.label, nodes, ctx, warnings)


Label = str | tuple[str, int, str]
"""A field name, or (prefix, item position, key) formatted only when a warning needs it."""


def label_text(label: Label) -> str:
    """``custom_data.contents.2.item_price`` from ``("custom_data.contents", 2, "item_price")``."""
    if isinstance(label, str):
        return label
    prefix, position, key = label
    return f"{prefix}.{position}.{key}" if key else f"{prefix}.{position}"


def resolve_sources(  # noqa: PLR0917 - the hot path; a parameter object would cost a lookup
    sources: tuple[CompiledSource, ...],
    rule: Rule,
    label: Label,
    nodes: list[object],
    ctx: EventContext,
    warnings: list[str],
) -> object:
    """:func:`resolve` for explicit sources (also used for per-item values)."""
    rejected = False
    for source, slot, key, index, value in sources:
        if slot >= 0:
            node = nodes[slot]
            if node is None:
                continue
            if key is None:
                value = node  # noqa: PLW2901 - the const slot is reused for the looked-up value
            elif type(node) is dict:
                value = node.get(key)  # noqa: PLW2901
            elif index is not None and type(node) is list and index < len(node):
                value = node[index]  # noqa: PLW2901
            else:
                continue
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if not value or value.isspace():  # type: ignore[attr-defined]
                    continue
            elif (kind is list or kind is dict) and not value:
                continue
        out = rule(value, ctx)
        if ctx.notes:
            warn_notes(label, source, ctx, warnings)
        if out is None:
            continue
        if type(out) is Reject:
            warnings.append(f"{label_text(label)} (from {source}): {out.reason}")
            rejected = True
            continue
        return out
    return REJECTED if rejected else None


def warn_notes(label: Label, source: str, ctx: EventContext, warnings: list[str]) -> None:
    """Turn the rule's notes about dropped list elements into warnings."""
    for note in ctx.notes:
        warnings.append(f"{label_text(label)} (from {source}): {note}")
    ctx.notes.clear()


def warn_derived(label: str, ctx: EventContext, warnings: list[str]) -> None:
    """Turn a derivation's notes (``(from where): reason``, see derive.py) into warnings."""
    for note in ctx.notes:
        warnings.append(f"{label} {note}")
    ctx.notes.clear()
