"""No command writes outside what it was given, and none loses a file of the user's.

Every command runs in a folder full of the user's own files (a README, a tasks.jsonl of their
own, a dataset, a key, a database made by hand); each of those must come out byte for byte.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from workgym.agents import AgentSpec
from workgym.cli import app, sample_sources
from workgym.export import ExportOptions, export
from workgym.outputs import KEY, TASKS, WORKSPACE, Kind, OutputError, Staged, claim
from workgym.rollout import RunConfig, run
from workgym.tasks import Task, write_tasks

runner = CliRunner()

USER_FILES = {
    "README.md": b"# My project\n\nMine, not workgym's.\n",
    "tasks.jsonl": b'{"todo": "water the plants"}\n',
    "tasks.md": b"# What I must do\n",
    "difficulty.json": b'{"my": "numbers"}\n',
    "report.html": b"<!doctype html><title>my page</title>\n",
    "manifest.json": b'{"my": "manifest"}\n',
    "data/README.md": b"# My dataset\n",
    "data/sft.train.jsonl": b'{"mine": 1}\n',
    "runs/mine/notes.txt": b"notes, not a run\n",
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, anon_key_file: Path) -> Path:
    """A folder of the user's own files, the working directory of the test."""
    root = tmp_path / "home"
    for name, data in USER_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    shutil.copy(anon_key_file, root / "k.key")  # their key: the one the anonymized sample was made with
    conn = sqlite3.connect(root / "workspace.db")  # a database they made by hand
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('remember the milk')")
    conn.commit()
    conn.close()
    monkeypatch.chdir(root)
    return root


@pytest.fixture(scope="module")
def tasks_file(tmp_path_factory: pytest.TempPathFactory, sample_tasks: tuple[list[Task], Any]) -> Path:
    path = tmp_path_factory.mktemp("tasks") / "tasks.jsonl"
    train = [t for t in sample_tasks[0] if t.split == "train"][:6]
    test = [t for t in sample_tasks[0] if t.split == "test"][:6]
    write_tasks(train + test, path)  # both splits, so an export writes two files
    return path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory, anon_db: Path, tasks_file: Path) -> Path:
    """Oracle and noop on 12 of the sample's tasks, once each."""
    out = tmp_path_factory.mktemp("run") / "base"
    tasks = [Task.from_dict(json.loads(line)) for line in tasks_file.read_text().splitlines()]
    agents = [AgentSpec("oracle"), AgentSpec("noop")]
    run(RunConfig(workspace=anon_db, tasks=tasks, agents=agents, out=out, tasks_file=tasks_file))
    return out


@dataclass
class Paths:
    sample_db: Path
    anon_db: Path
    tasks: Path
    run: Path


@pytest.fixture
def paths(sample_db: Path, anon_db: Path, tasks_file: Path, run_dir: Path) -> Paths:
    return Paths(sample_db, anon_db, tasks_file, run_dir)


def sources() -> list[str]:
    return [str(p) for p in sample_sources()]


Args = Callable[[Paths], list[str]]

