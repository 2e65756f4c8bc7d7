"""The noop agent: does nothing. A valid task scores 0.0 with it (doing nothing never passes)."""

from __future__ import annotations

from workgym.agents.base import Agent, Recorder
from workgym.tasks import Prompt


class NoopAgent(Agent):
    """Takes no action at all."""

    name = "noop"

    async def solve(self, prompt: Prompt, rec: Recorder, *, seed: int) -> None:
        """Do nothing."""
