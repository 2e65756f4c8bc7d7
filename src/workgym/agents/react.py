r"""The ReAct agent: Thought / Action / Observation in plain text, for models without tool calling.

The system prompt leads with what never changes (the workplace policy, the tools' usage text,
derived from the same signatures as the schemas, and the format), then who the agent is and when.
Each request carries the stop sequence ``"\nObservation:"``, so the model does not write the
observations itself. :func:`parse` reads a reply as a call or a final answer, tolerating what
models commonly do instead of the format:

* ``Action: name`` with no ``Action Input`` (the call has no arguments; the episode says which it
  needs);
* JSON in ``Action`` (``{"name": …, "arguments": …}``, or LangChain's ``{"action": …,
  "action_input": …}``), or the arguments on the ``Action`` line (``name({...})``, ``name {...}``);
* the input in a fenced block, and prose (or an invented ``Observation:``) after it;
* ``Action`` and ``Final Answer`` in one reply: the action runs (it comes first; the model sees its
  observation before answering);
* a call in one of the tool-call forms of :mod:`workgym.agents.toolcalls` instead of the format.

A reply that is neither a call nor an answer is a format failure: the model is told what could
not be parsed and how a turn looks, nothing reaches the episode, and after
:data:`~workgym.agents.endpoint.NUDGES` in a row the agent gives up.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from workgym.agents.base import Recorder
from workgym.agents.context import Budget, wire
from workgym.agents.endpoint import NUDGES, LLMAgent, chat, parse_arguments
from workgym.agents.openai_tools import logprob_record
from workgym.agents.toolcalls import as_call, find_calls
from workgym.tasks import Prompt
from workgym.world import POLICY

FORMAT = """Work in turns. Each turn, write exactly:
Thought: what you know and what to do next
Action: the name of one tool
Action Input: its arguments as one JSON object
Then stop: the Observation comes back in the next message. When the task is complete, write:
Thought: why it is complete
Final Answer: <your answer to the question; or, when the task was to change things, one line on what you changed>"""
"""How a turn looks. Its example answer is a description in angle brackets: nothing a model can
copy is an answer."""

STOP = ["\nObservation:"]
"""The stop sequence every request carries."""

# Each label may be in markdown bold: **Action:** or **Action**:
_ACTION = re.compile(r"^\s*\**Action\**\s*:\**[ \t]*(?P<rest>.*)$", re.M | re.I)
_INPUT = re.compile(r"^\s*\**Action[ _]Input\**\s*:\**[ \t]*", re.M | re.I)
_FINAL = re.compile(r"^\s*\**Final[ _]Answer\**\s*:\**\s*(?P<answer>.*)", re.M | re.I | re.S)
_THOUGHT = re.compile(r"^\s*\**Thought\**\s*:\**\s*", re.M | re.I)
_NAME = re.compile(r"[`'\"]*(?P<name>[A-Za-z_][\w.-]*)[`'\"]*\s*(?P<tail>.*)", re.S)
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a ReAct reply says to do.

    Attributes:
        kind: ``call``, ``answer`` or ``none`` (neither: a format failure).
        thought: the reasoning before the action or answer.
        call: for ``call``: ``{"name", "arguments"}``.
        answer: for ``answer``: the final answer's text.
        form: for ``call``: ``react``, or the tool-call form it came in instead.
        problem: for ``none``: what could not be parsed, in a sentence.
    """

    kind: str
    thought: str | None = None
    call: dict[str, Any] | None = None
    answer: str | None = None
    form: str | None = None
    problem: str | None = None


def _first_json(text: str) -> tuple[Any, str] | None:
    """The JSON value that ``text`` starts with (a fence around it allowed), and what follows it."""
    body = text.strip()
    if body.startswith("```"):
        body = body[3:].removeprefix("json").removeprefix("JSON").lstrip()
    try:
        value, end = _DECODER.raw_decode(body)
    except json.JSONDecodeError:
        return None
    return value, body[end:]


def _thought(text: str) -> str | None:
    text = _THOUGHT.sub("", text, count=1).strip()
    return text or None