COMMANDS: list[tuple[str, Args, str | None, tuple[str, ...]]] = [
    # (id, arguments, None if it succeeds else the path its refusal names, what it made)
    ("ingest-default", lambda p: ["ingest", *sources()], "workspace.db", ()),  # their hand-made db
    ("ingest", lambda p: ["ingest", *sources(), "-o", "mine.db"], None, ("mine.db",)),
    (
        "anonymize-onto-their-db",
        lambda p: ["anonymize", str(p.sample_db), "-o", "workspace.db", "--key", "k.key"],
        "workspace.db",
        (),
    ),
    (
        "anonymize",
        lambda p: ["anonymize", str(p.sample_db), "-o", "anon.db", "--key", "k.key"],
        None,
        ("anon.db", "anon.audit.json"),
    ),
    ("keygen-onto-their-key", lambda p: ["keygen", "k.key"], "k.key", ()),
    ("keygen", lambda p: ["keygen", "new.key"], None, ("new.key",)),
    ("tasks-default", lambda p: ["tasks", str(p.anon_db), "--n", "6"], "tasks.jsonl", ()),
    (
        "tasks",
        lambda p: ["tasks", str(p.anon_db), "--n", "6", "-o", "mined.jsonl"],
        None,
        ("mined.jsonl", "mined.md"),
    ),
    (
        "run-into-their-folder",
        lambda p: ["run", str(p.anon_db), str(p.tasks), "--agent", "noop", "-o", "runs/mine"],
        "runs/mine",
        (),
    ),
    (
        "run-onto-a-file",
        lambda p: ["run", str(p.anon_db), str(p.tasks), "--agent", "noop", "-o", "README.md"],
        "README.md",
        (),
    ),
    (
        "run",
        lambda p: ["run", str(p.anon_db), str(p.tasks), "--agent", "noop", "-o", "runs/new"],
        None,
        ("runs/new/run.json", "runs/new/trajectories.jsonl", "runs/new/summary.json"),
    ),
    ("calibrate-default", lambda p: ["calibrate", str(p.run), "--include", "oracle"], "difficulty.json", ()),
    (
        "calibrate",
        lambda p: ["calibrate", str(p.run), "--include", "oracle", "-o", "cal.json"],
        None,
        ("cal.json",),
    ),
    ("report-onto-their-page", lambda p: ["report", str(p.run), "-o", "report.html"], "report.html", ()),
    ("report", lambda p: ["report", str(p.run), "-o", "r.html"], None, ("r.html",)),
    (
        "export-file-beside-their-readme",  # the dataset card no longer lands on ./README.md
        lambda p: ["export", str(p.run), "--format", "openai-chat", "-o", "sft.jsonl"],
        None,
        ("sft.train.jsonl", "sft.card.md", "sft.manifest.json"),
    ),
    (
        "export-onto-their-dataset",
        lambda p: ["export", str(p.run), "--format", "openai-chat", "-o", "data/sft.jsonl"],
        "data/sft.train.jsonl",
        (),
    ),
    (
        "export-into-their-folder",
        lambda p: ["export", str(p.run), "--format", "openai-chat", "--format", "dpo", "-o", "data"],
        "data/README.md",
        (),
    ),
    (
        "export-into-the-working-folder",
        lambda p: ["export", str(p.run), "--format", "openai-chat", "-o", "."],
        "README.md",
        (),
    ),
    ("demo-into-the-working-folder", lambda p: ["demo", "-o", "."], "workspace.db", ()),
]


@pytest.mark.parametrize("args, refused, made", [pytest.param(a, r, m, id=i) for i, a, r, m in COMMANDS])
def test_when_a_command_runs_among_the_users_files_then_every_one_of_them_is_untouched(
    home: Path, paths: Paths, args: Args, refused: str | None, made: tuple[str, ...]
) -> None:
    before = snapshot(home)
    result = runner.invoke(app, args(paths))
    text = " ".join(result.output.split())
    after = snapshot(home)
    assert {name: after.get(name) for name in before} == before
    if refused is None:
        assert result.exit_code == 0, result.output
        for name in made:
            assert (home / name).is_file(), name
    else:
        assert result.exit_code == 1, result.output
        assert refused in text and ("--force" in text or "a file" in text), text
        assert set(after) == set(before)  # a refusal writes nothing at all


def test_when_demo_runs_in_a_folder_of_the_users_files_then_it_writes_only_its_own_inside(
    home: Path,
) -> None:
    demo = home / "demo"
    mine = {"demo/README.md": b"my notes on the demo\n", "demo/data/keep.txt": b"keep me\n"}
    for name, data in mine.items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_bytes(data)
    before = snapshot(home)
    result = runner.invoke(app, ["demo", "-o", "demo", "--no-local-llm"])  # the real model: its own tests
    assert result.exit_code == 0, result.output
    after = snapshot(home)
    assert {name: after.get(name) for name in before} == before
    assert all(name.startswith("demo/") for name in set(after) - set(before))  # nothing beside it
    assert (demo / "data" / "README.md").read_text().startswith("---\nconfigs:")  # the card, in data/
    assert not list(home.rglob("*.tmp"))


# -- --force, and outputs that are inputs ---------------------------------------------------------


def test_when_forced_then_a_file_in_the_way_is_replaced(home: Path, paths: Paths) -> None:
    result = runner.invoke(app, ["calibrate", str(paths.run), "--include", "oracle", "--force"])
    assert result.exit_code == 0, result.output
    assert json.loads((home / "difficulty.json").read_text())["model"] == "rasch"
    result = runner.invoke(
        app, ["export", str(paths.run), "--format", "openai-chat", "-o", "data", "--force"]
    )
    assert result.exit_code == 0, result.output
    assert (home / "data" / "README.md").read_text().startswith("---\nconfigs:")
    assert (home / "data" / "sft.train.jsonl").read_bytes() == USER_FILES[
        "data/sft.train.jsonl"
    ]  # not in its way


