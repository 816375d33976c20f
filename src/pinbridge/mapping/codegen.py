"""Generate one straight-line Python function per Mapper from its compiled plan.

The plan (the field table with the user's overrides applied) stays the single source of
truth; this module only writes it out as code, once, in ``Mapper.__init__``: the node
table, one block per field with each source lookup inlined (in plan order), then one loop
over the items. That removes the per-field interpretation (loops, tuple unpacking, calls)
from the hot path while every rule, derivation and check is still the same function.

Every name the code uses is passed in an explicit namespace (no imports, no builtins beyond
``type``, ``len`` and the JSON types), and every key, label and path from the configuration is
written with ``repr`` so it can only ever be a string literal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from pinbridge.mapping import coerce
from pinbridge.mapping.checks import check_user_data, fatal_errors, required_missing, unique
from pinbridge.mapping.context import CountryLookup, EventContext, Fatal, Reject, Rule
from pinbridge.mapping.fastpaths import NUMBER_FAST, SILENT, ascii_fast
from pinbridge.mapping.hashing import ASCII_RULES
from pinbridge.mapping.items import ITEMS_NOT_A_LIST, map_items, not_objects, skipped_items
from pinbridge.mapping.nodes import NodeOp
from pinbridge.mapping.plan import (
    CUSTOM_DATA,
    EVENT_ID,
    EVENT_TIME,
    EVENT_URL,
    ROOT,
    USER_DATA,
    CompiledSource,
    FieldStep,
    ItemsPlan,
    Plan,
)
from pinbridge.mapping.resolve import REJECTED, resolve, warn_derived, warn_notes
from pinbridge.mapping.results import Invalid, Mapped, MappingResult
from pinbridge.mapping.table import ITEM_TARGET_PREFIX
from pinbridge.mapping.times import MAX_AGE, MAX_AHEAD, window_error

__all__ = ["Build", "build_source", "compile_build"]

Build = Callable[[dict[str, object], int, dict[str, object], list[str]], MappingResult]
"""``build(raw, received_at, event, errors)``: resolve every field of ``raw`` (spec 6)."""

_SECTIONS = {ROOT: "event", USER_DATA: "user", CUSTOM_DATA: "custom"}
"""The build function's local dict that each plan section is written into."""
_CONTENTS = "custom_data.contents"
_MAPPED_SLOTS = ("event", "warnings", "status")
_EMPTY_DICT: dict[str, object] = {}  # stands for "not an object"; never written to
_FILLED = (
    "(v or (type(v) is not str and type(v) is not list and type(v) is not dict)) "
    "and (type(v) is not str or not v.isspace())"
)
"""For ``v`` not None, ``not is_empty(v)`` (paths.is_empty) written out: the test every
source value passes before its rule."""


def build_source(plan: Plan, rules: Mapping[str, Rule]) -> tuple[str, dict[str, Any]]:
    """The text of the build function for ``plan`` and the namespace it runs in.

    ``rules`` replaces the rule of the fields it names (by target, e.g. ``user_data.ct``).
    """
    writer = _Writer(rules)
    return writer.function(plan), writer.names


def compile_build(plan: Plan, rules: Mapping[str, Rule], country: CountryLookup) -> Build:
    """Compile the build function of ``plan`` (see :func:`build_source`)."""
    text, names = build_source(plan, rules)
    builtins = {
        "type": type,
        **{kind.__name__: kind for kind in (dict, float, int, list, str, tuple)},
        **{function.__name__: function for function in (enumerate, len)},
        # Compiled rule modules (pinbridge.native) import phonenumbers and pycountry on first
        # use, and compiled code finds __import__ in the builtins of the frame calling it.
        "__import__": __import__,
    }
    names |= {"__builtins__": builtins, "_country": country}
    exec(compile(text, "<pinbridge.mapping generated build>", "exec"), names)  # noqa: S102
    build: Build = names["build"]
    return build


