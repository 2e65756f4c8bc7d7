"""Tool calls in a reply's text: recorded replies of several model families, each read into its call.

``data/replies.jsonl`` holds replies in the exact shape each family's chat template makes the
model write them (the content a server returns when it does not parse the calls itself); each row
says where its form is documented (``documented``) and which calls it makes. Rows of kind
``none`` are replies that hold no call, and must not be read as one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workgym.agents.toolcalls import FORMS, arguments_of, find_calls

DATA = Path(__file__).parent / "data" / "replies.jsonl"
NAMES = {"get_ticket", "search_tickets", "submit_answer"}
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
CALLS = [r for r in ROWS if r["kind"] == "call"]
NONE = [r for r in ROWS if r["kind"] == "none"]


def test_when_the_recorded_replies_are_counted_then_they_span_five_forms_of_three_families() -> None:
    assert len({r["form"] for r in CALLS}) >= 5
    assert len({r["family"] for r in CALLS}) >= 3
    assert all(r["documented"] for r in CALLS)
    assert {r["form"] for r in CALLS} <= set(FORMS)


@pytest.mark.parametrize("row", CALLS, ids=[f"{r['model'].split()[0]}-{r['form']}" for r in CALLS])
def test_when_a_recorded_reply_holds_calls_then_each_is_read_in_its_form(row: dict[str, Any]) -> None:
    found = find_calls(row["content"], NAMES)
    assert found.calls == row["calls"]
    assert found.form == row["form"]
    assert found.problem is None
    if "thought" in row:  # the prose around the call is kept as the step's thought
        assert found.thought is not None and found.thought.startswith(row["thought"])


@pytest.mark.parametrize("row", NONE, ids=[r["why"][:30] for r in NONE])
def test_when_a_recorded_reply_holds_no_call_then_none_is_read(row: dict[str, Any]) -> None:
    found = find_calls(row["content"], NAMES)
    assert found.calls == []
    assert (found.problem is not None) == row["problem"]  # what looked like a call says why it was not one


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"key": "ENG-12"}', {"key": "ENG-12"}),  # the API's wire shape: a JSON string
        ('"{\\"key\\": \\"ENG-12\\"}"', {"key": "ENG-12"}),  # encoded twice
        ({"key": "ENG-12"}, {"key": "ENG-12"}),  # already an object
        (None, {}),  # no arguments
        ("  ", {}),
        ("{not json", "{not json"),  # left for the episode to answer with an error
    ],
)
def test_when_arguments_come_in_any_shape_then_they_are_read_as_the_model_meant(
    raw: Any, expected: Any
) -> None:
    assert arguments_of(raw) == expected


def test_when_a_bare_name_names_a_tool_then_it_is_a_call_without_arguments() -> None:
    assert find_calls('{"name": "submit_answer"}', NAMES).calls == [
        {"name": "submit_answer", "arguments": {}}
    ]
    assert find_calls('{"name": "Nora"}', NAMES).calls == []


def test_when_a_pythonic_list_holds_code_then_nothing_is_run() -> None:
    found = find_calls('[get_ticket(key=__import__("os").getcwd())]', NAMES)
    assert found.calls == []
