"""A run folder stands alone: it keeps its tasks, so every reader works on it wherever it is moved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.report.viewer_client import signed_in
from workgym.agents import AgentSpec
from workgym.cli import app
from workgym.export import ExportOptions, export
from workgym.report import write_report
from workgym.report.viewer import create_viewer
from workgym.rollout import RunConfig, RunError, run, run_tasks
from workgym.tasks import Task, write_tasks
from workgym.world import World

AGENTS = [AgentSpec("oracle"), AgentSpec("noop"), AgentSpec("random")]


@pytest.fixture(scope="module")
def tasks(sample_tasks: tuple[list[Task], Any]) -> list[Task]:
    """Four tasks of each family (both splits, every kind of check)."""
    by_family: dict[str, list[Task]] = {}
    for t in sample_tasks[0]:
        by_family.setdefault(t.family, []).append(t)
    return [t for ts in by_family.values() for t in ts[:4]]


def run_with_a_tasks_file(root: Path, anon_db: Path, tasks: list[Task]) -> Path:
    tasks_file = root / "elsewhere" / "tasks.jsonl"
    tasks_file.parent.mkdir(parents=True)
    write_tasks(tasks, tasks_file)
    out = root / "runs" / "base"
    run(RunConfig(workspace=anon_db, tasks=tasks, agents=AGENTS, trials=2, out=out, tasks_file=tasks_file))
    return out


def exported(runs: Path, out: Path) -> dict[str, str]:
    options = ExportOptions(formats=["openai-chat", "dpo", "rl"], negatives=True)
    report = export([runs], out, options)
    assert report.files
    return {Path(p).name: Path(p).read_text(encoding="utf-8") for p in report.files}


def test_when_a_run_folder_is_moved_and_its_tasks_file_deleted_then_every_reader_works_as_before(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = run_with_a_tasks_file(tmp_path, anon_db, tasks)
    before = exported(out, tmp_path / "before")
    assert {"rl.train.jsonl", "rl.test.jsonl"} <= set(before)  # rl replayed, split by the tasks' own split
    moved = tmp_path / "moved" / "base"
    shutil.move(str(out), moved)
    shutil.rmtree(tmp_path / "elsewhere")
    assert exported(moved, tmp_path / "after") == before  # no rl episode dropped, no split by hash, gold kept
    assert set(run_tasks(moved)) == {t.id for t in tasks}
    page = write_report(moved).read_text(encoding="utf-8")
    assert tasks[0].instruction.split()[0] in page
    result = CliRunner().invoke(app, ["calibrate", str(moved), "-o", str(tmp_path / "difficulty.json")])
    assert result.exit_code == 0, result.output
    listing = signed_in(create_viewer(World.open(anon_db), runs=moved)).get("/tasks")
    assert listing.status_code == 200 and "none loaded" not in listing.text
    assert all(t.id in listing.text for t in tasks)


def test_when_the_run_json_is_read_then_it_holds_the_tasks_hash_and_the_world(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = tmp_path / "r"
    run(RunConfig(workspace=anon_db, tasks=tasks[:3], agents=AGENTS[:1], out=out))
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info["world"] == World.open(anon_db).fingerprint and Path(info["workspace"]).is_absolute()
    assert info["tasks_copy"] == "tasks.jsonl" and len(info["tasks_sha256"]) == 64
    run(RunConfig(workspace=anon_db, tasks=tasks[3:5], agents=AGENTS[:1], out=out))  # more tasks, same folder
    assert set(run_tasks(out)) == {t.id for t in tasks[:5]}  # the copy covers every trajectory's task


def test_when_the_tasks_copy_is_edited_then_readers_refuse_it(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = tmp_path / "r"
    run(RunConfig(workspace=anon_db, tasks=tasks[:3], agents=AGENTS[:1], out=out))
    write_tasks(tasks[:2], out / "tasks.jsonl")
    with pytest.raises(RunError, match="not the tasks this run ran"):
        run_tasks(out)


def old_style(out: Path) -> None:
    """The folder as runs wrote it before they kept their tasks: only the tasks file's path."""
    (out / "tasks.jsonl").unlink()
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    for key in ("tasks_copy", "tasks_sha256"):
        del info[key]
    (out / "run.json").write_text(json.dumps(info), encoding="utf-8")


def test_when_an_old_run_folder_s_tasks_file_is_there_then_its_tasks_are_read_from_it(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = run_with_a_tasks_file(tmp_path, anon_db, tasks[:6])
    old_style(out)
    assert set(run_tasks(out)) == {t.id for t in tasks[:6]}


def test_when_an_old_run_folder_s_tasks_file_is_gone_then_export_says_so_and_writes_nothing(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = run_with_a_tasks_file(tmp_path, anon_db, tasks[:6])
    old_style(out)
    shutil.rmtree(tmp_path / "elsewhere")
    data = tmp_path / "data" / "sft.jsonl"
    result = CliRunner().invoke(app, ["export", str(out), "--format", "openai-chat", "-o", str(data)])
    assert result.exit_code == 1
    assert "is not there" in result.output and "copy that file into the folder" in result.output
    assert not data.parent.exists()
    with pytest.raises(RunError, match="is not there"):
        write_report(out)
