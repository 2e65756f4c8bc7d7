"""Agents: oracle, noop, random, an OpenAI-compatible tool-calling agent and a ReAct text agent.

All share one interface (:class:`Agent.solve`, given the task's prompt, through a
:class:`Recorder`); :func:`make_agent` builds one from its spec, which is plain data so that worker
processes and Ray can rebuild it. The privileged agents (oracle, wrong, partial) are built per task.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workgym.agents.base import POLICY, Agent, AgentError, EndpointError, Recorder, Step
from workgym.agents.endpoint import ModelEndpoint
from workgym.agents.graded import GradedAgent, graded_skill
from workgym.agents.noop import NoopAgent
from workgym.agents.openai_tools import OpenAIAgent
from workgym.agents.oracle import OracleAgent, PartialAgent, PrivilegedAgent, WrongAgent
from workgym.agents.random_calls import RandomAgent
from workgym.agents.react import ReActAgent
from workgym.tasks import Task

KINDS = ("oracle", "noop", "random", "openai", "react", "wrong", "partial")
"""The agents there are; openai and react need ``--model``. Also ``upto-N`` (:mod:`workgym.agents.graded`)."""

PRIVILEGED: dict[str, type[PrivilegedAgent]] = {
    "oracle": OracleAgent,
    "wrong": WrongAgent,
    "partial": PartialAgent,
}
"""The agents that play the task's own actions: built per task (:meth:`PrivilegedAgent.for_task`)."""


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent as data: its kind and, for the LLM agents, its endpoint and limits.

    Attributes:
        kind: one of :data:`KINDS`.
        endpoint: the model and where it is served (openai and react).
        max_turns: model calls before an LLM agent gives up.
        max_seconds: an LLM agent's seconds in the environment (tool time, not model latency)
            before the episode is cut off; None: no limit.
        max_context: an LLM agent's conversation budget in tokens; None: no budget.
        compact_tools: give an LLM agent the shorter tool schemas (``Tool.schema(compact=True)``).
    """

    kind: str
    endpoint: ModelEndpoint | None = None
    max_turns: int = 30
    max_seconds: float | None = None
    max_context: int | None = None
    compact_tools: bool = False

    def settings(self) -> dict[str, Any]:
        """What a run records of the agent: its kind, limits and endpoint settings (never the key)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.endpoint is not None:
            out.update(
                max_turns=self.max_turns,
                max_seconds=self.max_seconds,
                max_context=self.max_context,
                compact_tools=self.compact_tools,
            )
            out["endpoint"] = self.endpoint.settings()
        return out


def make_agent(spec: AgentSpec, task: Task | None = None) -> Agent:
    """The agent a spec describes; a privileged one for ``task`` (without it, it has a name but cannot run).

    Raises:
        ValueError: an unknown kind, or an LLM agent without a model.
    """
    if spec.kind in PRIVILEGED:
        cls = PRIVILEGED[spec.kind]
        return cls.for_task(task) if task is not None else cls()
    if spec.kind == "noop":
        return NoopAgent()
    if spec.kind == "random":
        return RandomAgent()
    if spec.kind in ("openai", "react"):
        if spec.endpoint is None or not spec.endpoint.model:
            raise ValueError(f"the {spec.kind} agent needs a model: --model NAME [--base-url URL]")
        llm = OpenAIAgent if spec.kind == "openai" else ReActAgent
        return llm(
            spec.endpoint,
            max_turns=spec.max_turns,
            max_seconds=spec.max_seconds,
            max_context=spec.max_context,
        )
    skill = graded_skill(spec.kind)
    if skill is not None:  # upto-N: the gold of tasks up to N calls, nothing on longer ones
        return GradedAgent.for_skill(skill, task)
    raise ValueError(f"unknown agent {spec.kind!r}; agents: {', '.join(KINDS)}, upto-N")


__all__ = [
    "KINDS",
    "POLICY",
    "PRIVILEGED",
    "Agent",
    "AgentError",
    "AgentSpec",
    "EndpointError",
    "GradedAgent",
    "ModelEndpoint",
    "NoopAgent",
    "OpenAIAgent",
    "OracleAgent",
    "PartialAgent",
    "PrivilegedAgent",
    "RandomAgent",
    "ReActAgent",
    "Recorder",
    "Step",
    "WrongAgent",
    "graded_skill",
    "make_agent",
]
