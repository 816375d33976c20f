"""The mapping's fast paths give exactly what the general code they shortcut gives.

Each shortcut (ASCII digests and the email shape test in front of them, the generated code's
strip-once test for text, event ids and URLs with the v2 checks in front of it, YYYY-MM-DD
birthdates, the host and the query of a URL, percent-decoding, the memo of low-cardinality
hashed fields) is compared with the general function on generated input, including the edge
cases that make the shortcut step aside (non-ASCII text, blanks, 64 hex characters, bad
escapes, control characters, over-long text).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import unquote, urlsplit

from hypothesis import example, given
from hypothesis import strategies as st

from pinbridge.mapping import Invalid, Mapped, Mapper
from pinbridge.mapping.codegen import compile_build
from pinbridge.mapping.coerce import (
    _IPV4,
    _unicode_decimal,
    decimal,
    decimal_text,
    event_id,
    integer,
    ip_address,
    text,
    valid_text,
    web_url,
)
from pinbridge.mapping.context import EventContext, Fatal, Reject
from pinbridge.mapping.derive import _APP_OS, _cookie, click_id_fallback, derive_action_source
from pinbridge.mapping.hashing import (
    ASCII_DIGESTS,
    ASCII_RULES,
    HASHED_RULES,
    _any_birthdate,
    _birthdate,
)
from pinbridge.mapping.mapper import _country_lookup
from pinbridge.mapping.memo import memoised
from pinbridge.mapping.paths import is_empty, walk
from pinbridge.mapping.table import ITEM_TARGET_PREFIX
from pinbridge.mapping.times import LATEST, unix_seconds
from pinbridge.mapping.urls import is_web_url, percent_decoded, url_query

_MAPPER = Mapper()  # mapping is pure: one Mapper serves every example (and keeps them fast)
_ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), min_size=1, max_size=70)
_HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64)


def _ctx(country: str | None = None) -> EventContext:
    user = {"country": country} if country else {}
    return EventContext({"user": user}, [], lambda nodes: country)


_EMAILISH = st.text(alphabet="aZ.@ \t\x1f-+", min_size=1, max_size=10)


@given(st.one_of(_ASCII, _HEX, _HEX.map(lambda h: f"  {h} "), _EMAILISH))
@example(" Jane.Doe@Example.ORG ")
@example("a@b.c.")
@example("a@.b")
@example("a b@c.de")
@example("@b.com")
def test_ascii_digests_equal_the_hashed_rules(value: str) -> None:
    """Where the ASCII test lets the fast path through, it gives the rule's result; where it
    does not, the rule rejects the value (so the test turns away nothing the rule accepts)."""
    if value.isspace():
        return  # blank values never reach a rule
    for rule, (digest, test) in ASCII_DIGESTS.items():
        if test is None or test(value):
            assert rule(value, _ctx()) == [digest(value.strip())]
        else:
            assert isinstance(rule(value, _ctx()), Reject)


_SOURCE_VALUES = st.one_of(
    st.text(alphabet=" \t\n\x0b\x1c\u00a0\u2003aZ9.@é", max_size=8),
    _HEX.map(lambda h: f" {h.upper()}\t"),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["https://", "HTTP://", " http://", "ftp://", "", "a"]),
        st.text(alphabet="a.:@/?# \t\x0b[]é", max_size=8),
        st.sampled_from(["", " ", "\t", "a"]),
    ),
    st.builds("{}{}{}".format, st.just("https://a.example/"), st.just("x" * 4070), _ASCII),
    st.text(alphabet="a ", min_size=4090, max_size=4100),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.sampled_from(["a", " ", "é"]), max_size=2),
)


@given(_SOURCE_VALUES)
@example("a" * 4096)
@example(" " + "a" * 4096)
@example("a" * 4097)
def test_the_generated_text_and_digest_fast_paths_equal_the_rules(value: object) -> None:
    """Blank (ASCII or not), padded, non-ASCII, over-long and non-text values: the generated
    code, which strips ASCII text once and skips the rule when the text passes its cheap
    checks, maps each as the rule alone would."""
    raw = {
        "event_name": "search",
        "context": {"event_id": "e1", "device": {"ip": "192.0.2.1", "user_agent": "UA"}},
        "search_term": value,
        "url": value,
        "user": {"email": value},
    }
    result = _MAPPER.map(raw, 1)
    assert isinstance(result, Mapped)
    expected = {}
    for field, rule in (
        ("search_string", text),
        ("em", HASHED_RULES["em"]),
        ("event_source_url", web_url),
    ):
        out = None if is_empty(value) else rule(value, _ctx())
        if out is not None and not isinstance(out, Reject):
            expected[field] = out
    custom, user = result.event.get("custom_data", {}), result.event["user_data"]
    assert custom.get("search_string") == expected.get("search_string")
    assert user.get("em") == expected.get("em")
    assert result.event.get("event_source_url") == expected.get("event_source_url")


@given(
    st.one_of(
        st.text(alphabet=" \t\n\x00\x1f\x7f\x80\x9faZ9é", max_size=8),
        st.text(alphabet="ab ", min_size=250, max_size=262),
        st.integers(),
        st.floats(),
        st.booleans(),
    )
)
@example("a" * 256)
@example("a" * 257)
@example(" e-1 ")
@example("e-1\t")
def test_the_generated_event_id_fast_path_equals_the_rule(value: object) -> None:
    """ASCII ids of at most 256 printable characters skip the rule; the others (too long,
    control characters, non-ASCII) go through it: same id, or the same errors."""
    raw = {
        "event_name": "search",
        "context": {"event_id": value, "device": {"ip": "192.0.2.1", "user_agent": "UA"}},
    }
    result = _MAPPER.map(raw, 1)
    out = None if is_empty(value) else event_id(value, _ctx())
    if isinstance(out, str):
        assert isinstance(result, Mapped)
        assert result.event["event_id"] == out
        return
    assert isinstance(result, Invalid)
    if isinstance(out, Fatal):
        prefix = "event_id (from context.event_id): "
        assert list(result.errors) == [prefix + reason for reason in out.reasons]
    else:
        assert len(result.errors) == 1 and result.errors[0].startswith("event_id")


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


def _urlsplit_is_web_url(url: str) -> bool:
    if not url[:8].lower().startswith(("http://", "https://")):
        return False
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


@given(
    st.builds(
        "{}{}".format,
        st.sampled_from(["http://", "https://", "HtTpS://", "http:/", "https:", "ftp://", ""]),
        st.text(alphabet="ab.:@/?#%[] \t\r\n\x0bé", max_size=14),
    )
)
@example("https://user@:443/")
@example("http://a@b@/x")
@example("http://?q=1")
@example("https://[::1]:8080/")
@example("https://a.example#frag")
@example("http://a@b@:80/")
@example("http://a@:b@c/")
@example("http\u017f://a.example/")  # a long s, which lower() keeps
@example("HTTPS://a.example:8080")
def test_the_web_url_host_test_equals_urlsplits(url: str) -> None:
    assert is_web_url(url) == _urlsplit_is_web_url(url)


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


_DECIMAL_LIKE = st.one_of(
    st.text(alphabet="0123456789.,+- \t\u0663\uff11e", max_size=8),
    st.builds("{}{}{}".format, st.sampled_from(["", "-", "+", " "]), st.integers(), st.just("")),
    st.floats().map(repr),
)


@given(_DECIMAL_LIKE)
@example("1500,00")
@example("+.50")
@example("1.2,3")
@example("-")
@example(".")
@example("\u0663.5")
def test_the_ascii_decimal_path_equals_the_regex(text: str) -> None:
    """Plain ASCII decimal text skips the regex; other scripts' digits still go through it."""
    assert decimal_text(text) == _unicode_decimal(text.strip())


