"""Real text through the runner: titanium tickets holding U+2028 (LINE SEPARATOR) run, stream and read back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from workgym.agents import AgentSpec
from workgym.export import ExportOptions, export
from workgym.jsonl import read
from workgym.rollout import RunConfig, load_trajectories, run
from workgym.tasks import Call, Task


def test_when_an_observation_holds_a_line_separator_then_the_run_reads_back_whole(
    tmp_path: Path, titanium_db: Path
) -> None:
    conn = sqlite3.connect(titanium_db)
    try:
        keys = [
            key
            for (key,) in conn.execute(
                "SELECT id FROM ticket WHERE instr(description, char(8232)) BETWEEN 1 AND 1000 ORDER BY id"
            )
        ]
    finally:
        conn.close()
    assert keys, "titanium holds tickets with U+2028 early in their description (within a page)"
    tasks = [
        Task(
            family="lookup",
            instruction=f"Read {key}.",
            cutoff=None,
            persona=None,
            tools=("get_ticket",),
            gold=(Call("get_ticket", {"key": key}),),
            checks=(),
        ).with_id()
        for key in keys
    ]
    out = tmp_path / "run"
    run(RunConfig(workspace=titanium_db, tasks=tasks, agents=[AgentSpec("oracle")], trials=2, out=out))
    trajectories = load_trajectories(out / "trajectories.jsonl")
    assert len(trajectories) == 2 * len(keys)
    observations = [s["observation"] for t in trajectories for s in t["steps"]]
    assert all("\u2028" in o for o in observations)
    assert len((out / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()) == len(trajectories)
    report = export([out], tmp_path / "sft.jsonl", ExportOptions(formats=["openai-chat"], split=False))
    [(path, count)] = report.files.items()
    tool_turns = [m["content"] for r in read(Path(path)) for m in r["messages"] if m["role"] == "tool"]
    assert count == len(keys) and set(tool_turns) == set(observations)
