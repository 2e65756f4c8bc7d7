"""The LLM agents end to end: the runner, the agents, a real OpenAI-compatible server on loopback.

The server plays a model that knows each task's gold actions: it reads the task from the
request and answers with the next gold call, as a tool call (openai) or as ReAct text. Scripts on
top of that add malformed arguments, endpoint errors and timeouts.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.fake_openai import MALFORMED, FakeOpenAI, Reply, gold_player
from workgym.agents import AgentSpec, ModelEndpoint
from workgym.rollout import RunConfig, run
from workgym.tasks import Task


@pytest.fixture(scope="module")
def some_tasks(sample_tasks: tuple[list[Task], Any]) -> list[Task]:
    """Two tasks of each family."""
    tasks, _ = sample_tasks
    by_family: dict[str, list[Task]] = {}
    for t in tasks:
        by_family.setdefault(t.family, []).append(t)
    return [t for ts in by_family.values() for t in ts[:2]]


def run_llm(
    tmp_path: Path,
    db: Path,
    tasks: list[Task],
    server: FakeOpenAI,
    kind: str = "openai",
    prices: tuple[float, float] | None = None,
    **endpoint: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    spec = AgentSpec(kind, ModelEndpoint(model="scripted", base_url=server.url, backoff=0.01, **endpoint))
    out = tmp_path / "run"
    config = RunConfig(
        workspace=db, tasks=tasks, agents=[spec], trials=1, concurrency=4, out=out, prices=prices
    )
    summary = run(config)
    lines = (out / "trajectories.jsonl").read_text(encoding="utf-8").splitlines()
    return summary, [json.loads(line) for line in lines]


def test_when_the_model_plays_the_gold_calls_then_every_task_is_solved(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    with FakeOpenAI(gold_player(some_tasks)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks, server, prices=(1.0, 2.0))
    assert summary["success_rate"] == 1.0 and summary["failures"] == {}
    tokens = summary["tokens"]
    assert summary["cost_usd"] == pytest.approx((tokens["prompt"] * 1.0 + tokens["completion"] * 2.0) / 1e6)
    assert summary["agents"] == ["openai:scripted"]
    for t in trajectories:
        assert t["tokens"]["prompt"] > 0 and t["seconds"]["model"] > 0
        task = next(x for x in some_tasks if x.id == t["task_id"])
        made = [s["call"]["name"] for s in t["steps"]]
        assert made[: len(task.gold)] == [c.name for c in task.gold]
        assert made[len(task.gold) :] in ([], ["submit_answer"])  # a closing reply is taken as the answer
    first = server.requests[0]
    assert first["model"] == "scripted" and first["temperature"] == 0.0
    assert {tool["function"]["name"] for tool in first["tools"]} >= {"get_ticket", "submit_answer"}
    assert "You are" in first["messages"][0]["content"]  # the persona and the workplace policy


def test_when_the_model_writes_malformed_arguments_then_it_sees_an_error_and_recovers(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    def malformed(request: dict[str, Any], turn: int) -> Reply | None:
        return Reply(tool_calls=[("get_ticket", MALFORMED)]) if turn == 0 else None

    with FakeOpenAI(gold_player(some_tasks, before=malformed)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks, server)
    assert summary["success_rate"] == 1.0
    for t in trajectories:
        assert t["steps"][0]["error"] == "bad_call" and "not valid JSON" in t["steps"][0]["observation"]
    assert summary["step_errors"] == {"bad_call": len(some_tasks)}


def test_when_the_endpoint_fails_then_it_is_retried_or_the_failure_is_recorded(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    seen: Counter[str] = Counter()
    doomed = some_tasks[0].instruction

    def flaky(request: dict[str, Any], turn: int) -> Reply | None:
        instruction = request["messages"][1]["content"]
        seen[instruction] += 1
        if instruction == doomed:
            return Reply(status=400)  # a client error: not retried, recorded
        return Reply(status=503) if seen[instruction] == 1 else None  # a server error: retried

    with FakeOpenAI(gold_player(some_tasks, before=flaky)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks, server)
    failed = [t for t in trajectories if t["failure"]]
    assert len(failed) == 1 and failed[0]["failure"]["boundary"] == "endpoint"
    assert "BadRequestError" in failed[0]["failure"]["error"] and failed[0]["reward"] == 0.0
    assert seen[doomed] == 1  # a 400 is not retried
    assert summary["failures"] == {"endpoint": 1}
    assert summary["episodes"] == len(some_tasks)
    assert summary["success_rate"] == pytest.approx((len(some_tasks) - 1) / len(some_tasks), abs=1e-6)


def test_when_the_endpoint_is_too_slow_then_the_timeout_is_retried_and_then_recorded(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    with FakeOpenAI(lambda request: Reply(content="late", delay=1.0)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks[:2], server, timeout=0.2, retries=1)
    assert summary["failures"] == {"endpoint": 2}
    assert all("no answer after 2 tries" in t["failure"]["error"] for t in trajectories)
    assert len(server.requests) == 4  # each tried twice


def test_when_a_question_is_answered_in_plain_text_then_that_is_the_answer(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    questions = [t for t in some_tasks if t.gold[-1].name == "submit_answer"][:3]

    def plain(request: dict[str, Any], turn: int) -> Reply | None:
        task = next(t for t in questions if t.instruction == request["messages"][1]["content"])
        return Reply(content=task.gold[-1].arguments["text"])

    with FakeOpenAI(gold_player(questions, before=plain)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, questions, server)
    assert summary["success_rate"] == 1.0
    assert all(t["steps"][-1]["call"]["name"] == "submit_answer" for t in trajectories)


def test_when_the_react_agent_plays_the_gold_calls_then_every_task_is_solved(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    with FakeOpenAI(gold_player(some_tasks, react=True)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks, server, kind="react")
    assert summary["success_rate"] == 1.0, [t["checks"] for t in trajectories if t["reward"] < 1]
    assert "tools" not in server.requests[0]  # text only
    assert "Action Input:" in server.requests[0]["messages"][0]["content"]
    assert all(s["thought"] for t in trajectories for s in t["steps"])
