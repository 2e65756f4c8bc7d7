"""verifiers: its own rollout code (Env.serving, slots, run_slot, interception) earns each task's reward.

The model is the local OpenAI-compatible test server: playing the gold calls it earns 1.0 on every
task, answering nothing it earns 0.0. The docs/training.md example runs here too.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import weakref
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "verifiers.v1", reason="verifiers not installed: see docs/training.md (workgym[verifiers])"
)

import verifiers.v1 as vf

from tests.fake_openai import FakeOpenAI, Reply, gold_player
from tests.integrations.test_training_docs import section_blocks
from workgym.integrations import verifiers as wv
from workgym.tasks import Task


@pytest.fixture(scope="module")
def some_tasks(one_per_family: list[Task]) -> list[Task]:
    """One task of each family."""
    return one_per_family


def endpoint(server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WORKGYM_TEST_KEY", "sk-test")
    return vf.EvalClientConfig(base_url=server.url, api_key_var="WORKGYM_TEST_KEY")


def rewards(episodes: list[Any]) -> dict[str, list[float]]:
    """Each task's rollouts' rewards, by task id; every episode must have run without error."""
    got: dict[str, list[float]] = {}
    for episode in episodes:
        assert not episode.errors, episode.errors
        for trace in episode.traces:
            assert trace.ok and not trace.errors, trace.errors
            assert trace.state.task_env is None  # closed after scoring
            got.setdefault(trace.task.data.task_id, []).append(trace.reward)
    return got


def test_when_the_model_plays_the_gold_calls_then_every_rollout_earns_1(
    anon_db: Path, tasks_file: Path, some_tasks: list[Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [t.id for t in some_tasks]
    env = wv.load_environment(anon_db, tasks_file, task_ids=ids)
    with FakeOpenAI(gold_player(some_tasks)) as server:
        episodes = asyncio.run(
            wv.run(env, rollouts=2, model="scripted", client=endpoint(server, monkeypatch))
        )
        assert server.requests, "the model was never called"
        assert all(r["messages"][0]["role"] == "system" for r in server.requests)
    got = rewards(episodes)
    assert sorted(got) == sorted(ids)
    assert got == {i: [1.0, 1.0] for i in ids}


def test_when_the_model_answers_nothing_then_every_rollout_earns_0(
    anon_db: Path, tasks_file: Path, some_tasks: list[Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [t.id for t in some_tasks]
    env = wv.load_environment(anon_db, tasks_file, task_ids=ids)
    with FakeOpenAI(lambda request: Reply(content="")) as server:
        episodes = asyncio.run(wv.run(env, model="scripted", client=endpoint(server, monkeypatch)))
    assert rewards(episodes) == {i: [0.0] for i in ids}


def test_when_the_model_writes_its_calls_as_text_then_workgym_s_own_loop_reads_them(
    anon_db: Path, tasks_file: Path, some_tasks: list[Task], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hermes/Qwen <tool_call> text, as an open model served without a tool parser writes it: only
    # workgym's OpenAIAgent loop (the harness's) reads calls out of the content.
    gold = gold_player(some_tasks)

    def hermes(request: dict[str, Any]) -> Reply:
        [(name, arguments)] = gold(request).tool_calls
        call = json.dumps({"name": name, "arguments": json.loads(arguments)})
        return Reply(content=f"<tool_call>\n{call}\n</tool_call>")

    ids = [t.id for t in some_tasks]
    env = wv.load_environment(anon_db, tasks_file, task_ids=ids)
    with FakeOpenAI(hermes) as server:
        episodes = asyncio.run(wv.run(env, model="scripted", client=endpoint(server, monkeypatch)))
    assert rewards(episodes) == {i: [1.0] for i in ids}
    for episode in episodes:
        played = episode.traces[0].info["workgym"]
        assert played["steps"] >= 1 and played["format_failures"] == 0


def test_when_the_tasks_file_changes_then_the_set_opened_before_is_let_go(
    anon_db: Path, tasks_file: Path, tmp_path: Path
) -> None:
    tasks = tmp_path / "tasks.jsonl"
    shutil.copy(tasks_file, tasks)
    first = wv._open(str(anon_db), str(tasks))
    assert wv._open(str(anon_db), str(tasks)) is first  # unchanged files: the same set
    before, gone = len(first), weakref.ref(first)
    del first
    tasks.write_text(tasks_file.read_text().splitlines()[0] + "\n")
    stat = tasks.stat()
    os.utime(tasks, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = wv._open(str(anon_db), str(tasks))
    assert len(second) == 1 < before
    gc.collect()
    assert gone() is None, "the replaced task set is still held"
    assert wv._open(str(anon_db), str(tasks)) is second


def test_the_prompt_is_the_task_s_and_nothing_privileged(
    anon_db: Path, tasks_file: Path, some_tasks: list[Task]
) -> None:
    env = wv.load_environment(anon_db, tasks_file, task_ids=[t.id for t in some_tasks])
    loaded = list(env.taskset)
    assert [t.data.task_id for t in loaded] == [t.id for t in some_tasks]
    for vtask, task in zip(loaded, some_tasks, strict=True):
        assert vtask.data.prompt == task.instruction
        dumped = vtask.data.model_dump_json()
        for call in task.gold:
            for value in call.arguments.values():
                if isinstance(value, str) and len(value) > 12 and value not in task.instruction:
                    assert value not in dumped
    assert type(env.taskset) is wv.WorkgymTaskset


def test_when_the_docs_example_runs_then_it_prints_each_task_s_rewards(
    anon_db: Path,
    tasks_file: Path,
    sample_tasks: tuple[list[Task], Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    [block] = section_blocks("verifiers")
    shutil.copy(anon_db, tmp_path / "anon.db")
    shutil.copy(tasks_file, tmp_path / "tasks.jsonl")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    tests = {t.id for t in sample_tasks[0] if t.split == "test"}
    with FakeOpenAI(gold_player(sample_tasks[0])) as server:
        runnable = block.replace("http://localhost:8000/v1", server.url).replace("rollouts=8", "rollouts=1")
        assert runnable != block
        exec(compile(runnable, "docs/training.md", "exec"), {})
    printed = [line.split(" ") for line in capsys.readouterr().out.splitlines()]
    assert sorted(task_id for task_id, _ in printed) == sorted(tests)  # one rollout each
    assert {reward for _, reward in printed} == {"1.0"}
