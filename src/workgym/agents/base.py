"""What every agent shares: one interface, and the recorder every step goes through.

An agent gets a task and a :class:`Recorder` over a fresh episode, and acts by calling
``rec.step(call)``. The recorder runs the call, times the environment apart from the model, and
keeps each step (thought, call, observation, error, seconds, tokens) for the trajectory. An
agent never touches the episode's state otherwise, so every action is recorded and checked.

A failure is attributed to one boundary and recorded once: :class:`EndpointError` (the model
endpoint would not answer), :class:`AgentError` (the agent itself broke); a bad tool call is not
a failure but an error observation, and the episode goes on.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from workgym.tasks import Task
from workgym.world import Episode, Observation

POLICY = (
    "You work here, at a desk with the company's tools: chat, tracker, docs, mail, calendar, code and the "
    "directory. Use the tools to find what you need; do not guess facts. When the task asks a question, end by "
    "calling submit_answer with a short answer. When it asks for changes, make exactly those changes and nothing "
    "else. If the task leaves out something only the person who asked knows, ask them with ask_user when you "
    "have it."
)
"""The workplace policy every LLM agent's system prompt carries."""


class EndpointError(Exception):
    """The model endpoint failed for good (after retries): the episode ends, attributed to the endpoint."""


class AgentError(Exception):
    """The agent could not go on (a bug, an impossible state): the episode ends, attributed to the agent."""


@dataclass(slots=True)
class Step:
    """One step of a trajectory.

    Attributes:
        call: the call as the agent made it (a mapping, or the raw text when it was not one).
        observation: what the episode answered.
        error: the observation's error kind (None when the call worked).
        thought: the agent's reasoning before the call, if it wrote any.
        env_seconds: time in the episode (tool and state).
        model_seconds: time waiting for the model before this call.
        tokens: prompt and completion tokens of the model turn that made this call.
    """

    call: Any
    observation: str
    error: str | None
    thought: str | None = None
    env_seconds: float = 0.0
    model_seconds: float = 0.0
    tokens: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "thought": self.thought,
            "call": self.call,
            "observation": self.observation,
            "error": self.error,
            "seconds": {"env": round(self.env_seconds, 6), "model": round(self.model_seconds, 6)},
            "tokens": self.tokens,
        }


class Recorder:
    """Runs an agent's calls on its episode and keeps the steps."""

    def __init__(self, episode: Episode) -> None:
        self.episode = episode
        self.steps: list[Step] = []
        self.model_seconds = 0.0
        self.tokens = {"prompt": 0, "completion": 0}

    @property
    def done(self) -> bool:
        """Whether the episode has ended (an answer submitted, or a limit reached)."""
        return self.episode.terminated or self.episode.truncated

    def model_turn(self, seconds: float, tokens: dict[str, int] | None = None) -> None:
        """Account one model call (its latency and tokens), whether or not it made a tool call."""
        self.model_seconds += seconds
        for k, v in (tokens or {}).items():
            self.tokens[k] = self.tokens.get(k, 0) + v

    def step(
        self,
        call: Any,
        *,
        thought: str | None = None,
        model_seconds: float = 0.0,
        tokens: dict[str, int] | None = None,
    ) -> Observation:
        """Run one call and record it; returns the observation (an error one for a bad call)."""
        started = time.perf_counter()
        observation = self.episode.step(call)
        elapsed = time.perf_counter() - started
        error = observation.info.get("error")
        self.steps.append(
            Step(call, observation.text, error, thought, elapsed, model_seconds, dict(tokens or {}))
        )
        return observation

    @property
    def env_seconds(self) -> float:
        """Time spent in the episode over all steps."""
        return sum(s.env_seconds for s in self.steps)


class Agent(ABC):
    """An agent: it solves a task through a recorder.

    Attributes:
        name: the agent's kind (oracle, noop, random, openai, react).
        model: the model it runs, if any.
        concurrent: True for agents that wait on a model (run under asyncio), False for CPU-bound
            ones (run in processes).
    """

    name: str = "agent"
    model: str = ""
    concurrent: bool = False

    @property
    def label(self) -> str:
        """How runs and reports name it: ``name`` or ``name:model``."""
        return f"{self.name}:{self.model}" if self.model else self.name

    @abstractmethod
    async def solve(self, task: Task, rec: Recorder, *, seed: int) -> None:
        """Act on ``task`` through ``rec`` until done; raise EndpointError or AgentError to give up."""


__all__ = ["POLICY", "Agent", "AgentError", "EndpointError", "Recorder", "Step"]
