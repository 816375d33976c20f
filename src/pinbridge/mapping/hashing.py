"""Hashed ``user_data`` fields (spec 5): normalise each value per field, then SHA-256.

A source value is a string, a number or a list of them. Each element is NFC-normalised and
trimmed; 64 hex characters are taken as already hashed (lower-cased, not hashed again);
anything else goes through the field's normaliser, whose shape checks (``em``: an address;
``ph``: 7 to 15 digits) may reject it, and is hashed. The output is always a list of
lower-case hex digests, empties dropped, duplicates removed, order kept; each rejected
element of a list gives its own warning, naming its index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from hashlib import sha256

from pinbridge.mapping.coerce import number_text
from pinbridge.mapping.context import EventContext, Reject, Rule
from pinbridge.mapping.countries import country_code, subdivision_code
from pinbridge.mapping.phones import phone_digits

__all__ = ["ASCII_DIGESTS", "ASCII_RULES", "HASHED_RULES"]

Normaliser = Callable[[str, EventContext], "str | Reject"]

_HEX = "0123456789abcdefABCDEF"
_GENDERS = {
    **dict.fromkeys(("f", "female", "woman"), "f"),
    **dict.fromkeys(("m", "male", "man"), "m"),
    **dict.fromkeys(("n", "non-binary", "non binary", "nonbinary"), "n"),
}
_WHITESPACE = re.compile(r"\s")  # the same characters as str.isspace
_PHONE_DIGITS = (7, 15)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{4})/(\d{2})/(\d{2})|(\d{4})(\d{2})(\d{2})")
_ZIP_PLUS_4 = re.compile(r"(\d{5})[-\s]\d{4}")
_ZIP_9 = re.compile(r"\d{9}")
_SPACES_AND_DASHES = re.compile(r"[\s-]+")
_ASCII_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_ASCII_NOT_ALPHA = re.compile(r"[^a-z]+")

_NOT_TEXT = Reject("expected text or a list of texts")
_BAD_UNICODE = Reject("text is not valid Unicode")
_NOT_GENDER = Reject("not a recognised gender (f, m, n, female, male, non-binary, ...)")
_NOT_DATE = Reject("not a valid date (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or ISO date-time)")
_NOT_STATE = Reject("not a 2-letter state code or a subdivision name of the user's country")
_NOT_COUNTRY = Reject("not an ISO country code or English country name")
_ZERO_ID = Reject("the all-zero advertising id (tracking limited) is left out")
_NOTHING_LEFT = Reject("nothing is left after normalisation")
_NOT_EMAIL = Reject(
    "not an email address (one @, text before it, a domain with a dot after it, no spaces)"
)
_NUMBER_NOT_EMAIL = Reject("a number is not an email address")


def _lower(text: str, ctx: EventContext) -> str:
    return text.lower()


def _email(text: str, ctx: EventContext) -> str | Reject:
    lowered = text.lower()
    return lowered if _is_address(lowered) else _NOT_EMAIL


def _is_address(text: str) -> bool:
    """Spec 5's shape of an email address: one @ with something before it, a domain after it
    that contains a dot and neither starts nor ends with one, no whitespace anywhere.
    (Written without a regex: a backtracking one is quadratic on a domain full of dots.)"""
    local, _, domain = text.partition("@")
    return (
        bool(local)
        and "." in domain
        and domain[0] != "."
        and domain[-1] != "."
        and "@" not in domain
        and _WHITESPACE.search(text) is None
    )


def _ascii_address_or_digest(text: str) -> bool:
    """Whether untrimmed ASCII ``text``, trimmed, is a digest or an address (any case)."""
    trimmed = text.strip()
    if len(trimmed) == 64 and not trimmed.strip(_HEX):
        return True
    return _is_address(trimmed)


def _as_is(text: str, ctx: EventContext) -> str:
    return text


def _phone(text: str, ctx: EventContext) -> str | Reject:
    digits = phone_digits(text, None if text[0] == "+" or text[:2] == "00" else ctx.country())
    if not digits:
        return Reject("no digits in the phone number")
    low, high = _PHONE_DIGITS
    if low <= len(digits) <= high:
        return digits
    return Reject(f"{len(digits)} digits; a phone number has {low} to {high} (E.164)")


def _gender(text: str, ctx: EventContext) -> str | Reject:
    return _GENDERS.get(" ".join(text.lower().split()), _NOT_GENDER)


def _birthdate(text: str, ctx: EventContext) -> str | Reject:
    """YYYYMMDD. The common ``YYYY-MM-DD`` shape skips the regex and the formatting of the
    general path (``_any_birthdate``), which costs about four times as much."""
    if len(text) == 10 and text.isascii() and text[4] == text[7] == "-":
        digits = text[:4] + text[5:7] + text[8:]
        if digits.isdigit():
            try:
                date.fromisoformat(text)  # the same range checks as datetime(year, month, day)
            except ValueError:
                return _NOT_DATE
            return digits
    return _any_birthdate(text)


def _any_birthdate(text: str) -> str | Reject:
    """Every accepted spelling: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD or an ISO date-time."""
    match = _DATE.fullmatch(text)
    if match is not None:
        year, month, day = (int(g) for g in match.groups() if g is not None)
    else:
        if len(text) <= 10:
            return _NOT_DATE
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return _NOT_DATE
        year, month, day = moment.year, moment.month, moment.day
    try:
        datetime(year, month, day)
    except ValueError:
        return _NOT_DATE
    return f"{year:04d}{month:02d}{day:02d}"


def _city(text: str, ctx: EventContext) -> str:
    lowered = text.lower()
    if lowered.isascii():
        return _ASCII_NOT_ALNUM.sub("", lowered)
    return "".join(c for c in lowered if c.isalnum())


def _state(text: str, ctx: EventContext) -> str | Reject:
    lowered = text.lower()
    letters = (
        _ASCII_NOT_ALPHA.sub("", lowered)
        if lowered.isascii()
        else "".join(c for c in lowered if c.isalpha())
    )
    if len(letters) == 2 and letters.isascii():
        return letters
    country = ctx.country()
    code = subdivision_code(country, text) if country and letters else None
    return code or _NOT_STATE


def _zip(text: str, ctx: EventContext) -> str:
    plus_4 = _ZIP_PLUS_4.fullmatch(text)
    if plus_4 is not None:
        return plus_4.group(1)
    compact = _SPACES_AND_DASHES.sub("", text.lower())
    if _ZIP_9.fullmatch(compact) and ctx.country() == "us":
        return compact[:5]
    return compact


def _country(text: str, ctx: EventContext) -> str | Reject:
    return country_code(text) or _NOT_COUNTRY


def _maid(text: str, ctx: EventContext) -> str | Reject:
    return text if text.strip("0-") else _ZERO_ID  # nothing but zeros and dashes: limited


def _ascii_maid_or_digest(text: str) -> bool:
    """Whether untrimmed ASCII ``text``, trimmed, is a digest or not an all-zero id."""
    trimmed = text.strip()
    return bool(trimmed.strip("0-")) or (len(trimmed) == 64 and not trimmed.strip(_HEX))


def hashed_rule(normalise: Normaliser, number: Reject | None = None) -> Rule:
    """The field rule that hashes every element of a value after ``normalise``; a number
    is rejected with ``number`` when given (an email is never a number)."""

    def rule(value: object, ctx: EventContext) -> object:
        if type(value) is not list:  # the common case: one value
            single = _digest(value, normalise, ctx, number)
            return single if single is None or type(single) is Reject else [single]
        digests: list[str] = []
        reason: Reject | None = None
        for index, element in enumerate(value):
            outcome = _digest(element, normalise, ctx, number)
            if outcome is None:
                continue
            if type(outcome) is Reject:
                if reason is not None:
                    ctx.note(reason.reason)  # earlier rejects of a list that may still succeed
                reason = Reject(f"{outcome.reason} (list index {index})")
            elif outcome not in digests:
                digests.append(outcome)  # type: ignore[arg-type]
        if digests:
            if reason is not None:
                ctx.note(reason.reason)
            return digests
        return reason

    return rule


def _digest(
    element: object, normalise: Normaliser, ctx: EventContext, number: Reject | None
) -> str | Reject | None:
    kind = type(element)
    if kind is str:
        text: str = element  # type: ignore[assignment]
    elif kind is int or kind is float:
        if number is not None:
            return number
        shown = number_text(element)  # type: ignore[arg-type]
        if shown is None:
            return _NOT_TEXT
        text = shown
    elif element is None:
        return None
    else:
        return _NOT_TEXT
    text = text.strip()
    if not text:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text).strip()
    if len(text) == 64 and not text.strip(_HEX):
        return text.lower()
    normalised = normalise(text, ctx)
    if type(normalised) is Reject:
        return normalised
    if not normalised:
        return _NOTHING_LEFT
    try:
        data = normalised.encode("utf-8")  # type: ignore[union-attr]
    except UnicodeEncodeError:
        return _BAD_UNICODE
    return sha256(data).hexdigest()


HASHED_RULES: dict[str, Rule] = {
    "em": hashed_rule(_email, number=_NUMBER_NOT_EMAIL),
    "ph": hashed_rule(_phone),
    "ge": hashed_rule(_gender),
    "db": hashed_rule(_birthdate),
    "ln": hashed_rule(_lower),
    "fn": hashed_rule(_lower),
    "ct": hashed_rule(_city),
    "st": hashed_rule(_state),
    "zp": hashed_rule(_zip),
    "country": hashed_rule(_country),
    "external_id": hashed_rule(_as_is),
    "hashed_maids": hashed_rule(_maid),
}
"""The rule for each hashed ``user_data`` field, keyed by the field's name."""


