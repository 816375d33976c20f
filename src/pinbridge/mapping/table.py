"""The field table (spec 3): one declarative row per Pinterest field.

Each row is a target, its default source paths (priority left to right) and the rule that
normalises a value. Smart Mapping (``[mapping]``) replaces a row's sources and nothing else,
so the built-in table and the user's overrides are one structure. ``fallback`` names the
derivation used when no source gives a value (spec 4.1-4.3). Rows are in output order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pinbridge.mapping import coerce
from pinbridge.mapping.context import Rule
from pinbridge.mapping.derive import action_source
from pinbridge.mapping.hashing import HASHED_RULES
from pinbridge.mapping.times import event_time

__all__ = [
    "CONTENT_IDS",
    "CONTENTS",
    "FIELDS",
    "ITEM_FIELDS",
    "ITEM_TARGET_PREFIX",
    "NUM_ITEMS",
    "REQUIRED",
    "Field",
]

Fallback = Literal["action_source", "received_at", "click_id"]


@dataclass(frozen=True, slots=True)
class Field:
    """One Pinterest field: where its value comes from by default and how it is normalised."""

    target: str
    sources: tuple[str, ...]
    rule: Rule
    fallback: Fallback | None = None


def _rows(*rows: Field) -> dict[str, Field]:
    return {row.target: row for row in rows}


def _hashed(name: str, *sources: str) -> Field:
    return Field(f"user_data.{name}", sources, HASHED_RULES[name])


FIELDS: dict[str, Field] = _rows(
    Field("event_id", ("partners.pinterest.event_id", "context.event_id"), coerce.event_id),
    Field("action_source", ("partners.pinterest.action_source",), action_source, "action_source"),
    Field("event_time", ("context.event_timestamp", "event_timestamp"), event_time, "received_at"),
    Field(
        "event_source_url",
        ("context.page.url", "url", "context.page.location.href"),
        coerce.web_url,
    ),
    Field("opt_out", ("partners.pinterest.opt_out",), coerce.boolean),
    Field("app_id", ("context.app.namespace",), coerce.text),
    Field("app_name", ("context.app.name",), coerce.text),
    Field("app_version", ("context.app.version",), coerce.text),
    Field("device_brand", ("context.device.manufacturer",), coerce.text),
    Field("device_carrier", ("context.device.network.carrier",), coerce.text),
    Field("device_model", ("context.device.model",), coerce.text),
    Field("device_type", ("context.device.type",), coerce.text),
    Field("os_version", ("context.device.os.version",), coerce.text),
    Field("wifi", ("context.device.network.wifi",), coerce.boolean),
    Field("language", ("context.device.lang", "context.device.language"), coerce.language),
    Field("partner_name", (), coerce.text),
    _hashed("em", "user.email_sha256", "user.email"),
    _hashed("ph", "user.phone", "user.phone_sha256"),
    _hashed("ge", "user.gender", "user.gender_sha256"),
    _hashed("db", "user.birthdate", "user.birthdate_sha256"),
    _hashed("ln", "user.lastname", "user.lastname_sha256"),
    _hashed("fn", "user.firstname", "user.firstname_sha256"),
    _hashed("ct", "user.city", "user.city_sha256"),
    _hashed("st", "user.state_short", "user.state", "user.state_sha256"),
    _hashed("zp", "user.zipcode", "user.zipcode_sha256"),
    _hashed("country", "user.country", "user.country_sha256"),
    _hashed("external_id", "user.id", "user.id_sha256"),
    _hashed("hashed_maids", "context.device.advertising_id"),
    Field("user_data.partner_id", (), coerce.text),
    Field("user_data.client_ip_address", ("context.device.ip",), coerce.ip_address),
    Field("user_data.client_user_agent", ("context.device.user_agent",), coerce.text),
    Field("user_data.click_id", ("partners.pinterest.click_id",), coerce.text, "click_id"),
    Field("custom_data.order_id", ("id",), coerce.text),
    Field("custom_data.currency", ("currency", "items.0.product.currency"), coerce.currency),
    Field("custom_data.value", ("value",), coerce.decimal),
    Field("custom_data.content_ids", ("items.X.id", "items.X.product.id"), coerce.text),
    Field("custom_data.contents", (), coerce.text),
    Field("custom_data.num_items", ("items",), coerce.count),
    Field("custom_data.search_string", ("search_term",), coerce.text),
    Field("custom_data.opt_out_type", ("partners.pinterest.opt_out_type",), coerce.joined_text),
    Field("custom_data.content_name", (), coerce.text),
    Field("custom_data.content_category", (), coerce.text),
    Field("custom_data.content_brand", (), coerce.text),
    Field("custom_data.np", (), coerce.text),
    Field("custom_data.predicted_ltv", (), coerce.decimal),
)
"""Every field Smart Mapping may target (besides the per-item ``contents`` keys)."""

ITEM_TARGET_PREFIX = "custom_data.contents.X."
CONTENT_IDS = "custom_data.content_ids"
CONTENTS = "custom_data.contents"
NUM_ITEMS = "custom_data.num_items"

ITEM_FIELDS: dict[str, Field] = _rows(
    # ``id`` has no sources of its own: it follows custom_data.content_ids unless mapped.
    Field("id", (), coerce.text),
    Field("item_price", ("items.X.product.price", "items.X.price"), coerce.decimal),
    Field("quantity", ("items.X.quantity",), coerce.integer),
    Field("item_name", ("items.X.product.name",), coerce.text),
    Field("item_category", ("items.X.product.category_1",), coerce.text),
    Field("item_brand", ("items.X.product.brand",), coerce.text),
)
"""The keys of each ``custom_data.contents`` object; targets ``custom_data.contents.X.<key>``."""

REQUIRED = frozenset({"event_id", "event_time", "action_source"})
"""Fields that ``false`` may not disable."""
