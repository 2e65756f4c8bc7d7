"""Trajectories as training records, in the formats common trainers read as they are.

Every converter takes one trajectory (a line of trajectories.jsonl) and returns its record:

* ``openai-chat``: ``{"messages", "tools"}`` in the OpenAI fine-tuning format (which TRL,
  axolotl and LLaMA-Factory read too): the system prompt, the task, each step as an assistant
  message with one ``tool_call`` and its ``tool`` result, and a closing assistant message;
* ``react``: ``{"messages"}`` whose assistant turns are ``Thought: / Action: / Action Input:``
  text and whose user turns are ``Observation:`` text (FireAct, AgentTuning);
* ``sharegpt``: ``{"conversations", "system", "tools"}`` with ``from``/``value`` turns (``human``,
  ``function_call``, ``observation``, ``gpt``), as LLaMA-Factory reads tool use;
* ``toolformer``: ``{"text"}``, the task then each call inline, ``[tool(args) -> result]``, then
  the answer.

With loss masks, chat records mark each assistant message ``weight`` 1 (0 for a call the
episode rejected, so a model is not taught its mistakes) and ``toolformer`` records gain
``loss_spans``, the ``[start, end)`` character spans the model wrote; environment text is never
in a span. ``dpo`` pairs and ``rl`` steps are built in :mod:`workgym.export.pairs` and
:mod:`workgym.export.steps`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from workgym.agents.react import FORMAT
from workgym.world import REGISTRY, system_text

Trajectory = Mapping[str, Any]
Record = dict[str, Any]

OBSERVATION_CHARS = 500
"""How much of an observation a toolformer record inlines."""


def system_prompt(t: Trajectory, *, react: bool = False) -> str:
    """The system prompt the trajectory's agent had (the policy, then the episode's opening text)."""
    intro = t.get("intro") or "You are an assistant at work."
    if not react:
        return system_text(intro)
    usage = "\n\n".join(REGISTRY.get(n).usage() for n in tool_names(t) if REGISTRY.get(n))  # type: ignore[union-attr]
    return f"{system_text(intro)}\n\nTools:\n{usage}\n\n{FORMAT}"


def tool_names(t: Trajectory) -> list[str]:
    """The tools the episode offered: those its task allowed, else every tool it called."""
    named = t.get("tools")
    if named:
        return list(named)
    seen: list[str] = []
    for s in t["steps"]:
        call = s["call"]
        if isinstance(call, Mapping) and isinstance(call.get("name"), str) and call["name"] not in seen:
            seen.append(call["name"])
    return seen


def tool_schemas(t: Trajectory) -> list[dict[str, Any]]:
    """The OpenAI schemas of the episode's tools (derived from the tools themselves)."""
    return [tool.schema() for n in tool_names(t) if (tool := REGISTRY.get(n)) is not None]


def _arguments_text(call: Mapping[str, Any]) -> str:
    args = call.get("arguments")
    return args if isinstance(args, str) else json.dumps(args if args is not None else {}, ensure_ascii=False)


def _final(t: Trajectory) -> str:
    return str(t.get("answer") or "Done.")


def _closing(t: Trajectory) -> bool:
    """Whether the trajectory ended by submitting its answer (then no closing message is needed)."""
    last = t["steps"][-1]["call"] if t["steps"] else None
    return isinstance(last, Mapping) and last.get("name") == "submit_answer" and not t["steps"][-1]["error"]


def _acting(t: Trajectory) -> list[Mapping[str, Any]]:
    """The steps that act; a closing ``submit_answer`` is the answer, written apart by each format."""
    steps = list(t["steps"])
    return steps[:-1] if _closing(t) else steps


