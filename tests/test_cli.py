"""The CLI through typer's runner: messages, exit codes, and that every command is documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workgym.cli import app

runner = CliRunner()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    root = tmp_path / "slack"
    (root / "general").mkdir(parents=True)
    (root / "users.json").write_text(
        json.dumps([{"id": "U0ANN1", "name": "ann", "profile": {"email": "ann@x.org"}}])
    )
    (root / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general", "members": ["U0ANN1"]}]))
    (root / "general" / "2020-01-01.json").write_text(
        json.dumps(
            [
                {
                    "type": "message",
                    "user": "U0ANN1",
                    "text": "ping <@U0ANN1> about ABC-1",
                    "ts": "1577836800.000100",
                }
            ]
        )
    )
    return root


def test_when_ingest_runs_then_it_reports_accounting_and_writes_the_file(
    export: Path, tmp_path: Path
) -> None:
    out = tmp_path / "w.db"
    result = runner.invoke(app, ["ingest", str(export), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "read 3 = stored 3 + quarantined 0" in result.output
    assert out.is_file()
    shown = runner.invoke(app, ["inspect", str(out)])
    assert shown.exit_code == 0, shown.output
    assert "user_mention" in shown.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["ingest", "missing-dir", "-o", "x.db"], "no such file or folder"),  # a source that is not there
        (["inspect", "missing.db"], "no such workspace file"),  # a workspace that is not there
    ],
)
def test_when_input_is_missing_then_exit_1_with_a_clear_message(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_when_a_single_file_is_unknown_then_the_error_lists_formats(tmp_path: Path) -> None:
    odd = tmp_path / "blob.bin"
    odd.write_bytes(b"\x00\xff" * 64)
    result = runner.invoke(app, ["ingest", str(odd), "-o", str(tmp_path / "w.db")])
    assert result.exit_code == 1
    assert "Supported" in result.output and "jira" in result.output


def test_when_config_is_bad_then_exit_1_naming_the_file(export: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[[link.patterns]]\nref_kind = "x"\nregex = "("\n')
    result = runner.invoke(
        app, ["ingest", str(export), "-o", str(tmp_path / "w.db"), "--config", str(config)]
    )
    assert result.exit_code == 1
    assert "bad.toml" in result.output


def test_when_help_is_asked_then_every_command_has_an_example() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        if name != "formats":
            assert "Example" in result.output, name


def test_when_formats_listed_then_every_family_appears() -> None:
    result = runner.invoke(app, ["formats"])
    for name in (
        "slack",
        "jira",
        "mbox",
        "maildir",
        "eml",
        "ics",
        "git",
        "git-jsonl",
        "pircbot",
        "markdown",
        "pdf",
    ):
        assert name in result.output


def test_when_keygen_then_anonymize_then_files_and_summary_and_exit_0(tmp_path: Path) -> None:
    from workgym.cli import sample_sources
    from workgym.link.build import build_workspace

    db = tmp_path / "w.db"
    build_workspace(sample_sources(), db)
    key = tmp_path / "k.key"
    made = runner.invoke(app, ["keygen", str(key)])
    assert made.exit_code == 0 and key.exists()
    again = runner.invoke(app, ["keygen", str(key)])
    assert again.exit_code == 1 and "already there" in again.output
    result = runner.invoke(app, ["anonymize", str(db), "-o", str(tmp_path / "anon.db"), "--key", str(key)])
    assert result.exit_code == 0, result.output
    assert "leaks 0" in result.output and "100.00%" in result.output
    assert (tmp_path / "anon.db").exists() and (tmp_path / "anon.audit.json").exists()


def test_when_anonymize_key_is_missing_then_exit_1_saying_how_to_make_one(tmp_path: Path) -> None:
    from workgym.cli import sample_sources
    from workgym.link.build import build_workspace

    db = tmp_path / "w.db"
    build_workspace(sample_sources(), db)
    result = runner.invoke(
        app, ["anonymize", str(db), "-o", str(tmp_path / "a.db"), "--key", str(tmp_path / "no.key")]
    )
    assert result.exit_code == 1
    assert "workgym keygen" in result.output


def test_when_demo_runs_then_every_stage_reports_and_its_files_exist(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    # the real local model (workgym[llm], minutes per task on a CPU) has its own tests
    result = runner.invoke(app, ["demo", "-o", str(out), "--no-local-llm"])
    assert result.exit_code == 0, result.output
    for name in ("workspace.db", "anon.db", "anon.audit.json", "demo.key"):
        assert (out / name).is_file(), name
    text = " ".join(result.output.split())  # as one line: the console wraps at its width
    assert "leaks 0" in text
    assert "comment_ticket" in text and "commented on" in text  # the episode wrote through a tool
    assert "Error: bad call to get_ticket: unknown argument 'page'" in text  # a bad call is an observation
    assert "a fork diverges on its own: True" in text
    assert "reset restores the untouched state: True" in text
    assert "4 sessions at once, 4 distinct states" in text  # the env server keeps sessions apart
    assert "MCP over stdio: 28 tools; search_tickets -> " in text and "[Open]" in text
    assert "150 tasks in" in text and "replay" in text  # step 6 mined the sample's tasks
    assert (out / "tasks.jsonl").is_file() and (out / "tasks.md").is_file()
    run_dir = out / "runs" / "demo"
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    assert (
        summary["by_agent"]["oracle"]["success_rate"] == 1.0
        and summary["by_agent"]["noop"]["success_rate"] == 0.0
    )
    assert (run_dir / "report.html").is_file() and "report.html" in text  # step 8, and where to look
    for name in ("openai-chat.train.jsonl", "dpo.train.jsonl", "README.md"):  # step 9
        assert (out / "data" / name).is_file(), name
    assert "no original identifier" in text
    assert "Where to look" in text


def test_when_tasks_are_mined_then_the_jsonl_and_its_review_are_written(
    sample_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "tasks.jsonl"
    result = runner.invoke(app, ["tasks", str(sample_db), "-o", str(out), "--n", "30", "--seed", "2"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 30 and all(json.loads(line)["gold"] for line in lines)
    review = out.with_suffix(".md").read_text(encoding="utf-8")
    assert review.startswith("# Tasks") and "Evidence:" in review
    assert "30 tasks in" in " ".join(result.output.split())


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--split", "train"], 2, "two different names"),  # one split name
        (["--split", "a,a"], 2, "two different names"),  # the same name twice
        (["--families", "lookups"], 1, "unknown families"),  # a family that does not exist
    ],
)
def test_when_tasks_get_bad_options_then_the_error_says_what_to_give(
    sample_db: Path, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    result = runner.invoke(app, ["tasks", str(sample_db), "-o", str(tmp_path / "t.jsonl"), *args])
    assert result.exit_code == code
    assert message in result.output


def test_when_run_calibrate_and_report_chain_then_each_writes_its_file(
    sample_db: Path, tmp_path: Path
) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    assert runner.invoke(app, ["tasks", str(sample_db), "-o", str(tasks_file), "--n", "30"]).exit_code == 0
    out = tmp_path / "runs" / "base"
    args = [
        "run",
        str(sample_db),
        str(tasks_file),
        "--agent",
        "oracle",
        "--agent",
        "random",
        "--trials",
        "2",
        "-o",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["by_agent"]["oracle"]["success_rate"] == 1.0 and summary["episodes"] == 120
    difficulty = tmp_path / "difficulty.json"
    result = runner.invoke(app, ["calibrate", str(out), "-o", str(difficulty), "--include", "oracle"])
    assert result.exit_code == 0, result.output
    fitted = json.loads(difficulty.read_text(encoding="utf-8"))
    assert fitted["strongest"] == "oracle" and len(fitted["tasks"]) == 30
    frontier = tmp_path / "frontier.jsonl"
    result = runner.invoke(
        app,
        [
            "tasks",
            str(sample_db),
            "-o",
            str(frontier),
            "--n",
            "30",
            "--frontier",
            str(difficulty),
            "--band",
            "0.9-1",
        ],
    )
    assert result.exit_code == 0, result.output
    kept = [json.loads(line) for line in frontier.read_text(encoding="utf-8").splitlines()]
    assert len(kept) == 30 and all(t["difficulty"] is not None for t in kept)  # the oracle solves them all
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<svg" in page and "pass^2" in page


@pytest.mark.parametrize(
    "args, message",
    [
        (["--agent", "orcale"], "Did you mean oracle?"),  # a typo
        (["--agent", "openai"], "needs --model"),  # an LLM agent without a model
    ],
)
def test_when_run_gets_a_bad_agent_then_it_says_how_to_fix_it(
    sample_db: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    tasks_file = tmp_path / "t.jsonl"
    tasks_file.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["run", str(sample_db), str(tasks_file), *args, "-o", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert message in result.output


def test_when_a_run_has_no_summary_then_report_says_to_run_first(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 1 and "no summary.json" in " ".join(result.output.split())


def test_when_export_is_asked_for_a_leak_check_without_the_key_then_it_says_so(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", str(tmp_path), "--format", "dpo", "-o", str(tmp_path / "d.jsonl"), "--raw", "w.db"]
    )
    assert result.exit_code == 2 and "both --raw and --key" in result.output


def test_when_export_gets_an_unknown_format_then_the_error_lists_the_formats(tmp_path: Path) -> None:
    (tmp_path / "trajectories.jsonl").write_text("", encoding="utf-8")
    result = runner.invoke(
        app, ["export", str(tmp_path), "--format", "alpaca", "-o", str(tmp_path / "d.jsonl")]
    )
    assert result.exit_code == 1 and "openai-chat" in result.output


def test_when_view_gets_raw_without_the_right_key_then_it_refuses(
    anon_db: Path, sample_db: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["view", str(anon_db), "--raw", str(sample_db)])
    assert result.exit_code == 2 and "both --raw and --key" in " ".join(result.output.split())
    other = tmp_path / "other.key"
    other.write_text("workgym-key-v1:" + "cd" * 32 + "\n", encoding="ascii")
    result = runner.invoke(app, ["view", str(anon_db), "--raw", str(sample_db), "--key", str(other)])
    assert result.exit_code == 1 and "is not the key" in " ".join(result.output.split())
