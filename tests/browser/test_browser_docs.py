"""docs/browser.md's ten lines run as written, on the sample, in a folder holding anon.db and tasks.jsonl."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from workgym.tasks import Task, write_tasks

pytest.importorskip(
    "browsergym.core",
    reason='browsergym-core not installed: pip install --no-deps "browsergym-core==0.14.*" && pip install -e ".[browsergym]"',
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "browser.md"


def test_when_the_docs_ten_lines_run_then_the_oracle_episode_scores_one(
    anon_db: Path, sample_tasks: tuple[list[Task], Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workgym.browser.chromium import BrowserNotFound, system_chromium

    try:
        system_chromium()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
    block = re.search(r"## The ten lines\n\n```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block, "docs/browser.md has its ten lines"
    code = block.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 13  # ten lines and the imports
    shutil.copy(anon_db, tmp_path / "anon.db")
    write_tasks(sample_tasks[0][:1], tmp_path / "tasks.jsonl")
    monkeypatch.chdir(tmp_path)
    scope: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), scope)
    assert scope["episode"].reward == 1.0
    assert scope["reward"] == 0.0 and not scope["terminated"]
