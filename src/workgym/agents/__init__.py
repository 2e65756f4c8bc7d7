"""Agents: oracle, noop, random, an OpenAI-compatible tool-calling agent and a ReAct text agent.

All share one interface (:class:`Agent.solve` through a :class:`Recorder`); :func:`make_agent`
builds one from its spec, which is plain data so that worker processes and Ray can rebuild it.
"""

from __future__ import annotations

from dataclasses import dataclass

from workgym.agents.base import POLICY, Agent, AgentError, EndpointError, Recorder, Step
from workgym.agents.endpoint import ModelEndpoint
from workgym.agents.noop import NoopAgent
from workgym.agents.openai_tools import OpenAIAgent
from workgym.agents.oracle import OracleAgent
from workgym.agents.random_calls import RandomAgent
from workgym.agents.react import ReActAgent

KINDS = ("oracle", "noop", "random", "openai", "react")
"""The agents there are; the last two need ``--model``."""


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """An agent as data: its kind and, for the LLM agents, its endpoint."""

    kind: str
    endpoint: ModelEndpoint | None = None
    max_turns: int = 30


def make_agent(spec: AgentSpec) -> Agent:
    """The agent a spec describes.

    Raises:
        ValueError: an unknown kind, or an LLM agent without a model.
    """
    if spec.kind == "oracle":
        return OracleAgent()
    if spec.kind == "noop":
        return NoopAgent()
    if spec.kind == "random":
        return RandomAgent()
    if spec.kind in ("openai", "react"):
        if spec.endpoint is None or not spec.endpoint.model:
            raise ValueError(f"the {spec.kind} agent needs a model: --model NAME [--base-url URL]")
        cls = OpenAIAgent if spec.kind == "openai" else ReActAgent
        return cls(spec.endpoint, max_turns=spec.max_turns)
    raise ValueError(f"unknown agent {spec.kind!r}; agents: {', '.join(KINDS)}")


__all__ = [
    "KINDS",
    "POLICY",
    "Agent",
    "AgentError",
    "AgentSpec",
    "EndpointError",
    "ModelEndpoint",
    "NoopAgent",
    "OpenAIAgent",
    "OracleAgent",
    "RandomAgent",
    "ReActAgent",
    "Recorder",
    "Step",
    "make_agent",
]
