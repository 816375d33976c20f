"""Destinations, sender and admin keys, and host names in the configuration (issue 7).

Every configuration error the loader raises for these is listed below with the words a user
must see (the key's full name and the fix), and the keys and tokens it must never show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pinbridge.config import (
    DestinationSettings,
    ServerSettings,
    Settings,
    load_settings,
    settings_from_mapping,
)
from pinbridge.errors import ConfigError
from pinbridge.mapping import Filtered, Mapped
from pinbridge.secrets import Secret

ACCOUNT = "549755885175"
KEY_A = "sender-key-aaaa-0001"
KEY_B = "sender-key-bbbb-0002"
ADMIN = "admin-key-cccc-0003"
TOKEN = "pina_FILE_TOKEN_NEVER_SHOWN"


def _fr(**keys: Any) -> dict[str, Any]:
    """A document with one valid ``[destinations.fr]`` plus ``keys`` in that table."""
    return {"destinations": {"fr": {"ad_account_id": ACCOUNT, **keys}}}


def _fail(document: dict[str, Any], env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(document, env=env or {})
    return str(caught.value)


# (case id, document, words the message must hold, words it must not hold)
BAD_CONFIGS: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    (
        "destinations is not a table",
        {"destinations": "fr"},
        ["[destinations] must be a table"],
        [],
    ),
    (
        "a destination named default",
        {"destinations": {"default": {"ad_account_id": ACCOUNT}}},
        ["[destinations.default] is not allowed", "top-level [pinterest]", "another name"],
        [],
    ),
    (
        "upper-case destination name",
        {"destinations": {"FR": {"ad_account_id": ACCOUNT}}},
        ["destinations.FR:", "1 to 40 characters among a-z, 0-9, '_' and '-'"],
        [],
    ),
    (
        "destination name with a dot",
        {"destinations": {"fr.shop": {"ad_account_id": ACCOUNT}}},
        ['destinations."fr.shop":', "1 to 40 characters"],
        [],
    ),
    (
        "destination name too long",
        {"destinations": {"a" * 41: {"ad_account_id": ACCOUNT}}},
        [f"destinations.{'a' * 41}:", "1 to 40 characters"],
        [],
    ),
    (
        "destination is not a table",
        {"destinations": {"fr": "549755885175"}},
        ["destinations.fr must be a table ([destinations.fr]), not a string"],
        [],
    ),
    (
        "unknown key in a destination",
        _fr(acces_token="x"),
        [
            "unknown key destinations.fr.acces_token",
            "allowed keys: ad_account_id, access_token, click_id_cookie_name, test_mode, "
            "api_base_url, partner_name, access_token_env, access_token_file, source_keys, "
            "options, events, mapping, consent",
        ],
        [],
    ),
    (
        "unknown key that needs quoting",
        _fr(**{"ad account": "1"}),
        ['unknown key destinations.fr."ad account"', "allowed keys: ad_account_id"],
        [],
    ),
    (
        "unknown key in a destination's options",
        _fr(options={"unmaped_events": "custom"}),
        ["unknown key destinations.fr.options.unmaped_events", "allowed keys: unmapped_events"],
        [],
    ),
    (
        "unknown key in a destination's consent",
        _fr(consent={"category": ["4"]}),
        ["unknown key destinations.fr.consent.category", "allowed keys: categories"],
        [],
    ),
    (
        "a destination's sub-table is not a table",
        _fr(mapping="user.email"),
        ["destinations.fr.mapping must be a table ([destinations.fr.mapping]), not a string"],
        [],
    ),
    (
        "a destination's options is not a table",
        _fr(options=["custom"]),
        ["destinations.fr.options must be a table", "not a list"],
        [],
    ),
    (
        "wrong type in a destination",
        _fr(test_mode="yes"),
        ["destinations.fr.test_mode must be true or false, not a string"],
        [],
    ),
    (
        "wrong type in a destination's consent",
        _fr(consent={"categories": [{"a": 1}]}),
        ["destinations.fr.consent.categories[0] must be a string or a whole number"],
        [],
    ),
    (
        "a destination without an ad account",
        {"destinations": {"fr": {"access_token": "x"}}},
        ["destinations.fr.ad_account_id is missing", 'ad_account_id = "549755885175"'],
        [],
    ),
    (
        "a destination's ad account is not digits",
        _fr(ad_account_id="act_12"),
        ["destinations.fr.ad_account_id must be the ad account's numeric id (1 to 18 digits)"],
        ["PINBRIDGE_AD_ACCOUNT_ID"],
    ),
    (
        "a destination's base URL has no scheme",
        _fr(api_base_url="api.pinterest.com"),
        ["destinations.fr.api_base_url must be an http:// or https:// URL"],
        [],
    ),
    (
        "a destination's inline token is blank",
        _fr(access_token=" "),
        ["destinations.fr.access_token must be a non-empty string"],
        [],
    ),
    (
        "token inline and by env",
        _fr(access_token=TOKEN, access_token_env="FR_TOKEN"),
        [
            "destinations.fr.access_token and destinations.fr.access_token_env are both set",
            "one way only",
        ],
        [TOKEN],
    ),
    (
        "token by env and by file",
        _fr(access_token_env="FR_TOKEN", access_token_file="/run/secrets/fr"),
        ["destinations.fr.access_token_env and destinations.fr.access_token_file are both set"],
        [],
    ),
    (
        "token inline and by file",
        _fr(access_token=TOKEN, access_token_file="/run/secrets/fr"),
        ["destinations.fr.access_token and destinations.fr.access_token_file are both set"],
        [TOKEN],
    ),
    (
        "a token pasted where the variable name goes",
        _fr(access_token_env=TOKEN + "-x"),
        [
            "destinations.fr.access_token_env must be the name of an environment variable",
            '"PINBRIDGE_FR_TOKEN"',
        ],
        [TOKEN],
    ),
    (
        "a variable name starting with a digit",
        _fr(access_token_env="1TOKEN"),
        ["destinations.fr.access_token_env must be the name of an environment variable"],
        [],
    ),
    (
        "a variable name that is not text",
        _fr(access_token_env=3),
        ["destinations.fr.access_token_env must be a string, not a number"],
        [],
    ),
    (
        "a blank token file path",
        _fr(access_token_file=" "),
        ["destinations.fr.access_token_file must be the path of a file"],
        [],
    ),
    (
        "a destination's source keys are not a list",
        _fr(source_keys=KEY_A),
        ["destinations.fr.source_keys must be a list, not a string"],
        [KEY_A],
    ),
    (
        "a destination's source key is blank",
        _fr(source_keys=[KEY_A, " "]),
        ["destinations.fr.source_keys[1] must be a non-empty string"],
        [KEY_A],
    ),
    (
        "a destination's mapping names an unknown target",
        _fr(mapping={"user_data.foo": "user.foo"}),
        ["destinations.fr.", "user_data.foo", "allowed targets"],
        [],
    ),
    (
        "a destination's events name an unknown Pinterest event",
        _fr(events={"order_done": "purchase_complete"}),
        ["destinations.fr.", "order_done"],
        [],
    ),
    (
        "a destination's unmapped_events is not a choice",
        _fr(options={"unmapped_events": "keep"}),
        ["destinations.fr.", "unmapped_events"],
        [],
    ),
    (
        "a destination's click id cookie name has a space",
        _fr(click_id_cookie_name="my epik"),
        ["destinations.fr.", "click_id_cookie_name"],
        [],
    ),
    (
        "top-level mapping when default is not in use",
        {**_fr(), "mapping": {"custom_data.value": "revenue"}},
        [
            "[mapping] is set but the destination named default",
            "[server] source_keys",
            "[destinations.NAME.mapping]",
        ],
        [],
    ),
    (
        "top-level pinterest settings when default is not in use",
        {**_fr(), "pinterest": {"test_mode": True}},
        ["[pinterest] is set but the destination named default", "into [destinations.NAME]"],
        [],
    ),
    (
        "a short sender key",
        {"server": {"source_keys": ["short-key"]}},
        [
            "[server] source_keys[0] is 9 characters long",
            "keys must be at least 16 characters",
        ],
        ["short-key"],
    ),
    (
        "a sender key short once trimmed",
        {"server": {"source_keys": [KEY_A, "   short-key-14ch   "]}},
        ["[server] source_keys[1] is 14 characters long"],
        [KEY_A, "short-key-14ch"],
    ),
    (
        "a short admin key",
        {"server": {"admin_keys": [ADMIN, "xyzzy"]}},
        ["[server] admin_keys[1] is 5 characters long", "at least 16"],
        [ADMIN, "xyzzy"],
    ),
    (
        "a short key of a destination",
        _fr(source_keys=["tiny"]),
        ["destinations.fr.source_keys[0] is 4 characters long", "at least 16"],
        ["tiny"],
    ),
    (
        "a sender key twice in one list",
        {"server": {"source_keys": [KEY_A, KEY_B, KEY_A]}},
        ["[server] source_keys[2] is the same key as [server] source_keys[0]"],
        [KEY_A, KEY_B],
    ),
    (
        "a sender key in two destinations",
        {
            "destinations": {
                "fr": {"ad_account_id": ACCOUNT, "source_keys": [KEY_A]},
                "de": {"ad_account_id": ACCOUNT, "source_keys": [KEY_B, KEY_A]},
            }
        },
        [
            "destinations.de.source_keys[1] is the same key as destinations.fr.source_keys[0]",
            "exactly one destination",
        ],
        [KEY_A, KEY_B],
    ),
    (
        "a sender key of default and of a destination",
        {"server": {"source_keys": [KEY_A]}, **_fr(source_keys=[KEY_A])},
        ["destinations.fr.source_keys[0] is the same key as [server] source_keys[0]"],
        [KEY_A],
    ),
    (
        "a sender key that is also an admin key",
        {"server": {"admin_keys": [KEY_A]}, **_fr(source_keys=[KEY_A])},
        ["[server] admin_keys[0] is the same key as destinations.fr.source_keys[0]"],
        [KEY_A],
    ),
    (
        "an admin key twice",
        {"server": {"admin_keys": [ADMIN, ADMIN]}},
        ["[server] admin_keys[1] is the same key as [server] admin_keys[0]"],
        [ADMIN],
    ),
    (
        "admin keys are not a list",
        {"server": {"admin_keys": ADMIN}},
        ["[server] admin_keys must be a list, not a string"],
        [ADMIN],
    ),
    (
        "a blank admin key",
        {"server": {"admin_keys": [""]}},
        ["[server] admin_keys[0] must be a non-empty string"],
        [],
    ),
    (
        "public_metrics is not a boolean",
        {"server": {"public_metrics": "yes"}},
        ["[server] public_metrics must be true or false, not a string"],
        [],
    ),
    (
        "allow_open is not a boolean",
        {"server": {"allow_open": 1}},
        ["[server] allow_open must be true or false, not a number"],
        [],
    ),
    (
        "allowed_hosts is not a list",
        {"server": {"allowed_hosts": "example.com"}},
        ["[server] allowed_hosts must be a list, not a string"],
        [],
    ),
    (
        "an allowed host is a table",
        {"server": {"allowed_hosts": [{"host": "example.com"}]}},
        ["[server] allowed_hosts[0] must be a string or a whole number"],
        [],
    ),
    (
        "an allowed host with a scheme",
        {"server": {"allowed_hosts": ["ok.example.com", "https://pinbridge.example.com"]}},
        [
            "[server] allowed_hosts[1] 'https://pinbridge.example.com' has a scheme",
            "no scheme, port or path",
        ],
        [],
    ),
    (
        "an allowed host with a port",
        {"server": {"allowed_hosts": ["pinbridge.example.com:8080"]}},
        ["[server] allowed_hosts[0] 'pinbridge.example.com:8080' has a port"],
        [],
    ),
    (
        "an IPv6 allowed host with a port",
        {"server": {"allowed_hosts": ["[::1]:8080"]}},
        ["[server] allowed_hosts[0] '[::1]:8080' has a port"],
        [],
    ),
    (
        "an allowed host with a path",
        {"server": {"allowed_hosts": ["pinbridge.example.com/api"]}},
        ["[server] allowed_hosts[0] 'pinbridge.example.com/api' has a path"],
        [],
    ),
    (
        "an allowed host with a space",
        {"server": {"allowed_hosts": ["my host"]}},
        ["[server] allowed_hosts[0] 'my host' is not a host name or IP address"],
        [],
    ),
    (
        "an allowed host that is a port number",
        {"server": {"allowed_hosts": [8080]}},
        ["[server] allowed_hosts[0] '8080' is not a host name or IP address"],
        [],
    ),
    (
        "an allowed host that is blank",
        {"server": {"allowed_hosts": [" "]}},
        ["[server] allowed_hosts[0] '' is not a host name or IP address"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("document", "shown", "hidden"),
    [case[1:] for case in BAD_CONFIGS],
    ids=[case[0] for case in BAD_CONFIGS],
)
def test_bad_configuration_says_what_and_where(
    document: dict[str, Any], shown: list[str], hidden: list[str]
) -> None:
    message = _fail(document)
    for words in shown:
        assert words in message
    for words in hidden:
        assert words not in message


# (case id, what the token file holds: bytes, or None for no file, or "dir", words shown)
BAD_TOKEN_FILES: list[tuple[str, bytes | str | None, list[str]]] = [
    ("missing", None, ["cannot read", "No such file or directory"]),
    ("a directory", "dir", ["cannot read", "Is a directory"]),
    ("empty", b"", ["is empty; it must hold the access token"]),
    ("only blank lines", b"\n  \n", ["is empty"]),
    ("two words", f"TOKEN={TOKEN} other\n".encode(), ["holds more than one word"]),
    ("not UTF-8", b"\xff\xfe" + TOKEN.encode(), ["is not UTF-8 text"]),
]


@pytest.mark.parametrize(
    ("content", "shown"),
    [case[1:] for case in BAD_TOKEN_FILES],
    ids=[case[0] for case in BAD_TOKEN_FILES],
)
def test_bad_token_file_names_key_path_and_reason(
    tmp_path: Path, content: bytes | str | None, shown: list[str]
) -> None:
    path = tmp_path / "fr_token"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    message = _fail(_fr(access_token_file=str(path)))
    assert message.startswith("destinations.fr.access_token_file: ")
    assert str(path) in message
    for words in shown:
        assert words in message
    assert TOKEN not in message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_token_file_gives_the_os_reason(tmp_path: Path) -> None:
    path = tmp_path / "fr_token"
    path.write_text(TOKEN)
    path.chmod(0)
    message = _fail(_fr(access_token_file=str(path)))
    assert message == f"destinations.fr.access_token_file: cannot read {path}: Permission denied"


TWO_DESTINATIONS = f"""
[pinterest]
ad_account_id = "{ACCOUNT}"

