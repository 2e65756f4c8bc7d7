"""The frontier loop: from a run's real outcomes to new tasks predicted harder than the agent.

1. **Measure.** A Rasch fit (:func:`workgym.tasks.calibrate.fit`) over the runs' outcomes gives
   each agent an ability and each task it ran a difficulty, in logits.
2. **Explain.** A difficulty model, a weighted ridge regression of those difficulties on what a
   task is made of (:data:`NUMERIC`: gold length, hops, apps, look-alikes, tools, instruction
   length, whether it writes, whether a policy or a user bears on it; and its family), predicts
   the difficulty of a task nobody has run. Its fit is reported as the correlation of predicted
   with measured difficulty, in sample and cross-validated (k folds by task id).
3. **Move on.** New candidate tasks (from :func:`workgym.tasks.generate_tasks`) are kept when
   they are predicted harder than the agent: harder than its ability (a predicted success under
   one half) and than every task it solved. Each kept task gets its predicted difficulty, and
   the agent its predicted success on it, sigmoid(ability - difficulty).

``workgym tasks WORKSPACE --harder-than RUN_DIR`` runs the loop; run the agent on the new set,
and again. The fit is pure Python: a few dozen features, solved by Gaussian elimination.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import StatisticsError, correlation, fmean, pstdev
from typing import Any

from workgym.tasks.calibrate import Calibration, fit, outcomes
from workgym.tasks.model import Task

NUMERIC: tuple[str, ...] = (
    "log_actions",
    "hops",
    "sources",
    "distractors",
    "tools",
    "log_instruction_chars",
    "writes",
    "policy",
    "user",
)
"""The numeric features of a task the difficulty model reads, before its family."""

RIDGE = 1.0
"""The ridge penalty on each standardized weight (the intercept is not penalized)."""

FOLDS = 10
"""Folds of the cross-validated correlation (fewer tasks: leave one out)."""


def numeric_features(task: Task) -> dict[str, float]:
    """What a task is made of, as numbers (see :data:`NUMERIC`)."""
    f = task.features
    return {
        "log_actions": math.log1p(f.get("actions", len(task.gold))),
        "hops": float(f.get("hops", 0)),
        "sources": float(f.get("sources", 1)),
        "distractors": float(f.get("distractors", 0)),
        "tools": float(f.get("tools", len(task.tools))),
        "log_instruction_chars": math.log1p(f.get("instruction_chars", len(task.instruction))),
        "writes": float(task.writes),
        "policy": float(bool(task.policy)),
        "user": float(bool(task.user)),
    }


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """The x with a x = b, by Gaussian elimination with partial pivoting (a is small and well posed)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            continue  # a direction nothing constrains (cannot happen with the ridge): leave it 0
        for r in range(n):
            if r != col and m[r][col]:
                factor = m[r][col] / m[col][col]
                m[r] = [x - factor * y for x, y in zip(m[r], m[col], strict=True)]
    return [m[i][n] / m[i][i] if abs(m[i][i]) >= 1e-12 else 0.0 for i in range(n)]


