"""Schemas derived from signatures and docstrings; strict argument checking."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Literal

import pytest

from workgym.world.context import ToolContext
from workgym.world.schema import REGISTRY, CallError, Registry, build_tool, parse_docstring


def sample_tool(
    ctx: ToolContext,
    query: str,
    page: int = 1,
    exact: bool = False,
    kinds: list[str] | None = None,
    order: Literal["new", "old"] = "new",
    weight: float = 1.0,
) -> str:
    """Look things up.

    A second paragraph of the summary.

    Args:
        query: what to look for,
            over two lines.
        page (int): which page.
        exact: whole words only.
        kinds: which kinds.
        order: newest or oldest first.
        weight: a weight.

    Returns:
        Text.
    """
    return query


def test_when_a_function_is_registered_then_its_schema_is_openai_function_format() -> None:
    schema = build_tool(sample_tool, "test").schema()
    assert schema["type"] == "function"
    fn = schema["function"]
    assert fn["name"] == "sample_tool"
    assert fn["description"] == "Look things up. A second paragraph of the summary."
    params = fn["parameters"]
    assert params["required"] == ["query"] and params["additionalProperties"] is False
    props = params["properties"]
    assert props["query"]["description"] == "what to look for, over two lines."
    assert props["query"]["type"] == "string"
    assert props["page"] == {"type": "integer", "description": "which page.", "default": 1}
    assert props["exact"]["type"] == "boolean" and props["exact"]["default"] is False
    assert props["kinds"]["type"] == "array" and props["kinds"]["items"]["type"] == "string"
    assert "default" not in props["kinds"]
    assert props["order"]["enum"] == ["new", "old"]
    assert props["weight"]["type"] == "number"
    assert "ctx" not in props


def test_every_registered_tool_documents_every_parameter_and_matches_its_signature() -> None:
    for tool in REGISTRY:
        fn = tool.schema()["function"]
        assert fn["description"] and len(fn["description"]) < 600, tool.name
        props = fn["parameters"]["properties"]
        signature = list(inspect.signature(tool.fn).parameters)[1:]
        assert list(props) == signature, tool.name
        assert all(p["description"] for p in props.values()), tool.name


def bad_no_doc(ctx: ToolContext, x: str) -> str:
    return x


def bad_undocumented_arg(ctx: ToolContext, x: str) -> str:
    """Do it."""
    return x


def bad_type(ctx: ToolContext, x: dict[str, str]) -> str:
    """Do it.

    Args:
        x: a mapping.
    """
    return ""


def bad_first(x: str) -> str:
    """Do it.

    Args:
        x: a thing.
    """
    return x


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (bad_no_doc, "no docstring"),  # nothing to derive a description from
        (bad_undocumented_arg, "not described"),  # a parameter without Args entry
        (bad_type, "unsupported parameter type"),  # not a JSON type
        (bad_first, "first parameter must be `ctx`"),  # the episode is always first
    ],
)
def test_when_a_tool_is_malformed_then_registration_fails_loudly(fn: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        build_tool(fn, "test")  # type: ignore[arg-type]


def test_when_a_name_is_registered_twice_then_it_fails() -> None:
    registry = Registry()
    registry.tool("test")(sample_tool)
    with pytest.raises(TypeError, match="registered twice"):
        registry.tool("test")(sample_tool)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "missing required argument 'query'"),  # a required argument left out
        ({"query": "x", "pgae": 2}, "did you mean 'page'"),  # a typo
        ({"query": 5}, "'query' must be a string, not an integer"),  # wrong type
        ({"query": "x", "page": "2"}, "'page' must be an integer, not a string"),  # no coercion
        ({"query": "x", "page": True}, "'page' must be an integer, not a boolean"),  # bool is not int
        ({"query": "x", "exact": "yes"}, "'exact' must be true or false"),  # a word for a boolean
        ({"query": "x", "kinds": "a"}, "'kinds' must be an array"),  # a string for a list
        ({"query": "x", "kinds": ["a", 1]}, "'kinds[1]' must be a string"),  # a list item of the wrong type
        ({"query": "x", "order": "sideways"}, "must be one of ['new', 'old']"),  # outside the enum
        ({"query": "x", "page": 10**12}, "out of range"),  # an integer SQLite cannot hold
        ({"query": "x", "weight": float("nan")}, "finite number"),  # NaN
        ({"query": "x" * 20_001}, "too long"),  # a huge string
        ({"query": "a\x00b"}, "NUL"),  # a NUL character
        ({"query": "\ud800"}, "unpaired surrogate"),  # a lone surrogate
        ("[1, 2]", "must be a JSON object, not an array"),  # arguments as a JSON array
        ("{not json", "not valid JSON"),  # arguments as broken JSON
    ],
)
def test_when_arguments_are_wrong_then_check_says_what(arguments: object, message: str) -> None:
    tool = build_tool(sample_tool, "test")
    with pytest.raises(CallError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        tool.check(arguments)


def test_when_arguments_are_right_then_defaults_fill_in() -> None:
    tool = build_tool(sample_tool, "test")
    assert tool.check('{"query": "x", "page": 2.0, "kinds": null}') == {
        "query": "x",
        "page": 2,
        "exact": False,
        "kinds": None,
        "order": "new",
        "weight": 1.0,
    }


def test_when_a_docstring_has_sections_then_only_args_describe_parameters() -> None:
    summary, args = parse_docstring(sample_tool.__doc__ or "")
    assert summary.startswith("Look things up.") and "Text." not in summary
    assert set(args) == {"query", "page", "exact", "kinds", "order", "weight"}


def test_every_tool_is_documented_in_the_world_guide() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "world.md").read_text()
    missing = [t.name for t in REGISTRY if f"`{t.name}`" not in guide]
    assert not missing, f"docs/world.md does not mention {missing}"
