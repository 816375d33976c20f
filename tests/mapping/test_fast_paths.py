"""The mapping's fast paths give exactly what the general code they shortcut gives.

Each shortcut (ASCII digests, the generated code's strip-once test for text, YYYY-MM-DD birthdates,
the query of a URL, percent-decoding,
the memo of low-cardinality hashed fields) is compared with the general function on generated
input, including the edge cases that make the shortcut step aside (non-ASCII text, blanks,
64 hex characters, bad escapes).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from pinbridge.mapping import Mapped, Mapper
from pinbridge.mapping.coerce import text
from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.derive import percent_decoded, url_query
from pinbridge.mapping.hashing import ASCII_DIGESTS, HASHED_RULES, _any_birthdate, _birthdate
from pinbridge.mapping.memo import memoised
from pinbridge.mapping.paths import is_empty

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
        assert rule(value, _ctx()) == [digest(value.strip())]


_SOURCE_VALUES = st.one_of(
    st.text(alphabet=" \t\n\x0b\x1c\u00a0\u2003aZ9.@é", max_size=8),
    _HEX.map(lambda h: f" {h.upper()}\t"),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(["a", " ", "é"]), max_size=2),
)


@given(_SOURCE_VALUES)
def test_the_generated_text_and_digest_fast_paths_equal_the_rules(value: object) -> None:
    """Blank (ASCII or not), padded, non-ASCII and non-text values: the generated code, which
    strips ASCII text once and skips the rule, maps each as the rule alone would."""
    raw = {
        "event_name": "search",
        "context": {"event_id": "e1", "device": {"ip": "192.0.2.1", "user_agent": "UA"}},
        "search_term": value,
        "user": {"email": value},
    }
    result = Mapper().map(raw, 1)
    assert isinstance(result, Mapped)
    expected = {}
    for field, rule in (("search_string", text), ("em", HASHED_RULES["em"])):
        out = None if is_empty(value) else rule(value, _ctx())
        if out is not None and not isinstance(out, Reject):
            expected[field] = out
    custom, user = result.event.get("custom_data", {}), result.event["user_data"]
    assert custom.get("search_string") == expected.get("search_string")
    assert user.get("em") == expected.get("em")


_DIGITS = "0123456789"
_DATE_LIKE = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.builds(
        "{}{}{}{}{}".format,
        st.text(_DIGITS, min_size=4, max_size=4),
        st.sampled_from(["-", "/", ""]),
        st.text(_DIGITS, min_size=2, max_size=2),
        st.sampled_from(["-", "/", ""]),
        st.text(_DIGITS, min_size=2, max_size=2),
    ),
    st.text(alphabet="0129-/T:+ \u0663\uff11", min_size=8, max_size=12),
)


@given(_DATE_LIKE)
def test_the_birthdate_fast_path_equals_the_general_path(text: str) -> None:
    """Valid and impossible dates (month 13, 29 February, year 0000), other separators and
    non-ASCII digits, which the fast path leaves to the general one."""
    assert _birthdate(text, _ctx()) == _any_birthdate(text)  # Rejects: the same object


@given(st.text(alphabet="%%%0123456789aAfFgG+ é=\u00ff\ud7ff", max_size=16))
def test_percent_decoding_equals_urllib(text: str) -> None:
    assert percent_decoded(text) == unquote(text)


def _urlsplit_query(url: str) -> str | None:
    try:
        return urlsplit(url).query
    except ValueError:
        return None


@given(
    st.text(alphabet="hts:/?#&=[]@.%\t\r\n é\x00", max_size=24)
    | st.builds("{}{}".format, st.sampled_from(["https://", "//", "http://[::1", ""]), st.text())
)
@example("https://a.example/p#x?epik=1")
@example("//[::1/?epik=1")
@example("https://a.example/?epik=1\t2")
def test_the_url_query_equals_urlsplits(url: str) -> None:
    assert url_query(url) == _urlsplit_query(url)


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
