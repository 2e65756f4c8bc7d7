"""The runner: metrics of known agents, the same results however it runs, resuming after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fake_openai import FakeOpenAI, Reply, gold_player
from workgym.agents import AgentSpec
from workgym.rollout import RunConfig, RunError, load_trajectories, run
from workgym.tasks import Task, write_tasks

CPU = [AgentSpec("oracle"), AgentSpec("noop"), AgentSpec("random")]


@pytest.fixture(scope="module")
def tasks(sample_tasks: tuple[list[Task], Any]) -> list[Task]:
    return sample_tasks[0][:40]


def stable(path: Path) -> list[dict[str, Any]]:
    """Trajectories without their timings (the one thing that differs between equal runs)."""
    out = []
    for t in load_trajectories(path):
        t = {k: v for k, v in t.items() if k != "seconds"}
        t["steps"] = [{k: v for k, v in s.items() if k != "seconds"} for s in t["steps"]]
        out.append(t)
    return out


def test_when_oracle_noop_and_random_run_then_the_summary_has_their_figures(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    summary = run(RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, trials=2, out=tmp_path / "r"))
    on_disk = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert on_disk["episodes"] == summary["episodes"] == 3 * 40 * 2
    agents = on_disk["by_agent"]
    assert agents["oracle"]["success_rate"] == 1.0 and agents["oracle"]["pass_hat_k"] == {"1": 1.0, "2": 1.0}
    assert agents["noop"]["success_rate"] == 0.0 and agents["noop"]["pass_at_k"]["2"] == 0.0
    assert agents["random"]["success_rate"] < 0.1
    for name in ("episodes", "success_rate", "partial_credit", "pass_at_k", "pass_hat_k"):
        assert name in on_disk and name in on_disk["by_family"]["lookup"] and name in agents["oracle"]
    line = load_trajectories(tmp_path / "r" / "trajectories.jsonl")[0]
    assert {"task_id", "world", "agent", "model", "seed", "steps", "reward", "checks", "failure"} <= set(line)


def test_when_run_in_processes_or_again_then_the_trajectories_are_the_same(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    one = tmp_path / "one"
    run(RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, trials=2, out=one))
    two = tmp_path / "two"
    run(RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, trials=2, concurrency=2, out=two))
    again = tmp_path / "again"
    run(RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, trials=2, out=again))
    assert (
        stable(one / "trajectories.jsonl")
        == stable(two / "trajectories.jsonl")
        == stable(again / "trajectories.jsonl")
    )


def test_when_run_on_ray_then_the_metrics_equal_the_local_executor_s(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    pytest.importorskip("ray", reason="ray is not installed: pip install 'workgym[ray]'")
    local = run(RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, trials=2, out=tmp_path / "local"))
    on_ray = run(
        RunConfig(
            workspace=anon_db,
            tasks=tasks,
            agents=CPU,
            trials=2,
            concurrency=2,
            executor="ray",
            out=tmp_path / "ray",
        )
    )
    figures = (
        "episodes",
        "success_rate",
        "partial_credit",
        "pass_at_k",
        "pass_hat_k",
        "by_family",
        "step_errors",
    )
    for agent in ("oracle", "noop", "random"):
        assert {k: local["by_agent"][agent][k] for k in figures} == {
            k: on_ray["by_agent"][agent][k] for k in figures
        }
    assert stable(tmp_path / "local" / "trajectories.jsonl") == stable(
        tmp_path / "ray" / "trajectories.jsonl"
    )


def test_when_a_run_resumes_after_a_torn_line_then_nothing_is_lost_or_duplicated(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = tmp_path / "r"
    config = RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, trials=2, out=out)
    run(config)
    path = out / "trajectories.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:57]) + lines[57][:40], encoding="utf-8")  # killed in the middle of a line
    started: list[int] = []
    notices: list[str] = []
    config.progress = lambda done, total, won: started.append(done)
    config.notice = notices.append
    run(config)
    assert started[0] == 57  # only the missing episodes ran
    assert (
        len(notices) == 1 and "trajectories.jsonl:58: removed the last line" in notices[0]
    )  # and it said so
    keys = [(t["agent"], t["task_id"], t["trial"]) for t in load_trajectories(path)]
    assert len(keys) == len(set(keys)) == 240


def test_when_a_run_is_killed_and_restarted_then_every_episode_is_there_once(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks[:20], tasks_file)
    out = tmp_path / "killed"
    slow = gold_player(tasks[:20])

    def delayed(request: dict[str, Any]) -> Reply:
        answer = slow(request)
        answer.delay = 0.05
        return answer

    with FakeOpenAI(delayed) as server:
        args = [
            sys.executable,
            "-m",
            "workgym.cli",
            "run",
            str(anon_db),
            str(tasks_file),
            "--agent",
            "openai",
            "--model",
            "m",
            "--base-url",
            server.url,
            "--trials",
            "2",
            "--concurrency",
            "2",
            "-o",
            str(out),
        ]
        child = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        path = out / "trajectories.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not path.exists() or path.read_text().count("\n") < 6):
            time.sleep(0.05)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        before = len(load_trajectories(path))
        assert 6 <= before < 40, "the run was not killed mid-way"
        restarted = subprocess.run(args, capture_output=True, text=True, check=False)
        assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    trajectories = load_trajectories(path)
    keys = [(t["agent"], t["task_id"], t["trial"]) for t in trajectories]
    assert len(keys) == len(set(keys)) == 40
    assert all(t["reward"] == 1.0 for t in trajectories)
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["episodes"] == 40


def test_when_the_folder_holds_another_workspace_s_run_then_it_refuses(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "trajectories.jsonl").write_text(
        json.dumps({"world": "0" * 64, "agent": "noop", "task_id": "x", "trial": 0, "reward": 0}) + "\n"
    )
    with pytest.raises(RunError, match="another workspace"):
        run(RunConfig(workspace=anon_db, tasks=tasks, agents=CPU, out=out))


def test_when_a_run_file_ends_in_a_cut_off_line_then_readers_leave_the_file_as_it_is(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    from workgym.export import ExportOptions, export
    from workgym.report import write_report

    out = tmp_path / "r"
    run(RunConfig(workspace=anon_db, tasks=tasks[:10], agents=CPU, out=out))
    path = out / "trajectories.jsonl"
    whole = path.read_bytes()
    torn = whole + whole[:50]  # a second run, killed while writing its first line
    path.write_bytes(torn)
    assert len(load_trajectories(path)) == 30
    write_report(out)
    report = export([out], tmp_path / "d" / "sft.jsonl", ExportOptions(formats=["openai-chat"]))
    assert report.dropped["a last line cut off (run again to resume)"] == 1
    assert path.read_bytes() == torn  # only `workgym run`, resuming, repairs it


def test_when_a_line_in_the_middle_is_damaged_then_the_error_names_the_file_and_line(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    out = tmp_path / "r"
    run(RunConfig(workspace=anon_db, tasks=tasks[:3], agents=CPU[:1], out=out))
    path = out / "trajectories.jsonl"
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join([lines[0], lines[1][:30], *lines[2:]]))
    with pytest.raises(RunError, match=r"trajectories.jsonl:2: not JSON"):
        load_trajectories(path)


def test_when_run_is_given_a_price_then_each_episode_and_the_summary_have_a_cost(
    tmp_path: Path, anon_db: Path, tasks: list[Task]
) -> None:
    from typer.testing import CliRunner

    from workgym.cli import app

    some = tasks[:3]
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(some, tasks_file)
    out = tmp_path / "priced"
    with FakeOpenAI(gold_player(some)) as server:
        args = ["run", str(anon_db), str(tasks_file), "--agent", "openai", "--model", "m"]
        args += ["--base-url", server.url, "--price", "1.5,6", "-o", str(out)]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    trajectories = load_trajectories(out / "trajectories.jsonl")
    for t in trajectories:  # the fake server counts 11 prompt and 7 completion tokens a turn
        assert t["tokens"]["prompt"] > 0
        assert t["cost_usd"] == pytest.approx(
            (t["tokens"]["prompt"] * 1.5 + t["tokens"]["completion"] * 6) / 1e6
        )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cost_usd"] == pytest.approx(sum(t["cost_usd"] for t in trajectories))
    assert f"cost: ${summary['cost_usd']:.4f}" in result.output


@pytest.mark.parametrize("price", ["1.5", "1,2,3", "a,b", "-1,2", "nan,1"])
def test_when_the_price_is_not_two_prices_then_it_is_a_usage_error(
    tmp_path: Path, anon_db: Path, price: str
) -> None:
    from typer.testing import CliRunner

    from workgym.cli import app

    tasks_file = tmp_path / "t.jsonl"
    tasks_file.write_text("", encoding="utf-8")
    args = [
        "run",
        str(anon_db),
        str(tasks_file),
        "--agent",
        "noop",
        "--price",
        price,
        "-o",
        str(tmp_path / "r"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--price" in result.output
