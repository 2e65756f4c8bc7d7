"""GRPO groups through every face: G rollouts of one task start alike, and forks after a prefix split.

For each adapter (in-process TaskEnv, Gymnasium Task-v0, the TRL class, the HTTP env server, MCP,
OpenEnv, verifiers): G=4 rollouts of one task start from one state (equal ``state_hash`` and
opening), and G forks made after a shared prefix start where the prefix left off (equal hash, not
the empty one) with independent futures: the branch that plays the rest of the gold earns 1.0,
the one that submits a wrong answer 0.0, two branches given the same calls see the same
observations, and the source episode is left as the prefix left it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from workgym.tasks import Task, TaskSet
from workgym.world import EMPTY_HASH

G = 4
WRONG = {"name": "submit_answer", "arguments": {"text": "no idea"}}
DONE = {"name": "submit_answer", "arguments": {"text": "done"}}


@dataclass(frozen=True)
class Plan:
    """A task whose gold writes before its last call: the prefix (through the first write) and the rest."""

    task: Task
    prefix: list[dict[str, Any]]
    rest: list[dict[str, Any]]  # closed by a submit when the gold does not end the episode itself
    prefix_hash: str
    full_hash: str


@pytest.fixture(scope="module")
def plan(taskset: TaskSet, one_per_family: list[Task]) -> Plan:
    for task in one_per_family:
        calls = [c.to_dict() for c in task.gold]
        with taskset.env(task.id) as env:
            hashes = []
            for call in calls:
                env.step(call)
                hashes.append(env.state_hash())
        at = next((i for i, h in enumerate(hashes[:-1]) if h != EMPTY_HASH), None)
        if at is not None and hashes[-1] != hashes[at]:  # the rest writes too: branches can differ
            rest = calls[at + 1 :]
            if rest[-1]["name"] != "submit_answer":
                rest.append(DONE)
            return Plan(task, calls[: at + 1], rest, hashes[at], hashes[-1])
    pytest.fail("no sample task writes before its last gold call and again after")


def check_start(openings: list[str], hashes: list[str]) -> None:
    assert len(openings) == len(hashes) == G
    assert len(set(openings)) == 1, "the G rollouts were shown different openings"
    assert hashes == [EMPTY_HASH] * G


def check_branches(plan: Plan, forked: list[str], after: dict[str, Any]) -> None:
    """``forked``: each branch's hash on forking; ``after``: what the futures gave (see the callers)."""
    assert forked == [plan.prefix_hash] * G
    assert after["gold_reward"] == 1.0 and after["gold_hash"] == plan.full_hash
    assert after["wrong_reward"] == 0.0 and after["wrong_hash"] == plan.prefix_hash
    assert after["twin_a"] == after["twin_b"], "two forks given the same calls saw different things"
    assert after["source_hash"] == plan.prefix_hash, "a branch's steps reached the source episode"


def test_task_env_in_process(taskset: TaskSet, plan: Plan) -> None:
    envs = [taskset.env(plan.task.id, seed=0) for _ in range(G)]
    check_start([e.reset().text for e in envs], [e.state_hash() for e in envs])
    source = envs[0]
    for call in plan.prefix:
        source.step(call)
    branches = [source.fork() for _ in range(G)]
    forked = [b.state_hash() for b in branches]
    gold = [b.step(c) for b, c in zip([branches[0]] * len(plan.rest), plan.rest, strict=True)][-1]
    wrong = branches[1].step(WRONG)
    after = {
        "gold_reward": gold.reward,
        "gold_hash": branches[0].state_hash(),
        "wrong_reward": wrong.reward,
        "wrong_hash": branches[1].state_hash(),
        "twin_a": [branches[2].step(c).text for c in plan.rest],
        "twin_b": [branches[3].step(c).text for c in plan.rest],
        "source_hash": source.state_hash(),
    }
    check_branches(plan, forked, after)
    for env in [*envs, *branches]:
        env.close()


def test_gymnasium_task_v0(taskset: TaskSet, plan: Plan) -> None:
    pytest.importorskip("gymnasium", reason='gymnasium not installed: pip install "workgym[gym]"')
    from workgym.tasks.gym import TaskGymEnv

    envs = [TaskGymEnv(taskset=taskset) for _ in range(G)]
    options = {"task_id": plan.task.id, "seed": 0}
    check_start([e.reset(options=options)[0] for e in envs], [e.task_env.state_hash() for e in envs])
    source = envs[0]
    for call in plan.prefix:
        source.step(json.dumps(call))
    branches = [source.fork() for _ in range(G)]
    forked = [b.task_env.state_hash() for b in branches]
    gold = [branches[0].step(json.dumps(c)) for c in plan.rest][-1]
    wrong = branches[1].step(json.dumps(WRONG))
    after = {
        "gold_reward": gold[1],
        "gold_hash": branches[0].task_env.state_hash(),
        "wrong_reward": wrong[1],
        "wrong_hash": branches[1].task_env.state_hash(),
        "twin_a": [branches[2].step(json.dumps(c))[:4] for c in plan.rest],
        "twin_b": [branches[3].step(json.dumps(c))[:4] for c in plan.rest],
        "source_hash": source.task_env.state_hash(),
    }
    check_branches(plan, forked, after)
    for env in [*envs, *branches]:
        env.close()


