"""Answer: end a question episode with the answer."""

from __future__ import annotations

from workgym.world.context import ToolContext
from workgym.world.schema import ToolError, tool
from workgym.world.text import clip


@tool("answer", ends_episode=True)
def submit_answer(ctx: ToolContext, text: str) -> str:
    """Give your final answer to the question; this ends the episode.

    Args:
        text: the answer, as short as the question allows.
    """
    if not text.strip():
        raise ToolError("the answer is empty")
    ctx.answer = text
    return f"answer submitted: {clip(text, 200)}"
