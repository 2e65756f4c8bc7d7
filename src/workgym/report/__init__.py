"""Reports: a run's self-contained report.html, and the figures the terminal summary shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workgym.report.html import render
from workgym.rollout import load_trajectories, run_tasks


def load_run(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """A run folder's summary, trajectories and tasks by id (the folder's own copy of them).

    Raises:
        FileNotFoundError: the folder has no summary.json (the run has not finished).
        RunError: a damaged run file, or an old folder whose tasks file is gone.
    """
    summary_path = run_dir / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{run_dir}: no summary.json; run `workgym run` into it first")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return summary, load_trajectories(run_dir / "trajectories.jsonl"), run_tasks(run_dir)


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write the run's report.html (into the run folder by default); returns its path."""
    summary, trajectories, tasks = load_run(run_dir)
    path = out or run_dir / "report.html"
    path.write_text(
        render(summary, trajectories, tasks, title=f"workgym run: {run_dir.name}"), encoding="utf-8"
    )
    return path


__all__ = ["load_run", "render", "write_report"]