@dataclass(frozen=True, slots=True)
class _Value:
    """Code fragments for one value: its label, its warning prefix per source, its rule, its
    fast path for ASCII text and the extra test that text must pass to take it, its fast paths
    for numbers (the type, the test, the expression), the function that replaces the rule for
    trimmed ASCII text (hashing.ASCII_RULES), and whether the rule may return a
    :class:`Fatal` (the event is invalid, no other source is tried)."""

    label: str
    prefix: Callable[[str], str]
    rule: str
    fast: str | None
    guard: str | None
    numbers: tuple[tuple[str, str, str], ...]
    text_rule: str | None
    final: bool
    notes: bool


class _Writer:
    """Accumulates the lines of the function and the objects they refer to."""

    def __init__(self, rules: Mapping[str, Rule]) -> None:
        self.rules = rules
        self.names: dict[str, Any] = {
            "_EMPTY": _EMPTY_DICT,
            "_REJECTED": REJECTED,
            "_Reject": Reject,
            "_Fatal": Fatal,
            "_EventContext": EventContext,
            "_warn_notes": warn_notes,
            "_warn_derived": warn_derived,
            "_fatal_errors": fatal_errors,
            "_window_error": window_error,
            "_not_objects": not_objects,
            "_skipped_items": skipped_items,
            "_required_missing": required_missing,
            "_check_user_data": check_user_data,
            "_unique": unique,
            "_map_items": map_items,
            "_resolve": resolve,
            "_Invalid": Invalid,
            "_Mapped": Mapped,
            "_new": object.__new__,
            "_number_text": coerce.number_text,
            **{f"_set_{name}": _slot_setter(Mapped, name) for name in _MAPPED_SLOTS},
        }
        self.lines: list[str] = []
        self.base = 0  # extra indentation inside a gate
        self.present: set[int] = {0}  # slots known not to be None where code is written

    def name(self, prefix: str, value: object) -> str:
        """A namespace name bound to ``value`` (one per distinct object)."""
        for existing, bound in self.names.items():
            if bound is value and existing.startswith(prefix):
                return existing
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def emit(self, depth: int, *lines: str) -> None:
        self.lines.extend("    " * (depth + self.base) + line for line in lines)

    def function(self, plan: Plan) -> str:
        self.emit(0, "def build(raw, received_at, event, errors):")
        self.emit(1, "n0 = d0 = raw")
        self.tree(plan.ops, 0)
        nodes = ", ".join(f"n{slot}" for slot in range(len(plan.ops) + 1))
        self.emit(1, f"nodes = [{nodes}]", "ctx = _EventContext(raw, nodes, _country)")
        self.emit(1, "notes = ctx.notes", "warnings = []", "user = {}", "custom = {}")
        if plan.url_shadow is not None:
            shadow = self.name("_step", plan.url_shadow)
            self.emit(1, f"url = _resolve({shadow}, nodes, ctx, [])")
            self.emit(1, "ctx.url = url if type(url) is str else None")
        for gate, run in groupby(plan.steps, key=_gate):
            if gate > 0:  # fields that all read below one node (n0 is the event itself)
                self.emit(1, f"if n{gate} is not None:")
                self.base = 1
                self.present.add(gate)
            for step in run:
                self.step(step)
            self.base = 0
            self.present -= {gate} - {0}  # the root stays present
        self.items(plan.items, len(plan.ops) + 1)
        enough = "'em' in user or 'hashed_maids' in user or 'client_ip_address' in user and "
        self.emit(1, f"if not ({enough}'client_user_agent' in user):")
        self.emit(2, "_check_user_data(user, errors)")
        self.emit(1, "if errors: return _Invalid(tuple(errors), _unique(warnings))")
        self.emit(1, "event['user_data'] = user", "if custom: event['custom_data'] = custom")
        # Mapped(event, warnings) without the frozen dataclass's __init__ (half the cost)
        self.emit(1, "result = _new(_Mapped)", "_set_event(result, event)")
        self.emit(1, "_set_warnings(result, _unique(warnings) if warnings else ())")
        self.emit(1, "_set_status(result, 'mapped')", "return result")
        return "\n".join(self.lines) + "\n"

    def tree(self, ops: tuple[NodeOp, ...], offset: int) -> None:
        """The node table below slot ``offset``, parents first; below a missing node every
        descendant is set missing at once instead of being looked up."""
        children: dict[int, list[int]] = {}
        for slot, (parent, _, _) in enumerate(ops, start=1):
            children.setdefault(parent, []).append(slot)

        def below(slot: int) -> list[int]:
            return [d for c in children.get(slot, []) for d in (c, *below(c))]

        def visit(parent: int) -> None:
            for slot in children.get(parent, []):
                _, key, index = ops[slot - 1]
                here = slot + offset
                self.emit(1, f"n{here} = {_child(parent + offset, key, index)}")
                # A missing key (the common case for optional objects) costs one test.
                missing = [here] + [d + offset for d in below(slot)]
                self.emit(1, f"if n{here} is None:")
                self.emit(2, " = ".join(f"d{d}" for d in missing) + " = _EMPTY")
                if len(missing) > 1:
                    self.emit(2, " = ".join(f"n{d}" for d in missing[1:]) + " = None")
                self.emit(1, "else:")
                self.base += 1
                self.node(here)
                if slot in children:
                    self.emit(1, f"if n{here} is not None:")
                    self.base += 1
                    visit(slot)
                    self.base -= 1
                    self.emit(1, "else:")
                    self.emit(2, " = ".join(f"n{d}" for d in missing[1:]) + " = None")
                    self.emit(2, " = ".join(f"d{d}" for d in missing[1:]) + " = _EMPTY")
                self.base -= 1

        visit(0)

    def node(self, slot: int) -> None:
        """Slot ``slot`` of the node table, once its value is known not to be None: ``n`` the
        node (object, array or None), ``d`` the object or an empty one (nodes.fill_nodes)."""
        self.emit(1, f"if type(n{slot}) is dict: d{slot} = n{slot}")
        self.emit(1, "else:")
        self.emit(2, f"d{slot} = _EMPTY", f"if type(n{slot}) is not list: n{slot} = None")

    def items(self, plan: ItemsPlan, offset: int) -> None:
        """contents, content_ids and num_items (items.map_items): a loop over the items."""
        if plan.ids is not None and not plan.shared_ids:  # ids from other sources: rare
            self.emit(1, f"_map_items({self.name('_items', plan)}, nodes, ctx, custom, warnings)")
            return
        if plan.ids is None and plan.keys is None and plan.num_items is None:
            return  # no item field is produced: nothing to read or warn about
        # No items (most events but purchases and carts): nothing to read or warn about.
        self.emit(1, "v = raw.get('items')", "if v is not None:")
        self.base += 1
        self.emit(1, "if type(v) is list: items = v", "else:")
        warn = f"warnings.append({ITEMS_NOT_A_LIST!r})"
        self.emit(2, "items = ()", f"if {_FILLED}: {warn}")
        if plan.keys is None:
            self.emit(1, "if items: _skipped_items(items, warnings)")
        else:
            self.emit(1, "ids = []", "contents = []", "skipped = 0")
            self.emit(1, "for position, item in enumerate(items):")
            self.base += 1  # per-item slots follow the event's (plan.ItemRule)
            # Spec 6: non-objects are ignored (counted for one warning); {} gives no entry.
            self.emit(1, "if type(item) is not dict:")
            self.emit(2, "skipped += 1", "continue")
            self.emit(1, "if not item: continue")
            self.emit(1, f"n{offset} = d{offset} = item")
            self.present.add(offset)
            self.tree(plan.item_ops, offset)
            self.emit(1, "entry = {}")
            for key, (sources, rule, _) in plan.keys:
                self.emit(1, f"# {_CONTENTS}.X.{key}")
                value = self.value(ITEM_TARGET_PREFIX + key, rule, key)
                if self.chain(1, sources, value, f"entry[{key!r}]") == "value":
                    self.emit(1, "if value is not None and value is not _REJECTED:")
                    self.emit(2, f"entry[{key!r}] = value")
            self.emit(1, "if entry:")
            self.emit(2, "contents.append(entry)", "if 'id' in entry: ids.append(entry['id'])")
            self.base -= 1
            self.emit(1, "if skipped: warnings.append(_not_objects(skipped, len(items)))")
            self.emit(1, "if contents: custom['contents'] = contents")
            if plan.ids is not None:
                self.emit(1, "if ids: custom['content_ids'] = list(dict.fromkeys(ids))")
        self.base -= 1
        if plan.num_items is not None:
            gate = plan.num_items.gate
            if gate > 0:
                self.emit(1, f"if n{gate} is not None:")
                self.base += 1
                self.present.add(gate)
            self.step(plan.num_items)
            self.base = 0
            self.present -= {gate} - {0}  # the root stays present

    def step(self, step: FieldStep) -> None:
        """One field: its sources in order, then its fallback, then the assignment."""
        self.emit(1, f"# {step.label}")
        target = f"{_SECTIONS[step.section]}[{step.key!r}]"
        required = step.special in (EVENT_ID, EVENT_TIME)
        plain = step.derive is None and step.special == 0
        if plain and len(step.sources) == 1:  # the common case: accept straight into place
            self.chain(1, step.sources, self.value(step.label, step.rule), target)
            return
        if required and step.derive is None:
            self.emit(1, "mark = len(warnings)")
        self.chain(1, step.sources, self.value(step.label, step.rule), "value")
        self.fallback(step, required)
        if step.special == EVENT_ID:  # a Fatal id stays in ``value``: assign text only
            self.emit(1, "if type(value) is str:")
        else:
            self.emit(1, "if value is not None and value is not _REJECTED:")
        if step.special == EVENT_URL:
            self.emit(2, "ctx.url = value")
        self.emit(2, f"{target} = value")
        if step.special == EVENT_TIME:  # spec 6: Pinterest's window around the receive time
            window = f"{-MAX_AGE} <= value - received_at <= {MAX_AHEAD}"
            self.emit(2, f"if not {window}: errors.append(_window_error(value, received_at))")

    def value(self, target: str, rule: Rule, item_key: str | None = None) -> _Value:
        """How to name, warn about and compute one field (or one per-item ``key``)."""
        memo = self.rules.get(target)
        name = self.name("_rule", memo or rule)
        fast, guard = (None, None) if memo is not None else ascii_fast(rule, self.name)
        numbers = () if memo is not None else NUMBER_FAST.get(rule, ())
        found = None if memo is not None or fast is not None else ASCII_RULES.get(rule)
        text_rule = None if found is None else self.name("_text_rule", found)
        final = rule is coerce.event_id
        notes = memo is not None or rule not in SILENT
        if item_key is None:
            return _Value(
                repr(target),
                lambda text: repr(f"{target} (from {text}): "),
                name,
                fast,
                guard,
                numbers,
                text_rule,
                final,
                notes,
            )
        label = f"({_CONTENTS!r}, position, {item_key!r})"
        head = repr(_CONTENTS + ".")
        return _Value(
            label,
            lambda text: f"{head} + str(position) + {f'.{item_key} (from {text}): '!r}",
            name,
            fast,
            guard,
            numbers,
            text_rule,
            final,
            notes,
        )

    def chain(
        self, depth: int, sources: tuple[CompiledSource, ...], value: _Value, out: str
    ) -> str:
        """Try ``sources`` in order into ``out``; with several, into ``value`` (returned)."""
        if out == "value" or len(sources) > 1:
            self.emit(depth, "value = None")
            out = "value"
        for position, source in enumerate(sources):
            if position:
                self.emit(depth, "if value is None or value is _REJECTED:")
            self.source(depth + (1 if position else 0), source, value, out)
        return out

    def source(self, depth: int, source: CompiledSource, value: _Value, out: str) -> None:
        """Look one source up; when not empty, apply the rule and keep or warn."""
        text, slot, key, index, const = source
        if slot < 0:
            self.emit(depth, f"v = {self.name('_const', const)}")
        else:
            lookup = _lookup(slot, key, index)
            if slot not in self.present:  # a missing node needs no lookup (its d is empty)
                lookup = f"({lookup}) if n{slot} is not None else None"
            self.emit(depth, f"v = {lookup}")
            if value.text_rule is not None:  # ASCII text: the rule's text part, on ``t``
                self.emit(depth, "if v is not None:")
                self.emit(depth + 1, "if type(v) is str and v.isascii():")
                self.emit(
                    depth + 2, "t = v.strip()", f"o = {value.text_rule}(t, ctx) if t else None"
                )
                self.emit(depth + 1, f"elif {_FILLED}: o = {value.rule}(v, ctx)")
                self.emit(depth + 1, "else: o = None")
                self.result(depth + 1, text, value, out)
                return
            if value.fast is not None or value.numbers:
                self.emit(depth, "if v is not None:")
                branch = "if"
                if value.fast is not None:  # ASCII text: one strip is the blank test and the rule
                    guard = f" and {value.guard}" if value.guard else ""
                    self.emit(depth + 1, f"if type(v) is str and v.isascii(){guard}:")
                    self.emit(depth + 2, "t = v.strip()", f"if t: {out} = {value.fast}")
                    branch = "elif"
                for kind, test, expression in value.numbers:  # a number (never empty) in range
                    typed = f"type(v) is {kind} and {test}"
                    self.emit(depth + 1, f"{branch} {typed}: {out} = {expression}")
                    branch = "elif"
                self.emit(depth + 1, f"elif {_FILLED}:")
                depth += 1
            else:
                self.emit(depth, f"if v is not None and {_FILLED}:")
            depth += 1
        self.emit(depth, f"o = {value.rule}(v, ctx)")
        self.result(depth, text, value, out)

    def result(self, depth: int, text: str, value: _Value, out: str) -> None:
        """Keep the rule's output ``o`` for source ``text`` in ``out``, or warn."""
        if value.notes:
            self.emit(depth, f"if notes: _warn_notes({value.label}, {text!r}, ctx, warnings)")
        self.emit(depth, "if o is not None:")
        self.emit(depth + 1, "if type(o) is _Reject:")
        self.emit(depth + 2, f"warnings.append({value.prefix(text)} + o.reason)")
        if out == "value":
            self.emit(depth + 2, "value = _REJECTED")
        if value.final:  # the error, and ``value`` keeps the Fatal so no other source is tried
            self.emit(depth + 1, "elif type(o) is _Fatal:")
            self.emit(depth + 2, f"_fatal_errors({value.prefix(text)}, o, errors)", f"{out} = o")
        self.emit(depth + 1, f"else: {out} = o")

    def fallback(self, step: FieldStep, required: bool) -> None:
        """What to do when no source gave a value: the receive time, a derivation, an error."""
        branches: list[tuple[str, list[str]]] = []
        if step.special == EVENT_TIME:
            branches.append(("value is None", ["value = received_at"]))
        if step.derive is not None:
            derive = self.name("_derive", step.derive)
            notes = f"if notes: _warn_derived({step.label!r}, ctx, warnings)"
            branches.append(("", [f"value = {derive}(ctx)", notes]))
        elif required:
            missing = f"_required_missing({step.label!r}, value, warnings, mark, errors)"
            branches.append(("", [missing, "value = None"]))
        if not branches:
            return
        self.emit(1, "if value is None or value is _REJECTED:")
        if len(branches) == 1 and not branches[0][0]:
            self.emit(2, *branches[0][1])
            return
        for position, (condition, body) in enumerate(branches):
            self.emit(2, f"{'elif' if position else 'if'} {condition}:" if condition else "else:")
            self.emit(3, *body)


def _slot_setter(kind: type, name: str) -> Callable[[object, object], None]:
    """The setter of slot ``name`` of ``kind``, which also fills a frozen dataclass's slot."""
    setter: Callable[[object, object], None] = kind.__dict__[name].__set__
    return setter


def _gate(step: FieldStep) -> int:
    """The node a plain field's sources all hang below, else -1 (see plan.FieldStep)."""
    return step.gate if step.derive is None and step.special == 0 else -1


def _child(parent: int, key: str, index: int | None) -> str:
    """The expression for node ``key``/``index`` of the node in ``parent`` (nodes.fill_nodes)."""
    if index is None:
        return f"d{parent}.get({key!r})"
    return (
        f"d{parent}.get({key!r}) if type(n{parent}) is not list "
        f"else (n{parent}[{index}] if {index} < len(n{parent}) else None)"
    )


def _lookup(slot: int, key: str | None, index: int | None) -> str:
    """The expression for one source (resolve.lookup)."""
    if key is None:
        return f"n{slot}"
    return _child(slot, key, index)
