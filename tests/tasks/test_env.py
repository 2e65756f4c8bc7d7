"""The task environment: prompt without privileged data, terminal and dense rewards, fork, hashes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import workgym
from workgym.agents import NoopAgent, OracleAgent, PartialAgent, RandomAgent, Recorder, WrongAgent
from workgym.tasks import Call, Prompt, Scorer, Task, TaskEnv, TaskSet, write_tasks
from workgym.tasks.generate import Report
from workgym.world import EMPTY_HASH, POLICY, Observation, World


@pytest.fixture(scope="module")
def tasks(sample_tasks: tuple[list[Task], Report]) -> list[Task]:
    found, _ = sample_tasks
    assert found, "the sample gives tasks"
    return found


@pytest.fixture(scope="module")
def scorer(anon_world: World) -> Scorer:
    return Scorer(anon_world)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _secrets(task: Task) -> set[str]:
    """What only the privileged side knows: gold and wrong arguments, expected answers, evidence ids."""
    out: set[str] = set()
    for call in (*task.gold, *task.wrong):
        out.update(_strings(dict(call.arguments)))
    for check in task.checks:
        if check.kind == "answer":
            out.update(_strings(check.expected))
            out.update(check.aliases)
    out.update(e.id for e in task.evidence)
    return {s for s in out if len(s) >= 4 and s.casefold() not in task.instruction.casefold()}


def _run(env: TaskEnv, calls: tuple[Call, ...]) -> list[Observation]:
    observations = [env.step(c.to_dict()) for c in calls]
    if not env.done:
        observations.append(env.finish())
    return observations


def test_when_the_package_is_imported_then_the_task_environment_is_at_its_top_level() -> None:
    assert workgym.TaskEnv is TaskEnv
    assert workgym.Prompt is Prompt
    assert workgym.TaskSet is TaskSet


def test_when_a_task_env_is_made_then_its_prompt_holds_no_gold_wrong_answer_or_evidence(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    checked = 0
    vocabulary = json.dumps(anon_world.tools(user=True), ensure_ascii=False)  # enums every task's tools show
    for task in tasks:
        with TaskEnv(anon_world, task, scorer=scorer) as env:
            prompt = env.prompt
            text = json.dumps(prompt.to_dict(), ensure_ascii=False)
            assert prompt.system.startswith(POLICY)
            assert prompt.instruction == task.instruction
            assert [m["role"] for m in prompt.messages()] == ["system", "user"]
            assert prompt.tools == env.episode.schemas()
            secrets = {s for s in _secrets(task) if s not in vocabulary}
            leaked = sorted(s for s in secrets if s in text)
            assert not leaked, f"{task.id}: the prompt shows {leaked[:3]}"
            checked += len(secrets)
    assert checked > 100, "the sample's tasks have privileged strings to look for"


def test_when_reset_then_the_observation_holds_the_intro_and_the_instruction(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    task = tasks[0]
    with TaskEnv(anon_world, task, scorer=scorer) as env:
        obs = env.reset(seed=3)
        assert obs.text == f"{env.episode.intro()}\n\n{task.instruction}"
        assert obs.reward == 0.0 and not obs.terminated and not obs.truncated


@pytest.mark.parametrize("agent", ["oracle", "wrong"])
def test_when_binary_then_only_the_observation_that_ends_the_episode_carries_the_reward(
    anon_world: World, tasks: list[Task], scorer: Scorer, agent: str
) -> None:
    for task in tasks:
        with TaskEnv(anon_world, task, scorer=scorer) as env:
            observations = _run(env, task.gold if agent == "oracle" else task.wrong)
            *before, last = observations
            assert all(o.reward == 0.0 and "score" not in o.info for o in before), task.id
            assert last.terminated or last.truncated
            assert last.reward == (1.0 if agent == "oracle" else 0.0), task.id
            assert last.info["score"] == env.score().to_dict()
            assert {"reward", "partial", "checks"} <= set(last.info["score"])
            after = env.step({"name": "submit_answer", "arguments": {"text": "again"}})
            assert after.reward == 0.0 and after.info["error"] == "over"


def test_when_dense_then_the_oracle_earns_exactly_one_on_every_task(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    for task in tasks:
        with TaskEnv(anon_world, task, scorer=scorer, reward="dense") as env:
            total = sum(o.reward for o in _run(env, task.gold))
            assert total == pytest.approx(1.0), task.id


def _agent_return(env: TaskEnv, agent: Any, seed: int) -> float:
    rewards: list[float] = []

    class Counting(Recorder):
        def step(self, call: Any, **kw: Any) -> Any:
            obs = super().step(call, **kw)
            rewards.append(obs.reward)
            return obs

    coro = agent.solve(env.prompt, Counting(env), seed=seed)
    with pytest.raises(StopIteration):
        coro.send(None)
    if not env.done:
        rewards.append(env.finish().reward)
    return sum(rewards)


@pytest.mark.parametrize(
    ("kind", "ceiling"),
    [
        ("noop", 0.0),  # doing nothing earns nothing (no_collateral passes for free, and pays nothing)
        ("random", 0.05),  # random valid calls and a random answer: at most 0.05 on average
    ],
)
def test_when_dense_then_noop_and_random_agents_earn_almost_nothing(
    anon_world: World, tasks: list[Task], scorer: Scorer, kind: str, ceiling: float
) -> None:
    returns = []
    for task in tasks:
        for seed in range(2):
            with TaskEnv(anon_world, task, scorer=scorer, reward="dense", seed=seed) as env:
                agent = NoopAgent() if kind == "noop" else RandomAgent()
                returns.append(_agent_return(env, agent, seed))
    mean = sum(returns) / len(returns)
    assert mean <= ceiling, f"{kind} averages {mean:.3f} dense return"


def test_when_dense_then_partial_work_earns_less_than_the_whole(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    for task in tasks:
        with TaskEnv(anon_world, task, scorer=scorer, reward="dense") as env:
            got = _agent_return(env, PartialAgent.for_task(task), 0)
            assert got < 1.0, task.id
            assert env.score().reward == 0.0 or len(task.gold) < 2, task.id


def test_when_an_agent_is_privileged_then_it_is_built_for_its_task_only(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    first, second = tasks[0], tasks[1]
    with TaskEnv(anon_world, second, scorer=scorer) as env:
        for agent in (OracleAgent(), OracleAgent.for_task(first), WrongAgent()):
            coro = agent.solve(env.prompt, Recorder(env), seed=0)
            with pytest.raises(Exception, match="task"):
                coro.send(None)
        assert env.episode.steps == 0


def test_when_forked_then_the_copies_go_their_own_ways(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    task = next(t for t in tasks if t.writes and len(t.gold) >= 2)
    with TaskEnv(anon_world, task, scorer=scorer, reward="dense") as env:
        prefix, rest = task.gold[:-1], task.gold[-1:]
        for call in prefix:
            env.step(call.to_dict())
        with env.fork() as branch:
            assert branch.state_hash() == env.state_hash()
            for call in rest:
                branch.step(call.to_dict())
            assert branch.score().reward == 1.0
            assert env.score().reward == 0.0, "the fork's steps left the parent as it was"
            assert branch.state_hash() != env.state_hash()
        for call in rest:
            env.step(call.to_dict())
        assert env.score().reward == 1.0, "the parent goes on after its fork is closed"


def test_when_the_same_calls_are_made_with_the_same_seed_then_the_state_hash_is_the_same(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    task = next(t for t in tasks if t.writes)
    hashes = []
    for _ in range(2):
        with TaskEnv(anon_world, task, scorer=scorer, seed=5) as env:
            assert env.state_hash() == EMPTY_HASH
            _run(env, task.gold)
            hashes.append(env.state_hash())
            env.reset()
            assert env.state_hash() == EMPTY_HASH
    assert hashes[0] == hashes[1] != EMPTY_HASH


def test_when_a_task_set_is_opened_then_it_makes_environments_by_id(
    anon_db: Path, tasks: list[Task], tmp_path: Path
) -> None:
    path = tmp_path / "tasks.jsonl"
    write_tasks(tasks, path)
    taskset = TaskSet.open(anon_db, path)
    assert len(taskset) == len(tasks) and [t.id for t in taskset] == [t.id for t in tasks]
    with taskset.env(tasks[0].id) as env:
        _run(env, tasks[0].gold)
        assert env.score().reward == 1.0
    with pytest.raises(KeyError, match="did you mean"):
        taskset.get(tasks[0].id[:-1] + "x")


def test_when_the_reward_mode_is_unknown_then_it_says_which_there_are(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    with pytest.raises(ValueError, match="binary, dense"):
        TaskEnv(anon_world, tasks[0], scorer=scorer, reward="sparse")  # type: ignore[arg-type]


def test_when_a_step_is_taken_then_the_episode_runs_the_agents_of_the_runner_unchanged(
    anon_world: World, tasks: list[Task], scorer: Scorer
) -> None:
    task = tasks[0]
    with TaskEnv(anon_world, task, scorer=scorer) as env:
        asyncio.run(OracleAgent.for_task(task).solve(env.prompt, Recorder(env), seed=0))
        assert env.score().reward == 1.0
