"""What every agent shares: one interface, and the recorder every step goes through.

An agent gets the task's :class:`Prompt` (policy, opening text, instruction, tool schemas; never
the gold actions or the checks) and a :class:`Recorder` over a fresh task environment, and acts by
calling ``rec.step(call)``. The recorder runs the call, times the environment apart from the model,
and keeps each step (thought, call, observation, error, seconds, tokens) for the trajectory. An
agent never touches the episode's state otherwise, so every action is recorded and checked. The
agents that know the answer (oracle, plausible-wrong) are privileged: built for one task with
``for_task(task)`` (see :mod:`workgym.agents.oracle`).

A failure is attributed to one boundary and recorded once: :class:`EndpointError` (the model
endpoint would not answer), :class:`AgentError` (the agent itself broke); a bad tool call is not
a failure but an error observation, and the episode goes on.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from workgym.tasks import Prompt, TaskEnv
from workgym.world import POLICY, Episode, Observation


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
        form: how the model wrote the call (``tool_calls``, ``hermes``, ``react``, …; see
            :mod:`workgym.agents.toolcalls`), ``none`` for a reply that was neither a call nor an
            answer (a format failure, answered by a nudge); None for agents without a model.
        logprobs: the model turn's completion tokens with their log probabilities (and ids where
            the endpoint gave them), when it returned them.
    """

    call: Any
    observation: str
    error: str | None
    thought: str | None = None
    env_seconds: float = 0.0
    model_seconds: float = 0.0
    tokens: dict[str, int] = field(default_factory=dict)
    form: str | None = None
    logprobs: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """As JSON-ready data."""
        return {
            "thought": self.thought,
            "call": self.call,
            "observation": self.observation,
            "error": self.error,
            "seconds": {"env": round(self.env_seconds, 6), "model": round(self.model_seconds, 6)},
            "tokens": self.tokens,
            **({"form": self.form} if self.form is not None else {}),
            **({"logprobs": self.logprobs} if self.logprobs is not None else {}),
        }


class Recorder:
    """Runs an agent's calls on its episode (through its task environment, when given one) and keeps the steps.

    Args:
        target: the task environment the agent acts in (steps carry its rewards), or a bare episode.
    """

    def __init__(self, target: TaskEnv | Episode) -> None:
        self._env = target if isinstance(target, TaskEnv) else None  # holds the task: never the agent's
        self.episode = target.episode if isinstance(target, TaskEnv) else target
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
        form: str | None = None,
        logprobs: dict[str, Any] | None = None,
    ) -> Observation:
        """Run one call and record it; returns the observation (an error one for a bad call)."""
        started = time.perf_counter()
        observation = self._env.step(call) if self._env is not None else self.episode.step(call)
        elapsed = time.perf_counter() - started
        error = observation.info.get("error")
        spent = dict(tokens or {})
        self.steps.append(
            Step(call, observation.text, error, thought, elapsed, model_seconds, spent, form, logprobs)
        )
        return observation

    def nudge(
        self,
        reply: str,
        text: str,
        *,
        model_seconds: float = 0.0,
        tokens: dict[str, int] | None = None,
        logprobs: dict[str, Any] | None = None,
    ) -> str:
        """Record a reply that was neither a call nor an answer, and the corrective text sent back.

        Nothing reaches the episode (no step is spent, nothing is submitted); the step's error is
        ``format``, so runs count format failures apart from wrong answers.
        """
        self.steps.append(
            Step(reply, text, "format", None, 0.0, model_seconds, dict(tokens or {}), "none", logprobs)
        )
        return text

    @property
    def env_seconds(self) -> float:
        """Time spent in the episode over all steps."""
        return sum(s.env_seconds for s in self.steps)


class Agent(ABC):
    """An agent: it solves a task, given its prompt, through a recorder.

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
    async def solve(self, prompt: Prompt, rec: Recorder, *, seed: int) -> None:
        """Act on the task ``prompt`` gives through ``rec`` until done; raise EndpointError or AgentError to give up."""


__all__ = ["POLICY", "Agent", "AgentError", "EndpointError", "Recorder", "Step"]
