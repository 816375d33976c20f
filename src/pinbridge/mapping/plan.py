"""Compile the field table plus the user's overrides into a plan the mapper runs per event.

Compiling once means the per-event work is only filling the node table (every distinct
path prefix walked once, see :mod:`pinbridge.mapping.nodes`), one lookup per source and
the rules: no table lookups, no string splitting, no per-event dict rebuilding. A field
whose sources all hang below one node is skipped outright when that node is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pinbridge.mapping.context import EventContext, Rule
from pinbridge.mapping.derive import click_id_fallback, derive_action_source
from pinbridge.mapping.events import EVENT_NAMES
from pinbridge.mapping.nodes import NodeOp, NodeTable
from pinbridge.mapping.options import MappingOptions
from pinbridge.mapping.overrides import (
    Const,
    KeyNames,
    Override,
    Source,
    check_options,
    event_overrides,
    field_overrides,
)
from pinbridge.mapping.paths import SourcePath, parse_path
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
    "ItemsPlan",
    "Plan",
    "compile_plan",
]

ROOT, USER_DATA, CUSTOM_DATA = 0, 1, 2
EVENT_ID, EVENT_TIME, EVENT_URL = 1, 2, 3
CONST = -1
_SPECIAL = {"event_id": EVENT_ID, "event_time": EVENT_TIME, "event_source_url": EVENT_URL}
_ITEM_TARGETS = {CONTENT_IDS, CONTENTS, NUM_ITEMS}

CompiledSource = tuple[str, int, str | None, int | None, object]
"""(label for warnings, parent slot or CONST, key (None: the node itself), index, constant)."""
ItemSource = tuple[str, int, str | None, int | None, object, bool]
"""While compiling: a CompiledSource plus whether its slot is in the per-item table."""
ItemRule = tuple[tuple[CompiledSource, ...], Rule, bool]
"""A per-item value: its sources, its rule, and whether they are all per-item paths.

Per-item slots are offset past the event table: per item, the mapper resolves against the
event's nodes followed by the item's nodes.
"""
Derivation = Callable[[EventContext], object]


@dataclass(frozen=True, slots=True)
class FieldStep:
    """One field to resolve: where it goes, its sources, its rule and its fallback.

    ``gate`` is the slot every source hangs below (the field is skipped when that node is
    missing), or -1 when the sources do not share one parent or include a constant.
    """

    section: int
    key: str
    label: str
    sources: tuple[CompiledSource, ...]
    rule: Rule
    derive: Derivation | None
    special: int
    gate: int


@dataclass(frozen=True, slots=True)
class ItemsPlan:
    """``content_ids``, ``contents`` and ``num_items``; ``None`` means disabled.

    ``shared_ids``: content_ids is exactly the per-item ``id`` of contents, so it is
    collected while building contents instead of being resolved twice.
    """

    ids: tuple[ItemRule, ...] | None
    keys: tuple[tuple[str, ItemRule], ...] | None
    num_items: FieldStep | None
    item_ops: tuple[NodeOp, ...]
    shared_ids: bool


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the mapper needs, compiled from the table and the options."""

    events: dict[str, str | None]
    unmapped_custom: bool
    consent: frozenset[str]
    ops: tuple[NodeOp, ...]
    steps: tuple[FieldStep, ...]
    items: ItemsPlan
    country: tuple[CompiledSource, ...]
    url_shadow: FieldStep | None


def compile_plan(options: MappingOptions) -> Plan:
    """Validate ``options`` (raising ConfigError naming the key) and compile them."""
    names = KeyNames(options.config_prefix)
    check_options(
        options.unmapped_events,
        options.consent_categories,
        options.click_id_cookie_name,
        options.partner_name,
        names,
    )
    overrides = field_overrides(options.fields, names)
    events = {**EVENT_NAMES, **event_overrides(options.events, names)}
    sources = _effective_sources(overrides, options.partner_name)
    derivations: dict[str, Derivation] = {
        "action_source": derive_action_source,
        "click_id": click_id_fallback(options.click_id_cookie_name.strip()),
    }
    compiler = _Compiler()
    steps = []
    for target, row in FIELDS.items():
        found = sources.get(target)
        if target in _ITEM_TARGETS or found is None or (not found and not row.fallback):
            continue  # disabled, or nothing to resolve per event
        derive = derivations.get(row.fallback) if row.fallback else None
        steps.append(compiler.step(target, found, row.rule, derive))
    url = "event_source_url"
    url_shadow = None
    if sources.get(url) is None and sources.get("user_data.click_id") is not None:
        url_shadow = compiler.step(url, _defaults(url), FIELDS[url].rule, None)
    country = compiler.sources(_default_if_disabled(sources, "user_data.country"))
    items = _items_plan(compiler, overrides, sources)
    return Plan(
        events=events,
        unmapped_custom=options.unmapped_events == "custom",
        consent=frozenset(c.strip() for c in options.consent_categories),
        ops=tuple(compiler.event.ops),
        steps=tuple(steps),
        items=items,
        country=country,
        url_shadow=url_shadow,
    )


