"""Calibration: a Rasch (one-parameter IRT) fit over agents x tasks, from the runs' outcomes.

P(agent a solves task t) = sigmoid(ability_a - difficulty_t). The fit is a joint maximum a
posteriori estimate, with a normal prior (sd 2 logits) on both sides so that a task every agent
solves (or none does) gets a finite difficulty. It runs Newton steps on the abilities and the
difficulties in turn, from successes and tries per (agent, task) pair. The oracle and noop agents
are left out by default: they are checks of the tasks, not measures of them, and the oracle
would always be the strongest.

The frontier is the tasks the strongest agent solves within a band of success (0.2-0.6 by
default): hard enough to learn from, not hopeless. ``workgym tasks --frontier difficulty.json``
keeps them. Re-run as models improve. ``workgym tasks --harder-than RUN_DIR`` goes a step further
(:mod:`workgym.tasks.frontier`): it explains the fitted difficulties by the tasks' features and
keeps new tasks predicted harder than the agent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DIAGNOSTIC_AGENTS = frozenset({"oracle", "noop"})
"""Agents left out of a fit by default."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """A fit: each agent's ability, each task's difficulty, and what was observed."""

    abilities: dict[str, float]
    difficulties: dict[str, float]
    observed: dict[str, dict[str, tuple[int, int]]]

    @property
    def strongest(self) -> str:
        """The agent with the highest ability."""
        return max(sorted(self.abilities), key=lambda a: self.abilities[a])

    def solve_rate(self, task_id: str, agent: str | None = None) -> float:
        """How often ``agent`` (default the strongest) solves the task: observed when it tried, else predicted."""
        agent = agent or self.strongest
        seen = self.observed.get(task_id, {}).get(agent)
        if seen and seen[0]:
            return seen[1] / seen[0]
        return _sigmoid(self.abilities[agent] - self.difficulties[task_id])

    def to_dict(self) -> dict[str, Any]:
        """difficulty.json."""
        strongest = self.strongest if self.abilities else None
        return {
            "model": "rasch",
            "strongest": strongest,
            "agents": {a: round(v, 4) for a, v in sorted(self.abilities.items())},
            "tasks": {
                t: {
                    "difficulty": round(b, 4),
                    "solve_rate": round(self.solve_rate(t), 4) if strongest else None,
                    "observed": {
                        a: {"tries": n, "successes": c}
                        for a, (n, c) in sorted(self.observed.get(t, {}).items())
                    },
                }
                for t, b in sorted(self.difficulties.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """The calibration a :meth:`to_dict` gave."""
        tasks = data.get("tasks", {})
        return cls(
            abilities={a: float(v) for a, v in data.get("agents", {}).items()},
            difficulties={t: float(v["difficulty"]) for t, v in tasks.items()},
            observed={
                t: {a: (int(o["tries"]), int(o["successes"])) for a, o in v.get("observed", {}).items()}
                for t, v in tasks.items()
            },
        )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def outcomes(
    trajectories: Iterable[Mapping[str, Any]], *, include: Sequence[str] = ()
) -> dict[str, dict[str, tuple[int, int]]]:
    """Task -> agent -> (tries, successes), leaving out the diagnostic agents unless included."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for t in trajectories:
        agent = str(t["agent"])
        if agent.split(":", 1)[0] in DIAGNOSTIC_AGENTS and agent not in include:
            continue
        entry = counts[str(t["task_id"])][agent]
        entry[0] += 1
        entry[1] += float(t["reward"]) >= 1.0
    return {task: {a: (n, c) for a, (n, c) in agents.items()} for task, agents in counts.items()}


def fit(
    observed: Mapping[str, Mapping[str, tuple[int, int]]], *, prior_sd: float = 2.0, iterations: int = 200
) -> Calibration:
    """The Rasch fit of task -> agent -> (tries, successes).

    Raises:
        ValueError: there is nothing to fit (no outcome of any agent).
    """
    pairs = [
        (task, agent, n, c) for task, agents in observed.items() for agent, (n, c) in agents.items() if n
    ]
    if not pairs:
        raise ValueError("no outcomes to fit (only oracle and noop runs? add a real agent's run)")
    agents = sorted({a for _, a, _, _ in pairs})
    tasks = sorted({t for t, _, _, _ in pairs})
    theta = dict.fromkeys(agents, 0.0)
    beta = dict.fromkeys(tasks, 0.0)
    by_agent: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    by_task: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for task, agent, n, c in pairs:
        by_agent[agent].append((task, n, c))
        by_task[task].append((agent, n, c))
    precision = 1.0 / prior_sd**2
    for _ in range(iterations):
        moved = 0.0
        for agent, items in by_agent.items():
            grad, hess = -precision * theta[agent], -precision
            for task, n, c in items:
                p = _sigmoid(theta[agent] - beta[task])
                grad += c - n * p
                hess -= n * p * (1 - p)
            step = grad / hess
            theta[agent] -= step
            moved = max(moved, abs(step))
        for task, items in by_task.items():
            grad, hess = -precision * beta[task], -precision
            for agent, n, c in items:
                p = _sigmoid(theta[agent] - beta[task])
                grad -= c - n * p
                hess -= n * p * (1 - p)
            step = grad / hess
            beta[task] -= step
            moved = max(moved, abs(step))
        if moved < 1e-8:
            break
    return Calibration(theta, beta, {t: dict(a) for t, a in observed.items()})


def frontier(
    calibration: Calibration, task_ids: Iterable[str], low: float = 0.2, high: float = 0.6
) -> list[str]:
    """The tasks the strongest agent solves between ``low`` and ``high`` of the time (both included)."""
    return [t for t in task_ids if t in calibration.difficulties and low <= calibration.solve_rate(t) <= high]


__all__ = ["DIAGNOSTIC_AGENTS", "Calibration", "fit", "frontier", "outcomes"]
