"""Property tests: any JSON maps without raising, to exactly one kind of result, and a
mapped event is always valid, free of nulls and blanks, and free of clear-text personal data;
its event_time is inside Pinterest's window around the receive time, its event_id has no
control character and at most 256 code points, and no other text is over 4,096 code points.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pinbridge.config import settings_from_mapping
from pinbridge.mapping import Filtered, Invalid, Mapped, Mapper, MappingResult
from pinbridge.mapping.coerce import EVENT_ID_LIMIT, MAX_TEXT
from pinbridge.mapping.mapper import INTERNAL_ERROR
from pinbridge.mapping.times import MAX_AGE, MAX_AHEAD
from tests.support.contract import contract_errors
from tests.support.shared import OPENAPI_PATH

HAVE_CONTRACT = OPENAPI_PATH.is_file()
HEX64 = re.compile(r"[0-9a-f]{64}")
CONTROL = re.compile("[\x00-\x1f\x7f]")
RECEIVED_AT = 1795856500
HASHED = (
    "em",
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
    "hashed_maids",
)
PII = "pii"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MAPPERS = [
    Mapper(),
    settings_from_mapping(
        {
            "options": {"unmapped_events": "custom"},
            "mapping": {
                "user_data.em": ["user.crm.mail", "user.email"],
                "custom_data.value": "revenue",
                "custom_data.content_ids": ["items.X.sku", "items.X.id", "ids"],
                "custom_data.contents.X.item_brand": "brand",
                "custom_data.content_name": {"const": "Spring sale"},
            },
        },
        {},
    ).mapper,
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
any_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
# Values that are often meaningful for a field, mixed with garbage.
plausible = st.one_of(
    any_json,
    st.sampled_from(
        [
            "",
            "  ",
            "true",
            "0",
            "yes",
            "12,50",
            "54.90",
            "eur",
            "fr-FR",
            "FR",
            "France",
            "US",
            "1795856400123",
            "2026-11-28T09:15:00+01:00",
            "android",
            "iOS",
            "offline",
            "web",
            "203.0.113.9",
            "2001:db8::7",
            "Mozilla/5.0",
            "_epik=abc; a=b",
            "https://s.example/?epik=x",
        ]
    ),
    st.integers(min_value=0, max_value=2 * 10**12),
)


def mostly(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a good value (so that many events get mapped), sometimes anything."""
    return st.sampled_from([True] * 9 + [False]).flatmap(lambda ok: good if ok else plausible)


pii_text = st.builds(
    lambda body, case: (PII + "-" + body).upper() if case else PII + "-" + body,
    st.sampled_from(
        [
            "camille@example.fr",
            "+33 6 11 22 33 44",
            "06 11 22 33 44",
            "female",
            "1991-07-23",
            "Martin",
            "Saint-Étienne",
            "California",
            "02139-4307",
            "x",
        ]
    )
    | st.text(min_size=1, max_size=10),
    st.booleans(),
)
pii_value = pii_text | st.lists(pii_text, min_size=1, max_size=3)
user = st.fixed_dictionaries(
    {},
    optional={
        key: pii_value
        for key in (
            "email",
            "phone",
            "gender",
            "birthdate",
            "lastname",
            "firstname",
            "city",
            "state",
            "state_short",
            "zipcode",
            "id",
            "email_sha256",
            "phone_sha256",
        )
    }
    | {
        "country": st.sampled_from(["FR", "US", "France", "DEU"]) | pii_text,
        "consent_categories": any_json,
    },
)
item = st.fixed_dictionaries(
    {},
    optional={
        "id": plausible,
        "sku": plausible,
        "quantity": plausible,
        "price": plausible,
        "product": st.fixed_dictionaries(
            {},
            optional={
                k: plausible for k in ("id", "name", "price", "category_1", "brand", "currency")
            },
        ),
    },
)
# Around the receive time, both sides of the window's limits, in seconds or milliseconds.
near_received = st.integers(RECEIVED_AT - MAX_AGE - 5, RECEIVED_AT + MAX_AHEAD + 5)
event_times = st.one_of(
    near_received,
    near_received.map(lambda s: s * 1000 + 999),
    near_received.map(str),
    st.sampled_from([RECEIVED_AT - MAX_AGE, RECEIVED_AT - MAX_AGE - 1, RECEIVED_AT + MAX_AHEAD]),
    st.integers(1_700_000_000, 1_800_000_000_000),
)
# Mostly usable ids; sometimes with control characters, C1 controls, padding or over-long.
event_ids = st.one_of(
    st.uuids().map(str),
    st.uuids().map(str),
    st.uuids().map(str),
    st.text(alphabet="ab \x00\t\n\x1f\x7f\x80\x9fé", min_size=1, max_size=6),
    st.text(alphabet="ab ", min_size=254, max_size=258),
)
context = st.fixed_dictionaries(
    {
        "event_id": mostly(event_ids),
        "event_timestamp": mostly(event_times),
        "device": st.fixed_dictionaries(
            {
                "ip": mostly(st.sampled_from(["203.0.113.9", "2001:db8::7"])),
                "user_agent": mostly(st.just("Mozilla/5.0")),
            },
            optional={
                key: plausible
                for key in ("lang", "type", "cookie", "advertising_id", "manufacturer", "os")
            },
        ),
    },
    optional={
        "app": any_json | st.just({"name": "App"}),
        "page": st.fixed_dictionaries({}, optional={"url": plausible}),
    },
)
partners = st.fixed_dictionaries(
    {
        "pinterest": st.fixed_dictionaries(
            {},
            optional={
                key: plausible
                for key in ("event_id", "action_source", "opt_out", "click_id", "opt_out_type")
            },
        )
    }
)
event = st.fixed_dictionaries(
    {
        "event_name": mostly(
            st.sampled_from(
                [
                    "purchase",
                    "page_view",
                    "add_to_cart",
                    "search",
                    "generate_lead",
                    "other",
                    " Buy ",
                ]
            )
        ),
        "context": mostly(context),
    },
    optional={
        **{
            key: plausible
            for key in (
                "id",
                "value",
                "revenue",
                "currency",
                "type",
                "search_term",
                "url",
                "ids",
                "brand",
            )
        },
        "items": st.lists(item | any_json, max_size=4) | any_json,
        "user": mostly(user),
        "partners": partners | any_json,
    },
)


