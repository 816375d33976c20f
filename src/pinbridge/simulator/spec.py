"""The request schema of Pinterest's ``POST /v5/ad_accounts/{id}/events``, as plain data.

A hand-written transcription of the documented constraints (types, ``nullable``, closed
objects, required keys, the user_data identifier rule, lengths and ranges), so the simulator
needs no OpenAPI file at run time. :mod:`pinbridge.simulator.schema` walks a body against it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_EVENTS", "REQUEST", "USER_DATA_HASHED", "Arr", "Bool", "Int", "Obj", "Spec", "Str"]


@dataclass(frozen=True)
class Str:
    """A JSON string."""

    nullable: bool = False
    max_length: int | None = None
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Int:
    """A JSON integer (not a float such as ``1.0``, not a boolean)."""

    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Bool:
    """A JSON boolean."""

    nullable: bool = False


@dataclass(frozen=True)
class Arr:
    """A JSON array whose every element matches ``items``."""

    items: Spec
    nullable: bool = False
    min_items: int | None = None
    max_items: int | None = None


@dataclass(frozen=True)
class Obj:
    """A JSON object; ``closed`` forbids keys outside ``properties``.

    ``any_of_required`` lists alternative sets of keys, at least one of which must be present
    in full (Pinterest's rule for user_data).
    """

    properties: dict[str, Spec]
    closed: bool = True
    required: tuple[str, ...] = ()
    any_of_required: tuple[tuple[str, ...], ...] = ()
    nullable: bool = False


Spec = Str | Int | Bool | Arr | Obj

_S = Str()
_SN = Str(nullable=True)
_STRINGS = Arr(Str())

USER_DATA_HASHED = (
    "em",
    "hashed_maids",
    "ph",
    "ge",
    "db",
    "ln",
    "fn",
    "ct",
    "st",
    "zp",
    "country",
    "external_id",
)
"""user_data fields whose elements must be SHA-256 digests (per-event check, not schema)."""

_USER_DATA = Obj(
    properties={
        **{name: _STRINGS for name in USER_DATA_HASHED},
        "client_ip_address": _S,
        "client_user_agent": _S,
        "click_id": _SN,
        "partner_id": _SN,
    },
    closed=False,
    any_of_required=(("em",), ("hashed_maids",), ("client_ip_address", "client_user_agent")),
)

_CONTENT = Obj(
    properties={
        "id": _S,
        "item_brand": _S,
        "item_category": _S,
        "item_name": _S,
        "item_price": _S,
        "quantity": Int(),
    }
)

_CUSTOM_DATA = Obj(
    properties={
        "content_brand": _SN,
        "content_category": _SN,
        "content_ids": _STRINGS,
        "content_name": _SN,
        "contents": Arr(_CONTENT),
        "currency": _SN,
        "external_measurement_id": _SN,
        "external_measurement_vendor_id": Int(nullable=True),
        "np": _SN,
        "num_items": Int(),
        "opt_out_type": _SN,
        "order_id": _SN,
        "predicted_ltv": _SN,
        "search_string": _SN,
        "value": _SN,
    }
)

_WINDOW = Int(minimum=0, maximum=30720)
_STORAGE = Int(minimum=0, maximum=1048576)

_APP_INFO = Obj(
    properties={
        "app_id": Str(max_length=200),
        "app_name": Str(max_length=200),
        "app_package_name": Str(max_length=200),
        "app_store": Str(max_length=100),
        "app_version": Str(max_length=100),
        "install_time": Int(minimum=0),
        "user_agent": Str(max_length=16384),
        "window_height": _WINDOW,
        "window_width": _WINDOW,
    }
)

_S100 = Str(max_length=100)

_DEVICE_INFO = Obj(
    properties={
        "battery_level": Int(minimum=0, maximum=100),
        "brand": _S100,
        "carrier": _S100,
        "cpu_cores": Int(minimum=0, maximum=1152),
        "external_storage_free_space": _STORAGE,
        "external_storage_size": _STORAGE,
        "form_factor": Str(
            enum=(
                "desktop",
                "laptop",
                "cellphone",
                "tablet",
                "smartwatch",
                "tv",
                "vr",
                "console",
                "other",
            )
        ),
        "kernel_version": _S100,
        "languages": Arr(Str(), min_items=0, max_items=100),
        "locale": Str(max_length=35),
        "model": _S100,
        "network_type": Str(
            enum=(
                "wifi",
                "cellular_2g",
                "cellular_3g",
                "cellular_4g",
                "cellular_5g",
                "cellular_6g",
                "ethernet",
                "unknown",
            )
        ),
        "os_family": Str(enum=("ios", "android", "macos", "windows", "linux", "bsd", "other")),
        "os_name": _S100,
        "os_release_name": _S100,
        "os_version": _S100,
        "screen_density": Int(minimum=0, maximum=100000),
        "screen_height": _WINDOW,
        "screen_width": _WINDOW,
        "storage_free_space": _STORAGE,
        "storage_size": _STORAGE,
        "timezone": Str(max_length=40),
        "timezone_abbr": Str(max_length=5),
        "type": _S100,
    }
)

_EVENT = Obj(
    properties={
        "action_source": _S,
        "app_id": _SN,
        "app_info": _APP_INFO,
        "app_name": _SN,
        "app_version": _SN,
        "custom_data": _CUSTOM_DATA,
        "device_brand": _SN,
        "device_carrier": _SN,
        "device_info": _DEVICE_INFO,
        "device_model": _SN,
        "device_type": _SN,
        "event_id": _S,
        "event_name": _S,
        "event_source_url": _SN,
        "event_time": Int(),
        "language": _SN,
        "opt_out": Bool(),
        "os_version": _SN,
        "partner_name": _SN,
        "user_data": _USER_DATA,
        "wifi": Bool(),
    },
    required=("event_name", "action_source", "event_time", "user_data", "event_id"),
)

MAX_EVENTS = 1000

REQUEST = Obj(
    properties={"data": Arr(_EVENT, min_items=1, max_items=MAX_EVENTS)},
    required=("data",),
)
"""The whole request body (``ConversionEvents``)."""
