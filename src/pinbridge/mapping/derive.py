"""Derived fields (spec 4.1 and 4.3): what to use when no mapped source gives a value.

``action_source`` falls back on the event's ``type``, then on the app's OS, then ``web``.
``click_id`` falls back on the ``epik`` query parameter of the resolved (hence accepted)
``event_source_url``, then on the click-id cookie in the raw cookie string. A derivation
returns valid text or None; a candidate it drops (too long) is noted as ``(from where):
reason``, which the caller turns into a warning after the field's name.
"""

from __future__ import annotations

from collections.abc import Callable

from pinbridge.mapping.coerce import MAX_TEXT, valid_text
from pinbridge.mapping.context import EventContext, Reject
from pinbridge.mapping.urls import percent_decoded, url_query

__all__ = [
    "ACTION_SOURCES",
    "action_source",
    "click_id_fallback",
    "derive_action_source",
]

ACTION_SOURCES = frozenset({"app_android", "app_ios", "offline", "web"})
_APP_OS = {"android": "app_android", "ios": "app_ios", "ipados": "app_ios", "iphone os": "app_ios"}
_NOT_ACTION_SOURCE = Reject("not one of app_android, app_ios, offline, web")


def action_source(value: object, ctx: EventContext) -> object:
    """The rule for an explicit ``action_source``: one of the four values, any case."""
    if type(value) is str and (word := value.strip().lower()) in ACTION_SOURCES:
        return word
    return _NOT_ACTION_SOURCE


def derive_action_source(ctx: EventContext) -> str:
    """Steps 2-4 of spec 4.1: ``offline`` type, then the app's OS (``context.device.os.name``,
    then ``context.device.type``) when ``context.app`` is a non-empty object, then ``web``.

    Runs for nearly every event, so the fixed paths are read with ``dict.get`` directly."""
    root = ctx.root
    kind = root.get("type")
    if type(kind) is str and kind.strip().lower() == "offline":
        return "offline"
    context = root.get("context")
    if type(context) is not dict:
        return "web"
    app = context.get("app")
    device = context.get("device")
    if type(app) is dict and app and type(device) is dict:
        system = device.get("os")
        for name in (system.get("name") if type(system) is dict else None, device.get("type")):
            if type(name) is str and (found := _APP_OS.get(name.strip().lower())):
                return found
    return "web"


def click_id_fallback(cookie_name: str) -> Callable[[EventContext], str | None]:
    """Steps 2-3 of spec 4.3 for a given cookie name: the ``epik`` parameter of the URL,
    then the cookie in ``context.device.cookie``, then in ``context.cookie``."""
    prefix = cookie_name + "="
    in_device = f"the {cookie_name} cookie in context.device.cookie"
    in_context = f"the {cookie_name} cookie in context.cookie"

    def derive(ctx: EventContext) -> str | None:
        if ctx.url is not None and "epik=" in ctx.url:
            found = _usable(_query_parameter(ctx.url, "epik"), "the epik parameter", ctx)
            if found:
                return found
        context = ctx.root.get("context")
        if type(context) is not dict:
            return None
        device = context.get("device")
        if type(device) is dict:
            cookies = device.get("cookie")
            if type(cookies) is str and prefix in cookies:
                found = _usable(_cookie(cookies, prefix), in_device, ctx)
                if found:
                    return found
        cookies = context.get("cookie")
        if type(cookies) is str and prefix in cookies:
            return _usable(_cookie(cookies, prefix), in_context, ctx)
        return None

    return derive


def _usable(found: str | None, where: str, ctx: EventContext) -> str | None:
    """``found`` (trimmed, as both finders return it) as valid text (spec 6's length limit
    included); a note when it is not. Short ASCII text is valid as it is."""
    if not found:
        return None
    if len(found) <= MAX_TEXT and found.isascii():
        return found
    checked = valid_text(found)
    if type(checked) is Reject:
        ctx.note(f"(from {where}): {checked.reason}")
        return None
    return checked  # type: ignore[return-value]


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
