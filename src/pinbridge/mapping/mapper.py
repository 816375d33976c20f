"""The mapper: one Commanders Act event in, one mapped, filtered or invalid result out.

``Mapper(options)`` validates and compiles the configuration once; ``map(raw, received_at)``
is pure (no clock, I/O or shared state) and never raises. Decisions follow spec 6: event
name (unmapped, disabled), then consent, then validity, listing every error.
"""

from __future__ import annotations

from pinbridge.mapping.codegen import Build, compile_build
from pinbridge.mapping.coerce import number_text
from pinbridge.mapping.context import CountryLookup, kind_of
from pinbridge.mapping.countries import country_code
from pinbridge.mapping.memo import memoised_rules
from pinbridge.mapping.options import MappingOptions
from pinbridge.mapping.plan import CompiledSource, Plan, compile_plan
from pinbridge.mapping.resolve import lookup
from pinbridge.mapping.results import Filtered, Invalid, MappingResult

__all__ = ["INTERNAL_ERROR", "Mapper"]

INTERNAL_ERROR = "event: internal error while mapping (a pinbridge bug; please report it)"
_UNMAPPED = Filtered("unmapped_event")
_DISABLED = Filtered("event_disabled")
_NO_CONSENT = Filtered("consent")
_UNKNOWN = object()


class Mapper:
    """Maps Commanders Act events to Pinterest Conversions API events (see docs/mapping.md)."""

    __slots__ = ("_build", "_plan", "options")

    def __init__(self, options: MappingOptions | None = None) -> None:
        """Validate and compile ``options``; raises ConfigError naming the offending key."""
        self.options = options if options is not None else MappingOptions()
        self._plan: Plan = compile_plan(self.options)
        rules = memoised_rules({step.label: step.rule for step in self._plan.steps})
        self._build: Build = compile_build(self._plan, rules, _country_lookup(self._plan.country))

    def map(self, raw: object, received_at: int) -> MappingResult:
        """Map one decoded JSON value; ``received_at`` (Unix seconds) is the fallback time."""
        try:  # one method, not two: a call per event is measurable (docs/performance.md)
            if type(raw) is not dict:
                return Invalid((f"event: expected a JSON object, got {kind_of(raw)}",))
            plan = self._plan
            errors: list[str] = []
            event: dict[str, object] = {}
            name = raw.get("event_name")
            if type(name) is str and name and not name.isspace():
                target = plan.events.get(name.strip().lower(), _UNKNOWN)
                if target is _UNKNOWN:
                    if not plan.unmapped_custom:
                        return _UNMAPPED
                    target = "custom"
                elif target is None:
                    return _DISABLED
                event["event_name"] = target
            elif name is None or type(name) is str:
                errors.append("event_name: missing; every event needs an event_name")
            else:
                errors.append(f"event_name: expected text, got {kind_of(name)}")
            if plan.consent and not _consented(raw, plan.consent):
                return _NO_CONSENT
            return self._build(raw, received_at, event, errors)
        except Exception:  # a bug must not take the service down; the tests assert it never happens
            return Invalid((INTERNAL_ERROR,))


def _consented(raw: dict[str, object], required: frozenset[str]) -> bool:
    """Whether ``user.consent_categories`` holds every required category (as strings)."""
    user = raw.get("user")
    given = user.get("consent_categories") if type(user) is dict else None
    if given is None:
        return False
    elements = given if type(given) is list else [given]
    have: set[str] = set()
    for element in elements:
        if type(element) is str:
            have.update(part.strip() for part in element.split(","))
        elif type(element) is int or type(element) is float:
            shown = number_text(element)
            if shown is not None:
                have.add(shown)
    return required <= have


def _country_lookup(sources: tuple[CompiledSource, ...]) -> CountryLookup:
    """A function giving the user's country (alpha-2, lower case) from the node table."""

    def country(nodes: list[object]) -> str | None:
        for _, slot, key, index, const in sources:
            value = const if slot < 0 else lookup(nodes, slot, key, index)
            for element in value if type(value) is list else (value,):
                if type(element) is str and element.strip():
                    code = country_code(element)
                    if code is not None:
                        return code
        return None

    return country
