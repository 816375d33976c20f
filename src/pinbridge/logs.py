"""Structured JSON logs: one object per line on stderr, secrets and personal data redacted.

Every record passes :class:`RedactingFilter` before it is formatted: registered secrets
(the access token, the source keys), ``Authorization`` values, ``token=`` query parameters,
URL passwords, and anything shaped like an email address or a phone number are replaced, in
the message, in the extra fields and in tracebacks. The user and host of a URL
(``postgresql://pinbridge@10.1.20.30:5432/q``) stay readable: they are not an email address
or a phone number, and operators need them to tell which server a line is about. Extra
fields whose name says they hold a secret or a payload (``authorization``, ``token``,
``payload``, ``body``, ...) are dropped to a marker.
Redaction is deliberately greedy: a masked timestamp costs less than a leaked phone number.
Values the configuration says are not personal (the ad account id) are passed as ``keep``
and shown as they are, so operators can tell which account a line is about.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

import orjson

__all__ = [
    "JsonFormatter",
    "RedactingFilter",
    "configure_logging",
    "mask_numbers",
    "redact",
    "utc_text",
]

REDACTED = "[redacted]"
_EMAIL = r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"
# scheme://[user[:password]@]host[:port]: the authority ends at the first / ? # or space;
# a password runs to its last @ (an unescaped @ in it must not leave a part unmasked).
_URL_AUTHORITY = (
    r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)"
    r"(?:(?P<user>[^\s/?#@:]*)(?P<password>:[^\s/?#]*)?@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s/?#@:\[\]\"']*)(?P<port>:\d+)?"
)
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+")
_AUTH_FIELD = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,}]+")
_TOKEN_PARAM = re.compile(r"(?i)\b((?:access_)?token|api_key|key)=[^&\s\"']+")
# A run of digits with phone-like separators, not glued to letters (hashes, ids stay whole).
_DIGIT_RUN = r"(?<![\w+])\+?\(?\d[\d ().\-/]*\d(?!\w)"
# One left-to-right pass, so that a URL's user and host are never read as an email
# address or a phone number, while emails and numbers elsewhere are.
_DIGITS = re.compile(_DIGIT_RUN)
_PERSONAL = re.compile(f"(?P<url>{_URL_AUTHORITY})|(?P<email>{_EMAIL})|(?P<digits>{_DIGIT_RUN})")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_SENSITIVE_KEYS = re.compile(
    r"(?i)^(authorization|.*token.*|.*secret.*|.*password.*|.*source_key.*|api_key|key|"
    r"payload|body|headers|cookie|email|phone|user|user_data)$"
)
# LogRecord's own attributes; anything else on a record came from ``extra=``.
_MEMO_TEXT_CHARS = 200  # texts up to this long may be remembered as clean
_MEMO_TEXTS = 4096
_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def redact(text: str, secrets: Iterable[str] = (), keep: frozenset[str] = frozenset()) -> str:
    """``text`` with secrets, credentials, emails and phone-like numbers replaced.

    A number in ``keep`` (known not to be personal, like the ad account id) stays as it is.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _AUTH_VALUE.sub(lambda m: f"{m.group(1)} ***", text)
    text = _AUTH_FIELD.sub(lambda m: f"{m.group(1)}***", text)
    text = _TOKEN_PARAM.sub(lambda m: f"{m.group(1)}=***", text)
    return _PERSONAL.sub(lambda match: _mask(match, keep), text)


def _mask(match: re.Match[str], keep: frozenset[str]) -> str:
    if match.group("url") is not None:
        scheme, user, password, host, port = match.group(
            "scheme", "user", "password", "host", "port"
        )
        if user is None:
            userinfo = ""
        elif password is None:
            userinfo = f"{user}@"
        else:
            userinfo = f"{user}:***@"
        return f"{scheme}{userinfo}{_url_host(host, keep)}{port or ''}"
    if match.group("email") is not None:
        return "[email]"
    return _mask_phone_like(match.group(0), keep)


def _url_host(host: str, keep: frozenset[str]) -> str:
    """A URL's host as shown: names and IP addresses as they are, anything else that is
    only digits and separators (``callto://+33612345678``) masked like a phone number."""
    if any(c.isalpha() for c in host) or _IPV4.match(host) or host.startswith("["):
        return host
    return _mask_phone_like(host, keep)


