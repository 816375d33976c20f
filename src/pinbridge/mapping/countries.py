"""Countries and subdivisions (spec 5: ``country``, ``st``, and the phone's region).

pycountry is slow to query, so each index is built once, on first use, into plain dicts
(memoised: the result depends on nothing but pycountry's data). Names are matched case- and
accent-insensitively, ignoring everything that is not a letter.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

__all__ = ["country_code", "subdivision_code"]

_ASCII_NOT_LETTERS = re.compile(r"[^a-z]+")

# "UK" is not ISO 3166-1 but is what most people type; ISO reserves it for the United Kingdom.
_ALIASES = {"uk": "gb"}


def fold(text: str) -> str:
    """Lower case, accents dropped, letters only: ``Saint-Étienne`` -> ``saintetienne``."""
    lowered = text.lower()
    if lowered.isascii():
        return _ASCII_NOT_LETTERS.sub("", lowered)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c))


@cache
def _countries() -> dict[str, str]:
    """alpha-2, alpha-3 and folded English names -> alpha-2, all lower case."""
    import pycountry

    index: dict[str, str] = dict(_ALIASES)
    for country in pycountry.countries:
        alpha_2 = country.alpha_2.lower()
        for name in ("name", "official_name", "common_name"):
            value = getattr(country, name, None)
            if value:
                index.setdefault(fold(value), alpha_2)
        index[alpha_2] = alpha_2
        index[country.alpha_3.lower()] = alpha_2
    return index


@cache
def _subdivisions() -> dict[tuple[str, str], str]:
    """(country alpha-2, folded subdivision name) -> 2-letter code, lower case."""
    import pycountry

    index: dict[tuple[str, str], str] = {}
    ambiguous: set[tuple[str, str]] = set()
    for subdivision in pycountry.subdivisions:
        country, _, code = subdivision.code.partition("-")
        if len(code) != 2 or not code.isalpha():
            continue
        key = (country.lower(), fold(subdivision.name))
        if index.setdefault(key, code.lower()) != code.lower():
            ambiguous.add(key)
    for key in ambiguous:
        del index[key]
    return index


def country_code(text: str) -> str | None:
    """The alpha-2 code (lower case) for an alpha-2, alpha-3 code or English name, else None."""
    stripped = text.strip()
    if len(stripped) == 2 and stripped.isascii():
        key = stripped.lower()
        return _countries().get(key) if key.isalpha() else None
    return _countries().get(fold(stripped))


def subdivision_code(country: str, name: str) -> str | None:
    """The 2-letter code of subdivision ``name`` (any case/accents) in ``country``, else None."""
    return _subdivisions().get((country, fold(name)))