def test_when_a_command_is_run_again_then_it_replaces_its_own_outputs(home: Path, paths: Paths) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["tasks", str(paths.anon_db), "--n", "6", "-o", "t.jsonl"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["report", str(paths.run), "-o", "r.html"])
        assert result.exit_code == 0, result.output


IN_AND_OUT: list[tuple[str, Args]] = [
    # (id, arguments whose output is one of their inputs), each with --force added
    ("anonymize-onto-its-key", lambda p: ["anonymize", str(p.sample_db), "-o", "k.key", "--key", "k.key"]),
    (
        "anonymize-onto-its-workspace",
        lambda p: ["anonymize", str(p.sample_db), "-o", str(p.sample_db), "--key", "k.key"],
    ),
    ("ingest-onto-its-source", lambda p: ["ingest", "README.md", "-o", "README.md"]),
    ("tasks-onto-its-workspace", lambda p: ["tasks", str(p.anon_db), "-o", str(p.anon_db)]),
    (
        "tasks-onto-its-frontier",
        lambda p: ["tasks", str(p.anon_db), "--frontier", "difficulty.json", "-o", "difficulty.json"],
    ),
    (
        "run-onto-its-tasks",
        lambda p: ["run", str(p.anon_db), str(p.tasks), "--agent", "noop", "-o", str(p.tasks)],
    ),
    ("calibrate-onto-its-run", lambda p: ["calibrate", str(p.run), "-o", str(p.run / "trajectories.jsonl")]),
    ("report-onto-its-summary", lambda p: ["report", str(p.run), "-o", str(p.run / "summary.json")]),
    (
        "export-onto-its-trajectories",
        lambda p: [
            "export",
            str(p.run),
            "--format",
            "openai-chat",
            "--no-split",
            "-o",
            str(p.run / "trajectories.jsonl"),
        ],
    ),
    (
        "export-into-its-run",
        lambda p: ["export", str(p.run), "--format", "openai-chat", "--format", "dpo", "-o", str(p.run)],
    ),
]


@pytest.mark.parametrize("args", [pytest.param(a, id=i) for i, a in IN_AND_OUT])
def test_when_an_output_is_an_input_then_it_is_refused_even_with_force(
    home: Path, paths: Paths, args: Args
) -> None:
    inputs = {p: p.read_bytes() for p in (paths.sample_db, paths.anon_db, paths.tasks, *paths.run.iterdir())}
    before = snapshot(home)
    result = runner.invoke(app, [*args(paths), "--force"])
    assert result.exit_code == 1, result.output
    assert "is an input of this command" in " ".join(result.output.split())
    assert {p: p.read_bytes() for p in inputs} == inputs and snapshot(home) == before


def test_when_two_outputs_would_share_a_path_then_the_command_refuses(home: Path, paths: Paths) -> None:
    result = runner.invoke(app, ["tasks", str(paths.anon_db), "-o", "t.md"])  # the review is OUT with .md
    assert result.exit_code == 1 and "two outputs" in " ".join(result.output.split())
    assert not (home / "t.md").exists()


# -- a failed command leaves the old output whole -------------------------------------------------


def test_when_anonymize_finds_a_leak_then_the_old_output_and_its_audit_are_untouched(
    home: Path, sample_db: Path
) -> None:
    args = ["anonymize", str(sample_db), "-o", "anon.db", "--key", "k.key"]
    assert runner.invoke(app, args).exit_code == 0
    good = {name: (home / name).read_bytes() for name in ("anon.db", "anon.audit.json")}
    conn = sqlite3.connect(sample_db)
    user_id = conn.execute("SELECT key FROM identity WHERE key LIKE 'slack:U%' ORDER BY key").fetchone()[0]
    conn.close()
    (home / "leaky.toml").write_text(f'[anonymize]\nallow = ["{user_id.partition(":")[2]}"]\n')
    result = runner.invoke(app, [*args, "--config", "leaky.toml"])
    assert result.exit_code == 1 and "leak" in result.output
    assert {name: (home / name).read_bytes() for name in good} == good
    assert json.loads((home / "anon.failed.audit.json").read_text())["leaks"] > 0
    assert not list(home.glob(".anon*"))  # no temporary file left behind
    assert runner.invoke(app, args).exit_code == 0
    assert not (home / "anon.failed.audit.json").exists()  # the stale failure is gone with it


