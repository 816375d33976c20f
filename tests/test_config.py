"""Loading the TOML configuration: defaults, env overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pinbridge.config import load_settings, settings_from_mapping
from pinbridge.errors import ConfigError
from pinbridge.secrets import Secret

TOKEN = "pina_TOKEN_NEVER_SHOWN"

FULL_CONFIG = f"""
[pinterest]
ad_account_id = "549755885175"
access_token = "{TOKEN}"
click_id_cookie_name = "_my_epik"
test_mode = true
api_base_url = "http://127.0.0.1:8099"
partner_name = "ss-example"

[options]
unmapped_events = "custom"

[events]
order_completed = "checkout"
page_view = false

[mapping]
"user_data.em" = ["user.email", "user.crm.mail"]
"custom_data.value" = "revenue"
"custom_data.content_name" = {{ const = "Spring sale" }}
"user_data.client_ip_address" = false
"custom_data.contents.X.item_name" = "items.X.product.title"

[consent]
categories = ["4", 7]

[server]
port = 9090
source_keys = ["key-one-0123456789"]

[queue]
url = "postgresql://postgres@127.0.0.1:5432/test"

[delivery]
workers = 4
batch_max_age_seconds = 0.5
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pinbridge.toml"
    path.write_text(text)
    return path


def test_no_file_gives_documented_defaults() -> None:
    settings = load_settings(None, env={})
    assert settings.pinterest.api_base_url == "https://api.pinterest.com"
    assert settings.pinterest.click_id_cookie_name == "_epik"
    assert settings.pinterest.test_mode is False
    assert settings.pinterest.access_token is None
    assert settings.options.unmapped_events == "filter"
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8080
    assert settings.server.max_event_bytes == 32 * 1024
    assert settings.server.max_request_bytes == 512 * 1024
    assert settings.server.max_events_per_request == 1000
    assert settings.server.max_connections == 1000
    assert settings.server.header_timeout_seconds == 10
    assert settings.server.body_timeout_seconds == 30
    assert settings.server.keepalive_timeout_seconds == 15
    assert settings.server.shutdown_timeout_seconds == 20
    assert settings.queue.url == "sqlite:///pinbridge.db"
    assert settings.queue.dedup_window_hours == 48
    assert settings.delivery.batch_max_events == 1000
    assert settings.delivery.batch_max_age_seconds == 1.0
    assert settings.delivery.expire_after_days == 7


def test_full_config_is_read_into_every_section(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, FULL_CONFIG), env={})
    assert settings.pinterest.ad_account_id == "549755885175"
    assert settings.pinterest.access_token == Secret(TOKEN)
    assert settings.pinterest.test_mode is True
    assert settings.mapping_options.click_id_cookie_name == "_my_epik"
    assert settings.mapping_options.partner_name == "ss-example"
    assert settings.mapping_options.unmapped_events == "custom"
    assert settings.mapping_options.consent_categories == ("4", "7")
    assert settings.mapping_options.events == {"order_completed": "checkout", "page_view": False}
    assert settings.mapping_options.fields["custom_data.value"] == "revenue"
    assert settings.server.port == 9090
    assert settings.server.source_keys == (Secret("key-one-0123456789"),)
    assert settings.queue.url.startswith("postgresql://")
    assert settings.delivery.workers == 4


def test_the_token_never_shows_in_settings_repr(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, FULL_CONFIG), env={})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.pinterest)
    assert "key-one-0123456789" not in repr(settings.server)


def test_environment_overrides_account_and_token(tmp_path: Path) -> None:
    env = {"PINBRIDGE_AD_ACCOUNT_ID": " 123 ", "PINBRIDGE_ACCESS_TOKEN": "from-env"}
    settings = load_settings(_write(tmp_path, FULL_CONFIG), env=env)
    assert settings.pinterest.ad_account_id == "123"
    assert settings.pinterest.access_token is not None
    assert settings.pinterest.access_token.reveal() == "from-env"
    assert settings.pinterest.api_base_url == "http://127.0.0.1:8099"  # rest untouched


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"pinterst": {}}, "[pinterst]"),
        ({"pinterest": {"acces_token": "x"}}, "acces_token"),
        ({"pinterest": {"test_mode": "yes"}}, "[pinterest] test_mode"),
        ({"pinterest": {"ad_account_id": "act_12"}}, "ad_account_id"),
        ({"pinterest": {"api_base_url": "api.pinterest.com"}}, "api_base_url"),
        ({"pinterest": {"access_token": ""}}, "[pinterest] access_token"),
        ({"server": {"port": "8080"}}, "[server] port"),
        ({"server": {"port": 70000}}, "[server] port"),
        ({"server": {"source_keys": "one"}}, "[server] source_keys"),
        ({"server": {"max_connections": 0}}, "[server] max_connections"),
        ({"server": {"max_events_per_request": 100_001}}, "[server] max_events_per_request"),
        ({"server": {"header_timeout_seconds": 0}}, "[server] header_timeout_seconds"),
        ({"server": {"keepalive_timeout_seconds": float("inf")}}, "keepalive_timeout_seconds"),
        ({"server": {"shutdown_timeout_seconds": float("nan")}}, "shutdown_timeout_seconds"),
        ({"server": {"body_timeout_seconds": "30"}}, "[server] body_timeout_seconds"),
        ({"queue": {"url": "mysql://x"}}, "[queue] url"),
        ({"delivery": {"batch_max_events": 5000}}, "batch_max_events"),
        ({"delivery": {"workers": 0}}, "[delivery] workers"),
        ({"consent": {"categories": [{"a": 1}]}}, "[consent] categories[0]"),
        ({"options": "filter"}, "[options]"),
    ],
)
def test_bad_configuration_names_the_key(document: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(document, env={})
    assert named in str(caught.value)


def test_unknown_key_lists_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match=r"allowed keys: .*click_id_cookie_name"):
        settings_from_mapping({"pinterest": {"cookie": "x"}}, env={})


def test_mapping_errors_surface_at_load_and_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"user_data\.nope"):
        settings_from_mapping({"mapping": {"user_data.nope": "user.email"}}, env={})
    with pytest.raises(ConfigError, match="order_done"):
        settings_from_mapping({"events": {"order_done": "purchase_complete"}}, env={})


def test_unreadable_files_say_which_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"nope\.toml does not exist"):
        load_settings(missing, env={})
    broken = _write(tmp_path, "[pinterest\nad_account_id = 1")
    with pytest.raises(ConfigError, match=r"pinbridge\.toml is not valid TOML.*line 1"):
        load_settings(broken, env={})


def test_bad_value_errors_never_echo_the_token(tmp_path: Path) -> None:
    text = f'[pinterest]\naccess_token = "{TOKEN}"\nad_account_id = "not-digits"\n'
    with pytest.raises(ConfigError) as caught:
        load_settings(_write(tmp_path, text), env={})
    assert TOKEN not in str(caught.value)
