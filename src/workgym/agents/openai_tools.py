"""The tool-calling agent: a model at an OpenAI-compatible endpoint, given the episode's tools.

The system prompt holds who the agent is and when (the episode's opening text) and the workplace
policy; the user message is the task. Each tool call the model makes is one step; its
``arguments`` go to the episode as the model wrote them, so malformed JSON comes back as an error
observation the model can read and fix, never as a crash. A reply without tool calls ends the
episode; for a question, that reply is the answer when none was submitted.
"""

from __future__ import annotations

from typing import Any

from workgym.agents.base import POLICY, Recorder
from workgym.agents.endpoint import LLMAgent, complete, parse_arguments
from workgym.tasks import Task


class OpenAIAgent(LLMAgent):
    """Native tool calling through the chat-completions API."""

    name = "openai"

    async def solve(self, task: Task, rec: Recorder, *, seed: int) -> None:
        """Talk to the model until it stops calling tools or the episode ends."""
        client = self.endpoint.client()
        tools = rec.episode.schemas()
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": f"{rec.episode.intro()}\n\n{POLICY}"},
            {"role": "user", "content": task.instruction},
        ]
        try:
            for _ in range(self.max_turns):
                if rec.done:
                    return
                message, tokens, seconds = await complete(
                    self.endpoint, client, messages, seed=seed, tools=tools
                )
                rec.model_turn(seconds, tokens)
                calls = list(getattr(message, "tool_calls", None) or [])
                if not calls:
                    text = (message.content or "").strip()
                    if text and rec.episode.answer is None and "submit_answer" in rec.episode.tools:
                        rec.step(
                            {"name": "submit_answer", "arguments": {"text": text}}, thought="(final reply)"
                        )
                    return
                messages.append(
                    {
                        "role": "assistant",
                        "content": message.content,
                        "tool_calls": [
                            {
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.function.name, "arguments": c.function.arguments},
                            }
                            for c in calls
                        ],
                    }
                )
                for at, c in enumerate(calls):
                    observation = rec.step(
                        {"name": c.function.name, "arguments": parse_arguments(c.function.arguments)},
                        thought=message.content if at == 0 else None,
                        model_seconds=seconds if at == 0 else 0.0,
                        tokens=tokens if at == 0 else None,
                    )
                    messages.append({"role": "tool", "tool_call_id": c.id, "content": observation.text})
        finally:
            await client.close()


__all__ = ["OpenAIAgent"]
