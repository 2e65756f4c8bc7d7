"""workgym/Task-v0: Gymnasium's own checker passes; a reset opens a task; the steps carry its reward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

gymnasium = pytest.importorskip("gymnasium", reason='gymnasium not installed: pip install "workgym[gym]"')

from gymnasium.utils.env_checker import check_env  # noqa: E402

from workgym.tasks import Task  # noqa: E402
from workgym.tasks.gym import TASK_ENV_ID, TaskGymEnv  # noqa: E402

NOOP = json.dumps({"name": "submit_answer", "arguments": {"text": "I do not know"}})
DONE = {"name": "submit_answer", "arguments": {"text": "done"}}


def played(task: Task) -> list[str]:
    """The gold calls as actions, closed by a submit when they do not end the episode themselves."""
    calls = [c.to_dict() for c in task.gold]
    if calls[-1]["name"] != "submit_answer":
        calls.append(DONE)
    return [json.dumps(c) for c in calls]


def test_when_checked_by_gymnasium_then_the_task_env_passes(anon_db: Path, tasks_file: Path) -> None:
    env = gymnasium.make(TASK_ENV_ID, workspace=anon_db, tasks=tasks_file).unwrapped
    check_env(env, skip_render_check=True)
    env.close()


def test_when_reset_names_a_task_then_the_gold_calls_earn_its_reward_on_the_last_step(
    anon_db: Path, tasks_file: Path, one_per_family: list[Task]
) -> None:
    env = gymnasium.make(TASK_ENV_ID, workspace=anon_db, tasks=tasks_file)
    for task in one_per_family:
        text, info = env.reset(options={"task_id": task.id})
        assert info["task_id"] == task.id and task.instruction in text
        assert set(info["prompt"]) == {"task_id", "system", "instruction", "tools"}  # no gold, no checks
        rewards, info = [], {}
        for action in played(task):
            _, reward, terminated, _, info = env.step(action)
            rewards.append(reward)
        assert rewards[:-1] == [0.0] * (len(rewards) - 1) and rewards[-1] == 1.0, task.family
        assert terminated and info["score"]["reward"] == 1.0
        assert all(c["passed"] for c in info["score"]["checks"])
    env.close()


def test_when_the_agent_answers_nothing_then_the_task_pays_nothing(
    anon_db: Path, tasks_file: Path, one_per_family: list[Task]
) -> None:
    env = TaskGymEnv(anon_db, tasks_file, reward="dense")
    for task in one_per_family:
        env.reset(options={"task_id": task.id})
        _, reward, terminated, _, info = env.step(NOOP)
        assert terminated and info["score"]["reward"] == 0.0
        assert reward <= 0.05, task.family  # dense: free checks count nothing until the work is done
    env.close()


def test_when_seeded_without_a_task_then_the_seed_picks_it_the_same_way_each_time(
    anon_db: Path, tasks_file: Path
) -> None:
    env = TaskGymEnv(anon_db, tasks_file)
    picked = [env.reset(seed=s)[1]["task_id"] for s in (1, 2, 3, 1, 2, 3)]
    assert picked[:3] == picked[3:] and len(set(picked)) > 1
    with pytest.raises(KeyError, match="no task"):
        env.reset(options={"task_id": "lookup-nope"})
    env.close()


def test_when_dense_then_the_oracle_return_sums_to_one(
    anon_db: Path, tasks_file: Path, one_per_family: list[Task]
) -> None:
    env = TaskGymEnv(anon_db, tasks_file, reward="dense")
    for task in one_per_family:
        env.reset(options={"task_id": task.id})
        total = sum(env.step(action)[1] for action in played(task))
        assert total == pytest.approx(1.0), task.family
    env.close()
