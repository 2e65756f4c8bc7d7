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
from workgym.agents.context import _chars
from workgym.agents.endpoint import NUDGES
from workgym.rollout import RunConfig, run
from workgym.tasks import Task
from workgym.world import World


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
    limits: dict[str, Any] | None = None,
    **endpoint: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    model = ModelEndpoint(model="scripted", base_url=server.url, backoff=0.01, **endpoint)
    spec = AgentSpec(kind, model, **(limits or {}))
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


def test_when_a_question_is_answered_in_prose_then_it_is_nudged_not_submitted(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    questions = [t for t in some_tasks if t.gold[-1].name == "submit_answer"][:3]

    def prose_first(request: dict[str, Any], turn: int) -> Reply | None:
        task = next(t for t in questions if t.instruction == request["messages"][1]["content"])
        return Reply(content=f"I think it is {task.gold[-1].arguments['text']}.") if turn == 0 else None

    with FakeOpenAI(gold_player(questions, before=prose_first)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, questions, server)
    assert summary["success_rate"] == 1.0  # the nudged model went on and submitted through the tool
    assert summary["format_failures"] == {"replies": len(questions), "episodes": len(questions)}
    assert "format" not in summary["step_errors"]  # counted apart from the world's errors
    for t in trajectories:
        first = t["steps"][0]
        assert first["error"] == "format" and first["form"] == "none"
        assert "no tool call found" in first["observation"] and "submit_answer" in first["observation"]
        assert t["answer"] == next(x for x in questions if x.id == t["task_id"]).gold[-1].arguments["text"]
    second = next(r for r in server.requests if len(r["messages"]) > 2)["messages"]  # the nudge went back
    assert second[-2]["role"] == "assistant" and second[-1]["content"].startswith("Error: no tool call")


def test_when_the_model_never_calls_a_tool_then_it_gives_up_and_nothing_is_submitted(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    with FakeOpenAI(lambda request: Reply(content="Let me think about which ticket it is.")) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks[:2], server)
    assert summary["format_failures"] == {"replies": 2 * NUDGES, "episodes": 2}
    assert summary["success_rate"] == 0.0 and summary["failures"] == {}
    assert all(t["answer"] is None and len(t["steps"]) == NUDGES for t in trajectories)
    assert len(server.requests) == 2 * NUDGES


def test_when_the_reply_says_final_answer_then_that_is_the_answer(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    questions = [t for t in some_tasks if t.gold[-1].name == "submit_answer"][:2]

    def final(request: dict[str, Any], turn: int) -> Reply | None:
        task = next(t for t in questions if t.instruction == request["messages"][1]["content"])
        return Reply(content=f"I have it.\nFinal Answer: {task.gold[-1].arguments['text']}")

    with FakeOpenAI(gold_player(questions, before=final)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, questions, server)
    assert summary["success_rate"] == 1.0 and summary["format_failures"]["replies"] == 0
    assert all(t["steps"][-1]["form"] == "final_answer" for t in trajectories)


def _in_form(form: str, name: str, arguments: dict[str, Any]) -> str:
    """A call written the way a model family writes it in its content (see data/replies.jsonl)."""
    args = json.dumps(arguments)
    return {
        "hermes": f'<tool_call>\n{{"name": "{name}", "arguments": {args}}}\n</tool_call>',
        "python_tag": f'<|python_tag|>{{"name": "{name}", "parameters": {args}}}<|eom_id|>',
        "json": f'{{"name": "{name}", "parameters": {args}}}',
        "mistral": f'[TOOL_CALLS] [{{"name": "{name}", "arguments": {args}}}]',
        "fenced": f'Next step.\n```json\n{{"name": "{name}", "arguments": {json.dumps(args)}}}\n```',
        "function_tag": f"<function={name}>{args}</function>",
        "granite": f'<|tool_call|>[{{"name": "{name}", "arguments": {args}}}]',
    }[form]


CONTENT_FORMS = ["hermes", "python_tag", "json", "mistral", "fenced", "function_tag", "granite"]


@pytest.mark.parametrize("form", CONTENT_FORMS)
def test_when_the_model_writes_its_calls_in_the_content_then_they_reach_the_world(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task], form: str
) -> None:
    gold = gold_player(some_tasks)

    def in_content(request: dict[str, Any]) -> Reply:
        reply = gold(request)
        if not reply.tool_calls:
            return reply
        (name, arguments), *_ = reply.tool_calls
        return Reply(content=_in_form(form, name, json.loads(arguments)))

    with FakeOpenAI(in_content) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks, server)
    assert summary["success_rate"] == 1.0, [t["checks"] for t in trajectories if t["reward"] < 1]
    assert summary["format_failures"]["replies"] == 0 and summary["step_errors"] == {}
    assert set(summary["call_forms"]) == {form}
    for t in trajectories:
        task = next(x for x in some_tasks if x.id == t["task_id"])
        assert [s["call"]["name"] for s in t["steps"]][: len(task.gold)] == [c.name for c in task.gold]
    later = next(r for r in server.requests if len(r["messages"]) > 3)["messages"]
    assert later[2]["tool_calls"] and later[3]["role"] == "tool"  # the history carries the call as a call


def test_when_the_endpoint_returns_logprobs_then_the_trajectory_keeps_them(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    gold = gold_player(some_tasks[:2])

    def with_logprobs(request: dict[str, Any]) -> Reply:
        reply = gold(request)
        reply.logprobs = [("get", -0.25, 455), ("_ticket", -0.5, 9012)]
        reply.token_ids = [455, 9012]
        return reply

    with FakeOpenAI(with_logprobs) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks[:2], server, logprobs=True)
    assert summary["success_rate"] == 1.0
    assert all(r["logprobs"] is True for r in server.requests)
    for t in trajectories:
        kept = t["steps"][0]["logprobs"]
        assert kept["token_ids"] == [455, 9012]
        assert kept["content"] == [
            {"token": "get", "logprob": -0.25, "id": 455},
            {"token": "_ticket", "logprob": -0.5, "id": 9012},
        ]
        assert t["tokens"]["prompt"] == 11 * len(t["steps"])  # the endpoint's usage, one turn a step