def _check_result(result: MappingResult, received_at: int) -> None:
    kinds = [isinstance(result, kind) for kind in (Mapped, Filtered, Invalid)]
    assert sum(kinds) == 1
    orjson.dumps(result.event if isinstance(result, Mapped) else None)
    if isinstance(result, Invalid):
        assert result.errors and INTERNAL_ERROR not in result.errors
    if isinstance(result, Mapped):
        event_out = result.event
        event_id = event_out["event_id"]
        assert isinstance(event_id, str) and event_id.strip()
        assert CONTROL.search(event_id) is None
        assert len(event_id) <= EVENT_ID_LIMIT
        assert isinstance(event_out["event_name"], str)
        assert type(event_out["event_time"]) is int
        assert -MAX_AGE <= event_out["event_time"] - received_at <= MAX_AHEAD
        _no_blanks(event_out)
        _no_long_text(event_out)
        for key in HASHED:
            for digest in event_out["user_data"].get(key, []):
                assert HEX64.fullmatch(digest), key
        if HAVE_CONTRACT:
            assert contract_errors(event_out, event=True) == []


def _no_long_text(value: Any) -> None:
    if isinstance(value, str):
        assert len(value) <= MAX_TEXT
    elif isinstance(value, dict | list):
        for child in value.values() if isinstance(value, dict) else value:
            _no_long_text(child)


def _no_blanks(value: Any) -> None:
    assert value is not None
    if isinstance(value, str):
        assert value.strip()
    elif isinstance(value, dict | list):
        assert value
        for child in value.values() if isinstance(value, dict) else value:
            _no_blanks(child)


@SETTINGS
@given(raw=any_json, which=st.sampled_from(range(len(MAPPERS))), received_at=st.integers(0, 2**33))
def test_any_json_maps_to_exactly_one_result(raw: Any, which: int, received_at: int) -> None:
    _check_result(MAPPERS[which].map(raw, received_at), received_at)


@SETTINGS
@given(raw=event, which=st.sampled_from(range(len(MAPPERS))))
def test_event_shaped_input_maps_to_a_valid_result(raw: dict[str, Any], which: int) -> None:
    _check_result(MAPPERS[which].map(raw, RECEIVED_AT), RECEIVED_AT)


@SETTINGS
@given(raw=event)
def test_clear_text_personal_data_never_appears_in_the_output(raw: dict[str, Any]) -> None:
    result = MAPPERS[0].map(raw, RECEIVED_AT)
    shown = orjson.dumps(result.event if isinstance(result, Mapped) else None).decode() + " ".join(
        getattr(result, "warnings", ()) + getattr(result, "errors", ())
    )
    assert PII not in shown.lower()


@SETTINGS
@given(raw=event)
def test_digests_given_back_as_input_are_kept_not_hashed_again(raw: dict[str, Any]) -> None:
    first = MAPPERS[0].map(raw, RECEIVED_AT)
    if not isinstance(first, Mapped) or not isinstance(raw.get("user"), dict):
        return
    user_data = first.event["user_data"]
    names = {
        "em": "email",
        "ph": "phone",
        "ge": "gender",
        "db": "birthdate",
        "ln": "lastname",
        "fn": "firstname",
        "ct": "city",
        "st": "state",
        "zp": "zipcode",
        "country": "country",
        "external_id": "id",
    }
    again_user = {
        source: [d.upper() for d in user_data[key]]
        for key, source in names.items()
        if key in user_data
    }
    again = MAPPERS[0].map({**raw, "user": again_user}, RECEIVED_AT)
    assert isinstance(again, Mapped)
    for key in names:
        assert again.event["user_data"].get(key) == user_data.get(key), key


@SETTINGS
@given(raw=event)
def test_num_items_counts_the_items_that_are_objects(raw: dict[str, Any]) -> None:
    result = MAPPERS[0].map(raw, RECEIVED_AT)
    items = raw.get("items")
    if not isinstance(result, Mapped) or not isinstance(items, list):
        return
    objects = sum(1 for item in items if isinstance(item, dict))
    assert result.event.get("custom_data", {}).get("num_items") == (objects or None)
    skipped = len(items) - objects
    notes = [w for w in result.warnings if w.startswith("items: ")]
    assert len(notes) == (1 if skipped else 0)
    if skipped:
        assert notes[0].startswith(f"items: {skipped} of {len(items)} items ")
