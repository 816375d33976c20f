"""Fixtures of the fault suite: the queue of each backend and the figures each scenario
prints."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.suite import RESULTS_ENV
from tests.support.postgres import fresh_schema_url

_FIGURES = pytest.StashKey[list[str]]()
_RESULTS = pytest.StashKey[Path]()


@pytest.fixture
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The ``[queue] url`` of the backend the test is parametrized with (``backend``): a
    SQLite file in the test's directory, or a fresh PostgreSQL schema dropped afterwards."""
    backend = request.getfixturevalue("backend")
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
        return
    dsn: str = request.getfixturevalue("postgres_dsn")
    with fresh_schema_url(dsn, "reliability") as url:
        yield url


@pytest.fixture
def record_figures(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[dict[str, Any]], None]:
    """Print a scenario's figures as one JSON line and append it to the results file
    (``$PINBRIDGE_RELIABILITY_RESULTS``, else ``reliability-results.jsonl`` in pytest's
    base temporary directory); the session's summary repeats every line."""

    chosen = os.environ.get(RESULTS_ENV)
    path = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "reliability-results.jsonl"
    request.config.stash[_RESULTS] = path

    def record(figures: dict[str, Any]) -> None:
        line = json.dumps({"test": request.node.name, **figures})
        print(f"\nfigures: {line}")
        with path.open("a") as handle:
            handle.write(line + "\n")
        request.config.stash.setdefault(_FIGURES, []).append(line)

    return record


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    lines = config.stash.get(_FIGURES, [])
    if lines:
        terminalreporter.section("fault suite figures")
        for line in lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"(also in {config.stash[_RESULTS]})")
