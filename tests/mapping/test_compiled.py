"""The compiled mapping modules (setup.py, pinbridge.native) map exactly as their sources.

``pip install`` compiles the rule modules with mypyc where it can; the ``.py`` files stay the
reference and the fallback. Two fresh interpreters map the same events, one forced onto the
sources with ``PINBRIDGE_PURE_PYTHON``: every fixture case, the benchmark corpus, and that
corpus with values swapped for awkward ones (other types, blanks, non-ASCII, long text).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Any

import pytest

from pinbridge import native

ROOT = Path(__file__).resolve().parents[2]
_PROBE = """
import json, random, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
from mapping import corpus
import orjson
from pinbridge import native
from pinbridge.mapping import Mapper, result_as_dict
from tests.mapping.cases import load_cases, mapper_for

AWKWARD = [None, "", " ", 0, -1.5, 1e300, float("nan"), True, [], {}, ["a", 1], {"a": 1},
           "\u00e9t\u00e9", "\u0663\u0664", "a" * 5000, " +33 6 12 ", "1985-02-30", "x@y.z"]
rng = random.Random(7)

def awkward(value):
    if isinstance(value, dict):
        return {k: awkward(v) for k, v in value.items()}
    if isinstance(value, list):
        return [awkward(v) for v in value]
    return rng.choice(AWKWARD) if rng.random() < 0.3 else value

out = []
for case in load_cases():
    out.append(result_as_dict(mapper_for(case.config).map(case.input, case.received_at)))
mapper = Mapper()
for line in corpus(500):
    event = orjson.loads(line)
    for raw in (event, awkward(event), awkward(event)):
        out.append(result_as_dict(mapper.map(raw, 1795856500)))
print(json.dumps({"compiled": native.compiled(), "results": out}, default=repr))
"""


def _map_everything(pure: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
        env=env,
    )
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_the_compiled_modules_map_every_event_as_the_sources_do() -> None:
    compiled = _map_everything(pure=False)
    if not compiled["compiled"]:
        pytest.skip("the mapping modules are not compiled here (pip install -e . compiles them)")
    assert compiled["compiled"] == list(native.COMPILED)
    pure = _map_everything(pure=True)
    assert pure["compiled"] == []
    assert len(pure["results"]) > 1500
    for ours, reference in zip(compiled["results"], pure["results"], strict=True):
        assert ours == reference


def test_setup_compiles_the_modules_native_names() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    (listed,) = (
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "COMPILED"
    )
    assert tuple(listed) == native.COMPILED


@pytest.mark.parametrize("tree", ["src", "site-packages"])
def test_a_compiled_module_older_than_its_source_is_stale(tmp_path: Path, tree: str) -> None:
    """...in a source tree; a wheel writes the source just after the extension (not stale),
    and an installed package is not edited in place."""
    directory = tmp_path / tree / "pinbridge" / "mapping"
    directory.mkdir(parents=True)
    suffix = EXTENSION_SUFFIXES[0]
    ages = {"coerce": (100, 200), "urls": (200, 100), "times": (100, 100), "memo": (100, 100.5)}
    for name, (built, edited) in ages.items():
        extension, source = directory / f"{name}{suffix}", directory / f"{name}.py"
        extension.write_bytes(b"")
        source.write_text("")
        os.utime(extension, (built, built))
        os.utime(source, (edited, edited))
    (directory / "hashing.py").write_text("")  # a source without an extension is not stale
    assert native.stale(directory) == (["coerce"] if tree == "src" else [])


def test_compiled_modules_are_used_only_when_all_of_them_and_mypycs_library_were_built(
    tmp_path: Path,
) -> None:
    suffix = EXTENSION_SUFFIXES[0]
    directory = tmp_path / "pinbridge" / "mapping"
    directory.mkdir(parents=True)
    for name in native.COMPILED:
        (directory / f"{name}.py").write_text("")
        os.utime(directory / f"{name}.py", (100, 100))
        (directory / f"{name}{suffix}").write_bytes(b"")
    assert not native.usable(directory)  # no shared library
    (tmp_path / f"0123abcd__mypyc{suffix}").write_bytes(b"")
    assert native.usable(directory)
    (directory / f"memo{suffix}").unlink()
    assert not native.usable(directory)
