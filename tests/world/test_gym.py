"""The Gymnasium face: registered, checked by Gymnasium's own checker, text in and text out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.world.helpers import CUTOFF, ME

gymnasium = pytest.importorskip("gymnasium", reason='gymnasium not installed: pip install "workgym[gym]"')

from gymnasium.utils.env_checker import check_env  # noqa: E402

from workgym.world.gym import ENV_ID, REPLACEMENT, WorkspaceEnv  # noqa: E402


def post(text: str) -> str:
    return json.dumps({"name": "post_message", "arguments": {"channel": "general", "text": text}})


def test_when_checked_by_gymnasium_then_the_env_passes(sample_db: Path) -> None:
    env = WorkspaceEnv(sample_db, cutoff=CUTOFF, persona=ME)
    check_env(env, skip_render_check=True)
    env.close()


def test_when_made_by_id_then_actions_change_the_state_and_bad_ones_are_observations(sample_db: Path) -> None:
    env = gymnasium.make(ENV_ID, path=sample_db, cutoff=CUTOFF, persona=ME)
    text, info = env.reset(seed=3)
    assert ME in text and env.observation_space.contains(text)
    text, reward, terminated, truncated, info = env.step(post("standup in 5"))
    assert reward == 0.0  # no task scores this episode
    assert info["error"] is None and not terminated and not truncated
    assert env.unwrapped.episode.state_diff().of("message", "inserted")
    for bad in ("not json", json.dumps({"name": "nope", "arguments": {}})):
        text, _, _, _, info = env.step(bad)
        assert info["error"] and text.startswith("Error")
    env.close()


def test_when_the_same_seed_and_actions_repeat_then_observations_repeat(sample_db: Path) -> None:
    runs = []
    for _ in range(2):
        env = WorkspaceEnv(sample_db, cutoff=CUTOFF, persona=ME)
        seen = [env.reset(seed=5)[0]]
        seen += [env.step(post(f"note {i}"))[0] for i in range(3)]
        runs.append((seen, env.episode.state_hash()))
        env.close()
    assert runs[0] == runs[1]


def test_when_an_observation_holds_a_control_character_then_it_is_replaced(sample_db: Path) -> None:
    env = WorkspaceEnv(sample_db, max_text=50)
    fitted = env._text("a\x07b" + "x" * 100)
    assert fitted.startswith(f"a{REPLACEMENT}b") and len(fitted) == 50
    assert env.observation_space.contains(fitted)
    env.close()
