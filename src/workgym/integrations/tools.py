"""A world's tools as typed, docstringed Python functions, made from their JSON schemas.

Trainers build a tool's schema from a Python function (TRL through ``transformers``'
``get_json_schema``, verifiers through its own converter): its signature's type hints, its
Google-style docstring's summary and ``Args``. :func:`tool_function` makes such a function from
the schema the world gives (:meth:`World.tools`), so the schema a trainer derives says what the
world's says, and the schema is still written once, by the tool itself.
"""

from __future__ import annotations

import inspect
import keyword
import re
from collections.abc import Callable, Mapping
from typing import Any

_TYPES: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "object": dict[str, Any],
}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

Call = Callable[[str, dict[str, Any]], str]
"""What a tool function does when called: run the named tool with these arguments, return the text."""


def python_type(schema: Mapping[str, Any]) -> Any:
    """The Python type hint of a JSON schema (``string`` -> ``str``, ``array`` of strings -> ``list[str]``...).

    Raises:
        ValueError: a type with no hint (a union, an untyped value).
    """
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items") or {}
        return list[python_type(items)] if items.get("type") else list[Any]  # type: ignore[misc]
    if isinstance(kind, str) and kind in _TYPES:
        return _TYPES[kind]
    raise ValueError(f"no Python type for the JSON schema type {kind!r}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def tool_function(schema: Mapping[str, Any], call: Call, *, method: bool = False) -> Callable[..., str]:
    """A function with the tool's name, typed signature and docstring that runs it through ``call``.

    Args:
        schema: the tool's schema in OpenAI function-calling format (``{"type": "function",
            "function": {"name", "description", "parameters"}}``).
        call: runs the tool: ``call(name, arguments)`` returns the observation's text. With
            ``method``, the function's first argument is its instance: ``call`` is then looked up
            on it as ``self._call_tool``.
        method: make a method (its first parameter ``self``, untyped, which schema extraction skips).

    Raises:
        ValueError: the tool's name or a parameter's is not a Python identifier, or a parameter
            has no Python type.
    """
    function = schema["function"]
    name = str(function["name"])
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise ValueError(f"tool name {name!r} is not a Python identifier")
    parameters = function.get("parameters") or {}
    properties: Mapping[str, Mapping[str, Any]] = parameters.get("properties") or {}
    required = set(parameters.get("required") or ())
    params: list[inspect.Parameter] = []
    if method:
        params.append(inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD))
    annotations: dict[str, Any] = {}
    docs: list[str] = []
    ordered = [p for p in properties if p in required] + [p for p in properties if p not in required]
    for pname in ordered:
        spec = properties[pname]
        if not _NAME.match(pname) or keyword.iskeyword(pname):
            raise ValueError(f"tool {name}: parameter {pname!r} is not a Python identifier")
        hint = python_type(spec)
        default = inspect.Parameter.empty if pname in required else spec.get("default")
        params.append(
            inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=hint)
        )
        annotations[pname] = hint
        docs.append(f"    {pname}: {_one_line(str(spec.get('description') or pname))}")
    annotations["return"] = str
    signature = inspect.Signature(params, return_annotation=str)
    summary = _one_line(str(function.get("description") or f"Run the {name} tool."))

    def as_method(self: Any, /, **arguments: Any) -> str:
        return str(self._call_tool(name, arguments))

    def as_function(**arguments: Any) -> str:
        return call(name, arguments)

    tool: Callable[..., str] = as_method if method else as_function
    tool.__name__ = tool.__qualname__ = name
    tool.__doc__ = summary + ("\n\nArgs:\n" + "\n".join(docs) if docs else "")
    tool.__signature__ = signature  # type: ignore[attr-defined]
    tool.__annotations__ = annotations  # what typing.get_type_hints reads
    return tool


__all__ = ["Call", "python_type", "tool_function"]
