"""Load pinbridge's TOML configuration (plus environment overrides) into frozen settings.

Every section is optional. Unknown sections and keys are errors that name the key and list
what is allowed, so a typo never silently turns a feature off. The access tokens and the
sender and admin keys are :class:`~pinbridge.secrets.Secret` values: masked in every repr.

The top-level ``[pinterest]``, ``[options]``, ``[events]``, ``[mapping]`` and ``[consent]``
sections form the destination named ``default``; ``[destinations.NAME]`` tables add more.
Loading is a pure function of the file, the environment and the token files it names, so
reloading is calling :func:`load_settings` again.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pinbridge.access import TokenSpec, allowed_hosts, check_keys, resolve_token
from pinbridge.errors import ConfigError
from pinbridge.mapping import Mapper
from pinbridge.mapping.options import MappingOptions
from pinbridge.secrets import Secret
from pinbridge.tomltables import coerce, dotted_key, kind, load_table

__all__ = [
    "DEFAULT_DESTINATION",
    "ConsentSettings",
    "DeliverySettings",
    "DestinationSettings",
    "OptionsSettings",
    "PinterestSettings",
    "QueueSettings",
    "ServerSettings",
    "Settings",
    "load_settings",
    "settings_from_mapping",
]

ENV_AD_ACCOUNT_ID = "PINBRIDGE_AD_ACCOUNT_ID"
ENV_ACCESS_TOKEN = "PINBRIDGE_ACCESS_TOKEN"  # noqa: S105 - the variable's name, not a token
DEFAULT_DESTINATION = "default"
_AD_ACCOUNT_ID = re.compile(r"^\d{1,18}$")
_DESTINATION_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")
_MAX_TIMEOUT_SECONDS = 3600.0


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
    admin_keys: tuple[Secret, ...] = ()
    public_metrics: bool = False
    allow_open: bool = False
    allowed_hosts: tuple[str, ...] = ()
    max_events_per_request: int = 1000  # Pinterest's own batch limit
    max_connections: int = 1000
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    keepalive_timeout_seconds: float = 15.0
    shutdown_timeout_seconds: float = 20.0
    access_log: bool = True


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
class DestinationSettings:
    """One Pinterest destination: where, as whom, and how its events are mapped."""

    name: str
    """``"default"`` (the top-level sections) or the NAME of ``[destinations.NAME]``."""
    pinterest: PinterestSettings
    """``access_token`` is already read from wherever it was given (None when it was not)."""
    options: OptionsSettings
    consent: ConsentSettings
    mapping_options: MappingOptions
    mapper: Mapper = field(repr=False, compare=False)
    """Compiled once, at load."""
    source_keys: tuple[Secret, ...]
    """The sender keys whose events go to this destination."""
    token_source: str
    """Where the token is read from, in words, for error messages."""


@dataclass(frozen=True)
class Settings:
    """The whole configuration, validated. ``mapper`` is compiled once, at load.

    ``pinterest``, ``options``, ``consent``, ``mapping_options`` and ``mapper`` describe the
    destination named ``default`` (built-in defaults when it is absent); ``destinations``
    holds every destination, ``default`` first when present, then the others in file order.
    Built by hand without ``destinations``, it gets a ``default`` made of those fields.
    """

    pinterest: PinterestSettings = field(default_factory=PinterestSettings)
    options: OptionsSettings = field(default_factory=OptionsSettings)
    consent: ConsentSettings = field(default_factory=ConsentSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    mapping_options: MappingOptions = field(default_factory=MappingOptions)
    mapper: Mapper = field(default_factory=Mapper, repr=False, compare=False)
    destinations: Mapping[str, DestinationSettings] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        if not self.destinations:
            default = _default_destination(
                pinterest=self.pinterest,
                options=self.options,
                consent=self.consent,
                mapping_options=self.mapping_options,
                mapper=self.mapper,
                source_keys=self.server.source_keys,
            )
            object.__setattr__(self, "destinations", MappingProxyType({default.name: default}))

    def destination(self, name: str) -> DestinationSettings:
        """The destination called ``name``; ConfigError listing the configured ones otherwise."""
        found = self.destinations.get(name)
        if found is None:
            raise ConfigError(
                f"no destination named {name!r}; "
                f"configured destinations: {', '.join(self.destinations)}"
            )
        return found


_SECTIONS: dict[str, type[Any]] = {
    "pinterest": PinterestSettings,
    "options": OptionsSettings,
    "consent": ConsentSettings,
    "server": ServerSettings,
    "queue": QueueSettings,
    "delivery": DeliverySettings,
}
_RAW_SECTIONS = ("events", "mapping")  # validated by the mapper, key by key
_ALL_SECTIONS = (*_SECTIONS, *_RAW_SECTIONS, "destinations")
# The top-level sections that make up the default destination.
_DESTINATION_SECTIONS = ("pinterest", "options", "events", "mapping", "consent")
_DESTINATION_EXTRA: dict[str, Any] = {
    "access_token_env": str,
    "access_token_file": str,
    "source_keys": tuple[Secret, ...],
}
_DESTINATION_TABLES = ("options", "events", "mapping", "consent")
_DEFAULT_TOKEN_SOURCE = f"[pinterest] access_token (or {ENV_ACCESS_TOKEN})"


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
    server = load_table("server", tables["server"], ServerSettings)
    server = replace(server, allowed_hosts=allowed_hosts(server.allowed_hosts))
    pinterest = load_table("pinterest", tables["pinterest"], PinterestSettings)
    pinterest = _apply_env(pinterest, env)
    _check_pinterest(pinterest, None)
    options = load_table("options", tables["options"], OptionsSettings)
    consent = load_table("consent", tables["consent"], ConsentSettings)
    mapping_options = MappingOptions(
        events=tables["events"],
        fields=tables["mapping"],
        unmapped_events=options.unmapped_events,
        consent_categories=consent.categories,
        click_id_cookie_name=pinterest.click_id_cookie_name,
        partner_name=pinterest.partner_name,
    )
    mapper = Mapper(mapping_options)
    others = _destinations(tables["destinations"], env)
    in_use = bool(pinterest.ad_account_id or pinterest.access_token or server.source_keys)
    if others and not in_use:
        _refuse_unused_default(tables)
    default = _default_destination(
        pinterest=pinterest,
        options=options,
        consent=consent,
        mapping_options=mapping_options,
        mapper=mapper,
        source_keys=server.source_keys,
    )
    chosen = [default, *others] if in_use or not others else others
    check_keys(_key_places(server, chosen))
    settings = Settings(
        pinterest=pinterest,
        options=options,
        consent=consent,
        server=server,
        queue=load_table("queue", tables["queue"], QueueSettings),
        delivery=load_table("delivery", tables["delivery"], DeliverySettings),
        mapping_options=mapping_options,
        mapper=mapper,
        destinations=MappingProxyType({d.name: d for d in chosen}),
    )
    _check_values(settings)
    return settings


def _table(data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table (a section), not {kind(value)}")
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


def _default_destination(
    *,
    pinterest: PinterestSettings,
    options: OptionsSettings,
    consent: ConsentSettings,
    mapping_options: MappingOptions,
    mapper: Mapper,
    source_keys: tuple[Secret, ...],
) -> DestinationSettings:
    return DestinationSettings(
        name=DEFAULT_DESTINATION,
        pinterest=pinterest,
        options=options,
        consent=consent,
        mapping_options=mapping_options,
        mapper=mapper,
        source_keys=source_keys,
        token_source=_DEFAULT_TOKEN_SOURCE,
    )


def _refuse_unused_default(tables: Mapping[str, Mapping[str, Any]]) -> None:
    """With [destinations] and no default in use, top-level destination settings would be lost."""
    for section in _DESTINATION_SECTIONS:
        if tables[section]:
            move_to = (
                "[destinations.NAME]"
                if section == "pinterest"
                else f"[destinations.NAME.{section}]"
            )
            raise ConfigError(
                f"[{section}] is set but the destination named default (the top-level sections) "
                "is not in use: it needs an ad_account_id, an access token or [server] "
                f"source_keys. Move these settings into {move_to}, or give the default "
                "destination its ad account"
            )


def _destinations(table: Mapping[str, Any], env: Mapping[str, str]) -> list[DestinationSettings]:
    """Every ``[destinations.NAME]`` table, in file order."""
    result = []
    for name, value in table.items():
        where = dotted_key("destinations", name)
        if name == DEFAULT_DESTINATION:
            raise ConfigError(
                "[destinations.default] is not allowed: the top-level [pinterest], [options], "
                "[events], [mapping] and [consent] sections are the destination named default; "
                "move its settings there or give it another name"
            )
        if not _DESTINATION_NAME.fullmatch(name):
            raise ConfigError(
                f"{where}: a destination name must be 1 to 40 characters among a-z, 0-9, "
                "'_' and '-', such as \"fr\" or \"shop_de\""
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table ([{where}]), not {kind(value)}")
        result.append(_destination(name, value, env))
    return result


def _destination(
    name: str, table: Mapping[str, Any], env: Mapping[str, str]
) -> DestinationSettings:
    """One ``[destinations.NAME]`` table with its sub-tables, validated and compiled."""
    prefix = f"destinations.{name}"
    own = [f.name for f in fields(PinterestSettings)]
    allowed = [*own, *_DESTINATION_EXTRA, *_DESTINATION_TABLES]
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"unknown key {dotted_key(prefix, key)}; allowed keys: {', '.join(allowed)}"
            )
    pinterest = load_table(
        "pinterest", {k: v for k, v in table.items() if k in own}, PinterestSettings, prefix
    )
    extra = {
        key: coerce(dotted_key(prefix, key), table[key], hint)
        for key, hint in _DESTINATION_EXTRA.items()
        if key in table
    }
    if pinterest.ad_account_id is None:
        raise ConfigError(
            f"{prefix}.ad_account_id is missing: every [destinations.NAME] needs the numeric "
            'id of its ad account, such as ad_account_id = "549755885175"'
        )
    _check_pinterest(pinterest, prefix)
    spec = TokenSpec(
        pinterest.access_token, extra.get("access_token_env"), extra.get("access_token_file")
    )
    token = resolve_token(prefix, spec, env)
    pinterest = replace(pinterest, access_token=token.token)
    sub = {key: _sub_table(prefix, key, table.get(key, {})) for key in _DESTINATION_TABLES}
    options = load_table("options", sub["options"], OptionsSettings, f"{prefix}.options")
    consent = load_table("consent", sub["consent"], ConsentSettings, f"{prefix}.consent")
    mapping_options = MappingOptions(
        events=sub["events"],
        fields=sub["mapping"],
        unmapped_events=options.unmapped_events,
        consent_categories=consent.categories,
        click_id_cookie_name=pinterest.click_id_cookie_name,
        partner_name=pinterest.partner_name,
        config_prefix=f"{prefix}.",
    )
    return DestinationSettings(
        name=name,
        pinterest=pinterest,
        options=options,
        consent=consent,
        mapping_options=mapping_options,
        mapper=_destination_mapper(name, mapping_options),
        source_keys=extra.get("source_keys", ()),
        token_source=token.source,
    )


def _sub_table(prefix: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        where = f"{prefix}.{key}"
        raise ConfigError(f"{where} must be a table ([{where}]), not {kind(value)}")
    return value


def _destination_mapper(name: str, options: MappingOptions) -> Mapper:
    try:
        return Mapper(options)
    except ConfigError as exc:
        if options.config_prefix in str(exc):
            raise
        # The mapper names keys with config_prefix; should a message lack it, say where.
        raise ConfigError(f"in destination {name!r} (destinations.{name}.*): {exc}") from None


def _key_places(
    server: ServerSettings, destinations: list[DestinationSettings]
) -> list[tuple[str, Secret]]:
    """Every sender and admin key with the place it is configured, for :func:`check_keys`."""
    places = []
    for destination in destinations:
        prefix = (
            "[server] source_keys"
            if destination.name == DEFAULT_DESTINATION
            else f"destinations.{destination.name}.source_keys"
        )
        places += [(f"{prefix}[{i}]", key) for i, key in enumerate(destination.source_keys)]
    places += [(f"[server] admin_keys[{i}]", key) for i, key in enumerate(server.admin_keys)]
    return places


def _check_pinterest(pinterest: PinterestSettings, prefix: str | None) -> None:
    """Formats of the account id and base URL; ``prefix`` names a destination's table."""
    account = "[pinterest] ad_account_id" if prefix is None else f"{prefix}.ad_account_id"
    also = f" (also settable with {ENV_AD_ACCOUNT_ID})" if prefix is None else ""
    if pinterest.ad_account_id is not None and not _AD_ACCOUNT_ID.fullmatch(
        pinterest.ad_account_id
    ):
        raise ConfigError(
            f"{account} must be the ad account's numeric id "
            f"(1 to 18 digits), as shown in Ads Manager{also}"
        )
    if not re.match(r"^https?://[^/\s]+", pinterest.api_base_url):
        base_url = "[pinterest] api_base_url" if prefix is None else f"{prefix}.api_base_url"
        raise ConfigError(
            f"{base_url} must be an http:// or https:// URL, such as https://api.pinterest.com"
        )


