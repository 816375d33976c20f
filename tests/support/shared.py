"""Where the team's shared material lives (``../shared`` beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["EXAMPLES_DIR", "OPENAPI_PATH", "REPO_ROOT", "SHARED_DIR"]

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = Path(os.environ.get("PINBRIDGE_SHARED_DIR", REPO_ROOT.parent / "shared"))
OPENAPI_PATH = SHARED_DIR / "contracts" / "pinterest-conversions-openapi.json"
EXAMPLES_DIR = SHARED_DIR / "examples"
