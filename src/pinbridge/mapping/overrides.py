"""Validate the user's ``[mapping]``, ``[events]`` and mapping options (spec 2 and 7).

Every problem raises :class:`~pinbridge.errors.ConfigError` naming the key and saying what
is allowed. Values in messages are configuration (paths, names), never event data. Keys are
named as :class:`KeyNames` says: ``[mapping] 'x'`` for pinbridge.toml's own tables, the full
TOML key (``destinations.fr.mapping."x"``) for a destination's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from pinbridge.errors import ConfigError
from pinbridge.mapping.coerce import MAX_TEXT
from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.events import PINTEREST_EVENT_NAMES, event_key
from pinbridge.mapping.hashing import HASHED_RULES
from pinbridge.mapping.paths import PathError, SourcePath, is_empty, parse_path
from pinbridge.mapping.table import (
    CONTENT_IDS,
    CONTENTS,
    FIELDS,
    ITEM_FIELDS,
    ITEM_TARGET_PREFIX,
    REQUIRED,
    Field,
)

__all__ = [
    "Const",
    "KeyNames",
    "Override",
    "check_options",
    "event_overrides",
    "field_overrides",
]

_UNMAPPED_CHOICES = ("filter", "custom")
_X_TARGETS = "custom_data.content_ids and custom_data.contents.X.<key>"
_VALUE_FORMS = (
    'a path ("context.device.ip"), a list of paths, { const = ... }, '
    "or false to never send the field"
)


@dataclass(frozen=True, slots=True)
class KeyNames:
    """How error messages name a configuration key.

    With no ``prefix``: the sections of pinbridge.toml, ``[mapping] 'user_data.foo'``,
    ``[pinterest] partner_name``. With a prefix such as ``destinations.fr.``: the full TOML
    key, ``destinations.fr.mapping."user_data.foo"``; the destination's table holds the
    ``[pinterest]`` keys itself (``destinations.fr.partner_name``).
    """

    prefix: str = ""

    def table(self, section: str) -> str:
        """The section itself: ``[events]`` or ``destinations.fr.events``."""
        return f"{self._prefix()}{section}" if self.prefix else f"[{section}]"

    def entry(self, section: str, key: object) -> str:
        """A user-chosen key in a section: ``[events] 'x'`` or ``destinations.fr.events."x"``."""
        if not self.prefix:
            return f"[{section}] {key!r}"
        quoted = json.dumps(str(key), ensure_ascii=False).replace("\x7f", "\\u007F")
        return f"{self._prefix()}{section}.{quoted}"

    def option(self, section: str, name: str) -> str:
        """A fixed key: ``[consent] categories`` or ``destinations.fr.consent.categories``."""
        if not self.prefix:
            return f"[{section}] {name}"
        if section == "pinterest":
            return f"{self._prefix()}{name}"
        return f"{self._prefix()}{section}.{name}"

    def _prefix(self) -> str:
        return self.prefix if self.prefix.endswith(".") else self.prefix + "."


@dataclass(frozen=True, slots=True)
class Const:
    """A constant source: the same value for every event."""

    value: object


Source = SourcePath | Const


@dataclass(frozen=True, slots=True)
class Override:
    """One ``[mapping]`` entry: new sources for a target, or ``None`` to disable it."""

    target: str
    sources: tuple[Source, ...] | None


def field_overrides(
    table: Mapping[str, object], names: KeyNames = KeyNames()
) -> dict[str, Override]:
    """Validate every ``[mapping]`` entry; returns them keyed by target."""
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{names.table('mapping')} must be a table of Pinterest field = source(s)"
        )
    return {str(key): _override(key, value, names) for key, value in table.items()}


def _override(key: object, value: object, names: KeyNames) -> Override:
    where = names.entry("mapping", key)
    row = _row(key, where, names)
    if value is False:
        if row.target in REQUIRED:
            raise ConfigError(
                f"{where} = false is not allowed: {row.target} is required by Pinterest; "
                "map it to another source instead"
            )
        return Override(row.target, None)
    if row.target == CONTENTS:
        raise ConfigError(
            f"{where} may only be false (never send contents); map its keys with "
            f"'{ITEM_TARGET_PREFIX}<key>' ({', '.join(ITEM_FIELDS)})"
        )
    if isinstance(value, Mapping):
        return Override(row.target, (_const(where, row, value),))
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not paths:
        raise ConfigError(f"{where} must be {_VALUE_FORMS}")
    allow_x = row.target == CONTENT_IDS or row.target.startswith(ITEM_TARGET_PREFIX)
    return Override(row.target, tuple(_path(where, path, allow_x) for path in paths))


def _row(key: object, where: str, names: KeyNames) -> Field:
    if isinstance(key, str) and key in FIELDS:
        return FIELDS[key]
    if isinstance(key, str) and key.startswith(ITEM_TARGET_PREFIX):
        item = ITEM_FIELDS.get(key[len(ITEM_TARGET_PREFIX) :])
        if item is not None:
            return Field(key, item.sources, item.rule)
    if key == "event_name":
        raise ConfigError(
            f"{where}: event names are changed in {names.table('events')}, "
            f"not in {names.table('mapping')}"
        )
    raise ConfigError(
        f"{where} is not a Pinterest field pinbridge can map; allowed targets: "
        f"{', '.join(FIELDS)}, and {ITEM_TARGET_PREFIX}<key> for the keys "
        f"{', '.join(ITEM_FIELDS)}"
    )


def _path(where: str, path: object, allow_x: bool) -> SourcePath:
    try:
        parsed = parse_path(path)
    except PathError as exc:
        raise ConfigError(f"{where}: malformed path: {exc}") from None
    if parsed.per_item and not allow_x:
        raise ConfigError(
            f"{where}: path {parsed.text!r} uses X (every item), which is allowed only in "
            f"sources of {_X_TARGETS}; use an index such as 'items.0.' instead"
        )
    return parsed


def _const(where: str, row: Field, table: Mapping[object, object]) -> Const:
    if set(table) != {"const"}:
        raise ConfigError(f"{where}: a table value must be exactly {{ const = ... }}")
    value = table["const"]
    if is_empty(value) or isinstance(value, dict):
        raise ConfigError(f"{where}: const must be a non-empty string, number or boolean")
    name = row.target.removeprefix("user_data.")
    if row.target.startswith("user_data.") and name in HASHED_RULES:
        elements = value if isinstance(value, list) else [value]
        if any(isinstance(e, bool) or not isinstance(e, str | int | float) for e in elements):
            raise ConfigError(f"{where}: const must be a string or a list of strings")
        return Const(value)
    elements = value if isinstance(value, list) and row.target == CONTENT_IDS else [value]
    for element in elements:
        outcome = row.rule(element, EventContext({}, [], lambda nodes: None))
        if outcome is None or isinstance(outcome, Reject):
            reason = outcome.reason if isinstance(outcome, Reject) else "it is blank"
            raise ConfigError(f"{where}: const is not accepted by the field's rule: {reason}")
    return Const(value)


def event_overrides(
    table: Mapping[str, object], names: KeyNames = KeyNames()
) -> dict[str, str | None]:
    """Validate ``[events]``; returns normalised key -> Pinterest name, or None (disabled)."""
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{names.table('events')} must be a table of event_name = Pinterest event name"
        )
    result: dict[str, str | None] = {}
    for name, target in table.items():
        where = names.entry("events", name)
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: an event name must be non-empty text")
        if target is False:
            mapped: str | None = None
        elif isinstance(target, str) and event_key(target) in PINTEREST_EVENT_NAMES:
            mapped = event_key(target)
        else:
            raise ConfigError(
                f"{where} must be false (never send) or one of Pinterest's event names: "
                f"{', '.join(PINTEREST_EVENT_NAMES)}"
            )
        key = event_key(name)
        if key in result and result[key] != mapped:
            raise ConfigError(
                f"{where} clashes with another {names.table('events')} key that matches "
                "the same name"
            )
        result[key] = mapped
    return result


def check_options(
    unmapped_events: object,
    consent_categories: object,
    click_id_cookie_name: object,
    partner_name: object,
    names: KeyNames = KeyNames(),
) -> None:
    """The scalar options of spec 7 that the mapping reads."""
    if unmapped_events not in _UNMAPPED_CHOICES:
        raise ConfigError(
            f'{names.option("options", "unmapped_events")} must be "filter" (drop unknown '
            'event names) or "custom" (send them as custom)'
        )
    if not isinstance(consent_categories, tuple | list) or not all(
        isinstance(c, str) and c.strip() for c in consent_categories
    ):
        raise ConfigError(
            f"{names.option('consent', 'categories')} must be a list of category ids, "
            'such as ["4", "7"]'
        )
    if (
        not isinstance(click_id_cookie_name, str)
        or not click_id_cookie_name.strip()
        or any(c in click_id_cookie_name for c in "=; ")
    ):
        raise ConfigError(
            f"{names.option('pinterest', 'click_id_cookie_name')} must be a cookie name "
            "(no spaces, '=' or ';'); default _epik"
        )
    if partner_name is not None and (
        not isinstance(partner_name, str)
        or not partner_name.strip()
        or len(partner_name.strip()) > MAX_TEXT
    ):
        raise ConfigError(
            f"{names.option('pinterest', 'partner_name')} must be non-empty text of at most "
            f'{MAX_TEXT} characters, such as "ss-example"'
        )
