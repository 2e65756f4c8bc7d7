"""Tool calls as open models write them in a reply's text, when the server did not parse them.

Servers parse tool calls out of the text only for the model families and flags they know
(llama.cpp ``--jinja``, vLLM ``--tool-call-parser``, Ollama's templates); otherwise, and whenever a
small model strays from its own template, the call arrives in ``content``. :func:`find_calls`
reads the forms open models emit (each documented where it is defined):

==============  ================================================================  ======================
form            what the text looks like                                           families
==============  ================================================================  ======================
``hermes``      ``<tool_call>{"name": …, "arguments": {…}}</tool_call>``, one or     Qwen 2.5/3, Hermes 2/3
                several
``mistral``     ``[TOOL_CALLS] [{"name": …, "arguments": {…}}]`` or                  Mistral, Mixtral
                ``[TOOL_CALLS]name[ARGS]{…}``
``granite``     ``<|tool_call|>[{"name": …, "arguments": {…}}]``                     IBM Granite 3
``function_tag`` ``<function=name>{…}</function>``                                   Llama 3.1+ (custom tools)
``python_tag``  ``<|python_tag|>{"name": …, "parameters": {…}}``                     Llama 3.1+
``fenced``      a fenced ```` ```json ```` block holding a call                      any (small models)
``pythonic``    ``[get_ticket(key="ENG-12"), …]``                                    Llama 3.2 1B/3B, Llama 4
``json``        bare JSON ``{"name": …, "parameters"|"arguments": …}``, prose       Llama 3.x, any
                around it allowed
==============  ================================================================  ======================

Arguments may be an object or a JSON string of one (as the chat-completions API sends them);
``parameters`` is read like ``arguments``, and an OpenAI-shaped ``{"function": {…}}`` too. What
looked like a call but could not be read is said in :attr:`Found.problem`, so the model can be
told what to fix.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

FORMS = (
    "tool_calls",
    "hermes",
    "mistral",
    "granite",
    "function_tag",
    "python_tag",
    "fenced",
    "pythonic",
    "json",
)
"""Every form a call can come in: the server's parsed ``tool_calls`` first, then the text forms."""

_END_TOKENS = re.compile(r"<\|(?:eom_id|eot_id|end_of_text|im_end|end)\|>|</s>")
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|\Z)", re.DOTALL)
_FUNCTION_TAG = re.compile(r"<function=([\w.-]+)>\s*(.*?)\s*(?:</function>|\Z)", re.DOTALL)
_FENCE = re.compile(r"```[ \t]*(?:json|JSON|tool_call|tool_code)?[ \t]*\n?(.*?)```", re.DOTALL)
_MISTRAL_NAMED = re.compile(r"\s*([\w.-]+)\s*(?:\[CALL_ID\]\s*\w+\s*)?\[ARGS\]")
_DECODER = json.JSONDecoder()


@dataclass(frozen=True, slots=True)
class Found:
    """What a reply's text holds.

    Attributes:
        calls: the calls found, each ``{"name": str, "arguments": dict | str}`` (a string when the
            arguments were not JSON: the episode answers it with an error the model can read).
        form: which form they came in (one of :data:`FORMS`), or None when there were none.
        thought: the text around the calls (the model's reasoning), or None when there was none.
        problem: what looked like a call but could not be read, in a sentence; None otherwise.
    """

    calls: list[dict[str, Any]] = field(default_factory=list)
    form: str | None = None
    thought: str | None = None
    problem: str | None = None


def arguments_of(raw: Any) -> Any:
    """A call's arguments: an object as it is, a JSON string parsed (twice if double-encoded), None as {}.

    Text that is not JSON is returned as it is, for the episode to answer with an error.
    """
    for _ in range(2):
        if not isinstance(raw, str):
            break
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return {} if raw is None else raw


def as_call(value: Any, names: Collection[str] | None = None) -> dict[str, Any] | None:
    """A JSON value as a tool call, or None when it is not one.

    A call has a string ``name`` and ``arguments`` or ``parameters`` (either may be missing when
    ``name`` is one of ``names``); ``{"function": {...}}`` (the chat-completions shape) is read too.
    """
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict) and "name" not in value:
        value = value["function"]
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    key = next((k for k in ("arguments", "parameters", "args", "input") if k in value), None)
    if key is None and (names is None or name not in names):
        return None  # {"name": "Nora"} is a record, not a call
    return {"name": name.strip(), "arguments": arguments_of(value.get(key) if key else None)}


