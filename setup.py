"""Build step: compile the mapping's hot pure modules with mypyc when possible.

Everything else about the package is in pyproject.toml. The modules named in
pinbridge.native.COMPILED become C extensions (about 15% less CPU per mapped event, see
docs/performance.md); when mypyc is missing, PINBRIDGE_PURE_PYTHON is set, or the C build
fails (no compiler), the package installs as pure Python, which is always the reference.
"""

from __future__ import annotations

import os
from typing import Any

from setuptools import setup

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
)  # the same list as pinbridge.native.COMPILED (tests/mapping/test_compiled.py checks it)


def _extensions() -> list[Any]:
    if os.environ.get("PINBRIDGE_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return []
    paths = [f"src/pinbridge/mapping/{name}.py" for name in COMPILED]
    try:
        extensions = mypycify(paths, opt_level="3")
    except (Exception, SystemExit) as error:  # mypyc refused the modules: stay pure Python
        print(f"pinbridge: not compiling the mapping modules ({error})")
        return []
    for extension in extensions:
        extension.optional = True  # a failed C build leaves the pure-Python modules
    return list(extensions)


setup(ext_modules=_extensions())