def test_when_export_finds_a_leak_then_the_old_export_is_untouched(
    home: Path, paths: Paths, anon_key_file: Path
) -> None:
    args = [
        "--format",
        "openai-chat",
        "-o",
        "out/sft.jsonl",
        "--raw",
        str(paths.sample_db),
        "--key",
        str(anon_key_file),
    ]
    assert runner.invoke(app, ["export", str(paths.run), *args]).exit_code == 0
    good = snapshot(home / "out")
    planted = home / "leaky"
    shutil.copytree(paths.run, planted)
    lines = [json.loads(line) for line in (planted / "trajectories.jsonl").read_text().splitlines()]
    step = next(s for t in lines if t["agent"] == "oracle" for s in t["steps"])
    step["observation"] += "\nping Aisha Khan about it"  # a real (sample) person's name
    (planted / "trajectories.jsonl").write_text("".join(json.dumps(t) + "\n" for t in lines))
    result = runner.invoke(app, ["export", str(planted), *args])
    assert result.exit_code == 1 and "leak check failed" in " ".join(result.output.split())
    assert snapshot(home / "out") == good


def test_when_export_fails_half_way_then_the_old_export_is_untouched_and_no_temp_is_left(
    tmp_path: Path, run_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workgym.export.run as export_run

    out = tmp_path / "sft.jsonl"
    export([run_dir], out, ExportOptions(formats=["openai-chat"]))
    good = snapshot(tmp_path)

    def card_fails(*args: Any) -> str:  # once every data file is written, before the card
        raise OSError("disk full")

    monkeypatch.setattr(export_run, "dataset_card", card_fails)
    with pytest.raises(OSError, match="disk full"):
        export([run_dir], out, ExportOptions(formats=["openai-chat"], agents=["oracle"]))
    assert snapshot(tmp_path) == good


def test_when_export_runs_again_then_its_own_files_are_replaced_and_stale_ones_removed(
    tmp_path: Path, run_dir: Path
) -> None:
    out = tmp_path / "sft.jsonl"
    export([run_dir], out, ExportOptions(formats=["openai-chat"]))
    assert {p.name for p in tmp_path.iterdir()} == {
        "sft.train.jsonl", "sft.test.jsonl", "sft.card.md", "sft.manifest.json"
    }  # fmt: skip
    export([run_dir], out, ExportOptions(formats=["openai-chat"], split=False))
    assert {p.name for p in tmp_path.iterdir()} == {"sft.jsonl", "sft.card.md", "sft.manifest.json"}
    (tmp_path / "sft.jsonl").write_text('{"edited": "by hand"}\n')  # edited since: the user's now
    with pytest.raises(OutputError, match=r"sft\.jsonl"):
        export([run_dir], out, ExportOptions(formats=["openai-chat"], split=False))
    assert (tmp_path / "sft.jsonl").read_text() == '{"edited": "by hand"}\n'
    export([run_dir], out, ExportOptions(formats=["openai-chat"], split=False, force=True))
    assert (tmp_path / "sft.jsonl").read_text() != '{"edited": "by hand"}\n'


# -- the helper itself ----------------------------------------------------------------------------


def test_when_a_staged_write_raises_then_the_file_there_is_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), Staged() as stage:
        stage.path(target).write_bytes(b"half a new fi")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"old\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    with Staged() as stage:
        stage.path(target).write_bytes(b"new\n")
    assert target.read_bytes() == b"new\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


@pytest.mark.parametrize(
    "content, kind, allowed",
    [
        (b"", TASKS, True),  # an empty file holds nothing to lose
        (b'{"id": "t1", "family": "lookup", "instruction": "x", "gold": []}\n', TASKS, True),  # a tasks file
        (b'{"todo": "x"}\n', TASKS, False),  # JSON lines of the user's
        (b"workgym-key-v1:" + b"ab" * 32 + b"\n", KEY, False),  # a key is never replaced unasked
        (b"SQLite format 3\x00 but not really", WORKSPACE, False),  # a damaged database
    ],
)
def test_when_a_file_is_in_the_way_then_claim_allows_only_what_workgym_wrote(
    tmp_path: Path, content: bytes, kind: Kind, allowed: bool
) -> None:
    path = tmp_path / "out"
    path.write_bytes(content)
    if allowed:
        claim([(path, kind)])
    else:
        with pytest.raises(OutputError, match="--force"):
            claim([(path, kind)])
        claim([(path, kind)], force=True)
    assert path.read_bytes() == content  # claim only checks


def test_when_a_folder_is_where_a_file_goes_then_even_force_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="is a folder"):
        claim([(tmp_path, TASKS)], force=True)