def _action(text: str, action: re.Match[str]) -> Parsed:
    """The call an ``Action:`` line (and the ``Action Input:`` after it, if any) makes."""
    thought = _thought(text[: action.start()])
    rest = action["rest"].strip()
    after = text[action.end() :]
    got = _first_json(rest) if rest.startswith(("{", "[", "`")) else None
    if got is not None:  # JSON in Action: a whole call
        value = got[0]
        if isinstance(value, dict) and "action" in value and "name" not in value:
            value = {"name": value.get("action"), "arguments": value.get("action_input", {})}
        call = as_call(value, None) or as_call(
            {**value, "arguments": {}} if isinstance(value, dict) else None
        )
        if call is None:
            return Parsed("none", thought, problem=f"the Action is JSON but names no tool ({rest[:80]!r})")
        return Parsed("call", thought, call, form="react")
    named = _NAME.match(rest)
    if named is None:
        return Parsed("none", thought, problem="the Action line names no tool")
    name, tail = named["name"], named["tail"].strip().removeprefix("(").removesuffix(")").strip()
    source = tail if tail.startswith(("{", "`")) else None
    if source is None:
        marker = _INPUT.search(after)
        source = after[marker.end() :] if marker else None
    if source is None or not source.strip():
        return Parsed("call", thought, {"name": name, "arguments": {}}, form="react")  # no Action Input
    parsed = _first_json(source)
    if parsed is None:  # not JSON: the episode answers with an error saying what the arguments look like
        raw = source.strip().split("\n\n", 1)[0].strip().strip("`").strip()
        return Parsed("call", thought, {"name": name, "arguments": parse_arguments(raw)}, form="react")
    return Parsed("call", thought, {"name": name, "arguments": parse_arguments(parsed[0])}, form="react")


def parse(text: str, names: set[str] | None = None) -> Parsed:
    """A ReAct reply as a call, a final answer, or neither (with what could not be parsed).

    Args:
        text: the reply.
        names: the episode's tool names (for the tool-call forms' bare ``{"name": ...}``).
    """
    text = text.split("\nObservation:", 1)[0]  # an observation the model wrote itself is not one
    action = _ACTION.search(text)
    final = _FINAL.search(text)
    if action and (not final or action.start() < final.start()):
        return _action(text, action)
    if final:
        answer = final["answer"].strip()
        if answer:
            return Parsed("answer", _thought(text[: final.start()]), answer=answer)
        return Parsed("none", _thought(text[: final.start()]), problem="the Final Answer is empty")
    found = find_calls(text, names)
    if found.calls:
        return Parsed("call", found.thought, found.calls[0], form=found.form)
    problem = found.problem or "the reply has no Action: line and no Final Answer: line"
    return Parsed("none", _thought(text), problem=problem)


def nudge_text(parsed: Parsed) -> str:
    """The corrective observation for a reply that was neither a call nor an answer."""
    return (
        f"Error: your reply could not be parsed ({parsed.problem}). Write Thought:, then Action: with one "
        "tool's name and Action Input: with its arguments as a JSON object; or, when the task is complete, "
        "Final Answer:."
    )


def system_text(prompt: Prompt, usage: str) -> str:
    """The ReAct system prompt: the policy, tools and format (never changing) first, then who and when."""
    if prompt.system.startswith(POLICY):
        who = prompt.system[len(POLICY) :].strip()
        return f"{POLICY}\n\nTools:\n{usage}\n\n{FORMAT}\n\n{who}".rstrip()
    return f"{prompt.system}\n\nTools:\n{usage}\n\n{FORMAT}"


def _is_observation(message: dict[str, Any]) -> bool:
    return message.get("role") == "user" and str(message.get("content", "")).startswith("Observation:")


class ReActAgent(LLMAgent):
    """Text-only tool use in the ReAct format."""

    name = "react"

    async def solve(self, prompt: Prompt, rec: Recorder, *, seed: int) -> None:
        """Alternate model turns and observations until a final answer or the episode's end."""
        client = self.endpoint.client()
        usage = "\n\n".join(t.usage() for t in rec.episode.tools.values())
        names = set(rec.episode.tools)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": system_text(prompt, usage)},
            {"role": "user", "content": prompt.instruction},
        ]
        budget = Budget(self.max_context, self.endpoint.max_tokens, _is_observation)
        nudges = 0
        try:
            for _ in range(self.max_turns):
                if rec.done or self.over_time(rec):
                    return
                budget.fit(messages)
                turn = await chat(self.endpoint, client, wire(messages), seed=seed, stop=STOP)
                budget.measured(turn.tokens["prompt"])
                rec.model_turn(turn.seconds, turn.tokens)
                text = turn.message.content or ""
                messages.append({"role": "assistant", "content": text})
                parsed = parse(text, names)
                logprobs = logprob_record(turn)
                spent: dict[str, Any] = {
                    "model_seconds": turn.seconds,
                    "tokens": turn.tokens,
                    "logprobs": logprobs,
                }
                if parsed.kind == "answer":
                    if "submit_answer" in names and parsed.answer:
                        submit = {"name": "submit_answer", "arguments": {"text": parsed.answer}}
                        rec.step(submit, thought=parsed.thought, form="final_answer", **spent)
                    return
                if parsed.kind == "none":
                    nudges += 1
                    observation = rec.nudge(text, nudge_text(parsed), **spent)
                    if nudges >= NUDGES:
                        return
                else:
                    nudges = 0
                    observation = rec.step(
                        parsed.call, thought=parsed.thought, form=parsed.form, **spent
                    ).text
                messages.append({"role": "user", "content": f"Observation: {observation}"})
        finally:
            await client.close()


__all__ = ["FORMAT", "STOP", "Parsed", "ReActAgent", "nudge_text", "parse", "system_text"]
