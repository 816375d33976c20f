"""Derived fields (spec 4.1 and 4.3): what to use when no mapped source gives a value.

``action_source`` falls back on the event's ``type``, then on the app's OS, then ``web``.
``click_id`` falls back on the ``epik`` query parameter of the resolved
``event_source_url``, then on the click-id cookie in the raw cookie string.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.paths import walk

__all__ = [
    "ACTION_SOURCES",
    "action_source",
    "click_id_fallback",
    "derive_action_source",
    "percent_decoded",
    "url_query",
]

ACTION_SOURCES = frozenset({"app_android", "app_ios", "offline", "web"})
_APP_OS = {"android": "app_android", "ios": "app_ios", "ipados": "app_ios", "iphone os": "app_ios"}
_NOT_ACTION_SOURCE = Reject("not one of app_android, app_ios, offline, web")
_ASCII_ESCAPES = {
    f"{high}{low}": chr(int(high + low, 16))
    for high in "01234567"
    for low in "0123456789abcdefABCDEF"
}
"""``%xx`` escapes of ASCII characters (both cases), as urllib.parse.unquote decodes them."""

_URLSPLIT_SPECIAL = re.compile(r"[\[\]\t\r\n]")
"""What urlsplit deletes (tab, CR, LF) or checks (the brackets of an IPv6 host)."""
_TYPE = (("type", None),)
_APP = (("context", None), ("app", None))
_OS_SOURCES = (
    (("context", None), ("device", None), ("os", None), ("name", None)),
    (("context", None), ("device", None), ("type", None)),
)
_COOKIE_SOURCES = (
    (("context", None), ("device", None), ("cookie", None)),
    (("context", None), ("cookie", None)),
)


def action_source(value: object, ctx: EventContext) -> object:
    """The rule for an explicit ``action_source``: one of the four values, any case."""
    if type(value) is str and (word := value.strip().lower()) in ACTION_SOURCES:
        return word
    return _NOT_ACTION_SOURCE


def derive_action_source(ctx: EventContext) -> str:
    """Steps 2-4 of spec 4.1: ``offline`` type, then the app's OS, then ``web``."""
    root = ctx.root
    kind = root.get("type")
    if type(kind) is str and kind.strip().lower() == "offline":
        return "offline"
    app = walk(root, _APP)
    if type(app) is dict and app:
        for steps in _OS_SOURCES:
            name = walk(root, steps)
            if type(name) is str and (found := _APP_OS.get(name.strip().lower())):
                return found
    return "web"


def click_id_fallback(cookie_name: str) -> Callable[[EventContext], str | None]:
    """Steps 2-3 of spec 4.3 for a given cookie name."""
    prefix = cookie_name + "="

    def derive(ctx: EventContext) -> str | None:
        if ctx.url is not None and "epik=" in ctx.url:
            found = _query_parameter(ctx.url, "epik")
            if found:
                return found
        for steps in _COOKIE_SOURCES:
            cookies = walk(ctx.root, steps)
            if type(cookies) is str and prefix in cookies:
                found = _cookie(cookies, prefix)
                if found:
                    return found
        return None

    return derive


def _query_parameter(url: str, name: str) -> str | None:
    """The first non-empty value of query parameter ``name``, percent-decoded ('+' kept)."""
    query = url_query(url)
    if query is None:
        return None
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if percent_decoded(key) == name:
            decoded = percent_decoded(value).strip()
            if decoded:
                return decoded
    return None


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


def _cookie(cookies: str, prefix: str) -> str | None:
    """The value of the cookie whose ``name=`` is ``prefix``, URL-decoded, quotes dropped."""
    start = cookies.find(prefix)
    while start >= 0:
        if start == 0 or cookies[start - 1] in "; \t":
            end = cookies.find(";", start)
            value = cookies[start + len(prefix) : end if end >= 0 else None].strip().strip('"')
            if "%" in value:
                value = percent_decoded(value)
            value = value.strip()
            if value:
                return value
        start = cookies.find(prefix, start + 1)
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