def _calls_in(value: Any, names: Collection[str] | None) -> list[dict[str, Any]] | None:
    """A value (one call or a list of them) as calls; None when any element is not a call."""
    items = value if isinstance(value, list) else [value]
    calls = [as_call(v, names) for v in items]
    if not calls or any(c is None for c in calls):
        return None
    return [c for c in calls if c is not None]


def _json_prefix(text: str) -> tuple[Any, int] | None:
    """The JSON value at the start of ``text`` (after blanks) and where it ends; None if there is none."""
    start = len(text) - len(text.lstrip())
    try:
        return _DECODER.raw_decode(text, start)
    except json.JSONDecodeError:
        return None


def _values(text: str) -> tuple[list[Any], str]:
    """The JSON values one after another at the start of ``text`` (``;`` or ``,`` between them), and the rest."""
    values: list[Any] = []
    rest = text
    while True:
        got = _json_prefix(rest)
        if got is None:
            return values, rest
        value, end = got
        values.append(value)
        rest = rest[end:].lstrip().removeprefix(";").removeprefix(",")


def _thought(*parts: str) -> str | None:
    """The reasoning around the calls (a reasoning model's ``<think>`` tags taken off)."""
    text = "\n".join(p.strip() for p in parts if p and p.strip())
    text = text.replace("<think>", "").replace("</think>", "").strip()
    return text or None


def _bad(what: str, body: str) -> str:
    return f"{what} is not a JSON tool call ({body.strip()[:120]!r})"


def find_calls(text: str | None, names: Collection[str] | None = None) -> Found:
    """The tool calls a reply's text holds, and which form they came in.

    Args:
        text: the reply's content.
        names: the episode's tool names: a bare ``{"name": ...}`` without arguments counts as a call
            only when it names one of them.

    Returns:
        The calls (none when the text holds none), their form, the text around them, and what
        could not be read.
    """
    if not text or not text.strip():
        return Found()
    text = _END_TOKENS.sub("", text)

    # Hermes / Qwen: <tool_call>{"name": ..., "arguments": ...}</tool_call>, once per call
    # (NousResearch/Hermes-Function-Calling; the Qwen2.5 and Qwen3 chat templates; vLLM's "hermes" parser).
    if "<tool_call>" in text:
        calls, problems = [], []
        for body in _HERMES.findall(text):
            value = _lenient(_strip_fence(body))
            found = _calls_in(value, names) if value is not None else None
            if found is None:
                problems.append(_bad("<tool_call>…</tool_call>", body))
            else:
                calls += found
        outside = _HERMES.sub("", text).replace("</tool_call>", "")
        return Found(calls, "hermes", _thought(outside), "; ".join(problems) or None)

    # Mistral: [TOOL_CALLS] [{"name": ..., "arguments": {...}}] (tokenizer v3, Mistral-7B-Instruct-v0.3), or
    # [TOOL_CALLS]name[ARGS]{...} (tokenizer v11+, Mistral Small 3.2; mistral-common's tool-call format).
    if "[TOOL_CALLS]" in text:
        before, _, after = text.partition("[TOOL_CALLS]")
        return _mistral(before, after, names)

    # IBM Granite 3: <|tool_call|>[{"name": ..., "arguments": {...}}] (the granite-3.x chat template).
    if "<|tool_call|>" in text:
        before, _, after = text.partition("<|tool_call|>")
        values, rest = _values(after)
        granite = _calls_in(values[0] if len(values) == 1 else values, names) if values else None
        if granite is None:
            return Found([], "granite", _thought(before), _bad("<|tool_call|>", after))
        return Found(granite, "granite", _thought(before, rest))

    # Llama 3.1+ custom tools: <function=name>{"arg": ...}</function> (Meta's Llama 3.1 prompt format).
    if "<function=" in text:
        calls, problems = [], []
        for name, body in _FUNCTION_TAG.findall(text):
            got = _json_prefix(body) if body.strip() else ({}, 0)
            if got is None or not isinstance(got[0], dict):
                problems.append(_bad(f"<function={name}>", body))
            else:
                calls.append({"name": name, "arguments": got[0]})
        if calls or problems:
            outside = _FUNCTION_TAG.sub("", text)
            return Found(calls, "function_tag", _thought(outside), "; ".join(problems) or None)

    # Llama 3.1+: <|python_tag|> then the call as JSON ({"name": ..., "parameters": ...}), several separated
    # by ";" (Meta's Llama 3.1/3.2/3.3 prompt format, JSON-based tool calling; vLLM's "llama3_json" parser).
    if "<|python_tag|>" in text:
        before, _, after = text.partition("<|python_tag|>")
        values, rest = _values(after)
        flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
        tagged = _calls_in(flat, names) if flat else None
        if tagged is None:
            why = "<|python_tag|> is followed by code, not a JSON tool call; write the call as JSON"
            return Found([], "python_tag", _thought(before), f"{why} ({after.strip()[:120]!r})")
        return Found(tagged, "python_tag", _thought(before, rest))

    # A fenced block: ```json {"name": ..., "arguments": ...} ``` (what small models write when their
    # template's tool format is weak; seen from qwen2.5-coder-1.5b-instruct under llama.cpp).
    for match in _FENCE.finditer(text):
        values, _ = _values(match[1])
        fenced = _calls_in(values[0] if len(values) == 1 else values, names) if values else None
        if fenced:
            return Found(fenced, "fenced", _thought(text[: match.start()], text[match.end() :]))

    # Pythonic: [get_ticket(key="ENG-12"), search_tickets(query="x")] (Meta's Llama 3.2 lightweight and
    # Llama 4 prompt formats; vLLM's "pythonic" parser). Read with ast, literals only: nothing is run.
    pythonic = _pythonic(text, names)
    if pythonic is not None:
        return pythonic

    # Bare JSON: {"name": ..., "parameters": ...} (Llama 3.x JSON tool calling without the tag), a list of
    # them, or one inside prose ("I will call {...} now").
    for at in (m.start() for m in re.finditer(r"[\[{]", text)):
        values, rest = _values(text[at:])
        if not values:
            continue
        bare = _calls_in(values[0] if len(values) == 1 else values, names)
        if bare:
            return Found(bare, "json", _thought(text[:at], rest))
    return Found(thought=_thought(text))


