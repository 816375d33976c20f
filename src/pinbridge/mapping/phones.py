"""Phone numbers to E.164 digits (spec 5, ``ph``), with phonenumbers' rules and metadata.

``+...`` and ``00...`` are parsed as international numbers; anything else in the region of
the user's country when it is known. When that gives no possible number, the fallback is
every digit with leading zeros removed.

``phonenumbers.parse`` spends most of its time on a generic front-end (finding a number in
free text, extensions, RFC 3966, Unicode digits) that clean input does not need. For input
made only of ASCII digits, spaces, ``.``, ``-``, ``(``, ``)`` and a leading ``+``, the
fast path below applies the same steps as phonenumbers 9 (country code, national prefix,
possible lengths) to the same metadata; anything else, or any region whose national prefix
needs a transform rule or an international-prefix check, goes through phonenumbers itself.
``tests/mapping/test_phones.py`` checks both paths give identical results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["phone_digits", "phone_digits_reference"]

_NOT_DIGITS = re.compile(r"[^0-9]+")
_CLEAN = re.compile(r"\+?[0-9 .()\-]+")
"""Clean input, which the fast path takes (phone_digits tests it without this regex)."""
_MIN_NSN, _MAX_NSN, _MAX_INPUT = 2, 17, 250
_SLOW = None


@cache
def _library() -> Any:
    import phonenumbers

    return phonenumbers


def phone_digits(text: str, country: str | None) -> str:
    """E.164 digits without ``+`` (``33611223344``), or "" when there are no digits."""
    if text.startswith("00"):
        text = "+" + text[2:]
    plus = text[:1] == "+"
    # Clean input is a leading '+' and then digits and separators only (what _CLEAN takes):
    # with the separators deleted, nothing but ASCII digits is left.
    body = text[1:] if plus else text
    digits = (
        body.replace(" ", "").replace(".", "").replace("-", "").replace("(", "").replace(")", "")
    )
    if digits.isdigit() and digits.isascii() and len(text) <= _MAX_INPUT:
        found = _fast(digits, plus, country)
        if found is not _SLOW:
            return found
    return phone_digits_reference(text, country)


def phone_digits_reference(text: str, country: str | None) -> str:
    """The same result computed by phonenumbers alone (the slow, general path)."""
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+") or country:
        library = _library()
        region = None if text.startswith("+") else country.upper()  # type: ignore[union-attr]
        try:
            number = library.parse(text, region)
        except library.NumberParseException:
            number = None
        if number is not None and library.is_possible_number(number):
            formatted: str = library.format_number(number, library.PhoneNumberFormat.E164)
            return formatted[1:]
    return _NOT_DIGITS.sub("", text).lstrip("0")


@dataclass(frozen=True, slots=True)
class _Region:
    """The parts of one region's phonenumbers metadata that parsing clean digits needs.

    ``verdicts[n]`` is phonenumbers' length verdict for an n-digit national number (the
    last entry holds for every longer one), computed once instead of per number.
    """

    code: str
    national_prefix: re.Pattern[str] | None
    prefix_digits: str | None  # the national prefix when it is plain digits ("0")
    national_pattern: re.Pattern[str] | None
    idd: re.Pattern[str] | None
    idd_digits: str | None  # the international prefix when it is plain digits ("00")
    verdicts: tuple[str, ...]
    possible: tuple[str, ...]  # the verdicts of the calling code's main region
    simple: bool  # no national-prefix transform rule


def _region(metadata: Any, possible: _Region | None = None) -> _Region:
    general = metadata.general_desc
    prefix = metadata.national_prefix_for_parsing or None
    pattern = general.national_number_pattern if general is not None else None
    idd = metadata.international_prefix or None
    lengths = tuple(general.possible_length) if general is not None else ()
    local = tuple(general.possible_length_local_only) if general is not None else ()
    longest = max((*lengths, *local, _MAX_NSN)) + 1
    verdicts = tuple(_length_check(n, lengths, local) for n in range(longest + 1))
    return _Region(
        code=str(metadata.country_code),
        national_prefix=re.compile(prefix) if prefix else None,
        prefix_digits=prefix if prefix and prefix.isascii() and prefix.isdigit() else None,
        national_pattern=re.compile(pattern) if pattern else None,
        idd=re.compile(idd) if idd else None,
        idd_digits=idd if idd and idd.isascii() and idd.isdigit() else None,
        verdicts=verdicts,
        possible=verdicts if possible is None else possible.verdicts,
        simple=not metadata.national_prefix_transform_rule,
    )


@cache
def _for_country(country: str) -> _Region | None:
    """The region of a country code as the mapping has it (lower case), at most ~250."""
    library = _library()
    region = country.upper()
    if region not in library.SUPPORTED_REGIONS:
        return None
    metadata = library.PhoneMetadata.metadata_for_region(region)
    return _region(metadata, _for_calling_code(metadata.country_code))


@cache
def _for_calling_code(code: int) -> _Region:
    library = _library()
    main = library.region_code_for_country_code(code)
    return _region(library.PhoneMetadata.metadata_for_region_or_calling_code(code, main))


@cache
def _calling_codes() -> frozenset[str]:
    return frozenset(str(code) for code in _library().COUNTRY_CODE_TO_REGION_CODE)


@cache
def _calling_region(prefix: str) -> _Region | None:
    """The region of the calling code that 3 digits start with (shortest first), at most
    1,000 entries."""
    codes = _calling_codes()
    code = next((prefix[:n] for n in (1, 2, 3) if prefix[:n] in codes), None)
    return None if code is None else _for_calling_code(int(code))


_FITS = frozenset({"possible", "local"})
_KEEP_PREFIX = frozenset({"too short", "local", "invalid"})


def _fast(digits: str, plus: bool, country: str | None) -> str | None:
    """phonenumbers' parse + is_possible + E.164 for clean digits; None when unsure."""
    if len(digits) < 3:
        return _SLOW
    if plus:
        if len(digits) <= _MIN_NSN:
            return digits.lstrip("0")
        found = _calling_region(digits[:3])
        if found is None or digits[0] == "0":
            return digits.lstrip("0")
        region = found
        national = digits[len(region.code) :]
    else:
        found = _for_country(country) if country else None
        if found is None:
            return digits.lstrip("0")
        region = found
        idd = region.idd_digits
        if (
            digits.startswith(idd)
            if idd is not None
            else region.idd is not None and region.idd.match(digits)
        ) or digits.startswith(region.code):
            return _SLOW  # an international prefix, or the country code typed without '+'
        national = digits
    if len(national) < _MIN_NSN:
        return digits.lstrip("0")
    if not region.simple:
        return _SLOW
    if region.national_prefix is not None:
        national = _strip_national_prefix(national, region)
    if len(national) > _MAX_NSN:
        return digits.lstrip("0")
    if region.possible[len(national)] in _FITS:
        return region.code + national
    return digits.lstrip("0")


def _strip_national_prefix(number: str, region: _Region) -> str:
    """phonenumbers' national prefix stripping, kept only when the length stays plausible."""
    plain = region.prefix_digits
    if plain is not None:
        if not number.startswith(plain):
            return number
        stripped = number[len(plain) :]
    else:
        match = region.national_prefix.match(number)  # type: ignore[union-attr]
        if match is None:
            return number
        stripped = number[match.end() :]
    pattern = region.national_pattern
    if pattern is not None and pattern.fullmatch(number) and not pattern.fullmatch(stripped):
        return number
    verdicts, length = region.verdicts, len(stripped)
    if (verdicts[length] if length < len(verdicts) else verdicts[-1]) in _KEEP_PREFIX:
        return number
    return stripped


def _length_check(actual: int, lengths: tuple[int, ...], local_lengths: tuple[int, ...]) -> str:
    """phonenumbers' ``_test_number_length`` for an unknown number type."""
    if actual in local_lengths:
        return "local"
    if not lengths:
        return "invalid"
    if lengths[0] == actual:
        return "possible"
    if lengths[0] > actual:
        return "too short"
    if lengths[-1] < actual:
        return "too long"
    return "possible" if actual in lengths[1:] else "invalid"
