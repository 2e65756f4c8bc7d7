"""The ReAct agent: Thought / Action / Observation in plain text, for models without tool calling.

The system prompt lists the tools (their usage text, derived from the same signatures as the
schemas) and the format. Each reply must end with ``Action:`` and ``Action Input:`` (a JSON
object), or with ``Final Answer:``. A reply that follows neither is sent to the episode as it is,
which answers with an error observation saying what a call looks like; the model reads it as the
next ``Observation:`` and can fix its format.
"""

from __future__ import annotations

import re
from typing import Any

from workgym.agents.base import POLICY, Recorder
from workgym.agents.endpoint import LLMAgent, complete, parse_arguments
from workgym.tasks import Task

FORMAT = """Work in turns. Each turn, write:
Thought: what you know and what to do next
Action: one tool name
Action Input: its arguments as a JSON object
Then wait for the Observation. When you are done, write:
Thought: why you are done
Final Answer: the answer to the question (or "done" when the task was to change things)"""

_ACTION = re.compile(r"Action:\s*(?P<name>[\w.-]+)\s*\n+\s*Action Input:\s*(?P<input>.*)", re.DOTALL)
_FINAL = re.compile(r"Final Answer:\s*(?P<answer>.*)", re.DOTALL)
_THOUGHT = re.compile(r"Thought:\s*(?P<thought>.*?)(?:\n\s*(?:Action|Final Answer):|\Z)", re.DOTALL)


def parse(text: str) -> tuple[str | None, Any]:
    """(thought, what to do): ``("answer", text)``, ``("call", {name, arguments})`` or ``("raw", text)``."""
    thought_match = _THOUGHT.search(text)
    thought = thought_match["thought"].strip() if thought_match else None
    action = _ACTION.search(text)
    final = _FINAL.search(text)
    if final and (not action or final.start() > action.start()):
        return thought, ("answer", final["answer"].strip())
    if action:
        raw = action["input"].strip()
        raw = raw.split("\nObservation:", 1)[0].strip().strip("`")
        raw = raw.removeprefix("json").strip()
        return thought, ("call", {"name": action["name"], "arguments": parse_arguments(raw)})
    return thought, ("raw", text)


class ReActAgent(LLMAgent):
    """Text-only tool use in the ReAct format."""

    name = "react"

    async def solve(self, task: Task, rec: Recorder, *, seed: int) -> None:
        """Alternate model turns and observations until a final answer or the episode's end."""
        client = self.endpoint.client()
        usage = "\n\n".join(t.usage() for t in rec.episode.tools.values())
        messages: list[dict[str, Any]] = [
            {
                "role": "system",
                "content": f"{rec.episode.intro()}\n\n{POLICY}\n\nTools:\n{usage}\n\n{FORMAT}",
            },
            {"role": "user", "content": task.instruction},
        ]
        try:
            for _ in range(self.max_turns):
                if rec.done:
                    return
                message, tokens, seconds = await complete(self.endpoint, client, messages, seed=seed)
                rec.model_turn(seconds, tokens)
                text = message.content or ""
                messages.append({"role": "assistant", "content": text})
                thought, (kind, what) = parse(text)
                if kind == "answer":
                    if "submit_answer" in rec.episode.tools and what:
                        rec.step({"name": "submit_answer", "arguments": {"text": what}}, thought=thought)
                    return
                call = what if kind == "call" else text
                observation = rec.step(call, thought=thought, model_seconds=seconds, tokens=tokens)
                messages.append({"role": "user", "content": f"Observation: {observation.text}"})
        finally:
            await client.close()


__all__ = ["FORMAT", "ReActAgent", "parse"]