def test_a_float_skips_decimal_text_with_the_same_result() -> None:
    for number in (0.0, -0.0, 12.5, 100.0, 1e-07, 1e22, float("inf"), float("nan")):
        shown = decimal_text(number)
        assert decimal(number, _ctx()) == (shown if shown is not None else decimal(None, _ctx()))


_OS_NAMES = st.sampled_from([" Android ", "iOS", "iPadOS", "iPhone OS", "linux", "", 3])


def _maybe(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.just([]), st.just("x"), values)


_CONTEXTS = st.fixed_dictionaries(
    {},
    optional={
        "app": _maybe(st.sampled_from([{}, {"name": "a"}])),
        "device": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "os": _maybe(st.fixed_dictionaries({"name": _OS_NAMES})),
                    "type": _OS_NAMES,
                    "cookie": st.sampled_from(
                        ["_epik=a", "x_epik=b; _epik= %41%3D ", "_epik=", "_epik=é", '_epik=""']
                    ),
                },
            )
        ),
        "cookie": st.sampled_from(["_epik=c", "_epik=" + "d" * 4097, "_epik=%ZZ", "o=1"]),
    },
)


def _walk_action_source(root: dict[str, object]) -> str:
    """derive_action_source as it was written with paths.walk (the reference)."""
    kind = root.get("type")
    if type(kind) is str and kind.strip().lower() == "offline":
        return "offline"
    app = walk(root, (("context", None), ("app", None)))
    if type(app) is dict and app:
        for steps in (
            (("context", None), ("device", None), ("os", None), ("name", None)),
            (("context", None), ("device", None), ("type", None)),
        ):
            name = walk(root, steps)
            if type(name) is str and (found := _APP_OS.get(name.strip().lower())):
                return found
    return "web"


