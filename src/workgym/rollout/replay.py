"""Replaying a trajectory in its world: the state after each step, which trajectories do not keep.

The world is deterministic: the same task (cutoff, persona, tools, scripted user), seed and calls
give the same observations and state. Replaying a trajectory's calls in a fresh episode gives
back the state diff after each step, for offline RL records and for the viewer's step-by-step
replay. A replayed observation that differs from the recorded one (a model-played user, a
changed workspace) ends the replay there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workgym.tasks import Task, TaskEnv, UserFact
from workgym.world import Limits, Observation, StateDiff, World


@dataclass(frozen=True, slots=True)
class Replayed:
    """One replayed step: its index, what it was shown before, its observation, the state after."""

    step: int
    seen: str
    observation: Observation
    diff: StateDiff
    matches: bool


def replay(world: World, trajectory: Mapping[str, Any], task: Mapping[str, Any]) -> Iterator[Replayed]:
    """Each step of ``trajectory`` run again in a fresh episode of ``task`` (as in tasks.jsonl).

    Stops after the first step whose observation differs from the recorded one (``matches`` False).
    The task may be partial (what a trajectory's folder still knows of it): only its cutoff, persona,
    tools and hidden user facts matter here.
    """
    steps = trajectory["steps"]
    episode_of = Task(
        family=str(task.get("family", "")),
        instruction=trajectory.get("instruction") or task.get("instruction", ""),
        cutoff=task.get("cutoff"),
        persona=task.get("persona"),
        tools=tuple(task.get("tools") or ()),
        gold=(),
        checks=(),
        user=tuple(UserFact(tuple(f["about"]), f["reply"]) for f in task.get("user") or ()),
        id=str(task.get("id", "")),
    )
    limits = Limits(max_steps=len(steps) + 1, max_seconds=3600)
    with TaskEnv(world, episode_of, seed=int(trajectory.get("seed", 0)), limits=limits) as env:
        ep = env.episode
        seen = env.reset().text
        for at, step in enumerate(steps):
            observation = ep.step(step["call"])
            same = observation.text == step["observation"]
            yield Replayed(at, seen, observation, ep.state_diff(), same)
            if not same:
                return
            seen = observation.text


__all__ = ["Replayed", "replay"]
