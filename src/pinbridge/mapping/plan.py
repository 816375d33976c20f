"""Compile the field table plus the user's overrides into a plan the mapper runs per event.

Compiling once means the per-event work is only walking pre-parsed paths and calling
rules: no table lookups, no string splitting, no per-event dict rebuilding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pinbridge.mapping.context import EventContext, Rule
from pinbridge.mapping.derive import click_id_fallback, derive_action_source
from pinbridge.mapping.events import EVENT_NAMES
from pinbridge.mapping.options import MappingOptions
from pinbridge.mapping.overrides import (
    Const,
    Override,
    Source,
    check_options,
    event_overrides,
    field_overrides,
)
from pinbridge.mapping.paths import Step, parse_path
from pinbridge.mapping.table import (
    CONTENT_IDS,
    CONTENTS,
    FIELDS,
    ITEM_FIELDS,
    ITEM_TARGET_PREFIX,
    NUM_ITEMS,
)

__all__ = [
    "CUSTOM_DATA",
    "EVENT_ID",
    "EVENT_TIME",
    "EVENT_URL",
    "ROOT",
    "USER_DATA",
    "CompiledSource",
    "FieldStep",
    "ItemRule",
    "ItemSource",
    "ItemsPlan",
    "Plan",
    "compile_plan",
]

ROOT, USER_DATA, CUSTOM_DATA = 0, 1, 2
EVENT_ID, EVENT_TIME, EVENT_URL = 1, 2, 3
_SPECIAL = {"event_id": EVENT_ID, "event_time": EVENT_TIME, "event_source_url": EVENT_URL}

CompiledSource = tuple[str, tuple[Step, ...] | None, object]
"""(label for warnings, path steps or None for a constant, the constant)."""
ItemSource = tuple[str, tuple[Step, ...] | None, object, bool]
"""As CompiledSource, plus whether the steps walk from each item (``items.X.``)."""
ItemRule = tuple[tuple[ItemSource, ...], Rule]
"""A per-item value: its sources and its rule."""
Derivation = Callable[[EventContext], object]

_ITEM_TARGETS = {CONTENT_IDS, CONTENTS, NUM_ITEMS}


@dataclass(frozen=True, slots=True)
class FieldStep:
    """One field to resolve: where it goes, its sources, its rule and its fallback."""

    section: int
    key: str
    label: str
    sources: tuple[CompiledSource, ...]
    rule: Rule
    derive: Derivation | None
    special: int = 0


@dataclass(frozen=True, slots=True)
class ItemsPlan:
    """``content_ids``, ``contents`` and ``num_items``; ``None`` means disabled."""

    ids: tuple[ItemRule, ...] | None
    keys: tuple[tuple[str, ItemRule], ...] | None
    num_items: FieldStep | None


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the mapper needs, compiled from the table and the options."""

    events: dict[str, str | None]
    unmapped_custom: bool
    consent: frozenset[str]
    steps: tuple[FieldStep, ...]
    items: ItemsPlan
    country: tuple[CompiledSource, ...]
    url_shadow: FieldStep | None


def compile_plan(options: MappingOptions) -> Plan:
    """Validate ``options`` (raising ConfigError naming the key) and compile them."""
    check_options(
        options.unmapped_events,
        options.consent_categories,
        options.click_id_cookie_name,
        options.partner_name,
    )
    overrides = field_overrides(options.fields)
    events = {**EVENT_NAMES, **event_overrides(options.events)}
    sources = _effective_sources(overrides, options.partner_name)
    derivations: dict[str, Derivation] = {
        "action_source": derive_action_source,
        "click_id": click_id_fallback(options.click_id_cookie_name.strip()),
    }
    steps = []
    for target, row in FIELDS.items():
        if target in _ITEM_TARGETS or sources.get(target) is None:
            continue
        derive = derivations.get(row.fallback) if row.fallback else None
        steps.append(_step(target, sources[target] or (), row.rule, derive))
    url = "event_source_url"
    return Plan(
        events=events,
        unmapped_custom=options.unmapped_events == "custom",
        consent=frozenset(c.strip() for c in options.consent_categories),
        steps=tuple(steps),
        items=_items_plan(overrides, sources),
        country=_compiled(_default_if_disabled(sources, "user_data.country")),
        url_shadow=None
        if sources.get(url) is not None
        else _step(url, _defaults(url), FIELDS[url].rule, None),
    )