def _check_values(settings: Settings) -> None:
    """Rules that span more than a type: ranges, formats and choices."""
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
    _check_server_limits(settings.server)
    if not 1 <= settings.delivery.batch_max_events <= 1000:
        raise ConfigError(
            "[delivery] batch_max_events must be between 1 and 1000 (Pinterest's batch limit)"
        )
    if not re.match(r"^(sqlite:///.+|postgres(ql)?://.+)$", settings.queue.url):
        raise ConfigError(
            "[queue] url must be sqlite:///PATH (for example sqlite:///pinbridge.db) "
            "or postgresql://user@host:port/database"
        )


def _check_server_limits(server: ServerSettings) -> None:
    """The HTTP edge's limits: whole numbers in range, timeouts finite and above 0."""
    counts = [
        ("max_events_per_request", server.max_events_per_request, 100_000),
        ("max_connections", server.max_connections, 1_000_000),
    ]
    for name, count, highest in counts:
        if not 1 <= count <= highest:
            raise ConfigError(f"[server] {name} must be between 1 and {highest:,}")
    timeouts = [
        ("header_timeout_seconds", server.header_timeout_seconds),
        ("body_timeout_seconds", server.body_timeout_seconds),
        ("keepalive_timeout_seconds", server.keepalive_timeout_seconds),
        ("shutdown_timeout_seconds", server.shutdown_timeout_seconds),
    ]
    for name, seconds in timeouts:
        if not 0 < seconds <= _MAX_TIMEOUT_SECONDS:  # also refuses nan and inf
            raise ConfigError(
                f"[server] {name} must be a number of seconds above 0 and at most "
                f"{_MAX_TIMEOUT_SECONDS:,.0f}"
            )
