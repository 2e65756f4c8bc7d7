"""The ReAct agent reads what models write instead of its format, and says what it could not read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agents.test_llm_agents import run_llm, some_tasks  # noqa: F401 (a fixture)
from tests.fake_openai import FakeOpenAI, Reply, gold_player
from workgym.agents.react import FORMAT, STOP, parse
from workgym.tasks import Task
from workgym.world import POLICY

NAMES = {"get_ticket", "search_tickets", "submit_answer"}
TICKET = {"name": "get_ticket", "arguments": {"key": "ENG-12"}}


@pytest.mark.parametrize(
    "text",
    [
        # the format as asked
        'Thought: I need the ticket.\nAction: get_ticket\nAction Input: {"key": "ENG-12"}',
        # prose after the input, and an observation the model invented
        'Thought: x\nAction: get_ticket\nAction Input: {"key": "ENG-12"} and then I will read it.\n'
        "Observation: the ticket says...\nThought: so\nFinal Answer: Nora",
        # the input in a fenced block
        'Thought: x\nAction: get_ticket\nAction Input:\n```json\n{"key": "ENG-12"}\n```',
        # JSON in Action: a whole call, or LangChain's action / action_input
        'Thought: x\nAction: {"name": "get_ticket", "arguments": {"key": "ENG-12"}}',
        'Action: {"action": "get_ticket", "action_input": {"key": "ENG-12"}}',
        # the arguments on the Action line
        'Thought: x\nAction: get_ticket({"key": "ENG-12"})',
        'Action: `get_ticket` {"key": "ENG-12"}',
        # markdown bold labels
        '**Thought:** x\n**Action:** get_ticket\n**Action Input:** {"key": "ENG-12"}',
        # an Action before a Final Answer: the action runs
        'Thought: x\nAction: get_ticket\nAction Input: {"key": "ENG-12"}\nFinal Answer: Nora',
        # a tool-call form instead of the format
        '<tool_call>\n{"name": "get_ticket", "arguments": {"key": "ENG-12"}}\n</tool_call>',
    ],
)
def test_when_a_reply_strays_from_the_format_then_its_call_is_still_read(text: str) -> None:
    parsed = parse(text, NAMES)
    assert parsed.kind == "call" and parsed.call == TICKET


def test_when_the_action_input_is_missing_then_the_call_has_no_arguments() -> None:
    parsed = parse("Thought: list them\nAction: search_tickets", NAMES)
    assert parsed.call == {"name": "search_tickets", "arguments": {}} and parsed.thought == "list them"


def test_when_the_reply_is_a_final_answer_then_it_is_the_answer() -> None:
    parsed = parse("Thought: I know it now.\nFinal Answer: Nora Diaz", NAMES)
    assert (parsed.kind, parsed.answer, parsed.thought) == ("answer", "Nora Diaz", "I know it now.")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("I think the answer is Nora.", "no Action: line and no Final Answer: line"),
        ("Thought: x\nFinal Answer:", "the Final Answer is empty"),
        ("Thought: x\nAction: ???", "names no tool"),
        ('Thought: x\nAction: {"tool": 1}', "names no tool"),
    ],
)
def test_when_a_reply_is_neither_then_it_says_what_could_not_be_parsed(text: str, problem: str) -> None:
    parsed = parse(text, NAMES)
    assert parsed.kind == "none" and parsed.problem is not None and problem in parsed.problem


def test_when_the_format_is_shown_then_its_example_answer_cannot_be_copied_as_one() -> None:
    final = next(line for line in FORMAT.splitlines() if line.startswith("Final Answer:"))
    assert '"done"' not in FORMAT and final.removeprefix("Final Answer:").strip().startswith("<")


def test_when_the_react_agent_runs_then_it_sends_the_stop_sequence_and_leads_with_what_never_changes(
    tmp_path: Path,
    anon_db: Path,
    some_tasks: list[Task],  # noqa: F811
) -> None:
    questions = [t for t in some_tasks if t.gold[-1].name == "submit_answer"][:2]

    def strays(request: dict[str, Any], turn: int) -> Reply | None:
        if turn == 0:  # prose: told what could not be parsed, nothing reaches the world
            return Reply(content="Let me look into it.")
        return None

    with FakeOpenAI(gold_player(questions, react=True, before=strays)) as server:
        summary, trajectories = run_llm(tmp_path, anon_db, questions, server, kind="react")
    assert all(r["stop"] == STOP for r in server.requests)
    system = server.requests[0]["messages"][0]["content"]
    assert system.startswith(POLICY) and system.index("Tools:") < system.index("You are")
    assert summary["format_failures"] == {"replies": 2, "episodes": 2}
    for t in trajectories:
        assert t["steps"][0]["error"] == "format" and "could not be parsed" in t["steps"][0]["observation"]
        assert {s["form"] for s in t["steps"][1:]} <= {"react", "final_answer"}
    nudged = next(r for r in server.requests if len(r["messages"]) > 2)["messages"]
    assert nudged[-1]["content"].startswith("Observation: Error: your reply could not be parsed")
    assert summary["success_rate"] == 1.0  # after the nudge, the model's calls and answer went through
