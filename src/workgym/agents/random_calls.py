"""The random agent: a few random valid tool calls, then a random answer. A floor for every metric.

Calls are valid by the schema (a tool the task allows, its required arguments of the right
types), their values drawn from the instruction's words and numbers, so they sometimes hit a real
record. The draws are seeded by the episode's seed and the task's id, so a run repeats exactly.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from workgym.agents.base import Agent, Recorder
from workgym.tasks import Prompt
from workgym.world import Tool


def _value(schema: dict[str, Any], words: list[str], rng: random.Random) -> Any:
    kind = schema.get("type")
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if kind == "integer":
        return rng.randint(max(1, int(schema.get("minimum", 1))), 3)
    if kind == "number":
        return float(rng.randint(1, 3))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [rng.choice(words)] if words and rng.random() < 0.5 else []
    return " ".join(rng.sample(words, min(len(words), rng.randint(1, 3)))) if words else "x"


class RandomAgent(Agent):
    """Makes 1 to ``max_calls`` random valid calls, then submits a random answer.

    Args:
        max_calls: the most tool calls before the answer.
    """

    name = "random"

    def __init__(self, max_calls: int = 4) -> None:
        self.max_calls = max_calls

    async def solve(self, prompt: Prompt, rec: Recorder, *, seed: int) -> None:
        """Call at random, then answer at random."""
        digest = hashlib.sha256(f"{seed}:{prompt.task_id}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        words = re.findall(r"[\w@.-]{3,}", prompt.instruction)
        tools: list[Tool] = [t for t in rec.episode.tools.values() if not t.ends_episode]
        for _ in range(rng.randint(1, self.max_calls)):
            if rec.done or not tools:
                break
            tool = rng.choice(tools)
            arguments = {p.name: _value(dict(p.schema), words, rng) for p in tool.params if p.required}
            rec.step({"name": tool.name, "arguments": arguments})
        if not rec.done and "submit_answer" in rec.episode.tools:
            rec.step({"name": "submit_answer", "arguments": {"text": _value({"type": "string"}, words, rng)}})
