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

from workgym.tasks import ScriptedUser, UserFact
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
    """
    facts = tuple(UserFact(tuple(f["about"]), f["reply"]) for f in task.get("user") or ())
    steps = trajectory["steps"]
    with world.episode(
        cutoff=task.get("cutoff"),
        persona=task.get("persona"),
        tools=task.get("tools") or None,
        seed=int(trajectory.get("seed", 0)),
        user=ScriptedUser(facts) if facts else None,
        limits=Limits(max_steps=len(steps) + 1, max_seconds=3600),
    ) as ep:
        seen = f"{ep.intro()}\n\n{trajectory.get('instruction') or task.get('instruction', '')}"
        for at, step in enumerate(steps):
            observation = ep.step(step["call"])
            same = observation.text == step["observation"]
            yield Replayed(at, seen, observation, ep.state_diff(), same)
            if not same:
                return
            seen = observation.text


__all__ = ["Replayed", "replay"]