def _walk_click_id(ctx: EventContext) -> str | None:
    """The cookie step of click_id_fallback as it was written with paths.walk and valid_text."""
    for path in ("context.device.cookie", "context.cookie"):
        cookies = walk(ctx.root, tuple((key, None) for key in path.split(".")))
        if type(cookies) is str and "_epik=" in cookies:
            found = _cookie(cookies, "_epik=")
            checked = valid_text(found) if found else None
            if type(checked) is Reject:
                ctx.note(f"(from the _epik cookie in {path}): {checked.reason}")
            elif isinstance(checked, str):
                return checked
    return None


@given(_maybe(_CONTEXTS), st.sampled_from([None, "offline", " Offline ", "online"]))
def test_the_derivations_read_the_same_paths_as_walk(context: object, kind: object) -> None:
    """The derivations read their fixed paths with dict.get; walk gave the same values."""
    root = {"context": context, "type": kind}
    assert derive_action_source(_ctx_of(root)) == _walk_action_source(root)
    ours, reference = _ctx_of(root), _ctx_of(root)
    assert click_id_fallback("_epik")(ours) == _walk_click_id(reference)
    assert ours.notes == reference.notes


def _ctx_of(root: dict[str, object]) -> EventContext:
    return EventContext(root, [], lambda nodes: None)


def _regex_ip_address(value: str) -> str | None:
    """ip_address as it was written, with the IPv4 regex alone (the reference); None: rejected."""
    address = value.strip()
    if _IPV4.fullmatch(address):
        return address
    if ":" not in address:
        return None
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return None
    return address


_OCTET = st.one_of(
    st.integers(min_value=0, max_value=300).map(str),
    st.sampled_from(["00", "01", "007", "", "\u0663", "1\u0663", "+1", " 1"]),
)


@given(
    st.one_of(
        st.lists(_OCTET, min_size=3, max_size=5).map(".".join),
        st.text(alphabet="0123456789.:a \u0663", max_size=16),
    )
)
@example("255.255.255.255")
@example("256.1.1.1")
@example("1.2.3.04")
@example("\u0661.\u0662.\u0663.\u0664")
def test_the_ipv4_octet_test_equals_the_regex(value: str) -> None:
    """Four octets written as str(0) to str(255) skip the regex; every other text (leading
    zeros, other scripts' digits, IPv6) is decided as before."""
    ours = ip_address(value, _ctx())
    assert (None if isinstance(ours, Reject) else ours) == _regex_ip_address(value)