class _Compiler:
    """Turns sources into slot lookups in the event table or the per-item table."""

    def __init__(self) -> None:
        self.event = NodeTable()
        self.item = NodeTable()

    def sources(self, sources: tuple[Source, ...]) -> tuple[CompiledSource, ...]:
        return tuple(_plain(self._source(s)) for s in sources)

    def item_sources(self, sources: tuple[Source, ...]) -> tuple[ItemSource, ...]:
        return tuple(self._source(s) for s in sources)

    def _source(self, source: Source) -> ItemSource:
        if isinstance(source, Const):
            return ("const", CONST, None, None, source.value, False)
        table = self.item if source.per_item else self.event
        if not source.steps:  # ``items.X``: the item itself
            return (source.text, 0, None, None, None, True)
        key, index = source.steps[-1]
        return (source.text, table.parent_of(source.steps), key, index, None, source.per_item)

    def step(
        self, target: str, sources: tuple[Source, ...], rule: Rule, derive: Derivation | None
    ) -> FieldStep:
        compiled = self.sources(sources)
        parents = {slot for _, slot, _, _, _ in compiled}
        gate = parents.pop() if len(parents) == 1 and CONST not in parents else -1
        section, _, key = target.partition(".")
        if key and section in ("user_data", "custom_data"):
            place = USER_DATA if section == "user_data" else CUSTOM_DATA
            return FieldStep(place, key, target, compiled, rule, derive, 0, gate)
        special = _SPECIAL.get(target, 0)
        return FieldStep(ROOT, target, target, compiled, rule, derive, special, gate)


def _plain(source: ItemSource) -> CompiledSource:
    label, slot, key, index, const, _ = source
    return label, slot, key, index, const


def _defaults(target: str) -> tuple[Source, ...]:
    return _parsed(FIELDS[target].sources)


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


def _items_plan(
    compiler: _Compiler,
    overrides: dict[str, Override],
    sources: dict[str, tuple[Source, ...] | None],
) -> ItemsPlan:
    id_sources = sources[CONTENT_IDS]
    id_rule = FIELDS[CONTENT_IDS].rule
    groups = None if id_sources is None else _producers(id_sources)
    raw_keys: list[tuple[str, tuple[ItemSource, ...], Rule]] = []
    id_chain: tuple[Source, ...] | None = None
    for key, row in ITEM_FIELDS.items():
        override = overrides.get(ITEM_TARGET_PREFIX + key)
        if override is None:
            chosen = _item_id_sources(id_sources) if key == "id" else _parsed(row.sources)
        elif override.sources is None:
            continue
        else:
            chosen = override.sources
        if key == "id":
            id_chain = chosen
        raw_keys.append((key, compiler.item_sources(chosen), row.rule))
    raw_ids = [compiler.item_sources(group) for group in groups or ()]
    num_sources = sources[NUM_ITEMS]
    num_items = None
    if num_sources is not None:
        num_items = compiler.step(NUM_ITEMS, num_sources, FIELDS[NUM_ITEMS].rule, None)
    offset = len(compiler.event.ops) + 1  # every event-table slot is known from here on
    contents_on = sources[CONTENTS] is not None
    return ItemsPlan(
        ids=None if groups is None else tuple(_item_rule(s, id_rule, offset) for s in raw_ids),
        keys=tuple((key, _item_rule(s, rule, offset)) for key, s, rule in raw_keys)
        if contents_on
        else None,
        num_items=num_items,
        item_ops=tuple(compiler.item.ops),
        shared_ids=contents_on and groups is not None and [tuple(g) for g in groups] == [id_chain],
    )


def _item_rule(sources: tuple[ItemSource, ...], rule: Rule, offset: int) -> ItemRule:
    compiled = tuple(
        (label, slot + offset if per_item else slot, key, index, const)
        for label, slot, key, index, const, per_item in sources
    )
    return compiled, rule, all(per_item for *_, per_item in sources)


def _parsed(paths: tuple[str, ...]) -> tuple[Source, ...]:
    return tuple(parse_path(text) for text in paths)


def _item_id_sources(id_sources: tuple[Source, ...] | None) -> tuple[Source, ...]:
    """contents.X.id follows content_ids' per-item sources (the defaults when it has none)."""
    per_item = tuple(s for s in id_sources or () if isinstance(s, SourcePath) and s.per_item)
    return per_item or _defaults(CONTENT_IDS)


def _producers(sources: tuple[Source, ...]) -> list[tuple[Source, ...]]:
    """Group content_ids sources: a run of ``items.X`` paths is one per-item fallback chain."""
    groups: list[list[Source]] = []
    for source in sources:
        per_item = isinstance(source, SourcePath) and source.per_item
        previous = groups[-1][-1] if groups else None
        if per_item and isinstance(previous, SourcePath) and previous.per_item:
            groups[-1].append(source)
        else:
            groups.append([source])
    return [tuple(group) for group in groups]
