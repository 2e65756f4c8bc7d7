"""The tool-calling agent: a model at an OpenAI-compatible endpoint, given the episode's tools.

The system prompt holds the workplace policy, then who the agent is and when (the episode's
opening text): the task's :class:`Prompt`; the user message is the task. Each tool call the model
makes is one step; its ``arguments`` go to the episode as the model wrote them, so malformed JSON
comes back as an error observation the model can read and fix, never as a crash.

Open models do not always use the API's ``tool_calls``: a server parses calls out of the text
only for the families and flags it knows. A reply without ``tool_calls`` is read for calls in its
content, in every form :mod:`workgym.agents.toolcalls` knows (Hermes/Qwen ``<tool_call>``, Llama's
``<|python_tag|>`` and bare JSON, Mistral's ``[TOOL_CALLS]``, a fenced JSON block, …); each step
records the form its call came in. A reply that holds no call is an answer only when it says so
(``Final Answer: …`` or ``Answer: …``); any other reply (prose, a plan, an unreadable call) is a
*format failure*: the model is told, in one short observation, how to call a tool or submit, and
nothing is submitted for it. After :data:`~workgym.agents.endpoint.NUDGES` of them in a row the
agent gives up on the episode.
"""

from __future__ import annotations

import json
import re
from typing import Any

from workgym.agents.base import Recorder
from workgym.agents.context import Budget, wire
from workgym.agents.endpoint import NUDGES, LLMAgent, Turn, chat, parse_arguments
from workgym.agents.toolcalls import Found, find_calls
from workgym.tasks import Prompt

_ANSWER = re.compile(r"^\s*\**(?:final answer|answer)\**\s*:\**\s*(?P<answer>.+)", re.I | re.M | re.S)


def nudge_text(found: Found, can_submit: bool) -> str:
    """The corrective observation for a reply that was neither a call nor an answer."""
    problem = f" ({found.problem})" if found.problem else ""
    end = (
        ' When you have the answer, or are done, call submit_answer with {"text": "<your answer>"}.'
        if can_submit
        else ""
    )
    return f"Error: no tool call found in your reply{problem}. Call one of the tools with a tool call.{end}"


def logprob_record(turn: Turn) -> dict[str, Any] | None:
    """A turn's log probabilities and token ids, as a step keeps them (None when it has none)."""
    if turn.logprobs is None and turn.token_ids is None:
        return None
    out: dict[str, Any] = {}
    if turn.logprobs is not None:
        out["content"] = turn.logprobs
    if turn.token_ids is not None:
        out["token_ids"] = turn.token_ids
    return out


class OpenAIAgent(LLMAgent):
    """Native tool calling through the chat-completions API, with the text forms as a fallback."""

    name = "openai"

    async def solve(self, prompt: Prompt, rec: Recorder, *, seed: int) -> None:
        """Talk to the model until it submits, gives up, or the episode ends."""
        client = self.endpoint.client()
        tools = prompt.tools
        messages: list[dict[str, Any]] = [
            *prompt.messages(),
        ]
        names = {t["function"]["name"] for t in tools}
        budget = Budget(self.max_context, self.endpoint.max_tokens)
        nudges = 0
        try:
            for turn_number in range(self.max_turns):
                if rec.done or self.over_time(rec):
                    return
                budget.fit(messages, tools)
                turn = await chat(self.endpoint, client, wire(messages), seed=seed, tools=tools)
                budget.measured(turn.tokens["prompt"])
                rec.model_turn(turn.seconds, turn.tokens)
                message = turn.message
                native = list(getattr(message, "tool_calls", None) or [])
                content = message.content or ""
                if native:
                    calls = [
                        (
                            c.id,
                            c.function.name,
                            c.function.arguments or "",
                            parse_arguments(c.function.arguments),
                        )
                        for c in native
                    ]
                    form, thought = "tool_calls", content.strip() or None
                else:
                    found = find_calls(content, names)
                    if not found.calls:
                        answer = _ANSWER.search(content) if not found.problem else None
                        if answer and answer["answer"].strip() and "submit_answer" in names:
                            rec.step(
                                {"name": "submit_answer", "arguments": {"text": answer["answer"].strip()}},
                                thought=content[: answer.start()].strip() or None,
                                model_seconds=turn.seconds,
                                tokens=turn.tokens,
                                form="final_answer",
                                logprobs=logprob_record(turn),
                            )
                            return
                        nudges += 1
                        text = rec.nudge(
                            content,
                            nudge_text(found, "submit_answer" in names),
                            model_seconds=turn.seconds,
                            tokens=turn.tokens,
                            logprobs=logprob_record(turn),
                        )
                        if nudges >= NUDGES:
                            return
                        messages += [
                            {"role": "assistant", "content": content},
                            {"role": "user", "content": text},
                        ]
                        continue
                    calls = [
                        (
                            f"call_{turn_number}_{at}",
                            c["name"],
                            _wire_arguments(c["arguments"]),
                            c["arguments"],
                        )
                        for at, c in enumerate(found.calls)
                    ]
                    form, thought = found.form or "json", found.thought
                nudges = 0
                messages.append(
                    {
                        "role": "assistant",
                        "content": thought if not native else message.content,
                        "tool_calls": [
                            {"id": cid, "type": "function", "function": {"name": name, "arguments": raw}}
                            for cid, name, raw, _ in calls
                        ],
                    }
                )
                for at, (cid, name, _, arguments) in enumerate(calls):
                    first = at == 0
                    observation = rec.step(
                        {"name": name, "arguments": arguments},
                        thought=thought if first else None,
                        model_seconds=turn.seconds if first else 0.0,
                        tokens=turn.tokens if first else None,
                        form=form,
                        logprobs=logprob_record(turn) if first else None,
                    )
                    messages.append({"role": "tool", "tool_call_id": cid, "content": observation.text})
                    if rec.done:
                        break
        finally:
            await client.close()


def _wire_arguments(arguments: Any) -> str:
    """Arguments as the chat-completions API carries them: a JSON string (text left as it is)."""
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)


__all__ = ["OpenAIAgent", "logprob_record", "nudge_text"]
