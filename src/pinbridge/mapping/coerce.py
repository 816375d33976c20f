"""Plain coercion rules (spec 3, 4.4-4.5 and 6): text, booleans, decimals, integers, codes.

Every rule has the shape described in :mod:`pinbridge.mapping.context`. Numbers become
their shortest plain decimal text wherever text is wanted; booleans are never numbers.
Output text is at most :data:`MAX_TEXT` code points (longer is rejected, spec 6); ``event_id``
has its own limit and rules, and ``event_source_url`` must be an http(s) URL with a host.
"""

from __future__ import annotations

import ipaddress
import math
import re
from decimal import Decimal

from pinbridge.mapping.context import EventContext, Fatal, Reject, kind_of
from pinbridge.mapping.urls import is_web_url

__all__ = [
    "EVENT_ID_LIMIT",
    "INT64_MAX",
    "MAX_TEXT",
    "boolean",
    "count",
    "currency",
    "decimal",
    "event_id",
    "integer",
    "ip_address",
    "joined_text",
    "language",
    "number_text",
    "text",
    "too_long",
    "valid_text",
    "web_url",
]

MAX_TEXT = 4096
"""The most code points a non-hashed output text may have (spec 6)."""
EVENT_ID_LIMIT = 256
"""The most code points an ``event_id`` may have, counted before trimming (spec 6)."""

INT64_MAX = 2**63 - 1
"""Integers (``quantity``) are kept within int64."""
_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:[.,](\d*))?")
_INTEGER = re.compile(r"[+-]?\d+")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_OCTETS = frozenset(str(number) for number in range(256))
_IPV4 = re.compile(
    r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
)

_NOT_TEXT: dict[type, Reject] = {
    kind: Reject(f"expected text, got {kind_of(sample)}")
    for kind, sample in ((bool, True), (list, []), (dict, {}))
}
_NOT_BOOLEAN = Reject("not a boolean (true/false, 1/0, yes/no, on/off)")
_NOT_DECIMAL = Reject("not a decimal number")
_NOT_INTEGER = Reject("not a whole number")
_NOT_COUNT = Reject("not a list of items or a whole number")
_NOT_CURRENCY = Reject("not a 3-letter currency code")
_NOT_LANGUAGE = Reject("not a 2-letter language code")
_NOT_IP = Reject("not an IPv4 or IPv6 address")
_BAD_UNICODE = Reject("text is not valid Unicode")
_UNSUPPORTED = Reject("expected text, got an unsupported value")
_NOT_WEB_URL = Reject("not an http:// or https:// URL with a host")
_LIST_NOT_TEXT = Reject("a list element is not text")


def number_text(value: int | float) -> str | None:
    """Shortest plain decimal text of a number (``100.0`` -> ``100``); None if not finite."""
    if type(value) is int:
        try:
            return str(value)
        except ValueError:  # more digits than Python will print
            return None
    if not math.isfinite(value):
        return None
    shown = repr(value)
    if "e" in shown:  # 1e-07, 1e+22: rare, so Decimal's exact rendering is affordable
        shown = format(Decimal(shown), "f")
    elif shown.endswith(".0"):
        shown = shown[:-2]
    return "0" if shown in ("-0", "-0.0", "0.0") else shown


def too_long(length: int, limit: int = MAX_TEXT) -> Reject:
    """The reason for dropping a text of ``length`` code points (spec 6)."""
    return Reject(f"{length} characters long; the limit is {limit} characters")


def _trimmed(value: str) -> str | Reject | None:
    """Trimmed text, None when blank, a Reject when it cannot be encoded as UTF-8."""
    stripped = value.strip()
    if not stripped:
        return None
    if not stripped.isascii():
        try:
            stripped.encode("utf-8")
        except UnicodeEncodeError:
            return _BAD_UNICODE
    return stripped


def valid_text(value: str) -> str | Reject | None:
    """Trimmed text, None when blank, a Reject when it cannot be encoded as UTF-8 or is
    longer than :data:`MAX_TEXT` code points once trimmed."""
    if len(value) > MAX_TEXT and len(stripped := value.strip()) > MAX_TEXT:
        return too_long(len(stripped))
    return _trimmed(value)


def _number_or_text(value: object) -> str | Reject | None:
    """Trimmed text, or a number's shortest decimal text; no length limit."""
    if type(value) is str:
        return _trimmed(value)
    if type(value) is int or type(value) is float:
        shown = number_text(value)
        return shown if shown is not None else _NOT_DECIMAL
    return _NOT_TEXT.get(type(value), _UNSUPPORTED)


def text(value: object, ctx: EventContext) -> object:
    """A string (trimmed); numbers become their shortest decimal text; at most MAX_TEXT."""
    if type(value) is str:
        return valid_text(value)
    shown = _number_or_text(value)
    if type(shown) is str and len(shown) > MAX_TEXT:
        return too_long(len(shown))
    return shown


def joined_text(value: object, ctx: EventContext) -> object:
    """Text, or a list of texts joined with ``,`` (``opt_out_type``); the limit applies to
    the joined text, which is what is sent."""
    if type(value) is not list:
        return text(value, ctx)
    parts: list[str] = []
    for element in value:
        if element is None:
            continue
        part = _number_or_text(element)
        if isinstance(part, Reject):
            return _LIST_NOT_TEXT
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    joined = ",".join(parts)
    return joined if len(joined) <= MAX_TEXT else too_long(len(joined))