def _defaults(target: str) -> tuple[Source, ...]:
    return tuple(parse_path(text) for text in FIELDS[target].sources)


def _effective_sources(
    overrides: dict[str, Override], partner_name: str | None
) -> dict[str, tuple[Source, ...] | None]:
    """Each target's sources after overrides; None when disabled."""
    result: dict[str, tuple[Source, ...] | None] = {t: _defaults(t) for t in FIELDS}
    if partner_name:
        result["partner_name"] = (Const(partner_name.strip()),)
    for target, override in overrides.items():
        result[target] = override.sources
    return result


def _default_if_disabled(
    sources: dict[str, tuple[Source, ...] | None], target: str
) -> tuple[Source, ...]:
    found = sources.get(target)
    return found if found is not None else _defaults(target)


def _compiled(sources: tuple[Source, ...]) -> tuple[CompiledSource, ...]:
    return tuple(
        ("const", None, s.value) if isinstance(s, Const) else (s.text, s.steps, None)
        for s in sources
    )


def _item_sources(sources: tuple[Source, ...]) -> tuple[ItemSource, ...]:
    return tuple(
        ("const", None, s.value, False)
        if isinstance(s, Const)
        else (s.text, s.steps, None, s.per_item)
        for s in sources
    )


def _step(
    target: str, sources: tuple[Source, ...], rule: Rule, derive: Derivation | None
) -> FieldStep:
    section, _, key = target.partition(".")
    if key and section == "user_data":
        return FieldStep(USER_DATA, key, target, _compiled(sources), rule, derive)
    if key and section == "custom_data":
        return FieldStep(CUSTOM_DATA, key, target, _compiled(sources), rule, derive)
    special = _SPECIAL.get(target, 0)
    return FieldStep(ROOT, target, target, _compiled(sources), rule, derive, special)


def _items_plan(
    overrides: dict[str, Override], sources: dict[str, tuple[Source, ...] | None]
) -> ItemsPlan:
    id_sources = sources[CONTENT_IDS]
    id_rule = FIELDS[CONTENT_IDS].rule
    ids = None if id_sources is None else _producers(id_sources, id_rule)
    keys: list[tuple[str, ItemRule]] = []
    for key, row in ITEM_FIELDS.items():
        override = overrides.get(ITEM_TARGET_PREFIX + key)
        if override is None:
            chosen = _item_id_sources(id_sources) if key == "id" else _defaults_of(row.sources)
        elif override.sources is None:
            continue
        else:
            chosen = override.sources
        keys.append((key, (_item_sources(chosen), row.rule)))
    num_sources = sources[NUM_ITEMS]
    return ItemsPlan(
        ids=ids,
        keys=None if sources[CONTENTS] is None else tuple(keys),
        num_items=None
        if num_sources is None
        else _step(NUM_ITEMS, num_sources, FIELDS[NUM_ITEMS].rule, None),
    )


def _defaults_of(paths: tuple[str, ...]) -> tuple[Source, ...]:
    return tuple(parse_path(text) for text in paths)


def _item_id_sources(id_sources: tuple[Source, ...] | None) -> tuple[Source, ...]:
    """contents.X.id follows content_ids' per-item sources (the defaults when it has none)."""
    per_item = tuple(s for s in id_sources or () if not isinstance(s, Const) and s.per_item)
    return per_item or _defaults(CONTENT_IDS)


def _producers(sources: tuple[Source, ...], rule: Rule) -> tuple[ItemRule, ...]:
    """Group content_ids sources: a run of ``items.X`` paths is one per-item fallback chain."""
    groups: list[list[Source]] = []
    for source in sources:
        per_item = not isinstance(source, Const) and source.per_item
        if per_item and groups and _is_per_item(groups[-1][-1]):
            groups[-1].append(source)
        else:
            groups.append([source])
    return tuple((_item_sources(tuple(group)), rule) for group in groups)


def _is_per_item(source: Source) -> bool:
    return not isinstance(source, Const) and source.per_item
