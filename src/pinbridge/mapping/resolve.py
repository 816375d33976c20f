"""Resolve one field: try its sources in order; the first value the rule accepts wins.

Empty values are skipped silently. A non-empty value the rule rejects adds a warning naming
the field, the source path and the reason (never the value), and the next source is tried.
This is the hot path of the mapper, so path walking is inlined.
"""

from __future__ import annotations

from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.plan import FieldStep

__all__ = ["REJECTED", "resolve", "warn_notes"]


class _Rejected:
    """Returned when every non-empty source was rejected (differs from "all empty")."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REJECTED"


REJECTED = _Rejected()


def resolve(step: FieldStep, node: object, ctx: EventContext, warnings: list[str]) -> object:
    """The accepted value, None when every source is empty, or REJECTED."""
    rejected = False
    rule, label = step.rule, step.label
    for source, steps, const in step.sources:
        value = const
        if steps is not None:
            value = node
            for key, index in steps:
                kind = type(value)
                if kind is dict:
                    value = value.get(key)  # type: ignore[attr-defined]
                elif kind is list and index is not None:
                    value = value[index] if index < len(value) else None  # type: ignore[arg-type,index]
                else:
                    value = None
                    break
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
            warnings.append(f"{label} (from {source}): {out.reason}")
            rejected = True
            continue
        return out
    return REJECTED if rejected else None


def warn_notes(label: str, source: str, ctx: EventContext, warnings: list[str]) -> None:
    """Turn the rule's notes about dropped list elements into warnings."""
    for note in ctx.notes:
        warnings.append(f"{label} (from {source}): {note}")
    ctx.notes.clear()
