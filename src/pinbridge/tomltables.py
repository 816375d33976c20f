"""Check TOML tables against the fields of a settings dataclass.

Every key must be a field and every value of the field's annotated type (converted where
lossless), so a typo or a wrong type is an error naming the key and what is allowed.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import fields
from typing import Any, TypeVar

from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret

__all__ = ["coerce", "dotted_key", "kind", "load_table"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_T = TypeVar("_T")


def load_table(name: str, table: Mapping[str, Any], cls: type[_T], prefix: str | None = None) -> _T:
    """Build the dataclass ``cls`` from a TOML table, checking every key and type.

    Keys are named ``[name] key`` in messages, or ``prefix.key`` when ``prefix`` (a dotted
    key such as ``destinations.fr.options``) is given.
    """
    hints = typing.get_type_hints(cls)
    known = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in hints:
            unknown = f"[{name}] {key!r}" if prefix is None else dotted_key(prefix, key)
            raise ConfigError(f"unknown key {unknown}; allowed keys: {', '.join(known)}")
        where = f"[{name}] {key}" if prefix is None else dotted_key(prefix, key)
        kwargs[key] = coerce(where, value, hints[key])
    return cls(**kwargs)


def dotted_key(prefix: str, key: str) -> str:
    """The dotted TOML key ``prefix.key``, quoting ``key`` when it is not a bare key."""
    return f"{prefix}.{key if _BARE_KEY.fullmatch(key) else json.dumps(key)}"


def coerce(where: str, value: Any, hint: Any) -> Any:
    """Check one TOML value against a field's type annotation; convert where lossless."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return coerce(where, value, options[0])
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {kind(value)}")
        (item_hint, _) = typing.get_args(hint)
        if item_hint is str:  # consent categories may be written as numbers
            return tuple(_as_text(f"{where}[{i}]", v) for i, v in enumerate(value))
        return tuple(coerce(f"{where}[{i}]", v, item_hint) for i, v in enumerate(value))
    if hint is Secret:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} must be a non-empty string")
        return Secret(value.strip())
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {kind(value)}")
        return value
    raise TypeError(f"no config coercion for {hint!r}")  # pragma: no cover - a bug in a section


def _as_text(where: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{where} must be a string or a whole number, not {kind(value)}")
    return str(value).strip()


def kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
