"""The README's examples run as shown, with the real console script.

The convention in README.md:

- A fenced block whose info string is ``console`` is an example. A line starting with ``$ ``
  is a command; a command line ending in ``\\`` goes on over the next line, and one with a
  heredoc (``<<'EOF'``) up to the line ``EOF``. The lines after a command, up to the next
  command, are what it prints: standard output and standard error together, as a terminal
  shows them (trailing spaces aside).
- ``<!-- readme-test: skip: REASON -->`` on the line just before a block leaves it out, for
  examples that need credentials or a server. A block with ``pinbridge transform`` or
  ``pinbridge send ... --dry-run`` may not be left out.
- A ``pinbridge`` command in any other block fails the test: it would never be run.

Each block runs in a fresh temporary directory holding a copy of ``examples/``, through
``bash``, with the virtualenv's ``bin`` first on the ``PATH``, no pinbridge environment
variables, and ``COLUMNS=100`` (the width the tables are shown at).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.shared import REPO_ROOT

README = REPO_ROOT / "README.md"
BIN = Path(sys.executable).parent
_FENCE = re.compile(r"^```(\S*)\s*$")
_SKIP = re.compile(r"^<!-- readme-test: skip: (?P<reason>.+\S) -->$")
_HEREDOC = re.compile(r"<<-?\s*'?\"?(?P<word>\w+)")
_COMMAND = re.compile(
    r"^\s*(\$\s+)?(\S*/)?pinbridge\s+(transform|send|serve|simulate|demo|dead-letters)\b(?!:)"
)
_MUST_RUN = re.compile(r"pinbridge\s+(transform\b|send\b.*--dry-run)")


@dataclass(frozen=True)
class Block:
    """One fenced block of the README: where it starts, its info string, its lines."""

    line: int
    info: str
    lines: tuple[str, ...]
    skip: str | None


@dataclass(frozen=True)
class Command:
    """One ``$`` command of an example and the output the README shows for it."""

    line: int
    text: str
    expected: tuple[str, ...]


def _blocks(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        marker = _SKIP.match(lines[index - 1]) if index else None
        skip = marker.group("reason") if marker else None
        blocks.append(Block(index + 1, opening.group(1), tuple(lines[index + 1 : end]), skip))
        index = end + 1
    return blocks


def _commands(block: Block) -> list[Command]:
    lines, commands, index = block.lines, [], 0
    while index < len(lines):
        number = block.line + 1 + index
        if not lines[index].startswith("$ "):
            raise AssertionError(f"README.md line {number}: output shown before any `$ ` command")
        parts = [lines[index][2:]]
        index += 1
        while parts[-1].endswith("\\") and index < len(lines):
            parts.append(lines[index])
            index += 1
        heredoc = _HEREDOC.search(parts[0])
        if heredoc is not None:
            while index < len(lines) and lines[index] != heredoc.group("word"):
                parts.append(lines[index])
                index += 1
            parts.append(heredoc.group("word"))
            index += 1
        expected = []
        while index < len(lines) and not lines[index].startswith("$ "):
            expected.append(lines[index].rstrip())
            index += 1
        commands.append(Command(number, "\n".join(parts), tuple(expected)))
    return commands


BLOCKS = _blocks(README.read_text(encoding="utf-8"))
EXAMPLES = [block for block in BLOCKS if block.info == "console" and block.skip is None]


def _environment(home: Path) -> dict[str, str]:
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "COLUMNS": "100",
    }
    if "PYTHONPATH" in os.environ:  # a worktree's src/ before the installed package
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def test_the_readme_has_runnable_examples() -> None:
    assert len(EXAMPLES) >= 4
    assert all(_commands(block) for block in EXAMPLES)


def test_every_command_is_in_an_example_block() -> None:
    stray = [
        f"README.md line {block.line + 1 + offset}: {line.strip()}"
        for block in BLOCKS
        if block.info != "console"
        for offset, line in enumerate(block.lines)
        if _COMMAND.match(line)
    ]
    assert stray == [], "put these in ```console blocks (runnable, or skipped with a reason)"


def test_transform_and_dry_run_examples_are_never_skipped() -> None:
    skipped = [
        f"README.md line {block.line}: {line}"
        for block in BLOCKS
        if block.skip is not None
        for line in block.lines
        if _MUST_RUN.search(line)
    ]
    assert skipped == []


@pytest.mark.parametrize("block", EXAMPLES, ids=[f"line-{block.line}" for block in EXAMPLES])
def test_the_example_prints_what_the_readme_shows(block: Block, tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "examples", tmp_path / "examples")
    for command in _commands(block):
        done = subprocess.run(
            ["bash", "-c", command.text],
            cwd=tmp_path,
            env=_environment(tmp_path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        shown = tuple(line.rstrip() for line in done.stdout.splitlines())
        assert shown == command.expected, (
            f"README.md line {command.line}: `{command.text}` printed (exit status "
            f"{done.returncode}):\n{done.stdout}"
        )
