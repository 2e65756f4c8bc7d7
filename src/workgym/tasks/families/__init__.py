"""The task families, one module each; :data:`FAMILIES` maps a family's name to its generator.

Each generator is ``generate(g: Gen, budget: int) -> list[Draft]``: about ``budget`` drafts, drawn
in a seeded order from what the workspace holds (fewer when the data does not allow more).
"""

from __future__ import annotations

from collections.abc import Callable

from workgym.tasks.families import aggregate, chain, clarify, compose, lookup, replay, workflow
from workgym.tasks.families.base import Draft, Gen

Generator = Callable[[Gen, int], list[Draft]]

FAMILIES: dict[str, Generator] = {
    "lookup": lookup.generate,
    "chain": chain.generate,
    "aggregate": aggregate.generate,
    "workflow": workflow.generate,
    "replay": replay.generate,
    "clarify": clarify.generate,
    "compose": compose.generate,
}
"""Every family, in the order tasks.md lists them."""

SHARES: dict[str, float] = {
    "lookup": 0.15,
    "chain": 0.2,
    "aggregate": 0.15,
    "workflow": 0.15,
    "replay": 0.28,
    "clarify": 0.07,
    "compose": 0.2,
}
"""The share of ``--n`` each family is asked for (what one family cannot fill, others may)."""

__all__ = ["FAMILIES", "SHARES", "Draft", "Gen", "Generator"]
