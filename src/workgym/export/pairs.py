"""Preference pairs: DPO records from a success and a failure of the same task, and call-level negatives.

``dpo`` records take TRL's conversational columns: ``prompt`` (the system and task messages),
``chosen`` and ``rejected`` (the assistant and tool messages that followed), one pair per task
that has both a successful and a failed trajectory (the first of each, in run order).

With ``negatives`` (Agent-FLAN), each step where the agent called a tool that does not exist or
passed arguments the tool does not take becomes a pair too: the prompt is the conversation up to
that call, ``rejected`` the bad call, ``chosen`` the corrected call (the agent's own next call
that worked, else the gold call of the same tool). That teaches the model not to hallucinate a
tool or an argument.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from workgym.export.formats import Record, Trajectory, openai_chat

BAD_CALLS = frozenset({"unknown_tool", "bad_call"})
"""Step errors that make a call-level negative: an invented tool, or invented arguments."""


def dpo_pairs(trajectories: Sequence[Trajectory]) -> list[Record]:
    """One pair per task with a success and a failure among ``trajectories``."""
    by_task: dict[str, list[Trajectory]] = defaultdict(list)
    for t in trajectories:
        by_task[t["task_id"]].append(t)
    out = []
    for task_id, ts in by_task.items():
        good = next((t for t in ts if t["reward"] >= 1.0), None)
        bad = next((t for t in ts if t["reward"] < 1.0), None)
        if good is None or bad is None:
            continue
        chosen, rejected = openai_chat(good)["messages"], openai_chat(bad)["messages"]
        out.append(
            {
                "prompt": chosen[:2],
                "chosen": chosen[2:],
                "rejected": rejected[2:],
                "task_id": task_id,
            }
        )
    return out


def _corrected(
    t: Trajectory, at: int, gold: Mapping[str, Sequence[Mapping[str, Any]]]
) -> Mapping[str, Any] | None:
    """The call that fixes step ``at``: the agent's next working call, else the gold call of that tool.

    For bad arguments the fix must call the same tool; for an invented tool, any working call.
    """
    bad = t["steps"][at]
    name = bad["call"].get("name") if isinstance(bad["call"], Mapping) else None
    same_tool = bad["error"] == "bad_call" and isinstance(name, str)
    for step in t["steps"][at + 1 :]:
        call = step["call"]
        if step["error"] or not isinstance(call, Mapping):
            continue
        if not same_tool or call.get("name") == name:
            return call
    if same_tool:
        return next((c for c in gold.get(t["task_id"], ()) if c.get("name") == name), None)
    return None


def negative_pairs(
    trajectories: Sequence[Trajectory], gold: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[Record]:
    """A pair for each invented tool or argument that has a corrected call to set beside it."""
    out = []
    for t in trajectories:
        messages = openai_chat(t)["messages"]
        for at, step in enumerate(t["steps"]):
            if step["error"] not in BAD_CALLS:
                continue
            fixed = _corrected(t, at, gold)
            if fixed is None:
                continue
            view = {**t, "steps": [{**step, "call": fixed, "error": None}]}
            corrected = openai_chat(view)["messages"][2]
            position = 2 + 2 * at  # system, user, then (assistant, result) per step
            out.append(
                {
                    "prompt": messages[:position],
                    "chosen": [corrected],
                    "rejected": [messages[position]],
                    "task_id": t["task_id"],
                }
            )
    return out


__all__ = ["BAD_CALLS", "dpo_pairs", "negative_pairs"]
