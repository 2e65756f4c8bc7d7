"""Rollouts: the runner (agents x tasks x trials, resumable) and the reliability metrics."""

from workgym.rollout.metrics import pass_at_k, pass_hat_k, run_summary, summarize
from workgym.rollout.runner import RunConfig, RunError, load_trajectories, run, run_info, run_tasks

__all__ = [
    "RunConfig",
    "RunError",
    "load_trajectories",
    "pass_at_k",
    "pass_hat_k",
    "run",
    "run_info",
    "run_summary",
    "run_tasks",
    "summarize",
]
