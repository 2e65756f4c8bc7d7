"""report.html: one self-contained page about a run, readable with no network (inline CSS and SVG).

Sections: the headline table (per agent: episodes, success with its 95% interval, partial
credit, pass^k); pass^k and pass@k curves; success by family; the hardest tasks; the error
taxonomy; and trajectories side by side (two tries of one task, a success beside a failure where
there is one), step by step, with each call and what the world answered.

The run's files are read through :mod:`workgym.report.run_fields` and every field is escaped, so a
damaged or hostile run file shows as text; the page carries a Content-Security-Policy that allows
its own style block and nothing else (no script, no fetch, no form).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from workgym.report.run_fields import Step, Summary, Trajectory, figure, text
from workgym.report.run_fields import summary as read_summary
from workgym.report.run_fields import trajectory as read_trajectory

COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04")

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1150px;color:#111;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0} td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5} .num{text-align:right;font-variant-numeric:tabular-nums} .muted{color:#666}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1rem} .traj{border:1px solid #ddd;padding:.5rem;border-radius:4px}
.ok{color:#15803d;font-weight:600} .bad{color:#b91c1c;font-weight:600} pre{white-space:pre-wrap;margin:.2rem 0;font-size:12px;background:#fafafa;padding:.3rem}
details{margin:.2rem 0} summary{cursor:pointer} svg text{font:11px system-ui,sans-serif}
"""


def _e(value: Any) -> str:
    return html.escape(text(value), quote=True)


def _pct(value: float) -> str:
    return figure(100 * value, ".1f") + "%" if math.isfinite(value) else "?"


def style_hash(style: str) -> str:
    """The CSP source that allows one inline ``<style>`` block and nothing else: ``'sha256-...'``."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"


REPORT_CSP = f"default-src 'none'; style-src {style_hash(CSS)}; form-action 'none'; base-uri 'none'"
"""The report's Content-Security-Policy: its own style block, and no script, fetch, frame or form."""


def _rate(value: float) -> float:
    """A rate for a chart: within [0, 1], 0 where it is not a number."""
    return min(max(value, 0.0), 1.0) if math.isfinite(value) else 0.0


def line_chart(
    series: Mapping[str, Mapping[int, float]],
    title: str,
    dashed: Mapping[str, Mapping[int, float]] | None = None,
) -> str:
    """A line chart of value by k, one line per agent (dashed: a second series per agent)."""
    width, height, left, bottom = 520, 260, 40, 30
    ks = sorted({int(k) for s in series.values() for k in s}) or [1]
    span = max(ks[-1] - ks[0], 1)

    def xy(k: int, v: float) -> tuple[float, float]:
        return left + (k - ks[0]) / span * (width - left - 20), (height - bottom) - v * (height - bottom - 20)

    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="{_e(title)}">']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        _, y = xy(ks[0], tick)
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="4" y="{y + 4:.1f}">{tick:.2f}</text>')
    for k in ks:
        x, _ = xy(k, 0)
        parts.append(f'<text x="{x - 3:.1f}" y="{height - 10}">{k}</text>')
    for at, (name, values) in enumerate(sorted(series.items())):
        color = COLORS[at % len(COLORS)]
        for style, data in (("", values), ('stroke-dasharray="4 3"', (dashed or {}).get(name, {}))):
            points = " ".join(
                f"{xy(int(k), _rate(float(v)))[0]:.1f},{xy(int(k), _rate(float(v)))[1]:.1f}"
                for k, v in sorted(data.items(), key=lambda kv: int(kv[0]))
                if math.isfinite(float(v))
            )
            if points:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" {style} points="{points}"/>'
                )
        parts.append(f'<text x="{width - 150}" y="{20 + 14 * at}" fill="{color}">{_e(name)}</text>')
    parts.append(f'<text x="{left}" y="12">{_e(title)}</text></svg>')
    return "".join(parts)


