"""The conversation's token budget: what an LLM agent sends stays inside ``--max-context``.

Tokens are counted the way the endpoint counts them: each turn's ``usage.prompt_tokens`` over the
characters sent gives the characters per token of this model and these texts, and the next
request is sized with it (before the first answer, a cautious 3 characters per token). When the
conversation would not fit (the prompt plus the completion's ``max_tokens``), old observations
give way, oldest first, and never the system prompt, the task or the model's own turns:

1. long observations are clipped to their head, with a note of what was clipped;
2. if that is not enough, whole observations are replaced by a note that they were dropped.

The latest observation is the last to be clipped and is never dropped. The trajectory keeps every
observation whole: only what the model is sent is cut.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MIN_KEEP = 300
"""The fewest characters a clipped observation keeps."""


def _chars(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> int:
    """The size of a request in characters (contents, calls, tool schemas, a little per message)."""
    total = len(json.dumps(tools, ensure_ascii=False)) if tools else 0
    for m in messages:
        total += 16 + len(m.get("content") or "")
        for c in m.get("tool_calls") or []:
            total += len(c["function"]["name"]) + len(c["function"]["arguments"] or "")
    return total


@dataclass
class Budget:
    """A conversation's token budget and what it has learnt of the model's tokens.

    Args:
        max_context: the model's context in tokens (None: no budget, nothing is cut).
        reserve: tokens kept for the completion (the endpoint's ``max_tokens``).
        is_observation: whether a message is an observation (``role: tool``, or the ReAct agent's
            ``Observation:`` turns).

    Attributes:
        chars_per_token: the latest measure of characters per prompt token.
        clipped: observations clipped so far.
        dropped: observations dropped so far.
    """

    max_context: int | None
    reserve: int
    is_observation: Callable[[dict[str, Any]], bool] = field(default=lambda m: m.get("role") == "tool")
    chars_per_token: float = 3.0
    clipped: int = 0
    dropped: int = 0
    _sent: int = 0

    def tokens(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
        """The request's size in tokens, as estimated from the endpoint's last count."""
        return int(_chars(messages, tools) / self.chars_per_token) + 1

    def measured(self, prompt_tokens: int) -> None:
        """Learn from the endpoint's count of the prompt last sent (its ``usage.prompt_tokens``)."""
        if prompt_tokens > 0 and self._sent > 0:
            self.chars_per_token = max(0.5, self._sent / prompt_tokens)

    def fit(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> None:
        """Clip, then drop, old observations in ``messages`` (in place) until the request fits.

        Call it before each request; it remembers the request's size for :meth:`measured`.
        """
        if self.max_context is not None:
            limit = max(1, self.max_context - self.reserve)
            observations = [at for at, m in enumerate(messages) if self.is_observation(m)]
            for at in observations:  # oldest first; the latest last
                over = self.tokens(messages, tools) - limit
                if over <= 0:
                    break
                self._clip(messages[at], int(over * self.chars_per_token) + 1)
            for at in observations[:-1]:
                if self.tokens(messages, tools) <= limit:
                    break
                self._drop(messages[at])
        self._sent = _chars(messages, tools)

    def _clip(self, message: dict[str, Any], excess: int) -> None:
        text = message.get("content") or ""
        if text.startswith("[dropped") or len(text) <= MIN_KEEP:
            return
        original = message.setdefault("_chars", len(text))
        head = text.split("\n[clipped", 1)[0]
        keep = max(MIN_KEEP, len(text) - excess - 120)
        if keep >= len(head):
            return
        message["content"] = (
            head[:keep].rstrip() + f"\n[clipped to keep the conversation in its token budget: "
            f"the first {keep:,} of {original:,} characters shown]"
        )
        self.clipped += 1

    def _drop(self, message: dict[str, Any]) -> None:
        text = message.get("content") or ""
        if text.startswith("[dropped"):
            return
        original = message.get("_chars", len(text))
        prefix = "Observation: " if text.startswith("Observation:") else ""
        message["content"] = (
            f"{prefix}[dropped to keep the conversation in its token budget: an old observation "
            f"of {original:,} characters]"
        )
        self.dropped += 1


def wire(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages as sent: without the budget's own bookkeeping keys."""
    return [{k: v for k, v in m.items() if not k.startswith("_")} for m in messages]


__all__ = ["MIN_KEEP", "Budget", "wire"]