def openai_chat(t: Trajectory, *, loss_mask: bool = False) -> Record:
    """The OpenAI fine-tuning format: messages with tool calls and tool results, and the tools."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(t)},
        {"role": "user", "content": t["instruction"]},
    ]
    for at, step in enumerate(t["steps"]):
        call = step["call"]
        weight = 0 if step["error"] else 1
        if isinstance(call, Mapping) and isinstance(call.get("name"), str):
            message: dict[str, Any] = {
                "role": "assistant",
                "content": step.get("thought"),
                "tool_calls": [
                    {
                        "id": f"call_{at}",
                        "type": "function",
                        "function": {"name": call["name"], "arguments": _arguments_text(call)},
                    }
                ],
            }
            if loss_mask:
                message["weight"] = weight
            messages += [
                message,
                {"role": "tool", "tool_call_id": f"call_{at}", "content": step["observation"]},
            ]
        else:  # the model wrote something that is not a call: its text, and what the world said
            message = {"role": "assistant", "content": str(call)}
            if loss_mask:
                message["weight"] = weight
            messages += [message, {"role": "user", "content": step["observation"]}]
    closing: dict[str, Any] = {"role": "assistant", "content": _final(t)}
    if loss_mask:
        closing["weight"] = 1
    messages.append(closing)
    return {"messages": messages, "tools": tool_schemas(t)}


def _react_turn(step: Mapping[str, Any]) -> str:
    call = step["call"]
    thought = step.get("thought") or "I should use a tool."
    if isinstance(call, Mapping) and isinstance(call.get("name"), str):
        return f"Thought: {thought}\nAction: {call['name']}\nAction Input: {_arguments_text(call)}"
    return str(call)


def react(t: Trajectory, *, loss_mask: bool = False) -> Record:
    """Thought / Action / Observation turns, the ReAct way."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(t, react=True)},
        {"role": "user", "content": t["instruction"]},
    ]
    steps = _acting(t)
    for step in steps:
        turn: dict[str, Any] = {"role": "assistant", "content": _react_turn(step)}
        if loss_mask:
            turn["weight"] = 0 if step["error"] else 1
        messages += [turn, {"role": "user", "content": f"Observation: {step['observation']}"}]
    last: dict[str, Any] = {
        "role": "assistant",
        "content": f"Thought: I have what I need.\nFinal Answer: {_final(t)}",
    }
    if loss_mask:
        last["weight"] = 1
    messages.append(last)
    return {"messages": messages}


def sharegpt(t: Trajectory, *, loss_mask: bool = False) -> Record:
    """ShareGPT conversations with function calls and observations (LLaMA-Factory's tool format)."""
    turns = [{"from": "human", "value": t["instruction"]}]
    steps = _acting(t)
    for step in steps:
        call = step["call"]
        if isinstance(call, Mapping) and isinstance(call.get("name"), str):
            value = json.dumps({"name": call["name"], "arguments": call.get("arguments")}, ensure_ascii=False)
            turns.append({"from": "function_call", "value": value})
        else:
            turns.append({"from": "gpt", "value": str(call)})
        turns.append({"from": "observation", "value": step["observation"]})
    turns.append({"from": "gpt", "value": _final(t)})
    return {
        "conversations": turns,
        "system": system_prompt(t),
        "tools": json.dumps(tool_schemas(t), ensure_ascii=False),
    }


def toolformer(t: Trajectory, *, loss_mask: bool = False) -> Record:
    """The task, each call inline with its result, the answer: ``[tool(args) -> result]``."""
    text = t["instruction"].rstrip() + "\n"
    spans: list[list[int]] = []
    steps = _acting(t)
    for step in steps:
        call = step["call"]
        if isinstance(call, Mapping) and isinstance(call.get("name"), str):
            args = call.get("arguments")
            shown = (
                ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items())
                if isinstance(args, Mapping)
                else str(args)
            )
            written = f"[{call['name']}({shown})"
        else:
            written = f"[{call}"
        observation = " ".join(str(step["observation"]).split())[:OBSERVATION_CHARS]
        start = len(text)
        text += written
        if not step["error"]:
            spans.append([start, len(text)])
        text += f" -> {observation}] "
    start = len(text)
    text += _final(t)
    spans.append([start, len(text)])
    record: Record = {"text": text}
    if loss_mask:
        record["loss_spans"] = spans
    return record


CONVERTERS: dict[str, Callable[..., Record]] = {
    "openai-chat": openai_chat,
    "react": react,
    "sharegpt": sharegpt,
    "toolformer": toolformer,
}
"""The per-trajectory formats; ``dpo`` and ``rl`` are built from several trajectories or a replay."""

FORMATS = (*CONVERTERS, "dpo", "rl")
"""Every format ``workgym export`` writes."""


__all__ = [
    "CONVERTERS",
    "FORMATS",
    "openai_chat",
    "react",
    "sharegpt",
    "system_prompt",
    "tool_schemas",
    "toolformer",
]
