"""OpenEnv: the tasks served with OpenEnv's protocol, driven by OpenEnv's own clients (generic and typed)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytest.importorskip("openenv", reason="openenv not installed: see docs/training.md (workgym[openenv])")

from openenv import GenericEnvClient

from workgym.integrations.openenv import WorkgymAction, WorkgymEnvClient, create_openenv_app
from workgym.tasks import Task, TaskSet
from workgym.world.server import running

TOKEN = "openenv-test-token-0123456789"


def played(task: Task) -> list[dict[str, Any]]:
    """The gold calls, closed by ``finish`` when they do not end the episode themselves."""
    calls = [c.to_dict() for c in task.gold]
    return calls if calls[-1]["name"] == "submit_answer" else [*calls, {"name": "finish", "arguments": {}}]


@pytest.fixture(scope="module")
def url(taskset: TaskSet) -> Iterator[str]:
    with running(create_openenv_app(taskset, max_sessions=128)) as base:
        yield base


def test_when_the_generic_client_plays_the_gold_calls_then_the_last_step_carries_reward_and_checks(
    url: str, one_per_family: list[Task]
) -> None:
    for task in one_per_family:
        with GenericEnvClient(base_url=url).sync() as env:
            result = env.reset(task_id=task.id)
            assert result.observation["task_id"] == task.id and not result.done
            assert set(result.observation["prompt"]) == {"task_id", "system", "instruction", "tools"}
            rewards = [env.step(call) for call in played(task)]
            assert [r.reward for r in rewards[:-1]] == [0.0] * (len(rewards) - 1)
            last = rewards[-1]
            assert last.done and last.reward == 1.0, task.family
            assert all(c["passed"] for c in last.observation["score"]["checks"])
            assert env.state()["task_id"] == task.id


def test_when_64_sessions_run_at_once_then_each_earns_its_own_reward(
    url: str, one_per_family: list[Task]
) -> None:
    async def one(i: int) -> tuple[float | None, float | None]:
        task = one_per_family[i % len(one_per_family)]
        async with WorkgymEnvClient(base_url=url, message_timeout_s=300) as env:
            await env.reset(task_id=task.id, seed=i, reward="dense" if i % 2 else "binary")
            result = None
            for call in played(task):
                result = await env.step(WorkgymAction(**call))
            assert result is not None and result.observation.score is not None
            gold = result.observation.score["reward"]
        async with GenericEnvClient(base_url=url, message_timeout_s=300) as env:
            await env.reset(task_id=task.id, seed=i)
            wrong = (await env.step({"name": "submit_answer", "arguments": {"text": "no idea"}})).reward
        return gold, wrong

    async def run() -> list[tuple[float | None, float | None]]:
        return list(await asyncio.gather(*(one(i) for i in range(64))))

    assert asyncio.run(run()) == [(1.0, 0.0)] * 64


def test_when_openenv_s_routes_are_asked_then_health_schema_and_tasks_answer(
    url: str, taskset: TaskSet
) -> None:
    assert httpx.get(f"{url}/health").json()["status"] == "healthy"
    schema = httpx.get(f"{url}/schema").json()
    assert {"name", "arguments"} <= set(schema["action"]["properties"])
    assert "score" in schema["observation"]["properties"]
    splits = [s["name"] for s in httpx.get(f"{url}/workgym/splits").json()]
    assert "all" in splits and "train" in splits
    tasks = httpx.post(f"{url}/workgym/tasks", json={"split": "all"}).json()["tasks"]
    assert [t["id"] for t in tasks] == [t.id for t in taskset.tasks]
    assert "gold" not in tasks[0] and "checks" not in tasks[0]
    assert httpx.post(f"{url}/workgym/task", json={"split": "train", "index": 10**6}).status_code == 400


def test_when_a_client_has_no_token_or_a_foreign_origin_then_the_session_is_refused(taskset: TaskSet) -> None:
    with running(create_openenv_app(taskset, token=TOKEN)) as base:
        assert httpx.get(f"{base}/health").status_code == 401
        with pytest.raises(ConnectionError), GenericEnvClient(base_url=base).sync() as env:
            env.reset(task_id=taskset.tasks[0].id)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with GenericEnvClient(base_url=base, headers=headers).sync() as env:
            assert env.reset(task_id=taskset.tasks[0].id).observation["task_id"] == taskset.tasks[0].id
        foreign = {**headers, "Origin": "http://evil.example"}
        with pytest.raises(ConnectionError), GenericEnvClient(base_url=base, headers=foreign).sync() as env:
            env.reset(task_id=taskset.tasks[0].id)


def test_when_serve_openenv_runs_then_openenv_s_client_plays_a_task_on_it(
    anon_db: Any, tasks_file: Any, one_per_family: list[Task]
) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "workgym.cli", "serve-openenv", str(anon_db), "--tasks", str(tasks_file)]
    server = subprocess.Popen([*command, "--port", str(port)], env=dict(os.environ), stdout=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        task = one_per_family[0]
        with GenericEnvClient(base_url=base).sync() as env:
            env.reset(task_id=task.id)
            last = [env.step(call) for call in played(task)][-1]
        assert last.done and last.reward == 1.0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_when_openenv_reads_the_shipped_manifest_then_it_parses() -> None:
    from pathlib import Path

    from openenv.validation.parsers.openenv_yaml import OpenEnvYamlParser

    manifest = OpenEnvYamlParser().parse(Path(__file__).resolve().parents[2])
    assert manifest.name == "workgym" and manifest.capabilities.task_api
    assert manifest.network.mode == "no-network"
