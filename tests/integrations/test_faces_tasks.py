"""The HTTP env server and the MCP server with a tasks file: a task per session, its reward at the end."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from workgym.tasks import Task, TaskSet
from workgym.world.client import EnvClient, EnvServerError
from workgym.world.mcp_server import META_KEY, STATE_URI
from workgym.world.server import create_app, running

DONE = {"name": "submit_answer", "arguments": {"text": "done"}}


def played(task: Task) -> list[dict[str, Any]]:
    calls = [c.to_dict() for c in task.gold]
    return calls if calls[-1]["name"] == "submit_answer" else [*calls, DONE]


@pytest.fixture(scope="module")
def url(taskset: TaskSet) -> Iterator[str]:
    with running(create_app(taskset.world, tasks=taskset)) as base:
        yield base


def test_when_tasks_are_listed_then_ids_and_instructions_show_and_gold_never(
    url: str, taskset: TaskSet
) -> None:
    listed = httpx.get(f"{url}/tasks").json()["tasks"]
    assert [t["id"] for t in listed] == [t.id for t in taskset.tasks]
    assert set(listed[0]) == {"id", "family", "split", "instruction"}
    assert httpx.get(f"{url}/health").json()["tasks"] == len(taskset)


def test_when_a_session_runs_a_task_then_the_last_response_carries_reward_and_checks(
    url: str, one_per_family: list[Task]
) -> None:
    with EnvClient(url) as client:
        for task in one_per_family:
            ep = client.reset(task_id=task.id)
            assert task.instruction in ep.observation.text
            assert "score" not in ep.state()  # mid-episode: a check's detail would name the answer
            observations = [ep.step(call) for call in played(task)]
            assert [o.reward for o in observations[:-1]] == [0.0] * (len(observations) - 1)
            last = observations[-1]
            assert last.terminated and last.reward == 1.0, task.family
            assert last.info["score"]["reward"] == 1.0 and all(
                c["passed"] for c in last.info["score"]["checks"]
            )
            assert ep.state()["score"]["reward"] == 1.0
            ep.close()


def test_when_64_task_sessions_run_at_once_then_each_earns_its_own_reward(
    url: str, one_per_family: list[Task]
) -> None:
    def one(i: int) -> tuple[float, float]:
        task = one_per_family[i % len(one_per_family)]
        with EnvClient(url) as client:
            good, bad = client.reset(task_id=task.id, seed=i), client.reset(task_id=task.id, seed=i)
            rewards = [good.step(c).reward for c in played(task)][-1]
            wrong = bad.step({"name": "submit_answer", "arguments": {"text": "no idea"}}).reward
            good.close(), bad.close()
            return rewards, wrong

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(one, range(64)))
    assert results == [(1.0, 0.0)] * 64


def test_when_a_task_session_forks_after_a_prefix_then_each_branch_is_scored_alone(
    url: str, one_per_family: list[Task]
) -> None:
    task = next(t for t in one_per_family if len(played(t)) >= 2)
    with EnvClient(url) as client:
        ep = client.reset(task_id=task.id, reward="dense")
        calls = played(task)
        for call in calls[:-1]:
            ep.step(call)
        branch = ep.fork()
        assert branch.step(calls[-1]).info["score"]["reward"] == 1.0
        assert (
            ep.step({"name": "submit_answer", "arguments": {"text": "wrong"}}).info["score"]["reward"] == 0.0
        )


def test_when_a_task_reset_is_wrong_then_it_is_refused_with_a_reason(url: str, taskset: TaskSet) -> None:
    with EnvClient(url) as client:
        with pytest.raises(EnvServerError, match="no task") as err:
            client.reset(task_id="lookup-nope")
        assert err.value.status == 404
        with pytest.raises(EnvServerError, match="come from the task") as err:
            client.reset(task_id=taskset.tasks[0].id, persona="P0001")
        assert err.value.status == 422
        with pytest.raises(EnvServerError, match="give task_id") as err:
            client.reset(reward="dense")
    assert httpx.post(f"{url}/reset", json={"task_id": 7}).status_code == 422
    assert httpx.post(f"{url}/reset", json={"task_id": "x", "reward": "huge"}).status_code == 422


def test_when_a_server_has_no_tasks_then_a_task_reset_says_so(taskset: TaskSet) -> None:
    with running(create_app(taskset.world)) as base, EnvClient(base) as client:
        assert client.tasks() == []
        with pytest.raises(EnvServerError, match="--tasks") as err:
            client.reset(task_id=taskset.tasks[0].id)
        assert err.value.status == 422


def test_when_mcp_serves_a_task_then_the_ending_call_carries_the_reward_and_checks(
    anon_db: Path, tasks_file: Path, one_per_family: list[Task]
) -> None:
    task = next(t for t in one_per_family if t.family == "workflow")
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "workgym.cli", "mcp", str(anon_db), "--tasks", str(tasks_file), "--task", task.id],
        env=dict(os.environ),  # the environment workgym is installed in, as the test's own
    )

    async def run() -> tuple[list[Any], Any, str]:
        async with Client(params) as client:
            assert client.instructions and task.instruction in client.instructions
            names = {t.name for t in (await client.list_tools()).tools}
            assert names == set(task.tools)
            results = [await client.call_tool(c["name"], c["arguments"]) for c in played(task)]
            state = await client.read_resource(STATE_URI)
            return results, state, client.instructions

    results, state, _ = anyio.run(run)
    meta = [r.meta[META_KEY] for r in results]
    assert [m["reward"] for m in meta] == [0.0] * (len(meta) - 1) + [1.0]
    assert meta[-1]["terminated"] and all(c["passed"] for c in meta[-1]["score"]["checks"])
    assert json.loads(state.contents[0].text)["score"]["reward"] == 1.0


def test_the_world_stage_imports_nothing_of_the_tasks_stage() -> None:
    # DESIGN's stage order: tasks are built on the world; the faces take task sessions by protocol
    # (workgym.world.tasking), so no module of the world names one of the tasks stage, not even for types.
    import ast

    import workgym.world

    root = Path(workgym.world.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.relative_to(root)}: {n}" for n in names if n.startswith("workgym.tasks")]
    assert found == []
