"""Every invalid ``[mapping]`` / ``[events]`` / option shape is a ConfigError naming the key."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from pinbridge.config import settings_from_mapping
from pinbridge.errors import ConfigError
from pinbridge.mapping import Mapper, MappingOptions

BAD_CONFIGS: list[tuple[str, dict[str, Any], list[str]]] = [
    (
        "unknown target",
        {"mapping": {"user_data.foo": "user.foo"}},
        ["'user_data.foo'", "allowed targets", "user_data.em"],
    ),
    (
        "app_info is not produced",
        {"mapping": {"app_info": "context.app"}},
        ["'app_info'", "allowed targets"],
    ),
    (
        "event_name is changed in [events]",
        {"mapping": {"event_name": "name"}},
        ["'event_name'", "[events]"],
    ),
    (
        "unknown per-item key",
        {"mapping": {"custom_data.contents.X.sku": "items.X.sku"}},
        ["'custom_data.contents.X.sku'", "item_price"],
    ),
    (
        "per-item target with an index",
        {"mapping": {"custom_data.contents.0.id": "items.0.sku"}},
        ["'custom_data.contents.0.id'"],
    ),
    (
        "empty path",
        {"mapping": {"custom_data.value": ""}},
        ["'custom_data.value'", "malformed path"],
    ),
    (
        "double dot",
        {"mapping": {"custom_data.value": "a..b"}},
        ["'custom_data.value'", "malformed path", "'a..b'"],
    ),
    (
        "leading dot",
        {"mapping": {"custom_data.value": ".a"}},
        ["'custom_data.value'", "malformed path"],
    ),
    (
        "trailing dot",
        {"mapping": {"custom_data.value": "a."}},
        ["'custom_data.value'", "malformed path"],
    ),
    (
        "spaces around",
        {"mapping": {"custom_data.value": " revenue"}},
        ["'custom_data.value'", "malformed path"],
    ),
    (
        "space around a dot",
        {"mapping": {"custom_data.value": "a. b"}},
        ["'custom_data.value'", "malformed path"],
    ),
    (
        "a path in a list that is not text",
        {"mapping": {"user_data.em": ["user.email", 3]}},
        ["'user_data.em'", "malformed path"],
    ),
    ("empty list", {"mapping": {"user_data.em": []}}, ["'user_data.em'", "a list of paths"]),
    ("a number", {"mapping": {"user_data.em": 3}}, ["'user_data.em'", "false to never send"]),
    (
        "true is not a value",
        {"mapping": {"user_data.em": True}},
        ["'user_data.em'", "false to never send"],
    ),
    (
        "X outside items targets",
        {"mapping": {"custom_data.value": "items.X.price"}},
        ["'custom_data.value'", "uses X", "custom_data.content_ids"],
    ),
    (
        "X not after items",
        {"mapping": {"custom_data.content_ids": "products.X.id"}},
        ["'custom_data.content_ids'", "items.X."],
    ),
    (
        "X twice",
        {"mapping": {"custom_data.content_ids": "items.X.variants.X.id"}},
        ["'custom_data.content_ids'", "items.X."],
    ),
    ("false on event_id", {"mapping": {"event_id": False}}, ["'event_id'", "required"]),
    ("false on event_time", {"mapping": {"event_time": False}}, ["'event_time'", "required"]),
    (
        "false on action_source",
        {"mapping": {"action_source": False}},
        ["'action_source'", "required"],
    ),
    (
        "contents mapped to a path",
        {"mapping": {"custom_data.contents": "basket"}},
        ["'custom_data.contents'", "custom_data.contents.X.<key>"],
    ),
    (
        "table without const",
        {"mapping": {"custom_data.value": {"value": 3}}},
        ["'custom_data.value'", "const"],
    ),
    (
        "const and more",
        {"mapping": {"custom_data.value": {"const": 3, "path": "x"}}},
        ["'custom_data.value'", "const"],
    ),
    (
        "blank const",
        {"mapping": {"custom_data.content_name": {"const": " "}}},
        ["'custom_data.content_name'", "const"],
    ),
    (
        "const a table",
        {"mapping": {"custom_data.content_name": {"const": {"a": 1}}}},
        ["'custom_data.content_name'", "const"],
    ),
    (
        "const the rule rejects: decimal",
        {"mapping": {"custom_data.value": {"const": "abc"}}},
        ["'custom_data.value'", "not a decimal number"],
    ),
    (
        "const the rule rejects: boolean",
        {"mapping": {"opt_out": {"const": "perhaps"}}},
        ["'opt_out'", "not a boolean"],
    ),
    (
        "const the rule rejects: action_source",
        {"mapping": {"action_source": {"const": "shop"}}},
        ["'action_source'", "app_android"],
    ),
    (
        "const the rule rejects: currency",
        {"mapping": {"custom_data.currency": {"const": "EURO"}}},
        ["'custom_data.currency'", "currency"],
    ),
    (
        "const the rule rejects: ip",
        {"mapping": {"user_data.client_ip_address": {"const": "localhost"}}},
        ["'user_data.client_ip_address'", "IPv4"],
    ),
    (
        "const for a hashed field that is a table list",
        {"mapping": {"user_data.em": {"const": [True]}}},
        ["'user_data.em'", "const"],
    ),
    (
        "[events] unknown target",
        {"events": {"order_completed": "purchase"}},
        ["[events] 'order_completed'", "checkout", "initiate_checkout"],
    ),
    (
        "[events] true",
        {"events": {"order_completed": True}},
        ["[events] 'order_completed'", "false"],
    ),
    ("[events] a number", {"events": {"order_completed": 1}}, ["[events] 'order_completed'"]),
    ("[events] blank key", {"events": {" ": "checkout"}}, ["[events] ' '", "non-empty"]),
    (
        "[events] clashing keys",
        {"events": {"Order": "checkout", "order": "lead"}},
        ["[events]", "clashes"],
    ),
    (
        "unmapped_events",
        {"options": {"unmapped_events": "drop"}},
        ["[options] unmapped_events", '"filter"', '"custom"'],
    ),
    (
        "cookie name with a space",
        {"pinterest": {"click_id_cookie_name": "my cookie"}},
        ["[pinterest] click_id_cookie_name"],
    ),
    ("blank partner_name", {"pinterest": {"partner_name": " "}}, ["[pinterest] partner_name"]),
    (
        "partner_name over 4,096 characters",
        {"pinterest": {"partner_name": "p" * 4097}},
        ["[pinterest] partner_name", "at most 4096 characters"],
    ),
    (
        "an event_id const with a control character",
        {"mapping": {"event_id": {"const": "id\n1"}}},
        ["[mapping] 'event_id'", "control character U+000A"],
    ),
    (
        "an event_id const over 256 characters",
        {"mapping": {"event_id": {"const": "i" * 257}}},
        ["[mapping] 'event_id'", "257 characters long"],
    ),
    (
        "an event_source_url const that is not a web URL",
        {"mapping": {"event_source_url": {"const": "javascript:void(0)"}}},
        ["[mapping] 'event_source_url'", "not an http:// or https:// URL"],
    ),
    ("blank consent category", {"consent": {"categories": ["4", " "]}}, ["[consent] categories"]),
]


@pytest.mark.parametrize(
    ("config", "fragments"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_names_the_key(config: dict[str, Any], fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(config, {})
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (MappingOptions(unmapped_events="drop"), "[options] unmapped_events"),
        (MappingOptions(consent_categories=(4,)), "[consent] categories"),  # type: ignore[arg-type]
        (MappingOptions(click_id_cookie_name=""), "[pinterest] click_id_cookie_name"),
        (MappingOptions(fields={"event_time": False}), "'event_time'"),
        (MappingOptions(fields=[("a", "b")]), "[mapping] must be a table"),  # type: ignore[arg-type]
        (MappingOptions(events=["x"]), "[events] must be a table"),  # type: ignore[arg-type]
    ],
)
def test_mapper_validates_options_built_in_code(options: MappingOptions, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Mapper(options)
    assert fragment in str(caught.value)


GOOD_CONFIGS: list[dict[str, Any]] = [
    {"mapping": {"user_data.em": ["user.email", "user.crm.mail"], "custom_data.value": "revenue"}},
    {
        "mapping": {
            "custom_data.content_name": {"const": "Spring sale"},
            "user_data.client_ip_address": False,
        }
    },
    {
        "mapping": {
            "custom_data.contents.X.item_name": "items.X.product.title",
            "custom_data.content_ids": ["items.X.sku", "ids"],
        }
    },
    {
        "mapping": {
            "custom_data.contents": False,
            "custom_data.content_ids": "items.X",
            "user_data.em": {"const": ["a@b.c"]},
        }
    },
    {
        "mapping": {
            "custom_data.content_ids": {"const": ["A", "B"]},
            "custom_data.num_items": {"const": 2},
        }
    },
    {
        "events": {
            "order_completed": "checkout",
            "page_view": False,
            "begin_checkout": "INITIATE_CHECKOUT",
        }
    },
    {"options": {"unmapped_events": "custom"}, "consent": {"categories": ["4", 7]}},
    {"pinterest": {"partner_name": "ss-example", "click_id_cookie_name": "_pin"}},
]


@pytest.mark.parametrize("config", GOOD_CONFIGS)
def test_valid_configs_load(config: dict[str, Any]) -> None:
    assert settings_from_mapping(config, {}).mapper is not None


PREFIX = "destinations.fr."
PREFIXED: list[tuple[str, MappingOptions, str]] = [
    (
        "unknown target",
        MappingOptions(fields={"user_data.foo": "user.foo"}),
        'destinations.fr.mapping."user_data.foo" is not a Pinterest field',
    ),
    (
        "malformed path",
        MappingOptions(fields={"custom_data.value": "a..b"}),
        'destinations.fr.mapping."custom_data.value": malformed path',
    ),
    (
        "event_name in mapping",
        MappingOptions(fields={"event_name": "name"}),
        'destinations.fr.mapping."event_name": event names are changed in '
        "destinations.fr.events, not in destinations.fr.mapping",
    ),
    (
        "mapping not a table",
        MappingOptions(fields=[("a", "b")]),  # type: ignore[arg-type]
        "destinations.fr.mapping must be a table",
    ),
    (
        "unknown event target",
        MappingOptions(events={"order_done": "purchase"}),
        'destinations.fr.events."order_done" must be false (never send) or one of',
    ),
    (
        "event key with a quote",
        MappingOptions(events={'say "hi"': "nope"}),
        'destinations.fr.events."say \\"hi\\"" must be false',
    ),
    (
        "clashing event keys",
        MappingOptions(events={"Order": "checkout", "order": "lead"}),
        'destinations.fr.events."order" clashes with another destinations.fr.events key',
    ),
    (
        "events not a table",
        MappingOptions(events=["x"]),  # type: ignore[arg-type]
        "destinations.fr.events must be a table",
    ),
    (
        "consent categories",
        MappingOptions(consent_categories=(4,)),  # type: ignore[arg-type]
        "destinations.fr.consent.categories must be a list of category ids",
    ),
    (
        "unmapped_events",
        MappingOptions(unmapped_events="drop"),
        'destinations.fr.options.unmapped_events must be "filter"',
    ),
    (
        "partner_name",
        MappingOptions(partner_name=" "),
        "destinations.fr.partner_name must be non-empty text",
    ),
    (
        "click_id_cookie_name",
        MappingOptions(click_id_cookie_name="my cookie"),
        "destinations.fr.click_id_cookie_name must be a cookie name",
    ),
]
SECTIONS = ("[mapping]", "[events]", "[consent]", "[options]", "[pinterest]")


@pytest.mark.parametrize(
    ("options", "start"), [c[1:] for c in PREFIXED], ids=[c[0] for c in PREFIXED]
)
def test_a_config_prefix_names_the_full_toml_key(options: MappingOptions, start: str) -> None:
    """A destination's table is named by its full TOML key, never by a [section]."""
    with pytest.raises(ConfigError) as caught:
        Mapper(dataclasses.replace(options, config_prefix=PREFIX))
    message = str(caught.value)
    assert message.startswith(start), message
    assert not any(section in message for section in SECTIONS), message


def test_a_config_prefix_without_its_final_dot_reads_the_same() -> None:
    with pytest.raises(ConfigError) as caught:
        Mapper(MappingOptions(config_prefix="destinations.fr", partner_name=" "))
    assert str(caught.value).startswith("destinations.fr.partner_name must be")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            MappingOptions(events={"order_done": False, "x": 1}),
            "[events] 'x' must be false (never send) or one of Pinterest's event names: ",
        ),
        (
            MappingOptions(fields={"event_name": "name"}),
            "[mapping] 'event_name': event names are changed in [events], not in [mapping]",
        ),
        (
            MappingOptions(consent_categories=(4,)),  # type: ignore[arg-type]
            '[consent] categories must be a list of category ids, such as ["4", "7"]',
        ),
        (
            MappingOptions(unmapped_events="drop"),
            '[options] unmapped_events must be "filter" (drop unknown event names) or '
            '"custom" (send them as custom)',
        ),
    ],
)
def test_without_a_prefix_messages_name_the_sections(options: MappingOptions, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Mapper(options)
    assert str(caught.value).startswith(message)