_LIMITS = (0, 10**11 - 1, 10**11, (LATEST + 1) * 1000 - 1, (LATEST + 1) * 1000, 2**63 - 1, 2**63)


@given(st.one_of(st.integers(), st.sampled_from(_LIMITS), st.sampled_from([-1, -(2**63) - 1])))
def test_the_generated_integer_fast_paths_equal_the_rules(number: int) -> None:
    """An integer event_timestamp or item quantity within the rule's range skips the rule."""
    seconds, quantity = unix_seconds(number), integer(number, _ctx())

    def mapped(timestamp: int, received_at: int) -> object:
        raw = {
            "event_name": "purchase",
            "context": {"event_id": "e1", "event_timestamp": timestamp},
            "user": {"email": "a@example.org"},
            "items": [{"id": "a", "quantity": number}],
        }
        return _MAPPER.map(raw, received_at)

    result = mapped(1, 1)
    assert isinstance(result, Mapped)
    (entry,) = result.event["custom_data"]["contents"]
    assert entry.get("quantity") == (None if isinstance(quantity, Reject) else quantity)
    result = mapped(number, seconds if isinstance(seconds, int) else 1)
    if isinstance(seconds, Reject):
        assert isinstance(result, Invalid)
        assert result.errors == (f"event_time (from context.event_timestamp): {seconds.reason}",)
    else:
        assert isinstance(result, Mapped)
        assert result.event["event_time"] == seconds


@given(
    st.one_of(
        st.floats(),
        st.sampled_from([-0.0, 5e-324, 1e-07, 1e22, 1.7976931348623157e308, 100.0]),
        st.integers(),
        st.sampled_from([10**18 - 1, 10**18, -(10**18) + 1, -(10**18), 10**5000]),
    )
)
@example(float("inf"))
@example(float("nan"))
@example(10**19)
def test_the_generated_number_fast_paths_equal_the_rules(number: float) -> None:
    """A finite float or a short integer as a decimal (value, item price) or as text (order
    id) skips the rule; infinities, NaN and long integers go through it: the same result,
    warnings included, as code generated without any fast path."""
    raw = {
        "event_name": "purchase",
        "context": {"event_id": "e1", "event_timestamp": 1},
        "user": {"email": "a@example.org"},
        "id": number,
        "value": number,
        "items": [{"id": "a", "quantity": number, "product": {"price": number}}],
    }
    result = _MAPPER.map(raw, 1)
    assert result == _GENERAL.map(raw, 1)
    assert isinstance(result, Mapped)
    assert None not in result.event["custom_data"].values()


def _without_fast_paths() -> Mapper:
    """A Mapper whose generated code calls every rule: a rule given explicitly to the code
    generator (as the memo's are) takes no fast path."""
    mapper = Mapper()
    plan = mapper._plan
    rules = {step.label: step.rule for step in plan.steps}
    for key, (_, rule, _) in plan.items.keys or ():
        rules[ITEM_TARGET_PREFIX + key] = rule
    mapper._build = compile_build(plan, rules, _country_lookup(plan.country))
    return mapper


@given(
    st.one_of(
        _ASCII,
        _HEX.map(lambda h: f" {h} "),
        st.text(alphabet="0123456789 +-.()", min_size=1, max_size=20),
        _DATE_LIKE.filter(str.isascii),
        st.just(" \t"),
    ),
    st.sampled_from([None, "fr", "us"]),
)
@example(" 06 12 34 56 78 ", "fr")
@example("1985-04-12", None)
@example("x" * 64, None)
def test_the_ascii_hashed_rules_equal_the_hashed_rules(value: str, country: str | None) -> None:
    """Trimmed ASCII text skips the hashed rule's type dispatch and NFC step."""
    if value.isspace():
        return  # blank values never reach a rule
    for rule, text_rule in ASCII_RULES.items():
        ours, general = text_rule(value.strip(), _ctx(country)), rule(value, _ctx(country))
        if isinstance(general, Reject):  # some reasons are made per value (a digit count)
            assert isinstance(ours, Reject) and ours.reason == general.reason
        else:
            assert ours == general


_GENERAL = _without_fast_paths()
