"""Per-step records for offline RL, by replaying each trajectory in its world.

A trajectory keeps what the agent saw and did, not the state it left after each step; the world
is deterministic (same seed and calls, same observations and state), so the export replays the
calls in a fresh episode and reads the state diff after each one. A replayed observation that
differs from the recorded one (a model-played user, a changed workspace) is counted, and its
trajectory left out.

Each record: ``episode`` (agent|task|trial), ``task_id``, ``step``, ``observation`` (what the
agent saw before acting: the opening text and the task, then the previous result), ``action``
(the call, as JSON text), ``reward`` (the episode's reward on its last step, else 0), ``done``,
and ``state_diff`` (the changes since the start after the action, JSON text: its shape varies by
table, so Parquet holds it as text).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from workgym.export.formats import Record, Trajectory
from workgym.rollout.replay import replay
from workgym.world import World


def rl_steps(
    world: World, trajectories: Sequence[Trajectory], tasks: Mapping[str, Mapping[str, Any]]
) -> tuple[list[Record], int]:
    """The per-step records of every trajectory that replays exactly, and how many did not."""
    out: list[Record] = []
    diverged = 0
    for t in trajectories:
        records: list[Record] = []
        last = len(t["steps"]) - 1
        for r in replay(world, t, tasks.get(t["task_id"], {})):
            if not r.matches:
                diverged += 1
                records = []
                break
            call = t["steps"][r.step]["call"]
            records.append(
                {
                    "episode": f"{t['agent']}|{t['task_id']}|{t['trial']}",
                    "task_id": t["task_id"],
                    "step": r.step,
                    "observation": r.seen,
                    "action": call
                    if isinstance(call, str)
                    else json.dumps(call, ensure_ascii=False, sort_keys=True),
                    "reward": float(t["reward"]) if r.step == last else 0.0,
                    "done": r.step == last,
                    "state_diff": json.dumps(r.diff.to_dict(), ensure_ascii=False, sort_keys=True),
                }
            )
        out += records
    return out, diverged


__all__ = ["rl_steps"]
