"""Lint and types are part of the test suite, so the README's one test command checks them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],  # lint
        ["ruff", "format", "--check", "."],  # formatting
        [sys.executable, "-m", "mypy"],  # strict types over src/workgym (see pyproject)
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_when_checked_then_clean(command: list[str]) -> None:
    if command[0] == "ruff" and shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