@dataclass(frozen=True, slots=True)
class DifficultyModel:
    """Predicted difficulty = intercept + weights . standardized features (numeric, then family one-hot).

    Attributes:
        families: the families seen in the fit, one indicator each (another family: all zero).
        means: each numeric feature's mean over the fitted tasks.
        scales: each numeric feature's standard deviation there (1 where it did not vary).
        intercept: the difficulty of an average task of no known family.
        weights: one per numeric feature, then one per family.
    """

    families: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    intercept: float
    weights: tuple[float, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The features, in the order of :attr:`weights`."""
        return NUMERIC + tuple(f"family={f}" for f in self.families)

    def vector(self, task: Task) -> list[float]:
        """The task's standardized features."""
        raw = numeric_features(task)
        xs = [(raw[k] - m) / s for k, m, s in zip(NUMERIC, self.means, self.scales, strict=True)]
        return xs + [float(task.family == f) for f in self.families]

    def predict(self, task: Task) -> float:
        """The task's predicted difficulty, in logits."""
        return self.intercept + sum(w * x for w, x in zip(self.weights, self.vector(task), strict=True))

    @classmethod
    def fit(
        cls,
        tasks: Sequence[Task],
        difficulties: Sequence[float],
        weights: Sequence[float] | None = None,
        *,
        ridge: float = RIDGE,
    ) -> DifficultyModel:
        """The weighted ridge regression of ``difficulties`` on ``tasks``' features.

        Raises:
            ValueError: no tasks, or not as many difficulties (or weights) as tasks.
        """
        if (
            not tasks
            or len(tasks) != len(difficulties)
            or (weights is not None and len(weights) != len(tasks))
        ):
            raise ValueError("the difficulty model needs one difficulty (and weight) per task, and a task")
        w = list(weights) if weights is not None else [1.0] * len(tasks)
        raws = [numeric_features(t) for t in tasks]
        means = tuple(fmean(r[k] for r in raws) for k in NUMERIC)
        scales = tuple((pstdev([r[k] for r in raws]) or 1.0) for k in NUMERIC)
        shell = cls(tuple(sorted({t.family for t in tasks})), means, scales, 0.0, ())
        rows = [[1.0, *shell.vector(t)] for t in tasks]
        d = len(rows[0])
        gram = [
            [sum(wi * r[i] * r[j] for wi, r in zip(w, rows, strict=True)) for j in range(d)] for i in range(d)
        ]
        for i in range(1, d):
            gram[i][i] += ridge
        rhs = [sum(wi * r[i] * y for wi, r, y in zip(w, rows, difficulties, strict=True)) for i in range(d)]
        beta = _solve(gram, rhs)
        return cls(shell.families, means, scales, beta[0], tuple(beta[1:]))

    def to_dict(self) -> dict[str, Any]:
        """As JSON: the intercept and each feature's weight, with its mean and scale."""
        return {
            "intercept": round(self.intercept, 6),
            "weights": {n: round(w, 6) for n, w in zip(self.names, self.weights, strict=True)},
            "means": {n: round(m, 6) for n, m in zip(NUMERIC, self.means, strict=True)},
            "scales": {n: round(s, 6) for n, s in zip(NUMERIC, self.scales, strict=True)},
        }


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    try:
        return correlation(xs, ys) if len(xs) >= 3 else None
    except StatisticsError:  # one side constant: nothing to correlate
        return None


def _fold(task_id: str, folds: int) -> int:
    return int(hashlib.sha256(task_id.encode()).hexdigest()[:8], 16) % folds


@dataclass(frozen=True, slots=True)
class FrontierFit:
    """The measured difficulties of a run's tasks, the model that explains them, and how well it does.

    Attributes:
        calibration: the Rasch fit (abilities, difficulties, observed tries and successes).
        model: the difficulty model fitted on the calibrated tasks.
        tasks: the calibrated tasks, by id.
        correlation: predicted vs measured difficulty over those tasks (None: fewer than 3, or
            one side constant).
        cv_correlation: the same with each task predicted by a model fitted without its fold.
    """

    calibration: Calibration
    model: DifficultyModel
    tasks: dict[str, Task] = field(repr=False)
    correlation: float | None
    cv_correlation: float | None

    def solved(self, agent: str) -> list[str]:
        """The tasks the agent solved at least once."""
        return sorted(t for t, by in self.calibration.observed.items() if by.get(agent, (0, 0))[1] > 0)

    def threshold(self, agent: str) -> float:
        """The difficulty a new task must be predicted above: the agent's ability, and every task it solved."""
        solved = [self.model.predict(self.tasks[t]) for t in self.solved(agent) if t in self.tasks]
        return max([self.calibration.abilities[agent], *solved])

    def success(self, agent: str, difficulty: float) -> float:
        """The agent's predicted success on a task of this difficulty."""
        x = self.calibration.abilities[agent] - difficulty
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))

    def levels(self, agent: str) -> dict[str, dict[str, int]]:
        """Per family, what the agent already solves: tried, solved in every try (pass^k), the longest gold."""
        out: dict[str, dict[str, int]] = defaultdict(
            lambda: {"tried": 0, "solved_every_try": 0, "longest": 0}
        )
        for task_id, by in sorted(self.calibration.observed.items()):
            n, c = by.get(agent, (0, 0))
            task = self.tasks.get(task_id)
            if not n or task is None:
                continue
            row = out[task.family]
            row["tried"] += 1
            if c == n:
                row["solved_every_try"] += 1
                row["longest"] = max(row["longest"], len(task.gold))
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        """difficulty.json (as ``workgym calibrate`` writes it), with the difficulty model and its fit."""
        data = self.calibration.to_dict()
        data["difficulty_model"] = {
            **self.model.to_dict(),
            "tasks": len(self.tasks),
            "correlation": None if self.correlation is None else round(self.correlation, 4),
            "cv_correlation": None if self.cv_correlation is None else round(self.cv_correlation, 4),
        }
        return data


