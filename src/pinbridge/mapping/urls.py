"""URLs (spec 4.3 and 6): which texts are web URLs, their query, percent-decoding.

``urllib.parse`` is general and costs about a microsecond per call, mostly on parts these
functions do not need; for plain ASCII URLs they compute the same results directly.
``tests/mapping/test_fast_paths.py`` compares both on generated input.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

__all__ = ["is_web_url", "percent_decoded", "url_query"]

_ASCII_ESCAPES = {
    f"{high}{low}": chr(int(high + low, 16))
    for high in "01234567"
    for low in "0123456789abcdefABCDEF"
}
"""``%xx`` escapes of ASCII characters (both cases), as urllib.parse.unquote decodes them."""

_URLSPLIT_SPECIAL = re.compile(r"[\[\]\t\r\n]")
"""What urlsplit deletes (tab, CR, LF) or checks (the brackets of an IPv6 host)."""

_PLAIN = r"\[\]\t\r\n\x80-\U0010FFFF"
_PLAIN_WEB_URL = re.compile(
    rf"[hH][tT][tT][pP][sS]?://[^/?#:@{_PLAIN}][^/?#@{_PLAIN}]*(?:[/?#][^{_PLAIN}]*)?"
)
"""An ASCII web URL without what urlsplit deletes or checks and without user info, whose
host is not empty: the scheme, then a netloc (up to the first ``/?#``) with no ``@`` that
does not start with the port's ``:``, then anything."""


def is_web_url(url: str) -> bool:
    """Whether ``url`` starts with ``http://`` or ``https://`` (any case) and has a host.

    The host is what ``urlsplit(url).hostname`` gives. For ASCII URLs without what urlsplit
    deletes or checks (tab, CR, LF, brackets) it is computed here the same way, about five
    times cheaper: the netloc runs to the first ``/``, ``?`` or ``#``; user info ends at its
    last ``@``; the port starts at the first ``:``.
    """
    if _PLAIN_WEB_URL.fullmatch(url) is not None:  # the common case, in one regex call
        return True
    head = url[:8].lower()
    if head == "https://":
        rest = url[8:]
    elif head[:7] == "http://":
        rest = url[7:]
    else:
        return False
    if url.isascii() and _URLSPLIT_SPECIAL.search(url) is None:
        end = len(rest)
        for mark in "/?#":
            found = rest.find(mark, 0, end)
            if found >= 0:
                end = found
        return bool(rest[:end].rpartition("@")[2].partition(":")[0])
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


def url_query(url: str) -> str | None:
    """``urlsplit(url).query``, None when urlsplit refuses the URL.

    urlsplit costs about 1 µs, mostly on parts the query does not need. The query is what
    lies between the first ``?`` and the first ``#`` (scheme and host contain neither), so
    ASCII URLs without what urlsplit deletes (tab, CR, LF) or checks (``[``, ``]``: IPv6
    hosts) are split here; anything else goes through urlsplit.
    """
    if url.isascii() and _URLSPLIT_SPECIAL.search(url) is None:
        return url.partition("#")[0].partition("?")[2]
    try:
        return urlsplit(url).query
    except ValueError:
        return None


def percent_decoded(text: str) -> str:
    """urllib.parse.unquote, without its generic machinery when every escape is ASCII."""
    if "%" not in text:
        return text
    head, *rest = text.split("%")
    parts = [head]
    for part in rest:
        char = _ASCII_ESCAPES.get(part[:2])
        if char is None:  # an invalid or non-ASCII escape: let urllib decide
            return unquote(text)
        parts.append(char)
        parts.append(part[2:])
    return "".join(parts)
