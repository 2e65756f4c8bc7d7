"""The README's Python examples run as written, on the anonymized sample, in a folder of their own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workgym.anonymize.run import anonymize_workspace
from workgym.tasks import generate_tasks, write_tasks
from workgym.world import World

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


def test_when_the_readme_s_python_runs_then_it_works(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert blocks, "the README has no Python example"
    anonymize_workspace(sample_db, tmp_path / "anon.db", b"k" * 32)
    world = World.open(tmp_path / "anon.db")
    tasks, _ = generate_tasks(world, n=10, seed=0)
    write_tasks(tasks, tmp_path / "tasks.jsonl")
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})
    out = capsys.readouterr().out
    assert "[Open]" in out  # the tour's search found open tickets
    assert "0.0 False" in out  # one step of a task: no reward yet, the episode goes on
