"""The Rasch fit recovers known difficulties and abilities on simulated outcomes; the frontier band."""

from __future__ import annotations

import math
import random
from statistics import correlation

import pytest

from workgym.tasks.calibrate import Calibration, fit, frontier, outcomes


def simulate(
    seed: int = 0,
) -> tuple[dict[str, float], dict[str, float], dict[str, dict[str, tuple[int, int]]]]:
    rng = random.Random(seed)
    abilities = {f"agent{i}": -1.5 + 0.5 * i for i in range(7)}
    difficulties = {f"task{j:03d}": rng.gauss(0, 1.2) for j in range(150)}
    observed: dict[str, dict[str, tuple[int, int]]] = {}
    for task, b in difficulties.items():
        observed[task] = {}
        for agent, theta in abilities.items():
            p = 1 / (1 + math.exp(-(theta - b)))
            wins = sum(rng.random() < p for _ in range(16))
            observed[task][agent] = (16, wins)
    return abilities, difficulties, observed


def test_when_fit_on_simulated_outcomes_then_the_known_difficulties_and_abilities_come_back() -> None:
    abilities, difficulties, observed = simulate()
    calibration = fit(observed)
    tasks = sorted(difficulties)
    assert correlation([difficulties[t] for t in tasks], [calibration.difficulties[t] for t in tasks]) > 0.95
    fitted = [calibration.abilities[a] for a in sorted(abilities)]
    assert fitted == sorted(fitted)  # the abilities come back in order
    offset = sum(calibration.abilities[a] - abilities[a] for a in abilities) / len(abilities)
    error = sum(abs(calibration.difficulties[t] - offset - difficulties[t]) for t in tasks) / len(tasks)
    assert error < 0.35  # on the same scale, up to the shift the prior leaves
    assert calibration.strongest == "agent6"


def test_when_every_agent_solves_a_task_then_its_difficulty_is_finite_and_lowest() -> None:
    observed = {
        "easy": {"a": (4, 4), "b": (4, 4)},
        "mid": {"a": (4, 2), "b": (4, 1)},
        "hard": {"a": (4, 0), "b": (4, 0)},
    }
    c = fit(observed)
    assert c.difficulties["easy"] < c.difficulties["mid"] < c.difficulties["hard"]
    assert all(math.isfinite(v) for v in c.difficulties.values())


def test_when_the_frontier_is_asked_then_the_strongest_agent_s_band_is_kept() -> None:
    observed = {f"t{i}": {"strong": (10, i), "weak": (10, 0)} for i in range(11)}
    c = fit(observed)
    kept = frontier(c, sorted(observed), 0.2, 0.6)
    assert sorted(kept) == sorted(f"t{i}" for i in range(2, 7))
    again = Calibration.from_dict(c.to_dict())
    assert frontier(again, sorted(observed), 0.2, 0.6) == kept


def test_when_outcomes_are_counted_then_the_diagnostic_agents_are_left_out_unless_asked() -> None:
    rows = [
        {"agent": "oracle", "task_id": "t", "reward": 1.0},
        {"agent": "openai:m", "task_id": "t", "reward": 0.0},
    ]
    assert outcomes(rows) == {"t": {"openai:m": (1, 0)}}
    assert outcomes(rows, include=["oracle"]) == {"t": {"oracle": (1, 1), "openai:m": (1, 0)}}
    with pytest.raises(ValueError, match="no outcomes"):
        fit(outcomes(rows[:1]))
