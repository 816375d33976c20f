"""The mapping's fast paths give exactly what the general code they shortcut gives.

Each shortcut (ASCII digests, percent-decoding, the memo of low-cardinality hashed fields)
is compared with the general function on generated input, including the edge cases that
make the shortcut step aside (non-ASCII text, 64 hex characters, bad escapes).
"""

from __future__ import annotations

from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from pinbridge.mapping import Mapped, Mapper
from pinbridge.mapping.context import EventContext
from pinbridge.mapping.derive import percent_decoded
from pinbridge.mapping.hashing import ASCII_DIGESTS, HASHED_RULES
from pinbridge.mapping.memo import memoised

_ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), min_size=1, max_size=70)
_HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64)


def _ctx(country: str | None = None) -> EventContext:
    user = {"country": country} if country else {}
    return EventContext({"user": user}, [], lambda nodes: country)


@given(st.one_of(_ASCII, _HEX, _HEX.map(lambda h: f"  {h} ")))
def test_ascii_digests_equal_the_hashed_rules(value: str) -> None:
    if value.isspace():
        return  # blank values never reach a rule
    for rule, digest in ASCII_DIGESTS.items():
        assert rule(value, _ctx()) == [digest(value)]


@given(st.text(alphabet="%%%0123456789aAfFgG+ é=\u00ff\ud7ff", max_size=16))
def test_percent_decoding_equals_urllib(text: str) -> None:
    assert percent_decoded(text) == unquote(text)


@given(
    st.sampled_from(sorted(("ge", "ct", "st", "zp", "country"))),
    st.lists(
        st.sampled_from(
            [
                "F",
                " male ",
                "Paris",
                "Saint-Étienne",
                "CA",
                "California",
                "Texas",
                "94105-1804",
                "941051804",
                "75001",
                "FR",
                "us",
                "France",
                "zz",
                "",
                "  ",
                "a" * 64,
                "--",
            ]
        ),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([None, "us", "fr"]),
)
def test_the_memo_returns_what_the_rule_returns(
    name: str, values: list[str], country: str | None
) -> None:
    rule = HASHED_RULES[name]
    memo = memoised(rule, by_country=name in ("st", "zp"), limit=3)
    for value in values:
        assert memo(value, _ctx(country)) == rule(value, _ctx(country))  # Rejects: same object


def test_mapped_events_never_share_a_memoised_list() -> None:
    mapper = Mapper()
    event = {
        "event_name": "purchase",
        "context": {"event_id": "e1", "event_timestamp": 1},
        "user": {"email": "a@example.org", "city": "Paris"},
    }
    first, second = mapper.map(event, 1), mapper.map(event, 1)
    assert isinstance(first, Mapped) and isinstance(second, Mapped)
    first.event["user_data"]["ct"].append("changed")
    third = mapper.map(event, 1)
    assert isinstance(third, Mapped)
    assert second.event["user_data"]["ct"] == third.event["user_data"]["ct"]
    assert len(second.event["user_data"]["ct"]) == 1
