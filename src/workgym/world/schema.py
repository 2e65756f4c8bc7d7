"""Tools as plain typed functions; their JSON schemas derived from signature and docstring.

A tool is a function whose first parameter is the episode's :class:`~workgym.world.context.ToolContext`
and whose other parameters are plain JSON types (``str``, ``int``, ``float``, ``bool``,
``list[str]``, a ``Literal`` of strings, or any of these ``| None``). Its docstring is Google style:
the summary becomes the tool's description and the ``Args:`` section each parameter's. The
decorator :func:`tool` registers it in :data:`REGISTRY`; the schema (OpenAI function-calling
format) is built then, once, and a parameter without a description is an error at import.

:meth:`Tool.check` validates a call's arguments against that schema, strictly (``"5"`` is not an
integer), and raises :class:`CallError` saying what is wrong.
"""

from __future__ import annotations

import difflib
import inspect
import json
import math
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

MAX_STRING = 20_000
"""Longest string argument accepted, in characters."""

MAX_ITEMS = 50
"""Longest list argument accepted."""

MAX_INT = 1_000_000_000
"""Largest integer argument accepted, in absolute value."""


class CallError(Exception):
    """A call that does not fit the tool's schema (unknown tool, missing, extra or ill-typed arguments)."""


class ToolError(Exception):
    """What a tool raises when the call is well-formed but cannot be done (no such channel, ...)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a tool.

    Attributes:
        name: the parameter's name.
        schema: its JSON schema (type, enum, limits).
        description: from the docstring's ``Args:`` section.
        required: whether a call must give it.
        default: the value used when it is left out.
    """

    name: str
    schema: Mapping[str, Any]
    description: str
    required: bool
    default: Any = None


