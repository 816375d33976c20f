"""The shared sample events (``../shared/examples``) and their expected results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.mapping.cases import FIXTURES
from tests.support.shared import EXAMPLES_DIR

__all__ = ["EXPECTED", "require_examples", "sample_lines"]

EXPECTED: dict[str, list[dict[str, Any]]] = json.loads(
    (FIXTURES / "samples" / "expected.json").read_text(encoding="utf-8")
)


def require_examples() -> None:
    """Skip, saying why, when the shared examples folder is absent."""
    if not EXAMPLES_DIR.is_dir():
        pytest.skip(f"the shared sample events are not at {EXAMPLES_DIR}; sample tests skipped")


def sample_lines(name: str) -> list[str]:
    """The non-blank NDJSON lines of a sample (a .json sample is one event)."""
    text = (Path(EXAMPLES_DIR) / name).read_text(encoding="utf-8")
    if name.endswith(".json"):
        return [json.dumps(json.loads(text))]
    return [line for line in text.splitlines() if line.strip()]
