"""Episodes reused across runs that share a cutoff, persona and tool set: reset costs nothing.

Validation and the runner run many short episodes, most of them with a cutoff, persona and
tools another already had. Opening an episode costs a connection and its views (about 2.5 ms);
resetting one costs its overlay (0.05 ms). :class:`EpisodePool` hands out a reset episode per
key, keeps the most recent ``size`` open, and gives an episode of its own to anything with a
simulated user (the user is the episode's).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from workgym.world.core import Episode, Limits, User, World

Key = tuple[str | None, str | None, tuple[str, ...] | None]


class EpisodePool:
    """Episodes of one world, by (cutoff, persona, tools), reset on every hand-out.

    Args:
        world: the world.
        limits: every episode's limits.
        size: how many to keep open.
    """

    def __init__(self, world: World, limits: Limits | None = None, size: int = 32) -> None:
        self.world, self.limits, self.size = world, limits or Limits(), size
        self._open: OrderedDict[Key, Episode] = OrderedDict()

    def get(
        self,
        *,
        cutoff: str | None,
        persona: str | None,
        tools: Sequence[str] | None,
        seed: int = 0,
        user: User | None = None,
        reuse: bool = True,
    ) -> tuple[Episode, bool]:
        """An episode in its starting state, and whether the caller must close it (not pooled)."""
        if user is not None or not reuse:
            ep = self.world.episode(
                cutoff=cutoff, persona=persona, tools=tools, seed=seed, user=user, limits=self.limits
            )
            return ep, True
        key: Key = (cutoff, persona, tuple(tools) if tools is not None else None)
        if key in self._open:
            ep = self._open.pop(key)
            ep.reset(seed=seed)
        else:
            ep = self.world.episode(
                cutoff=cutoff, persona=persona, tools=tools, seed=seed, limits=self.limits
            )
        self._open[key] = ep
        while len(self._open) > self.size:
            self._open.popitem(last=False)[1].close()
        return ep, False

    def close(self) -> None:
        """Close every pooled episode."""
        for ep in self._open.values():
            ep.close()
        self._open.clear()


__all__ = ["EpisodePool"]
