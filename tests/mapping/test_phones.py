"""The fast phone path gives exactly what phonenumbers gives, on spec examples and far beyond.

``phone_digits`` parses clean input (digits, spaces, ``.-()`` and a leading ``+``) without
phonenumbers' generic front-end; ``phone_digits_reference`` always uses phonenumbers. They
must agree on every input.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pinbridge.mapping import phones
from pinbridge.mapping.phones import phone_digits, phone_digits_reference

SPEC_EXAMPLES = [
    ("+33 6 11 22 33 44", None, "33611223344"),
    ("0033611223344", None, "33611223344"),
    ("06 11 22 33 44", "fr", "33611223344"),
    ("06 11 22 33 44", None, "611223344"),
    ("+33 (0)7 81 22 33 44", None, "33781223344"),
]
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = (
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
)
TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
)


@pytest.mark.parametrize(("text", "country", "expected"), SPEC_EXAMPLES)
def test_spec_examples_take_the_fast_path_and_agree(
    text: str, country: str | None, expected: str
) -> None:
    assert phone_digits(text, country) == expected
    assert phone_digits_reference(text, country) == expected
    cleaned = "+" + text[2:] if text.startswith("00") else text
    digits = "".join(c for c in cleaned if c.isdigit())
    assert phones._fast(digits, cleaned.startswith("+"), country) is not None


def _variants(region: str) -> list[str]:
    texts: list[str] = []
    for kind in TYPES:
        number = phonenumbers.example_number_for_type(region, kind)
        if number is None:
            continue
        for form in FORMATS:
            text = phonenumbers.format_number(number, form)
            digits = "".join(c for c in text if c.isdigit())
            texts += [text, text.replace(" ", "."), text.replace(" ", "-"), f"({text})", digits]
            texts += [digits[:-1], digits + "9", "0" + digits]
        code = str(number.country_code)
        national = str(number.national_number)
        texts += [
            f"+{code} (0){national}",
            f"+{code}0{national}",
            f"00{code} {national}",
            code + national,
        ]
    return texts


def test_fast_path_agrees_with_phonenumbers_for_every_region() -> None:
    compared = fast = 0
    for region in REGIONS:
        for text in _variants(region):
            for country in (region.lower(), "us", "fr", None):
                assert phone_digits(text, country) == phone_digits_reference(text, country), (
                    text,
                    country,
                )
                compared += 1
                cleaned = "+" + text[2:] if text.startswith("00") else text
                digits = "".join(c for c in cleaned if c.isdigit())
                fast += phones._fast(digits, cleaned.startswith("+"), country) is not None
    assert compared > 20_000
    assert fast > compared * 0.8  # the fast path is the common path, not a rarity


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="0123456789 +-.()", min_size=1, max_size=24),
    country=st.sampled_from(
        [None, "fr", "us", "gb", "de", "it", "br", "ar", "mx", "in", "cn", "jp", "ru", "aq"]
    ),
)
def test_fast_path_agrees_on_arbitrary_clean_input(text: str, country: str | None) -> None:
    assert phone_digits(text, country) == phone_digits_reference(text, country)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=20), country=st.sampled_from([None, "fr", "us"]))
def test_any_text_gives_digits_or_nothing(text: str, country: str | None) -> None:
    result = phone_digits(text, country)
    assert result == phone_digits_reference(text, country)
    assert result == "" or (result.isdigit() and result.isascii() and not result.startswith("0"))
