"""The mapper: one Commanders Act event in, one mapped, filtered or invalid result out.

``Mapper(options)`` validates and compiles the configuration once; ``map(raw, received_at)``
is pure (no clock, I/O or shared state) and never raises. Decisions follow spec 6: event
name (unmapped, disabled), then consent, then validity, listing every error.
"""

from __future__ import annotations

from itertools import compress

from pinbridge.mapping.coerce import number_text, valid_text
from pinbridge.mapping.context import CountryLookup, EventContext, kind_of
from pinbridge.mapping.countries import country_code
from pinbridge.mapping.items import map_items
from pinbridge.mapping.nodes import fill_nodes
from pinbridge.mapping.options import MappingOptions
from pinbridge.mapping.plan import (
    EVENT_ID,
    EVENT_TIME,
    EVENT_URL,
    CompiledSource,
    Plan,
    compile_plan,
)
from pinbridge.mapping.presence import build_presence, present
from pinbridge.mapping.resolve import REJECTED, lookup, resolve, resolve_sources
from pinbridge.mapping.results import Filtered, Invalid, Mapped, MappingResult

__all__ = ["INTERNAL_ERROR", "Mapper"]

INTERNAL_ERROR = "event: internal error while mapping (a pinbridge bug; please report it)"
_UNMAPPED = Filtered("unmapped_event")
_DISABLED = Filtered("event_disabled")
_NO_CONSENT = Filtered("consent")
_UNKNOWN = object()
_REQUIRED = frozenset({EVENT_ID, EVENT_TIME})


class Mapper:
    """Maps Commanders Act events to Pinterest Conversions API events (see docs/mapping.md)."""

    __slots__ = ("_country", "_plan", "_presence", "options")

    def __init__(self, options: MappingOptions | None = None) -> None:
        """Validate and compile ``options``; raises ConfigError naming the offending key."""
        self.options = options if options is not None else MappingOptions()
        self._plan: Plan = compile_plan(self.options)
        self._country = _country_lookup(self._plan.country)
        steps = self._plan.steps
        self._presence = build_presence(
            [step.sources for step in steps],
            [step.derive is not None or step.special in _REQUIRED for step in steps],
        )

    def map(self, raw: object, received_at: int) -> MappingResult:
        """Map one decoded JSON value; ``received_at`` (Unix seconds) is the fallback time."""
        try:
            return self._map(raw, received_at)
        except Exception:  # a bug must not take the service down; the tests assert it never happens
            return Invalid((INTERNAL_ERROR,))

    def _map(self, raw: object, received_at: int) -> MappingResult:
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

    def _build(
        self, raw: dict[str, object], received_at: int, event: dict[str, object], errors: list[str]
    ) -> MappingResult:
        """Resolve every field of the plan into ``event``; check validity (spec 6)."""
        plan = self._plan
        nodes = fill_nodes(plan.ops, raw)
        ctx = EventContext(raw, nodes, self._country)
        warnings: list[str] = []
        user: dict[str, object] = {}
        custom: dict[str, object] = {}
        sections = (event, user, custom)
        if plan.url_shadow is not None:
            url = resolve(plan.url_shadow, nodes, ctx, [])
            ctx.url = url if type(url) is str else None
        # Only the fields that may have a value here, plus those with a fallback or required.
        for step in compress(plan.steps, present(self._presence, nodes)):
            mark = len(warnings)
            value = resolve_sources(step.sources, step.rule, step.label, nodes, ctx, warnings)
            if value is None or value is REJECTED:
                if step.special == EVENT_TIME and value is None:
                    value = received_at
                elif step.derive is not None:
                    value = step.derive(ctx)
                    if type(value) is str:
                        value = valid_text(value)
                elif step.special in _REQUIRED:
                    _required_missing(step.label, value, warnings, mark, errors)
                    continue
                if value is None or value is REJECTED:
                    continue
            if step.special == EVENT_URL:
                ctx.url = value  # type: ignore[assignment]
            sections[step.section][step.key] = value
        map_items(plan.items, nodes, ctx, custom, warnings)
        _check_user_data(user, errors)
        if errors:
            return Invalid(tuple(errors), _unique(warnings))
        event["user_data"] = user
        if custom:
            event["custom_data"] = custom
        return Mapped(event, _unique(warnings))


def _required_missing(
    label: str, value: object, warnings: list[str], mark: int, errors: list[str]
) -> None:
    """A required field has no value: its warnings become errors (spec 6)."""
    if value is REJECTED:
        errors.extend(warnings[mark:])
        del warnings[mark:]
    elif label == "event_id":
        errors.append(
            "event_id: missing; set context.event_id (or partners.pinterest.event_id) so "
            "Pinterest can deduplicate the event"
        )
    else:
        errors.append(f"{label}: missing")


def _check_user_data(user: dict[str, object], errors: list[str]) -> None:
    if "em" in user or "hashed_maids" in user:
        return
    has_ip, has_agent = "client_ip_address" in user, "client_user_agent" in user
    if has_ip and has_agent:
        return
    if has_ip or has_agent:
        present, absent = (
            ("client_ip_address", "client_user_agent")
            if has_ip
            else ("client_user_agent", "client_ip_address")
        )
        detail = f"it has {present} but no {absent}"
    else:
        detail = "it has none of them"
    errors.append(
        "user_data: Pinterest needs an email (em), a mobile advertising id (hashed_maids) "
        f"or both client_ip_address and client_user_agent; {detail}"
    )


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


def _unique(warnings: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(warnings)) if len(warnings) > 1 else tuple(warnings)