def event_id(value: object, ctx: EventContext) -> object:
    """Text or a number, as :func:`text`; then spec 6: at most 256 code points counted
    before trimming, and no control character (U+0000-U+001F, U+007F). Those two make the
    event invalid (a :class:`Fatal`): another source would break deduplication."""
    if type(value) is not str:
        shown = _number_or_text(value)
        if type(shown) is str and len(shown) > EVENT_ID_LIMIT:
            return Fatal((_id_too_long(len(shown)),))
        return shown
    reasons: tuple[str, ...] = ()
    if len(value) > EVENT_ID_LIMIT:
        reasons = (_id_too_long(len(value)),)
    if not value.isprintable() and (control := _CONTROL.search(value)) is not None:
        reasons += (
            f"contains the control character U+{ord(control.group()):04X}; Pinterest "
            "refuses U+0000 to U+001F and U+007F in an event id",
        )
    return Fatal(reasons) if reasons else _trimmed(value)


def _id_too_long(length: int) -> str:
    return f"{length} characters long; Pinterest accepts at most {EVENT_ID_LIMIT} characters"


def web_url(value: object, ctx: EventContext) -> object:
    """``event_source_url``: text that is an ``http://`` or ``https://`` URL (scheme in any
    case) with a host, output as given (trimmed)."""
    shown = text(value, ctx)
    if type(shown) is not str or is_web_url(shown):
        return shown
    return _NOT_WEB_URL


def boolean(value: object, ctx: EventContext) -> object:
    """Spec 4.4: true/1/yes/y/on and false/0/no/n/off, in any case; else rejected."""
    kind = type(value)
    if kind is bool:
        return value
    if kind is int or kind is float:
        if value == 1:
            return True
        if value == 0:
            return False
        return _NOT_BOOLEAN
    if kind is str:
        word = value.strip().lower()  # type: ignore[attr-defined]
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return _NOT_BOOLEAN


def decimal_text(value: object) -> str | None:
    """Spec 4.5 as a plain function: the shortest decimal string, or None when not a decimal."""
    kind = type(value)
    if kind is int or kind is float:
        return number_text(value)  # type: ignore[arg-type]
    if kind is not str:
        return None
    text = value.strip()  # type: ignore[attr-defined]
    if not text.isascii():
        return _unicode_decimal(text)
    # ASCII: what _DECIMAL accepts, without the regex (a third of the cost)
    sign = text[0] if text[:1] in ("+", "-") else ""
    whole, dot, fraction = text.partition(".") if not sign else text[1:].partition(".")
    if not dot:
        whole, _, fraction = whole.partition(",")
    if (whole and not whole.isdigit()) or (fraction and not fraction.isdigit()):
        return None
    return _shortest(sign, whole, fraction)


def _unicode_decimal(text: str) -> str | None:
    """decimal_text of trimmed non-ASCII text: ``\\d`` also takes other scripts' digits."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    return _shortest(match.group(1), match.group(2), match.group(3) or "")


def _shortest(sign: str, whole: str, fraction: str) -> str | None:
    """The shortest text of a sign, whole digits and fraction digits (either may be empty)."""
    if not whole and not fraction:
        return None
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    if whole == "0" and not fraction:
        return "0"
    shown = f"{whole}.{fraction}" if fraction else whole
    return f"-{shown}" if sign == "-" else shown


def decimal(value: object, ctx: EventContext) -> object:
    """Spec 4.5: a JSON number or a plain decimal string (``12,5`` too) as shortest text."""
    shown = number_text(value) if type(value) is float else decimal_text(value)
    if shown is None:
        return _NOT_DECIMAL
    return shown if len(shown) <= MAX_TEXT else too_long(len(shown))


def integer(value: object, ctx: EventContext) -> object:
    """Integers, whole floats and integer strings (``quantity``), within int64."""
    number: int
    if type(value) is int:
        number = value
    elif type(value) is float:
        if not math.isfinite(value) or not value.is_integer():
            return _NOT_INTEGER
        number = int(value)
    elif type(value) is str and _INTEGER.fullmatch(stripped := value.strip()):
        if len(stripped) > 20:
            return _NOT_INTEGER
        number = int(stripped)
    else:
        return _NOT_INTEGER
    return number if -INT64_MAX - 1 <= number <= INT64_MAX else _NOT_INTEGER


def count(value: object, ctx: EventContext) -> object:
    """``num_items``: how many elements of a list are objects (left out when none are, spec
    6), or a whole number given directly."""
    if type(value) is list:
        objects = len(value)
        for element in value:
            if type(element) is not dict:
                objects -= 1
        return objects or None
    result = integer(value, ctx)
    return _NOT_COUNT if isinstance(result, Reject) else result


def currency(value: object, ctx: EventContext) -> object:
    """Three letters, upper case."""
    if type(value) is str and _CURRENCY.fullmatch(code := value.strip()):
        return code.upper()
    return _NOT_CURRENCY


def language(value: object, ctx: EventContext) -> object:
    """The primary language subtag, lower case, only when it is 2 letters (``fr-FR`` -> ``fr``)."""
    if type(value) is not str:
        return _NOT_LANGUAGE
    primary = value.strip().replace("_", "-").partition("-")[0]
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary.lower()
    return _NOT_LANGUAGE


def ip_address(value: object, ctx: EventContext) -> object:
    """Text that parses as an IPv4 or IPv6 address, kept as written (trimmed)."""
    if type(value) is not str:
        return _NOT_IP
    address = value.strip()
    parts = address.split(".")
    if len(parts) == 4:  # plain ASCII IPv4: four octets as str(0) to str(255) write them
        first, second, third, fourth = parts
        if first in _OCTETS and second in _OCTETS and third in _OCTETS and fourth in _OCTETS:
            return address
    if _IPV4.fullmatch(address):  # also other scripts' digits, which \\d takes
        return address
    if ":" not in address:
        return _NOT_IP
    try:
        ipaddress.IPv6Address(address)
    except ValueError:
        return _NOT_IP
    return address if len(address) <= MAX_TEXT else too_long(len(address))  # a long zone id
