"""Load pinbridge's TOML configuration (plus environment overrides) into frozen settings.

Every section is optional. Unknown sections and keys are errors that name the key and list
what is allowed, so a typo never silently turns a feature off. The access token and the
ingest source keys are :class:`~pinbridge.secrets.Secret` values: masked in every repr.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from pinbridge.errors import ConfigError
from pinbridge.mapping import Mapper
from pinbridge.mapping.options import MappingOptions
from pinbridge.secrets import Secret

__all__ = [
    "DeliverySettings",
    "PinterestSettings",
    "QueueSettings",
    "ServerSettings",
    "Settings",
    "load_settings",
    "settings_from_mapping",
]

ENV_AD_ACCOUNT_ID = "PINBRIDGE_AD_ACCOUNT_ID"
ENV_ACCESS_TOKEN = "PINBRIDGE_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token
_AD_ACCOUNT_ID = re.compile(r"^\d{1,18}$")


@dataclass(frozen=True)
class PinterestSettings:
    """``[pinterest]``: where and as whom events are sent."""

    ad_account_id: str | None = None
    access_token: Secret | None = None
    click_id_cookie_name: str = "_epik"
    test_mode: bool = False
    api_base_url: str = "https://api.pinterest.com"
    partner_name: str | None = None


@dataclass(frozen=True)
class OptionsSettings:
    """``[options]``: mapping behaviour switches."""

    unmapped_events: str = "filter"


@dataclass(frozen=True)
class ConsentSettings:
    """``[consent]``: the consent categories every sent event must carry."""

    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerSettings:
    """``[server]``: the ingest HTTP API of ``pinbridge serve``."""

    host: str = "127.0.0.1"
    port: int = 8080
    source_keys: tuple[Secret, ...] = ()
    max_event_bytes: int = 32 * 1024
    max_request_bytes: int = 512 * 1024


@dataclass(frozen=True)
class QueueSettings:
    """``[queue]``: the durable queue (SQLite file by default, PostgreSQL to scale out)."""

    url: str = "sqlite:///pinbridge.db"
    max_depth: int = 1_000_000
    dedup_window_hours: float = 48.0
    lease_seconds: float = 60.0
    retention_days: float = 14.0
    pool_size: int = 8
    pool_wait_seconds: float = 1.0
    connect_timeout_seconds: float = 2.0
    busy_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class DeliverySettings:
    """``[delivery]``: batching, retries and timeouts of the delivery workers."""

    workers: int = 2
    batch_max_events: int = 1000
    batch_max_bytes: int = 4 * 1024 * 1024
    batch_max_age_seconds: float = 1.0
    max_attempts: int = 12
    backoff_base_seconds: float = 1.0
    backoff_max_seconds: float = 600.0
    request_timeout_seconds: float = 30.0
    expire_after_days: float = 7.0
    pause_seconds: float = 60.0


@dataclass(frozen=True)
class Settings:
    """The whole configuration, validated. ``mapper`` is compiled once, at load."""

    pinterest: PinterestSettings = field(default_factory=PinterestSettings)
    options: OptionsSettings = field(default_factory=OptionsSettings)
    consent: ConsentSettings = field(default_factory=ConsentSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    mapping_options: MappingOptions = field(default_factory=MappingOptions)
    mapper: Mapper = field(default_factory=Mapper, repr=False, compare=False)


_SECTIONS: dict[str, type[Any]] = {
    "pinterest": PinterestSettings,
    "options": OptionsSettings,
    "consent": ConsentSettings,
    "server": ServerSettings,
    "queue": QueueSettings,
    "delivery": DeliverySettings,
}
_RAW_SECTIONS = ("events", "mapping")  # validated by the mapper, key by key
_ALL_SECTIONS = (*_SECTIONS, *_RAW_SECTIONS)

_T = TypeVar("_T")


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Read the TOML file at ``path`` (or nothing: all defaults) and apply env overrides.

    Raises :class:`ConfigError` with the file, the key and the fix when anything is wrong.
    """
    data: dict[str, Any] = {}
    if path is not None:
        source = Path(path)
        try:
            with source.open("rb") as handle:
                data = tomllib.load(handle)
        except FileNotFoundError:
            raise ConfigError(f"config file {source} does not exist") from None
        except OSError as exc:
            raise ConfigError(f"cannot read config file {source}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {source} is not valid TOML: {exc}") from None
    return settings_from_mapping(data, os.environ if env is None else env)


def settings_from_mapping(data: Mapping[str, Any], env: Mapping[str, str]) -> Settings:
    """Validate an already-parsed TOML document; see :func:`load_settings`."""
    unknown = sorted(set(data) - set(_ALL_SECTIONS))
    if unknown:
        raise ConfigError(
            f"unknown config section [{unknown[0]}]; "
            f"known sections: {', '.join('[' + s + ']' for s in _ALL_SECTIONS)}"
        )
    tables = {name: _table(data, name) for name in _ALL_SECTIONS}
    pinterest = _load_section("pinterest", tables["pinterest"], PinterestSettings)
    pinterest = _apply_env(pinterest, env)
    options = _load_section("options", tables["options"], OptionsSettings)
    consent = _load_section("consent", tables["consent"], ConsentSettings)
    mapping_options = MappingOptions(
        events=tables["events"],
        fields=tables["mapping"],
        unmapped_events=options.unmapped_events,
        consent_categories=consent.categories,
        click_id_cookie_name=pinterest.click_id_cookie_name,
        partner_name=pinterest.partner_name,
    )
    settings = Settings(
        pinterest=pinterest,
        options=options,
        consent=consent,
        server=_load_section("server", tables["server"], ServerSettings),
        queue=_load_section("queue", tables["queue"], QueueSettings),
        delivery=_load_section("delivery", tables["delivery"], DeliverySettings),
        mapping_options=mapping_options,
        mapper=Mapper(mapping_options),
    )
    _check_values(settings)
    return settings