def mask_numbers(text: str, mask: str = "[number]", keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every number that could be a phone number, a timestamp or an id replaced
    by ``mask``: seven digits or more, separators allowed (``+33 6 12 34 56 78``).

    Numbers glued to letters stay (``ISO-8601``, ``E.164``, hashes), as do dates
    (``2026-11-28``), short numbers (``code 4196``, ``1970``) and the numbers in ``keep``.
    """
    return _DIGITS.sub(lambda match: _mask_phone_like(match.group(0), keep, mask), text)


def _mask_phone_like(run: str, keep: frozenset[str], mask: str = "[number]") -> str:
    digits = sum(c.isdigit() for c in run)
    if digits < 7 or _DATE.match(run) or run in keep:
        return run
    return mask


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so that no handler can print what it must not."""

    def __init__(self, secrets: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        self._keep: frozenset[str] = frozenset()
        self.update(secrets, keep)

    def update(self, secrets: Iterable[str], keep: Iterable[str] = ()) -> None:
        """Redact these secrets (too) from now on, and show ``keep`` as it is (a reloaded
        configuration's tokens and keys). Secrets once known stay redacted."""
        known = {*self._secrets, *(s for s in secrets if s)}
        self._secrets = tuple(sorted(known, key=len, reverse=True))
        self._keep = self._keep | frozenset(k for k in keep if k)
        self._clean_texts: set[str] = set()

    def _redact(self, text: str) -> str:
        """:func:`redact` with this filter's secrets. Short texts found to need nothing
        (the messages and paths that every request logs) are remembered, so that they are
        not searched again; such a text holds nothing to hide, by definition."""
        if text in self._clean_texts:
            return text
        cleaned = redact(text, self._secrets, self._keep)
        if cleaned == text and len(text) <= _MEMO_TEXT_CHARS:
            if len(self._clean_texts) >= _MEMO_TEXTS:
                self._clean_texts.clear()
            self._clean_texts.add(text)
        return cleaned

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets, self._keep)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets, self._keep)
        fields = record.__dict__
        for key in fields.keys() - _RECORD_ATTRS:
            fields[key] = self._clean(key, fields[key])
        return True

    def _clean(self, key: str, value: Any) -> Any:
        if _is_sensitive(key):
            return REDACTED
        if type(value) is int or type(value) is float or value is None:
            return value
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, list | tuple):
            return [self._clean("", item) for item in value]
        if isinstance(value, dict):
            return {str(k): self._clean(str(k), v) for k, v in value.items()}
        return redact(str(value), self._secrets, self._keep)


@functools.lru_cache(maxsize=1024)
def _is_sensitive(key: str) -> bool:
    """Whether a field of this name holds a secret (its value is never shown)."""
    return _SENSITIVE_KEYS.match(key) is not None


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra fields, "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": utc_text(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = record.__dict__
        for key in sorted(fields.keys() - _RECORD_ATTRS):
            if not key.startswith("_") and key != "color_message":
                entry[key] = fields[key]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return orjson.dumps(entry, default=str).decode()


def utc_text(at: float) -> str:
    """Unix seconds as ISO 8601 UTC with milliseconds (``2026-11-28T09:00:00.123Z``)."""
    return f"{_utc_second(int(at // 1))}.{int(at % 1 * 1000):03d}Z"


@functools.lru_cache(maxsize=64)
def _utc_second(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def configure_logging(
    level: str = "info",
    *,
    secrets: Iterable[str] = (),
    keep: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> RedactingFilter:
    """Send every logger (pinbridge's, uvicorn's, the root) as JSON lines to ``stream``.

    Replaces the root logger's handlers with one that redacts ``secrets`` (and personal
    data) but shows the values in ``keep`` as they are; returns that filter, so that a
    reload can give it new secrets.
    """
    # No line shows where a call came from, or which thread or process made it: skip
    # finding out (the logging HOWTO's "Optimization" settings).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream or sys.stderr)
    redactor = RedactingFilter(secrets, keep)
    handler.addFilter(redactor)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        named = logging.getLogger(name)
        named.handlers.clear()
        named.propagate = True
    return redactor