def bar_chart(groups: Mapping[str, Mapping[str, float]], title: str) -> str:
    """Grouped bars: one group per family, one bar per agent."""
    families = sorted({f for g in groups.values() for f in g})
    agents = sorted(groups)
    bar, gap, height = 14, 18, 220
    width = 60 + len(families) * (len(agents) * bar + gap)
    parts = [f'<svg width="{max(width, 320)}" height="{height + 40}" role="img" aria-label="{_e(title)}">']
    for fi, family in enumerate(families):
        x0 = 50 + fi * (len(agents) * bar + gap)
        for ai, agent in enumerate(agents):
            v = _rate(float(groups[agent].get(family, 0.0)))
            h = v * (height - 30)
            parts.append(
                f'<rect x="{x0 + ai * bar}" y="{height - h:.1f}" width="{bar - 2}" height="{h:.1f}" fill="{COLORS[ai % len(COLORS)]}">'
                f"<title>{_e(agent)} · {_e(family)}: {_pct(v)}</title></rect>"
            )
        parts.append(f'<text x="{x0}" y="{height + 14}">{_e(family)}</text>')
    for ai, agent in enumerate(agents):
        parts.append(
            f'<text x="{50 + 120 * ai}" y="{height + 32}" fill="{COLORS[ai % len(COLORS)]}">{_e(agent)}</text>'
        )
    parts.append(f'<text x="4" y="12">{_e(title)}</text></svg>')
    return "".join(parts)


def _step_html(step: Step) -> str:
    status = f'<span class="bad">{_e(step.error)}</span>' if step.error else '<span class="ok">ok</span>'
    thought = f'<div class="muted">{_e(step.thought)}</div>' if step.thought else ""
    return (
        f"<details><summary>{status} <code>{_e(step.call[:140])}</code></summary>{thought}"
        f"<pre>{_e(step.observation[:2500])}</pre></details>"
    )


def _trajectory_html(t: Trajectory) -> str:
    verdict = '<span class="ok">solved</span>' if t.solved else '<span class="bad">failed</span>'
    checks = "".join(f"<li>{'✔' if c.passed else '✘'} {_e(c.kind)}: {_e(c.detail)}</li>" for c in t.checks)
    failure = f'<p class="bad">failure at the {_e(t.failure[0])}: {_e(t.failure[1])}</p>' if t.failure else ""
    return (
        f'<div class="traj"><b>{_e(t.agent)}</b>, try {_e(t.trial)}: {verdict} '
        f"(partial {figure(t.partial, '.2f')}, {len(t.steps)} steps)"
        f"{failure}{''.join(_step_html(s) for s in t.steps)}"
        f'<p class="muted">answer: {_e(t.answer)}</p><ul>{checks}</ul></div>'
    )


def _headline(run: Summary) -> str:
    ks = sorted({k for a in run.by_agent.values() for k in a.pass_hat_k})
    head = "".join(f"<th>pass^{k}</th>" for k in ks)
    rows = []
    for agent, s in sorted(run.by_agent.items()):
        lo, hi = s.ci95
        cells = "".join(f'<td class="num">{_pct(s.pass_hat_k.get(k, 0.0))}</td>' for k in ks)
        rows.append(
            f"<tr><td>{_e(agent)}</td><td class=num>{figure(s.episodes, ',.0f')}</td><td class=num>{_pct(s.success_rate)} "
            f"<span class=muted>[{_pct(lo)}, {_pct(hi)}]</span></td><td class=num>{figure(s.partial_credit, '.3f')}</td>{cells}"
            f"<td class=num>{figure(s.steps_mean, '.1f')}</td><td class=num>{figure(s.tokens, ',.0f')}</td></tr>"
        )
    return (
        "<h2>Headline</h2><table><tr><th>agent</th><th>episodes</th><th>success [95% CI]</th><th>partial</th>"
        f"{head}<th>steps</th><th>tokens</th></tr>{''.join(rows)}</table>"
    )


