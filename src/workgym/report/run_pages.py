"""The viewer's task and run pages: tasks with their evidence, runs with charts, trajectories replayed.

Runs are read through :mod:`workgym.report.run_fields` (a damaged or hostile run file is text, not
a crash) and every field of a run, trajectory or task is escaped.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from workgym.report.html import bar_chart, line_chart
from workgym.report.pages import a, e, pager, q, table
from workgym.report.run_fields import Trajectory, figure, number
from workgym.report.view_state import PAGE, PageNumber, Run, ViewerState
from workgym.report.view_state import page as _page
from workgym.rollout.replay import replay

# -- tasks and runs --------------------------------------------------------------------------------


def task_and_run_routes(app: FastAPI, s: ViewerState) -> None:
    """Add the task and run pages to the app."""

    @app.get("/tasks", response_class=HTMLResponse)
    def tasks(family: str = "", page: PageNumber = 1) -> HTMLResponse:
        chosen = [t for t in s.tasks.values() if not family or t.family == family]
        shown = chosen[(page - 1) * PAGE : page * PAGE]
        families = sorted({t.family for t in s.tasks.values()})
        picker = " · ".join(f'<a href="/tasks?{urlencode({"family": f})}">{e(f)}</a>' for f in families)
        rows = [
            [
                f'<a href="/task/{q(t.id)}">{e(t.id)}</a>',
                e(t.family),
                e(t.instruction),
                e("-" if t.difficulty is None else figure(number(t.difficulty), "+.2f")),
            ]
            for t in shown
        ]
        body = (
            f"<p>{picker}</p>"
            + table(["task", "family", "instruction", "difficulty"], rows)
            + pager("/tasks", page, len(chosen) > page * PAGE, {"family": family})
        )
        return _page(s, "Tasks" if s.tasks else "Tasks (none loaded: --tasks tasks.jsonl)", body)

    @app.get("/task/{task_id}", response_class=HTMLResponse)
    def task(task_id: str) -> HTMLResponse:
        t = s.tasks.get(task_id)
        if t is None:
            raise HTTPException(404, f"no task {task_id!r}")
        who = s.world.facts.name(t.persona) if t.persona else "an observer"
        body = f"<blockquote>{e(t.instruction)}</blockquote><p>As <b>{e(who)}</b>, at {e(t.cutoff or 'the end of the record')} · {e(t.split)} · difficulty {e(t.difficulty)}</p>"
        body += (
            "<h2>Evidence</h2><ul>"
            + "".join(f"<li>{a(x.kind, x.id)}: {e(x.why)}</li>" for x in t.evidence)
            + "</ul>"
        )
        body += (
            "<h2>Checks</h2><ul>"
            + "".join(
                f"<li><code>{e(json.dumps(c.to_dict(), ensure_ascii=False, default=str)[:300])}</code></li>"
                for c in t.checks
            )
            + "</ul>"
        )
        body += (
            "<h2>Gold actions</h2><ol>"
            + "".join(
                f"<li><code>{e(c.name)} {e(json.dumps(dict(c.arguments), ensure_ascii=False, default=str))}</code></li>"
                for c in t.gold
            )
            + "</ol>"
        )
        tries = [
            (name, i, tr)
            for name, run in s.runs.items()
            for i, tr in enumerate(run.trajectories)
            if tr.task_id == t.id
        ]
        if tries:
            body += "<h2>Tries</h2>" + table(
                ["run", "agent", "try", "reward"],
                [
                    [e(n), e(tr.agent), f'<a href="/run/{q(n)}/t/{i}">{e(tr.trial)}</a>', figure(tr.reward)]
                    for n, i, tr in tries
                ],
            )
            body += f'<p><a href="/run/{q(tries[0][0])}/compare?{urlencode({"task": t.id})}">two tries side by side</a></p>'
        return _page(s, f"Task {t.id}", body)

    @app.get("/runs", response_class=HTMLResponse)
    def runs() -> HTMLResponse:
        rows = [
            [
                f'<a href="/run/{q(n)}">{e(n)}</a>',
                figure(r.summary.episodes, ",.0f"),
                figure(r.summary.success_rate, ".1%"),
                e(", ".join(r.summary.agents)),
            ]
            for n, r in s.runs.items()
        ]
        return _page(
            s,
            "Runs" if s.runs else "Runs (none loaded: --runs runs/)",
            table(["run", "episodes", "success", "agents"], rows),
        )

    def run_of(name: str) -> Run:
        run = s.runs.get(name)
        if run is None:
            raise HTTPException(404, f"no run {name!r}")
        return run

    @app.get("/run/{name}", response_class=HTMLResponse)
    def run(name: str, page: PageNumber = 1) -> HTMLResponse:
        r = run_of(name)
        agents = r.summary.by_agent
        hat = {ag: x.pass_hat_k for ag, x in agents.items()}
        at = {ag: x.pass_at_k for ag, x in agents.items()}
        fam = {ag: x.by_family for ag, x in agents.items()}
        body = (
            "<h2>pass^k (solid), pass@k (dashed)</h2>"
            + line_chart(hat, "by k", at)
            + "<h2>Success by family</h2>"
            + bar_chart(fam, "success rate")
        )
        shown = list(enumerate(r.trajectories))[(page - 1) * PAGE : page * PAGE]
        body += "<h2>Trajectories</h2>" + table(
            ["#", "task", "family", "agent", "try", "reward", "steps"],
            [
                [
                    f'<a href="/run/{q(name)}/t/{i}">{i}</a>',
                    f'<a href="/task/{q(t.task_id)}">{e(t.task_id)}</a>',
                    e(t.family),
                    e(t.agent),
                    e(t.trial),
                    figure(t.reward),
                    str(len(t.steps)),
                ]
                for i, t in shown
            ],
        )
        body += pager(f"/run/{q(name)}", page, len(r.trajectories) > page * PAGE)
        return _page(s, f"Run {name}", body)

    def trajectory_html(t: Trajectory, with_state: bool) -> str:
        task = s.tasks.get(t.task_id)
        states: dict[int, str] = {}
        if with_state and task is not None:
            for again in replay(s.world, t.replayable, task.to_dict()):
                states[again.step] = json.dumps(again.diff.to_dict(), ensure_ascii=False, indent=1)[:4000]
        parts = [
            f"<p><b>{e(t.agent)}</b>, try {e(t.trial)}: reward {figure(t.reward)} (partial {figure(t.partial)})</p><ol>"
        ]
        for i, step in enumerate(t.steps):
            status = (
                f'<span class="bad">{e(step.error)}</span>' if step.error else '<span class="ok">ok</span>'
            )
            state = (
                f"<details><summary>state after this step</summary><pre>{e(states[i])}</pre></details>"
                if i in states
                else ""
            )
            parts.append(
                f'<li class="step">{status} <code>{e(step.call[:300])}</code><pre>{e(step.observation[:3000])}</pre>{state}</li>'
            )
        parts.append(
            "</ol><ul>"
            + "".join(f"<li>{'✔' if c.passed else '✘'} {e(c.kind)}: {e(c.detail)}</li>" for c in t.checks)
            + "</ul>"
        )
        return "".join(parts)

    @app.get("/run/{name}/t/{index}", response_class=HTMLResponse)
    def trajectory(name: str, index: int) -> HTMLResponse:
        r = run_of(name)
        if not 0 <= index < len(r.trajectories):
            raise HTTPException(404, f"run {name} has no trajectory {index}")
        t = r.trajectories[index]
        intro = f'<p>Task <a href="/task/{q(t.task_id)}">{e(t.task_id)}</a>: {e(t.instruction)}</p>'
        return _page(s, f"Trajectory {index} of {name}", intro + trajectory_html(t, with_state=True))

    @app.get("/run/{name}/compare", response_class=HTMLResponse)
    def compare(name: str, task: str) -> HTMLResponse:
        r = run_of(name)
        tries = [t for t in r.trajectories if t.task_id == task]
        good = [t for t in tries if t.solved]
        bad = [t for t in tries if t.failed]
        pair = (good[:1] + bad[:1]) if good and bad else tries[:2]
        if len(pair) < 2:
            raise HTTPException(404, f"run {name} has fewer than two tries of {task}")
        cols = "".join(f'<div class="traj">{trajectory_html(t, with_state=False)}</div>' for t in pair)
        return _page(s, f"Two tries of {task}", f'<div class="side">{cols}</div>')


__all__ = ["task_and_run_routes"]
