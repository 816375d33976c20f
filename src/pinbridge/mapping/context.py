"""The per-event scratch state that field rules share, and how a rule says "no".

A rule is a function ``(value, ctx) -> output``. It returns the normalised output, ``None``
when the value normalises to nothing (treated as missing, silently), or a :class:`Reject`
naming the reason (the caller warns and tries the next source), or a :class:`Fatal` when
the value makes the event invalid outright (no other source is tried). A rule that keeps
part of a list calls :meth:`EventContext.note` for each dropped element.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["CountryLookup", "EventContext", "Fatal", "Reject", "Rule", "kind_of"]


class Reject:
    """A non-empty value the rule cannot use; ``reason`` never contains the value."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class Fatal(Reject):
    """A value that makes the event invalid: its source stays chosen, no other is tried.

    Used by ``event_id`` (spec 6): falling back to another id would break deduplication
    with the Pinterest tag. ``reasons`` become one error each; ``reason`` joins them (for
    configuration errors, which treat a Fatal as any other Reject).
    """

    __slots__ = ("reasons",)

    def __init__(self, reasons: tuple[str, ...]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


CountryLookup = Callable[[list[object]], "str | None"]
"""Given the event's node table, the user's country as lower-case ISO alpha-2, or None."""


class EventContext:
    """What rules may need beyond their own value: the root, the user's country, the URL."""

    __slots__ = ("_country", "_country_lookup", "_country_ready", "nodes", "notes", "root", "url")

    def __init__(
        self, root: dict[str, object], nodes: list[object], country_lookup: CountryLookup
    ) -> None:
        self.root = root
        self.nodes = nodes
        self.notes: list[str] = []
        self.url: str | None = None
        self._country_lookup = country_lookup
        self._country: str | None = None
        self._country_ready = False

    def note(self, reason: str) -> None:
        """Record that one element of a list value was dropped (the caller adds the field)."""
        self.notes.append(reason)

    def country(self) -> str | None:
        """The user's country (alpha-2, lower case), looked up once per event when needed."""
        if not self._country_ready:
            self._country = self._country_lookup(self.nodes)
            self._country_ready = True
        return self._country


Rule = Callable[[object, EventContext], object]


_KINDS: dict[type, str] = {
    type(None): "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "an object",
}


def kind_of(value: object) -> str:
    """A short name for the JSON type of ``value``, for warnings (never the value)."""
    return _KINDS.get(type(value), "an unsupported value")
