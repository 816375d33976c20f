"""Phone numbers to E.164 digits (spec 5, ``ph``), with phonenumbers.

``+...`` and ``00...`` are parsed as international numbers; anything else in the region of
the user's country when it is known. When that gives no possible number, the fallback is
every digit with leading zeros removed. phonenumbers is imported on first use only, so that
importing pinbridge (for ``--help``, say) stays fast.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

__all__ = ["phone_digits"]

_NOT_DIGITS = re.compile(r"[^0-9]+")


@cache
def _library() -> Any:
    import phonenumbers

    return phonenumbers


def phone_digits(text: str, country: str | None) -> str:
    """E.164 digits without ``+`` (``33611223344``), or "" when there are no digits."""
    if text.startswith("00"):
        text = "+" + text[2:]
    if text.startswith("+") or country:
        parsed = _parse(text, None if text.startswith("+") else country.upper())  # type: ignore[union-attr]
        if parsed:
            return parsed
    return _NOT_DIGITS.sub("", text).lstrip("0")


def _parse(text: str, region: str | None) -> str | None:
    library = _library()
    try:
        number = library.parse(text, region)
    except library.NumberParseException:
        return None
    if not library.is_possible_number(number):
        return None
    formatted: str = library.format_number(number, library.PhoneNumberFormat.E164)
    return formatted[1:]
