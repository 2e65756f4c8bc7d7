"""What the pages read of a run's files, whatever the files hold.

A run folder is data from outside the viewer: it can be copied from elsewhere, edited by hand,
or written by another tool. So the pages never trust its shape. Each trajectory and summary is
read here into the fields the pages show: text as text (a lone surrogate, which cannot be sent as
UTF-8, replaced), numbers as numbers (NaN where a value is not one), lists and maps as such
(empty where they are not). The pages escape every one of these fields; this module keeps a
damaged or hostile file from being a crash.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


def clean(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD (it cannot be encoded as UTF-8)."""
    return _SURROGATE.sub("\ufffd", value)


def text(value: Any) -> str:
    """Any value as text: strings as they are, None as nothing, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean(value)
    return clean(json.dumps(value, ensure_ascii=False, default=str))


def number(value: Any) -> float:
    """A number as a float; NaN for anything that is not a number (booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # an int too large for a float
        return math.nan


def figure(value: float, spec: str = "") -> str:
    """A number formatted with ``spec``; "?" when it is not a finite number."""
    return format(value, spec) if math.isfinite(value) else "?"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _by_k(value: Any) -> dict[int, float]:
    """``{"1": 0.5, ...}`` as ``{1: 0.5}``, leaving out keys that are not small whole numbers."""
    out = {}
    for k, v in _mapping(value).items():
        key = str(k)
        if key.isascii() and key.isdigit() and len(key) <= 4:
            out[int(key)] = number(v)
    return out


@dataclass(frozen=True)
class Step:
    """One step as the pages show it."""

    call: str
    error: str
    observation: str
    thought: str


@dataclass(frozen=True)
class Check:
    """One check's result."""

    passed: bool
    kind: str
    detail: str


@dataclass(frozen=True)
class Trajectory:
    """One episode as the pages show it; ``replayable`` is what :func:`~workgym.rollout.replay.replay` reads."""

    task_id: str
    family: str
    agent: str
    trial: str
    reward: float
    partial: float
    instruction: str
    answer: str
    steps: list[Step]
    checks: list[Check]
    failure: tuple[str, str] | None
    replayable: dict[str, Any] = field(repr=False)

    @property
    def solved(self) -> bool:
        """Whether the reward is full."""
        return self.reward >= 1.0

    @property
    def failed(self) -> bool:
        """Whether the reward is a number short of full."""
        return self.reward < 1.0


def trajectory(data: Any) -> Trajectory:
    """A trajectory record (one line of trajectories.jsonl) read into what the pages show."""
    t = _mapping(data)
    steps = [_mapping(s) for s in _list(t.get("steps"))]
    failure = t.get("failure")
    seed = t.get("seed")
    calls = [s.get("call") if isinstance(s.get("call"), str | dict) else text(s.get("call")) for s in steps]
    return Trajectory(
        task_id=text(t.get("task_id")),
        family=text(t.get("family")),
        agent=text(t.get("agent")),
        trial=text(t.get("trial")),
        reward=number(t.get("reward")),
        partial=number(t.get("partial")),
        instruction=text(t.get("instruction")),
        answer=text(t.get("answer")),
        steps=[
            Step(
                call=text(s.get("call")),
                error=text(s.get("error") or ""),
                observation=text(s.get("observation")),
                thought=text(s.get("thought") or ""),
            )
            for s in steps
        ],
        checks=[
            Check(c.get("passed") is True, text(c.get("kind")), text(c.get("detail")))
            for c in map(_mapping, _list(t.get("checks")))
        ],
        failure=(
            (text(_mapping(failure).get("boundary")), text(_mapping(failure).get("error")))
            if failure
            else None
        ),
        replayable={
            "seed": seed if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**63 else 0,
            "instruction": text(t.get("instruction")),
            "steps": [
                {"call": c, "observation": text(s.get("observation"))}
                for c, s in zip(calls, steps, strict=True)
            ],
        },
    )


@dataclass(frozen=True)
class AgentFigures:
    """One agent's headline figures in a run's summary."""

    episodes: float
    success_rate: float
    ci95: tuple[float, float]
    partial_credit: float
    steps_mean: float
    tokens: float
    pass_hat_k: dict[int, float]
    pass_at_k: dict[int, float]
    by_family: dict[str, float]


@dataclass(frozen=True)
class Summary:
    """A run's summary.json as the pages show it."""

    episodes: float
    tasks: float
    success_rate: float
    agents: list[str]
    by_agent: dict[str, AgentFigures]
    step_errors: dict[str, float]
    failures: dict[str, float]


def _agent(data: Any) -> AgentFigures:
    s = _mapping(data)
    ci = _list(s.get("success_rate_ci95"))
    tokens = [number(v) for v in _mapping(s.get("tokens")).values()]
    return AgentFigures(
        episodes=number(s.get("episodes")),
        success_rate=number(s.get("success_rate")),
        ci95=(number(ci[0]), number(ci[1])) if len(ci) == 2 else (math.nan, math.nan),
        partial_credit=number(s.get("partial_credit")),
        steps_mean=number(s.get("steps_mean")),
        tokens=math.fsum(tokens) if tokens else 0.0,
        pass_hat_k=_by_k(s.get("pass_hat_k")),
        pass_at_k=_by_k(s.get("pass_at_k")),
        by_family={
            text(f): number(_mapping(v).get("success_rate")) for f, v in _mapping(s.get("by_family")).items()
        },
    )


def summary(data: Any) -> Summary:
    """A run's summary.json read into what the pages show."""
    s = _mapping(data)
    return Summary(
        episodes=number(s.get("episodes")),
        tasks=number(s.get("tasks")),
        success_rate=number(s.get("success_rate")),
        agents=[text(a) for a in _list(s.get("agents"))],
        by_agent={text(a): _agent(v) for a, v in _mapping(s.get("by_agent")).items()},
        step_errors={text(k): number(v) for k, v in _mapping(s.get("step_errors")).items()},
        failures={text(k): number(v) for k, v in _mapping(s.get("failures")).items()},
    )


__all__ = [
    "AgentFigures",
    "Check",
    "Step",
    "Summary",
    "Trajectory",
    "clean",
    "figure",
    "number",
    "summary",
    "text",
    "trajectory",
]
