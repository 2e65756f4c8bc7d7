"""Bad calls are error observations that say what is wrong; nothing ever raises out of step."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.world.helpers import CUTOFF, ME
from workgym.world import EMPTY_HASH, Episode, World
from workgym.world.schema import REGISTRY

NASTY = [
    "'; DROP TABLE ticket; --",  # SQL injection, classic
    '" OR 1=1 --',  # SQL in double quotes
    "ENG-1' UNION SELECT * FROM person --",  # a key followed by SQL
    "NEAR(login timeout) AND title:*",  # FTS5 syntax
    '"unbalanced',  # a lone quote
    "%_%\\",  # LIKE wildcards and an escape
    "\u202eevil\u200b\ufeff",  # bidi override, zero-width characters
    "Zoë Ångström 北京 🙂",  # non-ASCII letters and emoji
    "",  # empty
    " ",  # blank
    "a" * 5000,  # long
    "2024-13-45",  # a date that is not one
    "-99999999999d",  # a relative date out of range
    "() , = ~",  # JQL punctuation only
    "project = ENG ORDER BY summary DESC, created ASC",  # valid JQL
    "assignee IS EMPTY OR reporter in (nora, me)",  # valid JQL with people
]

text = st.sampled_from(NASTY) | st.text(max_size=60)
scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text
json_value = st.recursive(
    scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=6
)


def arguments_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Arguments using the tool's own parameter names (and a stray one), with any JSON values."""
    tool = REGISTRY.get(name)
    assert tool is not None
    names = [p.name for p in tool.params] + ["stray"]
    typed = {
        "string": text,
        "integer": st.integers(min_value=-3, max_value=5) | st.integers(),
        "boolean": st.booleans(),
        "number": st.floats(),
        "array": st.lists(text, max_size=3),
    }
    values = {
        p.name: typed.get(p.schema["type"], json_value) | json_value if p.name != "stray" else json_value
        for p in tool.params
    }
    values["stray"] = json_value
    return st.fixed_dictionaries({}, optional={n: values[n] for n in names})


@st.composite
def tool_calls(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(REGISTRY.names()))
    return {"name": name, "arguments": draw(arguments_for(name))}


@st.composite
def well_typed_calls(draw: st.DrawFn) -> dict[str, Any]:
    """Calls that pass the schema (right names and types, odd values), so the tools' own logic runs."""
    name = draw(st.sampled_from(REGISTRY.names()))
    tool = REGISTRY.get(name)
    assert tool is not None
    typed: dict[str, st.SearchStrategy[Any]] = {
        "string": text.filter(lambda v: "\x00" not in v),
        "integer": st.integers(min_value=-2, max_value=3) | st.integers(min_value=-(10**9), max_value=10**9),
        "boolean": st.booleans(),
        "number": st.floats(min_value=-1e6, max_value=1e6),
        "array": st.lists(
            st.sampled_from(NASTY[:10]) | st.sampled_from(["nora", "P0001", "aisha"]), max_size=3
        ),
    }
    arguments: dict[str, Any] = {}
    for p in tool.params:
        strategy = st.sampled_from(p.schema["enum"]) if "enum" in p.schema else typed[p.schema["type"]]
        if p.required or draw(st.booleans()):
            arguments[p.name] = draw(strategy)
    return {"name": name, "arguments": arguments}


def episode(world: World) -> Episode:
    """An episode with every tool, ask_user included (its user answers every question the same)."""
    return world.episode(cutoff=CUTOFF, persona=ME, seed=0, user=lambda question: "I don't know.")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=tool_calls())
def test_when_any_tool_gets_any_arguments_then_step_answers_without_crashing(
    world: World, call: dict[str, Any]
) -> None:
    ep = episode(world)
    try:
        obs = ep.step(call)
        assert isinstance(obs.text, str) and obs.text
        assert obs.info["error"] != "tool_crash", obs.text
        tool = REGISTRY.get(call["name"])
        assert tool is not None
        if not tool.writes:
            assert ep.state_hash() == EMPTY_HASH
        if obs.info["error"] is not None:
            assert ep.state_hash() == EMPTY_HASH  # a failed call leaves nothing behind
    finally:
        ep.close()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=well_typed_calls())
def test_when_well_typed_calls_carry_odd_values_then_tools_answer_without_crashing(
    world: World, call: dict[str, Any]
) -> None:
    ep = episode(world)
    try:
        obs = ep.step(call)
        assert obs.info["error"] in (None, "tool_error"), obs.text
        if obs.info["error"] is not None:
            assert ep.state_hash() == EMPTY_HASH
    finally:
        ep.close()