@dataclass(frozen=True, slots=True)
class Tool:
    """A registered tool: the function, its app, whether it writes, and its derived schema."""

    name: str
    app: str
    fn: Callable[..., str]
    description: str
    params: tuple[Param, ...]
    writes: bool = False
    ends_episode: bool = False

    def schema(self, *, compact: bool = False) -> dict[str, Any]:
        """The tool in OpenAI function-calling format.

        Args:
            compact: a shorter schema for a small context: no size limits (calls are still checked
                against them, and a call over one is told so), no empty defaults, no examples.
        """
        properties: dict[str, Any] = {}
        for p in self.params:
            prop = {**p.schema, "description": _compact_text(p.description) if compact else p.description}
            if compact:
                prop = _without_limits(prop)
            if not p.required and p.default is not None and not (compact and p.default in ("", [])):
                prop["default"] = p.default
            properties[p.name] = prop
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": _compact_text(self.description) if compact else self.description,
                "parameters": {
                    "type": "object",
                    "properties": properties,
                    "required": [p.name for p in self.params if p.required],
                    "additionalProperties": False,
                },
            },
        }

    def usage(self) -> str:
        """A compact, readable signature with each parameter's description (for error messages)."""
        lines = [f"{self.name}: {self.description}"]
        for p in self.params:
            kind = _type_name(p.schema)
            extra = "required" if p.required else f"optional, default {json.dumps(p.default)}"
            lines.append(f"  {p.name} ({kind}, {extra}): {p.description}")
        return "\n".join(lines)

    def check(self, arguments: Any) -> dict[str, Any]:
        """The arguments validated against the schema, with defaults filled in.

        Raises:
            CallError: arguments missing, unknown, of the wrong type, too large, or badly encoded.
        """
        if arguments is None:
            arguments = {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as exc:
                raise CallError(f"arguments are not valid JSON ({exc.msg} at char {exc.pos})") from None
        if not isinstance(arguments, dict):
            raise CallError(f"arguments must be a JSON object, not {_json_kind(arguments)}")
        known = {p.name: p for p in self.params}
        problems: list[str] = []
        for name in arguments:
            if name not in known:
                hint = difflib.get_close_matches(str(name), list(known), n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                problems.append(f"unknown argument {_short(str(name))!r}{suggestion}")
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name not in arguments or (arguments[p.name] is None and not p.required):
                if p.required:
                    problems.append(f"missing required argument {p.name!r}")
                else:
                    out[p.name] = p.default
                continue
            try:
                out[p.name] = _check_value(arguments[p.name], p.schema, p.name)
            except CallError as exc:
                problems.append(str(exc))
        if problems:
            raise CallError("; ".join(problems))
        return out


_LIMITS = ("maxLength", "maxItems")
"""Schema keys a compact schema leaves out."""

_EXAMPLE = re.compile(r"\s*\bExamples?\b[^:]{0,40}:.*$", re.S)


def _compact_text(text: str) -> str:
    """A description without its examples (``Example: ...`` to the end)."""
    return _EXAMPLE.sub("", text).strip()


def _without_limits(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A property's schema without size limits, its items' too."""
    out = {k: v for k, v in schema.items() if k not in _LIMITS}
    if isinstance(out.get("items"), Mapping):
        out["items"] = _without_limits(out["items"])
    return out


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _type_name(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"array of {schema['items']['type']}"
    return str(schema.get("type"))


def _check_string(value: str, name: str) -> str:
    if len(value) > MAX_STRING:
        raise CallError(f"{name!r} is too long ({len(value):,} characters; at most {MAX_STRING:,})")
    if "\x00" in value:
        raise CallError(f"{name!r} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise CallError(f"{name!r} is not valid Unicode (it holds an unpaired surrogate)") from None
    return value


def _check_value(value: Any, schema: Mapping[str, Any], name: str) -> Any:
    kind = schema["type"]
    if kind == "string":
        if not isinstance(value, str):
            raise CallError(f"{name!r} must be a string, not {_json_kind(value)}")
        value = _check_string(value, name)
        if "enum" in schema and value not in schema["enum"]:
            raise CallError(f"{name!r} must be one of {schema['enum']}, not {_short(value)!r}")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_INT:
                return int(value)
            raise CallError(f"{name!r} must be an integer, not {_json_kind(value)}")
        if abs(value) > MAX_INT:
            raise CallError(f"{name!r} is out of range (at most {MAX_INT:,} in absolute value)")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CallError(f"{name!r} must be a number, not {_json_kind(value)}")
        if not math.isfinite(value) or abs(value) > MAX_INT:
            raise CallError(f"{name!r} must be a finite number of at most {MAX_INT:,}")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise CallError(f"{name!r} must be true or false, not {_json_kind(value)}")
        return value
    if kind == "array":
        if not isinstance(value, list):
            raise CallError(f"{name!r} must be an array, not {_json_kind(value)}")
        if len(value) > MAX_ITEMS:
            raise CallError(f"{name!r} has too many items ({len(value)}; at most {MAX_ITEMS})")
        return [_check_value(v, schema["items"], f"{name}[{i}]") for i, v in enumerate(value)]
    raise CallError(f"{name!r} has an unsupported type")  # pragma: no cover - schemas are derived


def _schema_of(hint: Any, where: str) -> tuple[dict[str, Any], bool]:
    """The JSON schema of a type hint, and whether None is allowed."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"{where}: only `T | None` unions are supported")
        schema, _ = _schema_of(args[0], where)
        return schema, True
    if hint is str:
        return {"type": "string", "maxLength": MAX_STRING}, False
    if hint is bool:
        return {"type": "boolean"}, False
    if hint is int:
        return {"type": "integer"}, False
    if hint is float:
        return {"type": "number"}, False
    if typing.get_origin(hint) is Literal:
        values = list(typing.get_args(hint))
        if not all(isinstance(v, str) for v in values):
            raise TypeError(f"{where}: Literal values must be strings")
        return {"type": "string", "enum": values}, False
    if typing.get_origin(hint) is list and typing.get_args(hint) == (str,):
        return {
            "type": "array",
            "items": {"type": "string", "maxLength": MAX_STRING},
            "maxItems": MAX_ITEMS,
        }, False
    raise TypeError(f"{where}: unsupported parameter type {hint!r}")


_SECTION = re.compile(r"^(Args|Arguments|Returns|Raises|Example|Examples|Note|Notes|Yields):\s*$")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (text before the first section) and the ``Args:`` descriptions of a Google docstring."""
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    entry_indent: int | None = None
    current: str | None = None
    for line in inspect.cleandoc(doc).splitlines():
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        head = _SECTION.match(line) if indent == 0 else None
        if head:
            section, entry_indent, current = head.group(1), None, None
            continue
        if section is None:
            summary.append(stripped)
            continue
        if section not in ("Args", "Arguments") or not stripped:
            continue
        entry = _ARG.match(stripped)
        if entry and (entry_indent is None or indent == entry_indent):
            entry_indent = indent
            current = entry.group(1)
            args[current] = entry.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {stripped}".strip()
    return " ".join(s for s in summary if s), args


_ARG = re.compile(r"^(\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


@dataclass(slots=True)
class Registry:
    """Tools by name, in registration order."""

    _tools: dict[str, Tool] = field(default_factory=dict)

    def tool(
        self, app: str, *, writes: bool = False, ends_episode: bool = False
    ) -> Callable[[Callable[..., str]], Callable[..., str]]:
        """Register a function as a tool of ``app``; its schema is derived now.

        Raises:
            TypeError: a parameter has no type hint, an unsupported type, or no description;
                or the name is taken.
        """

        def register(fn: Callable[..., str]) -> Callable[..., str]:
            self.add(build_tool(fn, app, writes=writes, ends_episode=ends_episode))
            return fn

        return register

    def add(self, tool: Tool) -> None:
        """Add a built tool; its name must be new."""
        if tool.name in self._tools:
            raise TypeError(f"tool {tool.name!r} is registered twice")
        self._tools[tool.name] = tool

    def get(self, name: str) -> Tool | None:
        """The tool of this name, or None."""
        return self._tools.get(name)

    def names(self) -> list[str]:
        """Every tool's name, in registration order."""
        return list(self._tools)

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)


def build_tool(fn: Callable[..., str], app: str, *, writes: bool = False, ends_episode: bool = False) -> Tool:
    """Derive a :class:`Tool` from a function's signature and Google docstring."""
    where = f"tool {fn.__name__}"
    if not fn.__doc__:
        raise TypeError(f"{where}: no docstring")
    summary, described = parse_docstring(fn.__doc__)
    hints = typing.get_type_hints(fn)
    signature = inspect.signature(fn)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].name != "ctx":
        raise TypeError(f"{where}: the first parameter must be `ctx`")
    params: list[Param] = []
    for p in parameters[1:]:
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            raise TypeError(f"{where}: *args and **kwargs are not supported")
        if p.name not in hints:
            raise TypeError(f"{where}: parameter {p.name!r} has no type hint")
        if p.name not in described or not described[p.name]:
            raise TypeError(f"{where}: parameter {p.name!r} is not described in the docstring's Args")
        schema, nullable = _schema_of(hints[p.name], f"{where}.{p.name}")
        required = p.default is inspect.Parameter.empty
        default = None if required else p.default
        if default is None and not required and not nullable:
            raise TypeError(f"{where}.{p.name}: a None default needs a `| None` type")
        params.append(Param(p.name, schema, described[p.name], required, default))
    extra = set(described) - {p.name for p in params}
    if extra:
        raise TypeError(f"{where}: the docstring describes unknown parameters {sorted(extra)}")
    return Tool(fn.__name__, app, fn, summary, tuple(params), writes, ends_episode)


REGISTRY = Registry()
"""Every tool of the world; filled when :mod:`workgym.world.tools` is imported."""

tool = REGISTRY.tool
"""Decorator registering a tool in :data:`REGISTRY`: ``@tool("chat", writes=True)``."""