def test_trl_environment_class(taskset: TaskSet, plan: Plan) -> None:
    pytest.importorskip("trl", reason='trl not installed: pip install "workgym[trl]"')
    from workgym.integrations.trl import fork, grpo_spec

    factory = grpo_spec(taskset, task_ids=[plan.task.id]).environment_factory
    envs = [factory() for _ in range(G)]  # TRL: one instance per repeat of the row
    openings = [e.reset(task_id=plan.task.id, seed=0) for e in envs]
    check_start(openings, [e.task_env.state_hash() for e in envs])

    def call(env: Any, c: dict[str, Any]) -> str:
        return str(getattr(env, c["name"])(**c["arguments"]))

    source = envs[0]
    for c in plan.prefix:
        call(source, c)
    branches = [fork(source) for _ in range(G)]
    forked = [b.task_env.state_hash() for b in branches]
    for c in plan.rest:
        call(branches[0], c)
    call(branches[1], WRONG)
    after = {
        "gold_reward": branches[0].get_reward(),
        "gold_hash": branches[0].task_env.state_hash(),
        "wrong_reward": branches[1].get_reward(),
        "wrong_hash": branches[1].task_env.state_hash(),
        "twin_a": [call(branches[2], c) for c in plan.rest],
        "twin_b": [call(branches[3], c) for c in plan.rest],
        "source_hash": source.task_env.state_hash(),
    }
    check_branches(plan, forked, after)


@pytest.fixture(scope="module")
def env_server(taskset: TaskSet) -> Iterator[str]:
    from workgym.world.server import create_app, running

    with running(create_app(taskset.world, tasks=taskset)) as base:
        yield base


def test_http_env_server(env_server: str, plan: Plan) -> None:
    from workgym.world.client import EnvClient

    with EnvClient(env_server) as client:
        eps = [client.reset(task_id=plan.task.id, seed=0) for _ in range(G)]
        check_start([e.observation.text for e in eps], [e.state_hash() for e in eps])
        source = eps[0]
        for c in plan.prefix:
            source.step(c)
        branches = [source.fork() for _ in range(G)]  # POST /fork
        forked = [b.state_hash() for b in branches]
        gold = [branches[0].step(c) for c in plan.rest][-1]
        wrong = branches[1].step(WRONG)
        after = {
            "gold_reward": gold.reward,
            "gold_hash": branches[0].state_hash(),
            "wrong_reward": wrong.reward,
            "wrong_hash": branches[1].state_hash(),
            "twin_a": [branches[2].step(c).text for c in plan.rest],
            "twin_b": [branches[3].step(c).text for c in plan.rest],
            "source_hash": source.state_hash(),
        }
        for ep in [*eps, *branches]:
            ep.close()
    check_branches(plan, forked, after)


def test_mcp_server(taskset: TaskSet, plan: Plan) -> None:
    from mcp import Client

    from workgym.world.mcp_server import META_KEY, STATE_URI, build_server

    def served(env: Any) -> Client:
        return Client(build_server(env.episode, task=env))

    async def state_hash(client: Client) -> str:
        state = await client.read_resource(STATE_URI)
        return str(json.loads(state.contents[0].text)["hash"])

    async def call(client: Client, c: dict[str, Any]) -> tuple[str, Any]:
        result = await client.call_tool(c["name"], c["arguments"])
        return result.content[0].text, result.meta[META_KEY]["reward"]

    async def run() -> tuple[list[str], list[str], list[str], dict[str, Any]]:
        # G servers of one task and seed (as G `workgym mcp --tasks F --task ID --seed S` processes)
        envs = [taskset.env(plan.task.id, seed=0) for _ in range(G)]
        openings, hashes = [], []
        for env in envs:
            async with served(env) as client:
                openings.append(str(client.instructions))
                hashes.append(await state_hash(client))
        source = envs[0]
        async with served(source) as client:
            for c in plan.prefix:
                await call(client, c)
        branches = [source.fork() for _ in range(G)]  # the process holding the TaskEnv forks it
        clients = [served(b) for b in branches]
        async with clients[0] as c0, clients[1] as c1, clients[2] as c2, clients[3] as c3:
            forked = [await state_hash(c) for c in (c0, c1, c2, c3)]
            gold = [await call(c0, c) for c in plan.rest][-1]
            wrong = await call(c1, WRONG)
            after = {
                "gold_reward": gold[1],
                "gold_hash": await state_hash(c0),
                "wrong_reward": wrong[1],
                "wrong_hash": await state_hash(c1),
                "twin_a": [await call(c2, c) for c in plan.rest],
                "twin_b": [await call(c3, c) for c in plan.rest],
            }
        after["source_hash"] = source.state_hash()
        for env in [*envs, *branches]:
            env.close()
        return openings, hashes, forked, after

    openings, hashes, forked, after = anyio.run(run)
    check_start(openings, hashes)
    check_branches(plan, forked, after)