@settings(max_examples=200, deadline=None)
@given(call=json_value)
def test_when_the_call_itself_is_any_json_then_step_answers_with_an_error(world: World, call: Any) -> None:
    ep = episode(world)
    try:
        for form in (call, json.dumps(call)):
            obs = ep.step(form)
            assert obs.info["error"] in ("bad_call", "unknown_tool") and obs.text.startswith("Error")
    finally:
        ep.close()


@pytest.mark.parametrize(
    ("call", "kind", "says"),
    [
        # a typo in the tool's name
        ({"name": "get_tickt", "arguments": {"key": "ENG-1"}}, "unknown_tool", "Did you mean get_ticket"),
        # a required argument left out
        ({"name": "get_ticket", "arguments": {}}, "bad_call", "missing required argument 'key'"),
        # an argument the tool does not have
        (
            {"name": "get_ticket", "arguments": {"key": "ENG-1", "verbose": True}},
            "bad_call",
            "unknown argument",
        ),
        # a number where a string is due
        ({"name": "get_ticket", "arguments": {"key": 12}}, "bad_call", "must be a string"),
        # arguments as broken JSON text
        ({"name": "get_ticket", "arguments": '{"key": '}, "bad_call", "not valid JSON"),
        # no tool name at all
        ({"arguments": {}}, "bad_call", "no tool name"),
        # prose instead of a call
        ("get_ticket ENG-1", "bad_call", "not valid JSON"),
        # keys a call does not have
        ({"name": "get_ticket", "arguments": {"key": "ENG-1"}, "extra": 1}, "bad_call", "unknown keys"),
        # a lone surrogate, which no encoding can write
        ({"name": "get_ticket", "arguments": {"key": "\ud800"}}, "bad_call", "unpaired surrogate"),
        # a string past the limit
        (
            {"name": "post_message", "arguments": {"channel": "general", "text": "x" * 30_000}},
            "bad_call",
            "too long",
        ),
        # JSON nested deeper than the parser recurses
        ("[" * 50_000 + "]" * 50_000, "bad_call", "nested too deeply"),
        # a tool name no tool has, and long
        ({"name": "x" * 5000, "arguments": {}}, "bad_call", "characters long"),
    ],
)
def test_when_a_call_is_bad_then_the_error_says_what_and_shows_the_schema(
    ep: Episode, call: Any, kind: str, says: str
) -> None:
    obs = ep.step(call)
    assert obs.info["error"] == kind and says in obs.text
    assert not obs.terminated and ep.state_hash() == EMPTY_HASH


def test_when_arguments_are_bad_then_the_tool_schema_and_usage_are_shown(ep: Episode) -> None:
    obs = ep.step({"name": "get_ticket", "arguments": {"ky": "ENG-1"}})
    assert "did you mean 'key'" in obs.text
    assert '"required":["key"]' in obs.text and "Usage: get_ticket:" in obs.text


def test_when_a_call_is_huge_then_it_is_refused_before_parsing(ep: Episode) -> None:
    huge = json.dumps({"name": "search_tickets", "arguments": {"jql": "x" * 200_000}})
    obs = ep.step(huge)
    assert obs.info["error"] == "bad_call" and "too large" in obs.text


@pytest.mark.parametrize("value", NASTY)
def test_when_strings_look_like_sql_or_odd_unicode_then_they_are_plain_text(ep: Episode, value: str) -> None:
    for name, args in (
        ("search_messages", {"query": value}),
        ("search_tickets", {"jql": value}),
        ("get_ticket", {"key": value}),
        ("find_person", {"query": value}),
        ("read_channel", {"channel": value}),
        ("search_docs", {"query": value}),
        ("search_commits", {"query": value}),
    ):
        obs = ep.step({"name": name, "arguments": args})
        assert obs.info["error"] in (None, "tool_error"), obs.text
    assert ep.state_hash() == EMPTY_HASH
    assert "ENG-1" in ep.step({"name": "get_ticket", "arguments": {"key": "ENG-1"}}).text


def test_when_a_tool_raises_unexpectedly_then_the_observation_names_it(
    ep: Episode, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool = ep.tools["list_channels"]

    def broken(ctx: object, page: int = 1) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(ep.tools, "list_channels", dataclasses.replace(tool, fn=broken))
    obs = ep.step({"name": "list_channels", "arguments": {}})
    assert (
        obs.info["error"] == "tool_crash" and "list_channels failed (RuntimeError: disk on fire)" in obs.text
    )
