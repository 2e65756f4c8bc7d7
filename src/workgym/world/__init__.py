"""The world: workplace tools over a private copy-on-write state of a workspace, in episodes.

``World.open(path)`` opens a workspace (raw or anonymized) read-only; ``world.episode(cutoff=...,
persona=..., seed=...)`` gives an :class:`Episode` whose ``step(call)`` runs one tool and returns
an :class:`Observation`; ``reset()``, ``fork()``, ``state_diff()`` and ``state_hash()`` manage its
state. See docs/world.md.
"""

from workgym.world.core import EMPTY_HASH, USER_TOOLS, Episode, Limits, Observation, User, World
from workgym.world.policy import POLICY, system_text
from workgym.world.pool import EpisodePool
from workgym.world.schema import REGISTRY, CallError, Tool, ToolError, tool
from workgym.world.state import FieldChange, RowChange, StateDiff

__all__ = [
    "EMPTY_HASH",
    "POLICY",
    "REGISTRY",
    "USER_TOOLS",
    "CallError",
    "Episode",
    "EpisodePool",
    "FieldChange",
    "Limits",
    "Observation",
    "RowChange",
    "StateDiff",
    "Tool",
    "ToolError",
    "User",
    "World",
    "system_text",
    "tool",
]
