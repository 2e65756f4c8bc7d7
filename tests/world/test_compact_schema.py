"""Compact tool schemas (for a small context) and neutral examples in tool descriptions."""

from __future__ import annotations

import json
import re

import pytest

from workgym.world.schema import REGISTRY, CallError


def test_when_schemas_are_compact_then_they_are_shorter_and_say_the_same_calls() -> None:
    for tool in REGISTRY:
        full, compact = tool.schema(), tool.schema(compact=True)
        assert len(json.dumps(compact)) <= len(json.dumps(full)), tool.name
        f, c = full["function"], compact["function"]
        assert c["name"] == f["name"]
        assert c["parameters"]["required"] == f["parameters"]["required"]
        assert list(c["parameters"]["properties"]) == list(f["parameters"]["properties"])
        for name, prop in c["parameters"]["properties"].items():
            assert prop["type"] == f["parameters"]["properties"][name]["type"]
            assert "maxLength" not in prop and "maxItems" not in prop
            assert prop.get("default") not in ("", [])
        assert "Example" not in json.dumps(compact)
    total = sum(len(json.dumps(t.schema())) for t in REGISTRY)
    assert sum(len(json.dumps(t.schema(compact=True))) for t in REGISTRY) < 0.95 * total


def test_when_a_compact_schema_leaves_a_limit_out_then_calls_are_still_checked_against_it() -> None:
    tool = REGISTRY.get("search_messages")
    assert tool is not None
    with pytest.raises(CallError, match="too long"):
        tool.check({"query": "x" * 30_000})


# Text a weak model copies verbatim from a description: an example query naming a real-looking
# project, status or person, a sample workspace's names, or a placeholder (Qwen2.5-Coder-0.5B
# sent `project = <KEY>` as written).
COPYABLE = re.compile(r"project = ENG|In Progress\" AND assignee|\bENG-\d+|acme-|design/auth|= <[A-Za-z]")


def test_when_tools_describe_themselves_then_their_examples_are_neutral() -> None:
    for tool in REGISTRY:
        assert not COPYABLE.search(json.dumps(tool.schema())), tool.name
