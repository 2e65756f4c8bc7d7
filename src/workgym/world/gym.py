"""The Gymnasium face of the world: ``gymnasium.make("workgym/Workspace-v0", path="anon.db")``.

One episode of the world, with no task (every reward 0.0); the tasks, with their rewards, are
``workgym/Task-v0`` (:mod:`workgym.tasks.gym`, the tasks stage's, which sits below the world).

Importing this module registers the id (it needs the ``gym`` extra:
``pip install "workgym[gym]"``). Actions and observations are text
(``gymnasium.spaces.Text``): an action is the JSON of one tool call,
``{"name": "get_ticket", "arguments": {"key": "ENG-12"}}``, and an observation is what the tool
shows. Characters outside the spaces' charset (printable Unicode: letters, digits, punctuation,
symbols, spaces and newlines) are written as ``�``, and an observation longer than ``max_text`` is
cut, so every observation lies in the observation space.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import gymnasium
from gymnasium import spaces

from workgym.world.core import Episode, Limits, World

ENV_ID = "workgym/Workspace-v0"
REPLACEMENT = "\ufffd"


@cache
def charset() -> frozenset[str]:
    """Every character an action or observation may hold: printable Unicode, space, tab, newline."""
    printable = (
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c))[0] in "LNPSM" or unicodedata.category(chr(c)) == "Zs"
    )
    return frozenset([*printable, "\n", "\t"])


def fit_text(text: str, max_text: int) -> str:
    """``text`` inside a text space: characters outside :func:`charset` as ``\ufffd``, cut at ``max_text``."""
    chars = charset()
    return "".join(c if c in chars else REPLACEMENT for c in text)[:max_text]


class WorkspaceEnv(gymnasium.Env[str, str]):
    """One episode of a workspace as a Gymnasium environment.

    Args:
        path: the workspace (raw or anonymized) SQLite file.
        cutoff: the world as it stood at this time; default: all of it.
        persona: who the agent acts as (a person id, name, handle or address).
        tools: the tools allowed (default all).
        limits: step, wall-time and observation-size limits.
        max_text: the longest action or observation, in characters.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - gymnasium's class attribute

    def __init__(
        self,
        path: str | Path,
        *,
        cutoff: str | None = None,
        persona: str | None = None,
        tools: list[str] | None = None,
        limits: Limits | None = None,
        max_text: int = 20_000,
    ) -> None:
        self.world = World.open(Path(path))
        self.options: dict[str, Any] = {"cutoff": cutoff, "persona": persona}
        self.tools, self.limits = tools, limits
        self.max_text = max_text
        chars = charset()
        self.action_space = spaces.Text(max_length=max_text, min_length=0, charset=chars)
        self.observation_space = spaces.Text(max_length=max_text, min_length=0, charset=chars)
        self._episode: Episode | None = None

    def _text(self, text: str) -> str:
        return fit_text(text, self.max_text)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start a new episode; ``options`` may set ``cutoff`` and ``persona`` for it."""
        super().reset(seed=seed)
        if self._episode is not None:
            self._episode.close()
        settings = {**self.options, **(options or {})}
        self._episode = self.world.episode(
            cutoff=settings["cutoff"],
            persona=settings["persona"],
            seed=seed if seed is not None else 0,
            tools=self.tools,
            limits=self.limits,
        )
        observation = self._episode.reset()
        return self._text(observation.text), dict(observation.info)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run one tool call (its JSON text); a bad one comes back as an error observation."""
        if self._episode is None:
            self.reset()
        assert self._episode is not None
        observation = self._episode.step(action)
        return (
            self._text(observation.text),
            float(observation.reward),
            observation.terminated,
            observation.truncated,
            dict(observation.info),
        )

    @property
    def episode(self) -> Episode:
        """The current episode (for its state diff, hash or fork)."""
        if self._episode is None:
            self.reset()
        assert self._episode is not None
        return self._episode

    def close(self) -> None:
        """Release the episode."""
        if self._episode is not None:
            self._episode.close()
            self._episode = None


if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="workgym.world.gym:WorkspaceEnv")
