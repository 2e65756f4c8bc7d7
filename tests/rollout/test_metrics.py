"""pass@k and pass^k against hand-computed values; the summary's figures on made-up trajectories."""

from __future__ import annotations

from typing import Any

import pytest

from workgym.rollout import pass_at_k, pass_hat_k, run_summary, summarize


@pytest.mark.parametrize(
    "n, c, k, at, hat",
    [
        (4, 4, 1, 1.0, 1.0),  # always solved
        (4, 0, 1, 0.0, 0.0),  # never solved
        (4, 2, 1, 0.5, 0.5),  # k=1: both are the success rate
        (4, 2, 2, 1 - 1 / 6, 1 / 6),  # C(2,2)/C(4,2) = 1/6 that both tries fail; 1/6 that both succeed
        (4, 3, 2, 1.0, 3 / 6),  # C(1,2)=0 failing pairs; C(3,2)/C(4,2) = 3/6
        (5, 2, 3, 1 - 1 / 10, 0.0),  # C(3,3)/C(5,3) = 1/10 all-fail; fewer successes than k
        (8, 6, 8, 1.0, 0.0),  # pass^8 needs all eight
    ],
)
def test_when_estimated_then_pass_at_k_and_pass_hat_k_match_the_hand_computed_values(
    n: int, c: int, k: int, at: float, hat: float
) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(at)
    assert pass_hat_k(n, c, k) == pytest.approx(hat)


def test_when_k_exceeds_the_tries_then_it_is_an_error() -> None:
    with pytest.raises(ValueError, match="more than"):
        pass_hat_k(2, 1, 3)


def traj(task: str, reward: float, agent: str = "a", family: str = "lookup", **extra: Any) -> dict[str, Any]:
    return {
        "task_id": task,
        "agent": agent,
        "family": family,
        "reward": reward,
        "partial": reward or 0.5,
        "steps": [{"error": None}, {"error": "bad_call"}],
        "failure": None,
        "tokens": {"prompt": 10, "completion": 2},
        "seconds": {"env": 0.001, "model": 0.5, "total": 0.6},
        **extra,
    }


def test_when_summarized_then_rates_curves_and_breakdowns_are_the_averages_over_tasks() -> None:
    trajectories = [traj("t1", r) for r in (1, 1, 0, 0)] + [
        traj("t2", r, family="chain") for r in (1, 1, 1, 1)
    ]
    s = summarize(trajectories)
    assert s["episodes"] == 8 and s["tasks"] == 2
    assert s["success_rate"] == 0.75
    assert s["pass_hat_k"] == {1: 0.75, 2: pytest.approx((1 / 6 + 1) / 2, abs=1e-6), 3: 0.5, 4: 0.5}
    assert s["pass_at_k"][2] == pytest.approx((5 / 6 + 1) / 2, abs=1e-6)
    lo, hi = s["success_rate_ci95"]
    assert lo <= 0.75 <= hi
    assert s["step_errors"] == {"bad_call": 8} and s["tokens"] == {"prompt": 80, "completion": 16}
    full = run_summary(trajectories)
    assert (
        full["by_family"]["chain"]["success_rate"] == 1.0
        and full["by_family"]["lookup"]["success_rate"] == 0.5
    )
    for key in ("episodes", "success_rate", "partial_credit", "pass_at_k", "pass_hat_k"):
        assert key in full and key in full["by_family"]["lookup"]


def test_when_several_agents_ran_then_each_has_its_own_figures() -> None:
    trajectories = [traj("t1", 1, agent="good"), traj("t1", 0, agent="bad")]
    full = run_summary(trajectories)
    assert full["agents"] == ["bad", "good"]
    assert full["by_agent"]["good"]["success_rate"] == 1.0 and full["by_agent"]["bad"]["success_rate"] == 0.0
    assert full["failures"] == {} and full["episodes"] == 2