[events]
order_completed = "checkout"

[mapping]
"custom_data.value" = "revenue"

[server]
source_keys = ["{KEY_A}"]
admin_keys = ["{ADMIN}"]
public_metrics = true
allow_open = true
allowed_hosts = ["Pinbridge.Example.COM", "10.0.0.5", "[::1]"]

[destinations.fr]
ad_account_id = "1234"
access_token_file = "TOKEN_FILE"
source_keys = ["{KEY_B}"]
test_mode = true

[destinations.fr.events]
order_completed = "add_to_cart"

[destinations.fr.mapping]
"custom_data.value" = "amount"
"custom_data.content_name" = {{ const = "Soldes" }}

[destinations.fr.consent]
categories = ["4"]

[destinations.fr.options]
unmapped_events = "custom"
"""

EVENT = {
    "event_name": "order_completed",
    "id": "ORD-1",
    "revenue": "54.90",
    "amount": "12.00",
    "currency": "EUR",
    "user": {"email": "jane@example.com", "consent_categories": ["4"]},
    "context": {"event_id": "e-1", "event_timestamp": 1795856400123},
}


def _two_destinations(tmp_path: Path) -> Path:
    token_file = tmp_path / "fr_token"
    token_file.write_text(f"  {TOKEN}\n")
    config = tmp_path / "pinbridge.toml"
    config.write_text(TWO_DESTINATIONS.replace("TOKEN_FILE", str(token_file)))
    return config


def test_two_destinations_map_the_same_event_their_own_way(tmp_path: Path) -> None:
    settings = load_settings(_two_destinations(tmp_path), env={})
    assert list(settings.destinations) == ["default", "fr"]
    default, fr = settings.destination("default"), settings.destination("fr")

    home = default.mapper.map(EVENT, 1795856400)
    away = fr.mapper.map(EVENT, 1795856400)
    assert isinstance(home, Mapped)
    assert isinstance(away, Mapped)
    assert home.event["event_name"] == "checkout"
    assert home.event["custom_data"]["value"] == "54.9"
    assert "content_name" not in home.event["custom_data"]
    assert away.event["event_name"] == "add_to_cart"
    assert away.event["custom_data"]["value"] == "12"
    assert away.event["custom_data"]["content_name"] == "Soldes"

    without_consent = {**EVENT, "user": {"email": "jane@example.com"}}
    assert isinstance(default.mapper.map(without_consent, 1795856400), Mapped)
    assert fr.mapper.map(without_consent, 1795856400) == Filtered("consent")
    unknown = {**EVENT, "event_name": "newsletter_signup"}
    assert default.mapper.map(unknown, 1795856400) == Filtered("unmapped_event")
    assert isinstance(fr.mapper.map(unknown, 1795856400), Mapped)


def test_each_destination_carries_its_own_settings(tmp_path: Path) -> None:
    settings = load_settings(_two_destinations(tmp_path), env={})
    default, fr = settings.destinations["default"], settings.destinations["fr"]
    assert default.pinterest is settings.pinterest
    assert default.mapper is settings.mapper
    assert default.source_keys == (Secret(KEY_A),)
    assert default.pinterest.access_token is None
    assert default.token_source == "[pinterest] access_token (or PINBRIDGE_ACCESS_TOKEN)"
    assert fr.name == "fr"
    assert fr.pinterest.ad_account_id == "1234"
    assert fr.pinterest.test_mode is True
    assert fr.pinterest.api_base_url == "https://api.pinterest.com"
    assert fr.pinterest.access_token == Secret(TOKEN)
    assert fr.token_source == f"destinations.fr.access_token_file ({tmp_path / 'fr_token'})"
    assert fr.source_keys == (Secret(KEY_B),)
    assert fr.options.unmapped_events == "custom"
    assert fr.consent.categories == ("4",)
    assert fr.mapping_options.config_prefix == "destinations.fr."
    assert settings.server.admin_keys == (Secret(ADMIN),)
    assert settings.server.public_metrics is True
    assert settings.server.allow_open is True
    assert settings.server.allowed_hosts == ("pinbridge.example.com", "10.0.0.5", "::1")
    for text in (repr(settings), repr(fr)):
        assert TOKEN not in text
        assert KEY_A not in text
        assert KEY_B not in text
        assert ADMIN not in text


def test_token_file_is_read_again_on_every_load(tmp_path: Path) -> None:
    config = _two_destinations(tmp_path)
    (tmp_path / "fr_token").write_text("pina_ROTATED\n")
    token = load_settings(config, env={}).destination("fr").pinterest.access_token
    assert token == Secret("pina_ROTATED")


@pytest.mark.parametrize(
    ("env", "token", "source"),
    [
        (
            {"PINBRIDGE_FR_TOKEN": " pina_from_env \n"},
            Secret("pina_from_env"),
            "destinations.fr.access_token_env (PINBRIDGE_FR_TOKEN)",
        ),
        ({}, None, "destinations.fr.access_token_env (PINBRIDGE_FR_TOKEN, which is not set)"),
        (
            {"PINBRIDGE_FR_TOKEN": "  "},
            None,
            "destinations.fr.access_token_env (PINBRIDGE_FR_TOKEN, which is empty)",
        ),
    ],
)
def test_token_from_an_environment_variable(
    env: dict[str, str], token: Secret | None, source: str
) -> None:
    settings = settings_from_mapping(_fr(access_token_env="PINBRIDGE_FR_TOKEN"), env=env)
    fr = settings.destination("fr")
    assert fr.pinterest.access_token == token
    assert fr.token_source == source


def test_inline_token_and_no_token_say_where_to_set_it() -> None:
    inline = settings_from_mapping(_fr(access_token=TOKEN), env={}).destination("fr")
    assert inline.pinterest.access_token == Secret(TOKEN)
    assert inline.token_source == "destinations.fr.access_token"
    none = settings_from_mapping(_fr(), env={}).destination("fr")
    assert none.pinterest.access_token is None
    assert none.token_source == (
        "destinations.fr.access_token, access_token_env or access_token_file (none is set)"
    )


def test_environment_overrides_apply_to_default_only() -> None:
    env = {"PINBRIDGE_AD_ACCOUNT_ID": "77", "PINBRIDGE_ACCESS_TOKEN": "pina_env"}
    settings = settings_from_mapping(_fr(), env=env)
    assert list(settings.destinations) == ["default", "fr"]
    assert settings.destination("default").pinterest.ad_account_id == "77"
    assert settings.destination("default").pinterest.access_token == Secret("pina_env")
    assert settings.destination("fr").pinterest.ad_account_id == ACCOUNT
    assert settings.destination("fr").pinterest.access_token is None


def _names(document: dict[str, Any], env: dict[str, str] | None = None) -> list[str]:
    return list(settings_from_mapping(document, env=env or {}).destinations)


def test_default_is_present_without_destinations() -> None:
    assert _names({}) == ["default"]
    assert _names({"destinations": {}}) == ["default"]
    assert _names({"mapping": {"custom_data.value": "revenue"}}) == ["default"]
    settings = load_settings(None, env={})
    assert settings.destination("default").pinterest == settings.pinterest


@pytest.mark.parametrize(
    ("document", "env"),
    [
        ({"pinterest": {"ad_account_id": "42"}}, {}),
        ({}, {"PINBRIDGE_AD_ACCOUNT_ID": "42"}),
        ({"pinterest": {"access_token": "pina_x"}}, {}),
        ({}, {"PINBRIDGE_ACCESS_TOKEN": "pina_x"}),
        ({"server": {"source_keys": [KEY_A]}}, {}),
    ],
    ids=["account in file", "account in env", "token in file", "token in env", "sender keys"],
)
def test_default_is_present_beside_destinations_when_in_use(
    document: dict[str, Any], env: dict[str, str]
) -> None:
    assert _names({**document, **_fr()}, env) == ["default", "fr"]


def test_default_is_absent_when_only_destinations_are_in_use() -> None:
    document = {
        "destinations": {
            "fr": {"ad_account_id": "1", "source_keys": [KEY_A]},
            "de": {"ad_account_id": "2", "source_keys": [KEY_B]},
        },
        "server": {"port": 9000, "admin_keys": [ADMIN]},
    }
    settings = settings_from_mapping(document, env={})
    assert list(settings.destinations) == ["fr", "de"]
    assert settings.pinterest.ad_account_id is None  # built-in defaults
    assert settings.server.port == 9000


def test_asking_for_an_unknown_destination_lists_the_configured_ones() -> None:
    settings = settings_from_mapping({"server": {"source_keys": [KEY_A]}, **_fr()}, env={})
    with pytest.raises(ConfigError) as caught:
        settings.destination("de")
    assert str(caught.value) == "no destination named 'de'; configured destinations: default, fr"


def test_destinations_are_frozen_and_read_only() -> None:
    settings = settings_from_mapping(_fr(), env={})
    with pytest.raises(TypeError):
        settings.destinations["x"] = settings.destination("fr")  # type: ignore[index]
    assert isinstance(settings.destination("fr"), DestinationSettings)


def test_loading_twice_gives_equal_settings(tmp_path: Path) -> None:
    config = _two_destinations(tmp_path)
    assert load_settings(config, env={}) == load_settings(config, env={})


def _readme_examples() -> list[str]:
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return [block.split("\n```", 1)[0] for block in section.split("```toml\n")[1:]]


def test_the_readme_configuration_examples_load(tmp_path: Path) -> None:
    examples = _readme_examples()
    token_file = tmp_path / "pinterest_fr"
    token_file.write_text(TOKEN)
    loaded = []
    for example in examples:
        config = tmp_path / "pinbridge.toml"
        config.write_text(example.replace("/run/secrets/pinterest_fr", str(token_file)))
        loaded.append(list(load_settings(config, env={}).destinations))
    assert ["default"] in loaded
    assert ["default", "fr"] in loaded


def test_settings_built_by_hand_get_a_default_destination() -> None:
    settings = Settings(server=ServerSettings(source_keys=(Secret(KEY_A),)))
    assert list(settings.destinations) == ["default"]
    default = settings.destination("default")
    assert default.pinterest is settings.pinterest
    assert default.mapper is settings.mapper
    assert default.source_keys == (Secret(KEY_A),)
