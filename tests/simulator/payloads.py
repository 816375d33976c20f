"""Valid Pinterest events to start from: a minimal one and one using every documented field."""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Any

__all__ = ["TOKEN", "digest", "full_event", "minimal_event", "request_body"]

TOKEN = "test-token"


def digest(text: str) -> str:
    """Lowercase hex SHA-256, as Pinterest wants hashed user_data."""
    return hashlib.sha256(text.encode()).hexdigest()


def minimal_event(event_id: str = "evt-1", *, now: int | None = None) -> dict[str, Any]:
    """The smallest valid event: required keys and a hashed email."""
    return {
        "event_name": "checkout",
        "action_source": "web",
        "event_time": int(time.time()) if now is None else now,
        "event_id": event_id,
        "user_data": {"em": [digest("camille@example.fr")]},
    }


_FULL_EXTRA: dict[str, Any] = {
    "app_id": "429047995",
    "app_name": "Shop",
    "app_version": "7.9",
    "app_info": {
        "app_id": "429047995",
        "app_name": "Shop",
        "app_package_name": "com.example.shop",
        "app_store": "Google Play Store",
        "app_version": "7.9",
        "install_time": 1739222269,
        "user_agent": "Mozilla/5.0",
        "window_height": 900,
        "window_width": 1678,
    },
    "custom_data": {
        "content_brand": "Leafworks",
        "content_category": "tea",
        "content_ids": ["SKU-TEA-250", "SKU-POT-01"],
        "content_name": "Green tea",
        "contents": [
            {
                "id": "SKU-TEA-250",
                "item_brand": "Leafworks",
                "item_category": "tea",
                "item_name": "Green tea 250g",
                "item_price": "12.5",
                "quantity": 2,
            }
        ],
        "currency": "EUR",
        "external_measurement_id": "m-1",
        "external_measurement_vendor_id": 1,
        "np": "ss-company",
        "num_items": 3,
        "opt_out_type": "LDP",
        "order_id": "ORD-20931",
        "predicted_ltv": "120.5",
        "search_string": "green tea",
        "value": "89.9",
    },
    "device_brand": "Apple",
    "device_carrier": "T-Mobile",
    "device_model": "iPhone X",
    "device_type": "iPhone",
    "device_info": {
        "battery_level": 78,
        "brand": "Apple",
        "carrier": "T-Mobile",
        "cpu_cores": 8,
        "external_storage_free_space": 126,
        "external_storage_size": 512,
        "form_factor": "cellphone",
        "kernel_version": "6.15",
        "languages": ["en", "fr"],
        "locale": "en-us",
        "model": "16 Pro",
        "network_type": "wifi",
        "os_family": "ios",
        "os_name": "iOS",
        "os_release_name": "18.3",
        "os_version": "18.3",
        "screen_density": 460,
        "screen_height": 2868,
        "screen_width": 1320,
        "storage_free_space": 184,
        "storage_size": 256,
        "timezone": "Europe/Paris",
        "timezone_abbr": "CET",
        "type": "iPhone",
    },
    "event_source_url": "https://shop.example.fr/checkout",
    "language": "fr",
    "opt_out": False,
    "os_version": "18.3",
    "partner_name": "ss-example",
    "wifi": True,
}

_FULL_USER_DATA: dict[str, Any] = {
    "em": [digest("camille@example.fr")],
    "hashed_maids": [digest("maid")],
    "client_ip_address": "198.51.100.23",
    "client_user_agent": "Mozilla/5.0",
    "ph": [digest("33612345678")],
    "ge": [digest("f")],
    "db": [digest("19910723")],
    "ln": [digest("martin")],
    "fn": [digest("camille")],
    "ct": [digest("saintetienne")],
    "st": [digest("ara")],
    "zp": [digest("42000")],
    "country": [digest("fr")],
    "external_id": [digest("C-88120")],
    "click_id": "dj0yJnU9ZXhhbXBsZQ==",
    "partner_id": "partner-1",
}


def full_event(event_id: str = "evt-full", *, now: int | None = None) -> dict[str, Any]:
    """A valid event that sets every documented field, nested objects included."""
    event = minimal_event(event_id, now=now)
    event.update(copy.deepcopy(_FULL_EXTRA))
    event["user_data"] = copy.deepcopy(_FULL_USER_DATA)
    return event


def request_body(*events: dict[str, Any]) -> dict[str, Any]:
    """``{"data": [...]}``."""
    return {"data": list(events)}