def _table(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table (a section), not {_kind(value)}")
    return value


def _apply_env(pinterest: PinterestSettings, env: Mapping[str, str]) -> PinterestSettings:
    changes: dict[str, Any] = {}
    if env.get(ENV_AD_ACCOUNT_ID, "").strip():
        changes["ad_account_id"] = env[ENV_AD_ACCOUNT_ID].strip()
    if env.get(ENV_ACCESS_TOKEN, "").strip():
        changes["access_token"] = Secret(env[ENV_ACCESS_TOKEN].strip())
    if not changes:
        return pinterest
    return replace(pinterest, **changes)


def _load_section(name: str, table: Mapping[str, Any], cls: type[_T]) -> _T:
    """Build the dataclass ``cls`` from a TOML table, checking every key and type."""
    hints = typing.get_type_hints(cls)
    known = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key not in hints:
            raise ConfigError(f"unknown key [{name}] {key!r}; allowed keys: {', '.join(known)}")
        kwargs[key] = _coerce(f"[{name}] {key}", value, hints[key])
    return cls(**kwargs)


def _coerce(where: str, value: Any, hint: Any) -> Any:
    """Check one TOML value against a field's type annotation; convert where lossless."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _coerce(where, value, options[0])
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, not {_kind(value)}")
        (item_hint, _) = typing.get_args(hint)
        if item_hint is str:  # consent categories may be written as numbers
            return tuple(_as_text(f"{where}[{i}]", v) for i, v in enumerate(value))
        return tuple(_coerce(f"{where}[{i}]", v, item_hint) for i, v in enumerate(value))
    if hint is Secret:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} must be a non-empty string")
        return Secret(value.strip())
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, not {_kind(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, not {_kind(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number, not {_kind(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string, not {_kind(value)}")
        return value
    raise TypeError(f"no config coercion for {hint!r}")  # pragma: no cover - a bug in a section


def _as_text(where: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigError(f"{where} must be a string or a whole number, not {_kind(value)}")
    return str(value).strip()


def _check_values(settings: Settings) -> None:
    """Rules that span more than a type: ranges, formats and choices."""
    pinterest = settings.pinterest
    if pinterest.ad_account_id is not None and not _AD_ACCOUNT_ID.match(pinterest.ad_account_id):
        raise ConfigError(
            "[pinterest] ad_account_id must be the ad account's numeric id "
            f"(1 to 18 digits), as shown in Ads Manager (also settable with {ENV_AD_ACCOUNT_ID})"
        )
    if not re.match(r"^https?://[^/\s]+", pinterest.api_base_url):
        raise ConfigError(
            "[pinterest] api_base_url must be an http:// or https:// URL, "
            "such as https://api.pinterest.com"
        )
    if not 0 < settings.server.port < 65536:
        raise ConfigError("[server] port must be between 1 and 65535")
    positive: list[tuple[str, float]] = [
        ("[server] max_event_bytes", settings.server.max_event_bytes),
        ("[server] max_request_bytes", settings.server.max_request_bytes),
        ("[queue] max_depth", settings.queue.max_depth),
        ("[queue] dedup_window_hours", settings.queue.dedup_window_hours),
        ("[queue] lease_seconds", settings.queue.lease_seconds),
        ("[queue] retention_days", settings.queue.retention_days),
        ("[delivery] workers", settings.delivery.workers),
        ("[delivery] batch_max_bytes", settings.delivery.batch_max_bytes),
        ("[delivery] batch_max_age_seconds", settings.delivery.batch_max_age_seconds),
        ("[delivery] max_attempts", settings.delivery.max_attempts),
        ("[delivery] backoff_base_seconds", settings.delivery.backoff_base_seconds),
        ("[delivery] backoff_max_seconds", settings.delivery.backoff_max_seconds),
        ("[delivery] request_timeout_seconds", settings.delivery.request_timeout_seconds),
        ("[delivery] expire_after_days", settings.delivery.expire_after_days),
        ("[delivery] pause_seconds", settings.delivery.pause_seconds),
    ]
    for where, number in positive:
        if number <= 0:
            raise ConfigError(f"{where} must be greater than 0")
    if not 1 <= settings.delivery.batch_max_events <= 1000:
        raise ConfigError(
            "[delivery] batch_max_events must be between 1 and 1000 (Pinterest's batch limit)"
        )
    if not re.match(r"^(sqlite:///.+|postgres(ql)?://.+)$", settings.queue.url):
        raise ConfigError(
            "[queue] url must be sqlite:///PATH (for example sqlite:///pinbridge.db) "
            "or postgresql://user@host:port/database"
        )


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)