def _lenient(body: str) -> Any:
    """A call's body as JSON, or as a Python literal (Hermes 2 Pro writes ``{'name': ...}``); None if neither."""
    got = _json_prefix(body)
    if got is not None:
        return got[0]
    try:
        return ast.literal_eval(body.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


_PYTHONIC = re.compile(r"\[\s*[A-Za-z_][\w.]*\s*\(.*\)\s*\]", re.DOTALL)


def _pythonic(text: str, names: Collection[str] | None) -> Found | None:
    """``[name(arg=literal, ...), ...]`` as calls; None when the text holds no such list."""
    match = _PYTHONIC.search(text)
    if match is None:
        return None
    try:
        tree = ast.parse(match[0].strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not isinstance(tree.body, ast.List) or not tree.body.elts:
        return None
    calls = []
    for node in tree.body.elts:
        if not isinstance(node, ast.Call) or node.args:
            return None
        name = ast.unparse(node.func)
        if names is not None and name not in names:
            return None
        try:
            arguments = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        calls.append({"name": name, "arguments": arguments})
    return Found(calls, "pythonic", _thought(text[: match.start()], text[match.end() :]))


def _strip_fence(body: str) -> str:
    body = body.strip()
    if body.startswith("```"):
        body = body.removeprefix("```").removeprefix("json").strip()
        body = body.removesuffix("```").strip()
    return body


def _mistral(before: str, after: str, names: Collection[str] | None) -> Found:
    values, rest = _values(after)
    if values:
        calls = _calls_in(values[0] if len(values) == 1 else values, names)
        if calls is None:
            return Found([], "mistral", _thought(before), _bad("[TOOL_CALLS]", after))
        return Found(calls, "mistral", _thought(before, rest))
    calls, problems = [], []
    for part in after.split("[TOOL_CALLS]"):
        head = _MISTRAL_NAMED.match(part)
        got = _json_prefix(part[head.end() :]) if head else None
        if head is None or got is None:
            problems.append(_bad("[TOOL_CALLS]", part))
            continue
        calls.append({"name": head[1], "arguments": arguments_of(got[0])})
    return Found(calls, "mistral", _thought(before), "; ".join(problems) or None)


__all__ = ["FORMS", "Found", "arguments_of", "as_call", "find_calls"]
