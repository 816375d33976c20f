"""``examples/commanders-act-samples.ndjson`` holds the shared sample events, as written."""

from __future__ import annotations

import re

import pytest

from tests.support.shared import EXAMPLES_DIR, REPO_ROOT

SAMPLES = REPO_ROOT / "examples" / "commanders-act-samples.ndjson"
_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|[^\s"]+')


def _tokens(text: str) -> str:
    """The JSON text without the whitespace between tokens: numbers keep their digits."""
    return "".join(_TOKENS.findall(text))


def test_the_samples_file_is_the_shared_samples_one_per_line() -> None:
    if not EXAMPLES_DIR.is_dir():
        pytest.skip(f"the shared sample events are not at {EXAMPLES_DIR}; nothing to compare")
    expected: list[str] = []
    for path in sorted(EXAMPLES_DIR.iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            expected.append(_tokens(text))
        else:
            expected += [_tokens(line) for line in text.splitlines() if line.strip()]
    lines = SAMPLES.read_text(encoding="utf-8").splitlines()
    assert [_tokens(line) for line in lines] == expected
    assert all(line.strip() for line in lines)