def _lower_digest(text: str) -> str:
    if len(text) == 64 and not text.strip(_HEX):
        return text.lower()
    return sha256(text.lower().encode()).hexdigest()


def _as_is_digest(text: str) -> str:
    if len(text) == 64 and not text.strip(_HEX):
        return text.lower()
    return sha256(text.encode()).hexdigest()


AsciiTest = Callable[[str], object]
"""A cheap test of untrimmed ASCII text: truthy when the fast path may be taken."""

ASCII_DIGESTS: dict[Rule, tuple[Callable[[str], str], AsciiTest | None]] = {
    HASHED_RULES["em"]: (_lower_digest, _ascii_address_or_digest),
    HASHED_RULES["fn"]: (_lower_digest, None),
    HASHED_RULES["ln"]: (_lower_digest, None),
    HASHED_RULES["external_id"]: (_as_is_digest, None),
    HASHED_RULES["hashed_maids"]: (_as_is_digest, _ascii_maid_or_digest),
}
"""For rules whose normaliser needs no context: ``rule(v, ctx) == [digest(v.strip())]``
whenever ``v`` is ASCII text that is not blank and passes the test, when there is one (no
NFC, nothing can be left empty or fail to encode, the shape is right). The digest takes the
stripped text because the generated code has just stripped it to test for blanks
(codegen.ascii_fast)."""


def _ascii_hashed(normalise: Normaliser) -> Callable[[str, EventContext], object]:
    """``hashed_rule(normalise)`` for trimmed, non-empty ASCII text: what ``_digest`` does
    after its type dispatch, trimming and NFC (which ASCII text never needs)."""

    def rule(text: str, ctx: EventContext) -> object:
        if len(text) == 64 and not text.strip(_HEX):
            return [text.lower()]
        normalised = normalise(text, ctx)
        if type(normalised) is Reject:
            return normalised
        if not normalised:
            return _NOTHING_LEFT
        try:
            return [sha256(normalised.encode("utf-8")).hexdigest()]  # type: ignore[union-attr]
        except UnicodeEncodeError:
            return _BAD_UNICODE

    return rule


ASCII_RULES: dict[Rule, Callable[[str, EventContext], object]] = {
    HASHED_RULES[name]: _ascii_hashed(normalise)
    for name, normalise in (("ph", _phone), ("db", _birthdate))
}
"""For hashed rules without an ASCII digest: ``rule(v, ctx) == ASCII_RULES[rule](v.strip(),
ctx)`` whenever ``v`` is ASCII text that is not blank (codegen.Writer.value)."""
