"""The mapping package is pure: it imports no I/O layer and touches no clock or environment.

Two independent proofs: a fresh interpreter that imports and uses the package must not
have loaded any forbidden module, and no module of the package may even mention one in
an import statement (which also catches imports hidden inside functions).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pinbridge.mapping

PACKAGE_DIR = Path(pinbridge.mapping.__file__).parent
FORBIDDEN = (
    "pinbridge.delivery",
    "pinbridge.queue",
    "pinbridge.server",
    "pinbridge.simulator",
    "pinbridge.config",
    "pinbridge.commands",
    "httpx",
    "starlette",
    "uvicorn",
    "aiohttp",
    "psycopg",
    "sqlite3",
)
ALLOWED_THIRD_PARTY = {"phonenumbers", "pycountry"}
ALLOWED_PINBRIDGE = ("pinbridge.errors", "pinbridge.mapping")
# Modules whose very presence would mean I/O, clocks, randomness or process state.
IMPURE_STDLIB = {
    "os",
    "sys",
    "time",
    "random",
    "socket",
    "logging",
    "io",
    "pathlib",
    "threading",
    "secrets",
    "subprocess",
    "tempfile",
    "shutil",
}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}

_PROBE = """
import json, sys
from pinbridge.mapping import Mapper
user = {"email": "a@example.org", "phone": "06 11 22 33 44", "country": "FR", "state": "Texas"}
event = {"event_name": "purchase", "user": user, "context": {"event_id": "e", "event_timestamp": 1}}
Mapper().map(event, 1)
print(json.dumps(sorted(sys.modules)))
"""


def test_a_fresh_interpreter_loads_no_io_layer() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
    assert "phonenumbers" in loaded  # the probe did exercise the phone path


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: use absolute imports"
            names.append(node.module or "")
    return names


MODULES = sorted(PACKAGE_DIR.glob("*.py"))


def test_every_module_imports_only_stdlib_phonenumbers_pycountry_and_itself() -> None:
    assert len(MODULES) > 10
    for path in MODULES:
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "pinbridge":
                assert name.startswith(ALLOWED_PINBRIDGE), f"{path.name} imports {name}"
            elif top == "__future__" or top in sys.stdlib_module_names:
                assert top not in IMPURE_STDLIB, f"{path.name} imports {name}"
            else:
                assert top in ALLOWED_THIRD_PARTY, f"{path.name} imports {name}"


def test_no_module_reads_a_clock() -> None:
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in CLOCK_CALLS, (
                    f"{path.name}:{node.lineno} calls .{node.func.attr}()"
                )


def test_the_checks_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import httpx\n    from pinbridge.queue import Queue\n")
    assert _imports(sample) == ["httpx", "pinbridge.queue"]
