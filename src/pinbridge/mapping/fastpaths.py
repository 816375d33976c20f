"""The shortcuts the generated build function takes instead of calling a rule.

Each entry says, for one rule and one common shape of value, what code gives exactly the
rule's result, so :mod:`pinbridge.mapping.codegen` can write it in place of the call.
``tests/mapping/test_fast_paths.py`` compares every one with the rule on generated input.
"""

from __future__ import annotations

from collections.abc import Callable

from pinbridge.mapping import coerce
from pinbridge.mapping.context import Rule
from pinbridge.mapping.derive import action_source
from pinbridge.mapping.hashing import ASCII_DIGESTS
from pinbridge.mapping.times import LATEST, MILLISECONDS_FROM, event_time
from pinbridge.mapping.urls import is_web_url

__all__ = ["NUMBER_FAST", "SILENT", "ascii_fast"]

Bind = Callable[[str, object], str]
"""Binds an object to a name in the generated code's namespace: ``bind(prefix, value)``."""


def ascii_fast(rule: Rule, bind: Bind) -> tuple[str | None, str | None]:
    """An expression equal to ``rule(v, ctx)`` in terms of ``t = v.strip()``, for ASCII
    text ``v`` whose ``t`` is not empty (so ``v`` is not blank) and that passes the
    guard (a test of ``v``, or None: always); ``(None, None)`` when there is none."""
    if rule is coerce.text:
        return "t", f"len(v) <= {coerce.MAX_TEXT}"
    if rule is coerce.event_id:  # for ASCII, printable means no control character
        return "t", f"len(v) <= {coerce.EVENT_ID_LIMIT} and v.isprintable()"
    if rule is coerce.web_url:  # a web URL starts with 'h'; ASCII above ' ' is not space
        test = bind("_is_web_url", is_web_url)
        return "t", f"len(v) <= {coerce.MAX_TEXT} and v[-1:] > ' ' and {test}(v)"
    found = ASCII_DIGESTS.get(rule)
    if found is None:
        return None, None
    digest, shape = found
    guard = None if shape is None else f"{bind('_ascii_test', shape)}(v)"
    return f"[{bind('_digest', digest)}(t)]", guard


_SHORT_INT = "-1000000000000000000 < v < 1000000000000000000"
NUMBER_FAST: dict[Rule, tuple[tuple[str, str, str], ...]] = {
    coerce.integer: (("int", f"{-coerce.INT64_MAX - 1} <= v <= {coerce.INT64_MAX}", "v"),),
    event_time: (
        (
            "int",
            f"0 <= v < {(LATEST + 1) * 1000}",
            f"(v if v < {MILLISECONDS_FROM} else v // 1000)",
        ),
    ),
    # a finite float's shortest text is at most a few hundred characters: never too long
    coerce.decimal: (("float", "v - v == 0.0", "_number_text(v)"), ("int", _SHORT_INT, "str(v)")),
    coerce.text: (("int", _SHORT_INT, "str(v)"),),
}
"""For a number ``v`` of the type (a bool is neither an int nor a float here) that passes the
test, the expression (``_number_text`` is coerce.number_text) equals ``rule(v, ctx)``."""

SILENT = frozenset(
    {
        coerce.boolean,
        coerce.count,
        coerce.currency,
        coerce.decimal,
        coerce.event_id,
        coerce.integer,
        coerce.ip_address,
        coerce.joined_text,
        coerce.language,
        coerce.text,
        coerce.web_url,
        event_time,
        action_source,
    }
)
"""Rules that never note a dropped list element (coerce.py and times.py never call
``ctx.note``; tests/mapping/test_codegen.py checks it): no notes test is written after them."""