def fit_frontier(
    trajectories: Iterable[Mapping[str, Any]],
    tasks: Mapping[str, Task],
    *,
    include: Sequence[str] = (),
    ridge: float = RIDGE,
) -> FrontierFit:
    """Rasch-fit the runs' outcomes, then the difficulty model on the tasks' features.

    Args:
        trajectories: the runs' trajectories (oracle and noop are left out unless in ``include``).
        tasks: the tasks the runs ran, by id (a run folder's own copy).
        include: diagnostic agents to fit too.
        ridge: the difficulty model's penalty.

    Raises:
        ValueError: no outcome of a measured agent, or none of the run's tasks is known.
    """
    calibration = fit(outcomes(trajectories, include=include))
    known = sorted(t for t in calibration.difficulties if t in tasks)
    if not known:
        raise ValueError("none of the calibrated tasks is in the runs' tasks files")
    chosen = [tasks[t] for t in known]
    measured = [calibration.difficulties[t] for t in known]
    tries = [float(sum(n for n, _ in calibration.observed[t].values())) for t in known]
    model = DifficultyModel.fit(chosen, measured, tries, ridge=ridge)
    predicted = [model.predict(t) for t in chosen]
    folds = min(FOLDS, len(known))
    held = [0.0] * len(known)
    if folds >= 3:
        index = {t: i for i, t in enumerate(known)}
        by_fold: dict[int, list[str]] = defaultdict(list)
        for t in known:
            by_fold[_fold(t, folds) if len(known) > FOLDS else index[t]].append(t)
        for members in by_fold.values():
            out = set(members)
            rest = [i for i, t in enumerate(known) if t not in out]
            if not rest:
                continue
            part = DifficultyModel.fit(
                [chosen[i] for i in rest], [measured[i] for i in rest], [tries[i] for i in rest], ridge=ridge
            )
            for t in members:
                held[index[t]] = part.predict(tasks[t])
    return FrontierFit(
        calibration=calibration,
        model=model,
        tasks={t.id: t for t in chosen},
        correlation=_pearson(predicted, measured),
        cv_correlation=_pearson(held, measured) if folds >= 3 else None,
    )


@dataclass(frozen=True, slots=True)
class Prediction:
    """A candidate task with its predicted difficulty and the agent's predicted success on it."""

    task: Task
    difficulty: float
    success: float


def harder_than(
    frontier: FrontierFit, candidates: Iterable[Task], agent: str | None = None
) -> tuple[str, list[Prediction]]:
    """The candidates predicted harder than ``agent`` (default the strongest), not among the run's tasks.

    Returns:
        The agent, and the kept candidates in their order, each with its predicted difficulty
        and the agent's predicted success.

    Raises:
        ValueError: ``agent`` was not in the fit.
    """
    who = agent or frontier.calibration.strongest
    if who not in frontier.calibration.abilities:
        names = ", ".join(sorted(frontier.calibration.abilities))
        raise ValueError(f"no agent {who!r} in the runs' fit; agents: {names}")
    bar = frontier.threshold(who)
    ran = frontier.calibration.observed
    kept = []
    for task in candidates:
        if task.id in ran:
            continue  # already measured: not new
        b = frontier.model.predict(task)
        if b > bar:
            kept.append(Prediction(task, b, frontier.success(who, b)))
    return who, kept


__all__ = [
    "FOLDS",
    "NUMERIC",
    "RIDGE",
    "DifficultyModel",
    "FrontierFit",
    "Prediction",
    "fit_frontier",
    "harder_than",
    "numeric_features",
]
