"""Which mapping modules run compiled (mypyc, built by setup.py when it can), and when not.

``pip install`` compiles :data:`COMPILED` with mypyc where a C compiler is available; the same
``.py`` files stay the reference and the fallback (``tests/mapping/test_compiled.py`` maps the
same events both ways). Python prefers an extension module to a source file, so a compiled
module older than its source (edited, pulled or checked out after the build) would silently
run stale code. Then, when the build stopped half-way, or when ``PINBRIDGE_PURE_PYTHON`` is
set to a non-empty value, every module of the set is loaded from its source instead:
``pinbridge/__init__.py`` calls :func:`choose` before any mapping module is imported. This
lives outside ``pinbridge.mapping`` because it reads the environment and the disk, which the
mapping never does.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED", "PURE_ENV", "choose", "compiled", "stale", "usable"]

COMPILED = (
    "checks",
    "coerce",
    "context",
    "countries",
    "derive",
    "hashing",
    "memo",
    "phones",
    "times",
    "urls",
)
"""The modules of ``pinbridge.mapping`` that setup.py compiles (the rules the generated build
function calls); the generated code itself is compiled by Python at run time."""
PURE_ENV = "PINBRIDGE_PURE_PYTHON"
_PACKAGE = "pinbridge.mapping"
_DIRECTORY = Path(__file__).parent / "mapping"


def _extension(directory: Path, name: str) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = directory / f"{name}{suffix}"
        if path.exists():
            return path
    return None


_SLACK = 2.0
"""Seconds a source may be newer than its extension and not be stale: installing a wheel
writes both, the source a fraction of a millisecond after the extension."""
_INSTALLED = frozenset({"site-packages", "dist-packages"})


def stale(directory: Path = _DIRECTORY) -> list[str]:
    """The modules in ``directory`` whose compiled extension is older than their source
    (none in an installed package, which is not edited in place)."""
    if _INSTALLED & set(directory.parts):
        return []
    found = []
    for name in COMPILED:
        extension, source = _extension(directory, name), directory / f"{name}.py"
        if (
            extension is not None
            and source.exists()
            and extension.stat().st_mtime + _SLACK < source.stat().st_mtime
        ):
            found.append(name)
    return found


class _Sources(importlib.abc.MetaPathFinder):
    """Loads the modules of :data:`COMPILED` from their ``.py`` files."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        package, _, name = fullname.rpartition(".")
        if package != _PACKAGE or name not in COMPILED:
            return None
        return importlib.util.spec_from_file_location(fullname, _DIRECTORY / f"{name}.py")


def usable(directory: Path = _DIRECTORY) -> bool:
    """Whether every module of :data:`COMPILED` is compiled, none is stale, and mypyc's
    shared library (``<hash>__mypyc``, beside the ``pinbridge`` package) was built too: a
    build that failed half-way must not leave modules that cannot be imported."""
    if any(_extension(directory, name) is None for name in COMPILED) or stale(directory):
        return False
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    shared = directory.parents[1]
    return any(path.name.endswith(tuple(suffixes)) for path in shared.glob("*__mypyc*"))


def choose() -> None:
    """Load the mapping modules from their sources unless the compiled ones are usable and
    PINBRIDGE_PURE_PYTHON is not set (call once, before they are imported)."""
    if any(isinstance(finder, _Sources) for finder in sys.meta_path):
        return
    if os.environ.get(PURE_ENV) or not usable():
        sys.meta_path.insert(0, _Sources())


def compiled() -> list[str]:
    """The modules of :data:`COMPILED` that run compiled code in this process."""
    names = []
    for name in COMPILED:
        module = sys.modules.get(f"{_PACKAGE}.{name}")
        if module is not None and not str(module.__file__).endswith(".py"):
            names.append(name)
    return names