def test_openenv_server(taskset: TaskSet, plan: Plan) -> None:
    pytest.importorskip("openenv", reason="openenv not installed: see docs/training.md (workgym[openenv])")
    from openenv import GenericEnvClient

    from workgym.integrations.openenv import FINISH, create_openenv_app
    from workgym.world.server import running

    rest = [c if c != DONE else {"name": FINISH, "arguments": {}} for c in plan.rest]
    with running(create_openenv_app(taskset)) as url:
        clients = [GenericEnvClient(base_url=url).sync() for _ in range(2 * G)]
        try:
            for c in clients:
                c.connect()
            starts = [c.reset(task_id=plan.task.id, seed=0) for c in clients[:G]]
            check_start([s.observation["text"] for s in starts], [c.state()["hash"] for c in clients[:G]])
            source = clients[0]
            for c in plan.prefix:
                source.step(c)
            episode_id = source.state()["episode_id"]
            branches = clients[G:]
            for b in branches:
                opened = b.reset(fork_of=episode_id)
                assert opened.observation["task_id"] == plan.task.id
                assert opened.observation["info"]["step"] == len(plan.prefix)
            forked = [b.state()["hash"] for b in branches]
            gold = [branches[0].step(c) for c in rest][-1]
            wrong = branches[1].step(WRONG)
            after = {
                "gold_reward": gold.reward,
                "gold_hash": branches[0].state()["hash"],
                "wrong_reward": wrong.reward,
                "wrong_hash": branches[1].state()["hash"],
                "twin_a": [branches[2].step(c).observation["text"] for c in rest],
                "twin_b": [branches[3].step(c).observation["text"] for c in rest],
                "source_hash": source.state()["hash"],
            }
            with pytest.raises(Exception, match="no open episode"):
                clients[1].reset(fork_of="not-a-session")
        finally:
            for c in clients:
                c.close()
    check_branches(plan, forked, after)


def test_verifiers_environment(
    anon_db: Any, tasks_file: Any, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("verifiers.v1", reason="verifiers not installed: see docs/training.md")
    import verifiers.v1 as vf

    from tests.fake_openai import FakeOpenAI, Reply, gold_player
    from workgym.integrations import verifiers as wv

    monkeypatch.setenv("WORKGYM_TEST_KEY", "sk-test")
    gold = gold_player([plan.task])
    roles: list[str] = []
    skip = [0]  # the assistant turns a rollout's first request already holds: the prefix's

    def model(request: dict[str, Any]) -> Reply:
        """Rollouts one at a time, in turn: gold, wrong, gold, wrong."""
        if sum(1 for m in request["messages"] if m["role"] == "assistant") == skip[0]:
            roles.append("gold" if len(roles) % 2 == 0 else "wrong")
        if roles[-1] == "wrong":
            return Reply(tool_calls=[(WRONG["name"], json.dumps(WRONG["arguments"]))])
        return gold(request)

    def group(prefixes: dict[str, list[dict[str, Any]]] | None) -> list[Any]:
        env = wv.load_environment(anon_db, tasks_file, task_ids=[plan.task.id], prefixes=prefixes)
        roles.clear()
        skip[0] = len(plan.prefix) if prefixes else 0
        with FakeOpenAI(model) as server:
            client = vf.EvalClientConfig(base_url=server.url, api_key_var="WORKGYM_TEST_KEY")
            episodes = asyncio.run(wv.run(env, rollouts=G, model="scripted", client=client, max_concurrent=1))
        traces = [e.traces[0] for e in episodes]
        assert all(t.ok and not t.errors for t in traces), [t.errors for t in traces]
        return traces

    start = group(None)  # G rollouts of one task, each a fresh TaskEnv of one seed
    assert [t.info["workgym"]["start_hash"] for t in start] == [EMPTY_HASH] * G
    assert sorted(t.reward for t in start) == [0.0, 0.0, 1.0, 1.0] and roles == ["gold", "wrong"] * 2
    forks = group({plan.task.id: plan.prefix})  # G forks of the episode the prefix left
    # every fork starts where the prefix left off, after a gold branch wrote: the source is untouched
    assert [t.info["workgym"]["start_hash"] for t in forks] == [plan.prefix_hash] * G
    by_role = sorted((t.reward, t.info["workgym"]["end_hash"]) for t in forks)
    assert by_role == sorted([(1.0, plan.full_hash), (0.0, plan.prefix_hash)] * 2)
