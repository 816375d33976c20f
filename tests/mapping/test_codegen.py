"""The build function generated from the compiled plan: straight-line, literal keys only.

Behaviour is covered by every other mapping test (they all run through the generated code);
these tests show what is generated for a configuration and that configuration text can
only ever become string literals in it.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from pinbridge.mapping import Mapped, Mapper, MappingOptions, codegen, derive, fastpaths
from pinbridge.mapping.codegen import build_source
from pinbridge.mapping.plan import compile_plan


def _source(fields: dict[str, object]) -> str:
    text, _ = build_source(compile_plan(MappingOptions(fields=fields)), {})
    return text


def _block(text: str, label: str) -> list[str]:
    """The lines generated for one field (stripped), from its ``# label`` comment to the next."""
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index(f"# {label}")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("# "))
    return lines[start + 1 : end]


def test_a_mapped_field_is_one_inlined_lookup_and_one_rule_call() -> None:
    text = _source({"user_data.client_ip_address": "context.ip", "app_name": False})
    context = re.search(r"n(\d+) = d0\.get\('context'\)", text)
    assert context is not None
    slot = context.group(1)
    block = _block(text, "user_data.client_ip_address")
    assert block[0] == f"v = d{slot}.get('ip')"
    assert any(re.fullmatch(r"o = _rule\d+\(v, ctx\)", line) for line in block)
    assert "else: user['client_ip_address'] = o" in block
    assert "user_data.client_ip_address (from context.ip): " in "\n".join(block)
    assert "# app_name" not in text  # disabled: nothing generated


def test_the_generated_code_loops_only_over_items_and_imports_nothing() -> None:
    tree = ast.parse(_source({"custom_data.search_string": ["q", "search.term"]}))
    kinds = {type(node) for node in ast.walk(tree)}
    assert not kinds & {ast.While, ast.Import, ast.ImportFrom, ast.Lambda}
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.For)]
    assert [ast.unparse(loop.iter) for loop in loops] == ["enumerate(items)"]
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert all(
        name.startswith("_") or name in {"type", "len", "tuple", "str", "list", "dict", "enumerate"}
        for name in called
    )


def test_keys_with_quotes_in_the_configuration_are_only_string_literals() -> None:
    key = "q'\"); import os; ('"
    mapper = Mapper(MappingOptions(fields={"custom_data.search_string": f"search.{key}"}))
    event = {
        "event_name": "search",
        "search": {key: "matcha"},
        "context": {"event_id": "e1", "event_timestamp": 1, "device": {"ip": "1.2.3.4"}},
        "user": {"email": "a@example.org"},
    }
    result = mapper.map(event, 1)
    assert isinstance(result, Mapped)
    assert result.event["custom_data"] == {"search_string": "matcha"}


def test_the_mapped_result_built_without_init_is_a_whole_frozen_mapped() -> None:
    """The generated code fills Mapped's slots directly; the result is the same object a
    call to Mapped(...) makes: equal, every field set, still frozen."""
    event = {
        "event_name": "search",
        "context": {"event_id": "e1", "event_timestamp": 1, "device": {"ip": "1.2.3.4"}},
        "user": {"email": "a@example.org", "gender": "robot"},
    }
    result = Mapper().map(event, 1)
    assert isinstance(result, Mapped)
    assert result == Mapped(result.event, result.warnings)
    assert result.status == "mapped" and len(result.warnings) == 1
    assert repr(result).startswith("Mapped(event={")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "filtered"  # type: ignore[misc, assignment]


def _calls_note(node: ast.AST) -> bool:
    return any(
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "note"
        for call in ast.walk(node)
    )


def test_the_rules_written_without_a_notes_test_never_note() -> None:
    """fastpaths.SILENT lists rules after which no notes test is written: coerce.py and
    times.py never call ctx.note, and neither does derive.action_source (read from the
    sources, which the compiled modules are built from)."""
    here = Path(codegen.__file__).parent
    trees = {name: ast.parse((here / f"{name}.py").read_text()) for name in ("coerce", "times")}
    assert not any(_calls_note(tree) for tree in trees.values())
    derive_tree = ast.parse((here / "derive.py").read_text())
    functions = {f.name: f for f in derive_tree.body if isinstance(f, ast.FunctionDef)}
    assert _calls_note(derive_tree)  # the check can see a note call
    assert not _calls_note(functions["action_source"])
    modules = {rule.__module__ for rule in fastpaths.SILENT}
    assert modules == {f"pinbridge.mapping.{name}" for name in ("coerce", "times", "derive")}
    assert [r for r in fastpaths.SILENT if r.__module__.endswith("derive")] == [
        derive.action_source
    ]
