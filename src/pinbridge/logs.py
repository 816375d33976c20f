"""Structured JSON logs: one object per line on stderr, secrets and personal data redacted.

Every record passes :class:`RedactingFilter` before it is formatted: registered secrets
(the access token, the source keys), ``Authorization`` values, ``token=`` query parameters,
and anything shaped like an email address or a phone number are replaced, in the message,
in the extra fields and in tracebacks. Extra fields whose name says they hold a secret or a
payload (``authorization``, ``token``, ``payload``, ``body``, ...) are dropped to a marker.
Redaction is deliberately greedy: a masked timestamp costs less than a leaked phone number.
Values the configuration says are not personal (the ad account id) are passed as ``keep``
and shown as they are, so operators can tell which account a line is about.
"""

from __future__ import annotations

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
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_AUTH_VALUE = re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+")
_AUTH_FIELD = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"'\n,}]+")
_TOKEN_PARAM = re.compile(r"(?i)\b((?:access_)?token|api_key|key)=[^&\s\"']+")
# A run of digits with phone-like separators, not glued to letters (hashes, ids stay whole).
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\(?\d[\d ().\-/]*\d(?!\w)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SENSITIVE_KEYS = re.compile(
    r"(?i)^(authorization|.*token.*|.*secret.*|.*password.*|.*source_key.*|api_key|key|"
    r"payload|body|headers|cookie|email|phone|user|user_data)$"
)
# LogRecord's own attributes; anything else on a record came from ``extra=``.
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
    text = _EMAIL.sub("[email]", text)
    return mask_numbers(text, keep=keep)


def mask_numbers(text: str, mask: str = "[number]", keep: frozenset[str] = frozenset()) -> str:
    """``text`` with every number that could be a phone number, a timestamp or an id replaced
    by ``mask``: seven digits or more, separators allowed (``+33 6 12 34 56 78``).

    Numbers glued to letters stay (``ISO-8601``, ``E.164``, hashes), as do dates
    (``2026-11-28``), short numbers (``code 4196``, ``1970``) and the numbers in ``keep``.
    """
    return _DIGIT_RUN.sub(lambda match: _mask_phone_like(match.group(0), mask, keep), text)


def _mask_phone_like(run: str, mask: str, keep: frozenset[str]) -> str:
    digits = sum(c.isdigit() for c in run)
    if digits < 7 or _DATE.match(run) or run in keep:
        return run
    return mask


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so that no handler can print what it must not."""

    def __init__(self, secrets: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        self._keep = frozenset(keep)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self._secrets, self._keep)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets, self._keep)
        record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets, self._keep)
        for key in set(vars(record)) - _RECORD_ATTRS:
            setattr(record, key, self._clean(key, getattr(record, key)))
        return True

    def _clean(self, key: str, value: Any) -> Any:
        if _SENSITIVE_KEYS.match(key):
            return REDACTED
        if isinstance(value, str):
            return redact(value, self._secrets, self._keep)
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, list | tuple):
            return [self._clean("", item) for item in value]
        if isinstance(value, dict):
            return {str(k): self._clean(str(k), v) for k, v in value.items()}
        return redact(str(value), self._secrets, self._keep)


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", ...extra fields, "exc"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": utc_text(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in sorted(set(vars(record)) - _RECORD_ATTRS):
            if not key.startswith("_") and key != "color_message":
                entry[key] = getattr(record, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return orjson.dumps(entry, default=str).decode()


def utc_text(at: float) -> str:
    """Unix seconds as ISO 8601 UTC with milliseconds (``2026-11-28T09:00:00.123Z``)."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at))
    return f"{whole}.{int(at % 1 * 1000):03d}Z"


def configure_logging(
    level: str = "info",
    *,
    secrets: Iterable[str] = (),
    keep: Iterable[str] = (),
    stream: IO[str] | None = None,
) -> None:
    """Send every logger (pinbridge's, uvicorn's, the root) as JSON lines to ``stream``.

    Replaces the root logger's handlers with one that redacts ``secrets`` (and personal
    data) but shows the values in ``keep`` as they are.
    """
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