def render(
    summary: Mapping[str, Any],
    trajectories: Sequence[Mapping[str, Any]],
    tasks: Mapping[str, Mapping[str, Any]],
    *,
    title: str = "workgym run",
) -> str:
    """The report page.

    Args:
        summary: the run's summary.json.
        trajectories: its trajectories.
        tasks: task id -> the task (for instructions), as in tasks.jsonl; may be empty.
        title: the page's title.
    """
    run = read_summary(summary)
    shown_trajectories = [read_trajectory(t) for t in trajectories]

    def instruction(task_id: str) -> str:
        task = tasks.get(task_id)
        return _e(task.get("instruction", "")) if isinstance(task, Mapping) else ""

    out = [
        '<!doctype html><html lang=en><meta charset=utf-8><meta name="generator" content="workgym">'
        f'<meta http-equiv="Content-Security-Policy" content="{REPORT_CSP}">'
        f'<meta name="referrer" content="no-referrer"><title>{_e(title)}</title><style>{CSS}</style>'
    ]
    out.append(
        f"<h1>{_e(title)}</h1><p class=muted>{figure(run.episodes, ',.0f')} episodes over {figure(run.tasks, ',.0f')} tasks; "
        f"agents: {_e(', '.join(run.agents))}.</p>"
    )
    out.append(_headline(run))
    hat = {a: s.pass_hat_k for a, s in run.by_agent.items()}
    at = {a: s.pass_at_k for a, s in run.by_agent.items()}
    out.append(
        f"<h2>Reliability: pass^k (solid) and pass@k (dashed)</h2>{line_chart(hat, 'by k, the number of tries', at)}"
    )
    fam = {a: s.by_family for a, s in run.by_agent.items()}
    out.append(f"<h2>Success by family</h2>{bar_chart(fam, 'success rate')}")

    per_task: dict[str, list[Trajectory]] = defaultdict(list)
    for t in shown_trajectories:
        per_task[t.task_id].append(t)

    def others(ts: list[Trajectory]) -> list[Trajectory]:
        return [t for t in ts if not t.agent.startswith(("oracle", "noop"))]

    measured = {
        tid: sum(t.solved for t in others(ts)) / max(1, len(others(ts))) for tid, ts in per_task.items()
    }
    hardest = sorted(measured, key=lambda tid: (measured[tid], tid))[:15]
    rows = [
        f"<tr><td><code>{_e(tid)}</code></td><td>{_e(per_task[tid][0].family)}</td><td class=num>{_pct(measured[tid])}</td>"
        f"<td>{instruction(tid)}</td></tr>"
        for tid in hardest
    ]
    out.append(
        "<h2>Hardest tasks</h2><p class=muted>success of the agents other than oracle and noop</p>"
        f"<table><tr><th>task</th><th>family</th><th>success</th><th>instruction</th></tr>{''.join(rows)}</table>"
    )
    rows = [
        f"<tr><td>step: {_e(k)}</td><td class=num>{figure(v, ',.0f')}</td></tr>"
        for k, v in run.step_errors.items()
    ]
    rows += [
        f"<tr><td>failure at the {_e(k)}</td><td class=num>{figure(v, ',.0f')}</td></tr>"
        for k, v in run.failures.items()
    ]
    out.append(
        f"<h2>Errors</h2><table><tr><th>what</th><th>count</th></tr>{''.join(rows) or '<tr><td>none</td><td></td></tr>'}</table>"
    )

    out.append("<h2>Trajectories side by side</h2>")
    shown = 0
    for tid in hardest + sorted(per_task):
        ts = per_task[tid]
        good = [t for t in ts if t.solved and not t.agent.startswith("oracle")]
        bad = [t for t in ts if t.failed and not t.agent.startswith("noop")]
        pair = (good[:1] + bad[:1]) if good and bad else (bad[:2] if len(bad) >= 2 else [])
        if len(pair) < 2:
            continue
        out.append(f"<h3><code>{_e(tid)}</code> · {_e(ts[0].family)}</h3><p>{instruction(tid)}</p>")
        out.append(f'<div class="side">{_trajectory_html(pair[0])}{_trajectory_html(pair[1])}</div>')
        shown += 1
        if shown >= 6:
            break
    if not shown:
        out.append("<p class=muted>no task has two comparable tries</p>")
    out.append("</html>")
    return "\n".join(out)


__all__ = ["CSS", "REPORT_CSP", "bar_chart", "line_chart", "render", "style_hash"]
