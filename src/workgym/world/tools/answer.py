"""Answer: talk to the person who gave the task: ask them (when they are there), and answer."""

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


@tool("answer")
def ask_user(ctx: ToolContext, question: str) -> str:
    """Ask the person who gave you the task a question, when the task leaves out something you need.

    Args:
        question: one short question.
    """
    if ctx.user is None:
        raise ToolError("nobody is there to ask in this episode; work from the workspace")
    if not question.strip():
        raise ToolError("the question is empty")
    return f"They answer: {clip(ctx.user(question), 1000)}"