def test_when_the_conversation_outgrows_its_budget_then_old_observations_give_way(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    long_tasks = [t for t in some_tasks if len(t.gold) >= 3][:2]
    assert long_tasks, "the sample has tasks of three calls or more"
    gold = gold_player(long_tasks)

    def counted(request: dict[str, Any]) -> Reply:  # the server counts 4 characters a token
        reply = gold(request)
        reply.usage = (_chars(request["messages"], request.get("tools")) // 4, 7)
        return reply

    with FakeOpenAI(counted) as probe:  # how big the conversations grow without a budget
        run_llm(tmp_path / "probe", anon_db, long_tasks, probe)
    opening = max(_chars(r["messages"], r["tools"]) for r in probe.requests if len(r["messages"]) == 2) // 4
    budget = opening + 200 + 150  # the prompt, the completion, and room for a little of the observations
    with FakeOpenAI(counted) as server:
        summary, trajectories = run_llm(
            tmp_path, anon_db, long_tasks, server, limits={"max_context": budget}, max_tokens=200
        )
    assert summary["success_rate"] == 1.0
    later = [r for r in server.requests if len(r["messages"]) > 4]
    assert later
    for request in later:  # from the first count on, what is sent fits (with 2% for the estimate)
        assert _chars(request["messages"], request["tools"]) / 4 <= (budget - 200) * 1.02
    notes = [
        m["content"]
        for r in server.requests
        for m in r["messages"]
        if m["role"] == "tool" and ("[clipped" in m["content"] or "[dropped" in m["content"])
    ]
    assert notes, "some observation was clipped or dropped"
    assert all("token budget" in n for n in notes)
    for t in trajectories:  # the trajectory keeps every observation whole
        assert not any("[clipped" in s["observation"] or "[dropped" in s["observation"] for s in t["steps"])


def test_when_model_time_is_long_then_it_does_not_eat_the_episode_time_limit(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    gold = gold_player(some_tasks[:2])

    def slow(request: dict[str, Any]) -> Reply:
        reply = gold(request)
        reply.delay = 0.3  # model time in all: more than max_seconds below
        return reply

    with FakeOpenAI(slow) as server:
        summary, trajectories = run_llm(
            tmp_path, anon_db, some_tasks[:2], server, limits={"max_seconds": 0.5}
        )
    assert summary["success_rate"] == 1.0
    assert all(t["seconds"]["model"] > 0.5 and not t["truncated"] for t in trajectories)
    with FakeOpenAI(gold_player(some_tasks[:2])) as server:  # a limit the first step's tool time passes
        _, cut = run_llm(tmp_path / "cut", anon_db, some_tasks[:2], server, limits={"max_seconds": 1e-9})
    assert all(t["truncated"] and len(t["steps"]) == 1 for t in cut)


def test_when_the_react_agent_plays_the_gold_calls_then_every_task_is_solved(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    with FakeOpenAI(gold_player(some_tasks, react=True)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, some_tasks, server, kind="react")
    assert summary["success_rate"] == 1.0, [t["checks"] for t in trajectories if t["reward"] < 1]
    assert "tools" not in server.requests[0]  # text only
    assert "Action Input:" in server.requests[0]["messages"][0]["content"]
    assert all(s["thought"] for t in trajectories for s in t["steps"])


def test_when_run_is_given_every_limit_then_each_reaches_the_request_and_run_json(
    tmp_path: Path, anon_db: Path, some_tasks: list[Task]
) -> None:
    from typer.testing import CliRunner

    from workgym.cli import app
    from workgym.tasks import write_tasks

    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(some_tasks[:2], tasks_file)
    out = tmp_path / "limits"
    with FakeOpenAI(gold_player(some_tasks[:2])) as server:
        args = [
            "run",
            str(anon_db),
            str(tasks_file),
            "--agent",
            "openai",
            "--model",
            "m",
            "--base-url",
            server.url,
        ]
        args += ["--timeout", "120", "--max-seconds", "90", "--max-turns", "12", "--max-tokens", "256"]
        args += [
            "--temperature",
            "0.7",
            "--top-p",
            "0.9",
            "--seed",
            "5",
            "--max-context",
            "32000",
            "--logprobs",
            "--compact-tools",
        ]
        result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    request = server.requests[0]
    assert (request["temperature"], request["top_p"], request["max_tokens"]) == (0.7, 0.9, 256)
    assert request["seed"] in (5, 6) and request["logprobs"] is True  # the run's seed plus the trial's
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    (settings,) = info["agent_settings"]
    assert settings["max_turns"] == 12 and settings["max_seconds"] == 90 and settings["max_context"] == 32000
    assert settings["compact_tools"] is True
    full = {t["function"]["name"]: t for t in World.open(anon_db).tools()}
    sent = {t["function"]["name"]: t for t in request["tools"]}
    assert sent and len(json.dumps(list(sent.values()))) < len(json.dumps([full[n] for n in sent]))
    endpoint = settings["endpoint"]
    assert endpoint["timeout"] == 120 and endpoint["temperature"] == 0.7 and endpoint["top_p"] == 0.9
    assert endpoint["max_tokens"] == 256 and endpoint["logprobs"] is True and "api_key" not in endpoint
    assert info["seed"] == 5
