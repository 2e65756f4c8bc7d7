"""The conversation's token budget: old observations are clipped, then dropped, oldest first."""

from __future__ import annotations

from typing import Any

from workgym.agents.context import MIN_KEEP, Budget, wire


def conversation(*observations: int) -> list[dict[str, Any]]:
    """A system prompt, a task, and one call and observation of each size (in characters)."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "policy " * 50},
        {"role": "user", "content": "the task"},
    ]
    for at, size in enumerate(observations):
        call = {"id": f"c{at}", "type": "function", "function": {"name": "get_ticket", "arguments": "{}"}}
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        messages.append({"role": "tool", "tool_call_id": f"c{at}", "content": chr(97 + at) * size})
    return messages


def test_when_the_conversation_fits_then_nothing_is_cut() -> None:
    messages = conversation(1000, 1000)
    before = [m.get("content") for m in messages]
    budget = Budget(max_context=10_000, reserve=500)
    budget.fit(messages)
    assert [m.get("content") for m in messages] == before and budget.clipped == budget.dropped == 0


def test_when_it_does_not_fit_then_the_oldest_observation_is_clipped_first_with_a_note() -> None:
    messages = conversation(6000, 6000)
    budget = Budget(max_context=3000, reserve=200, chars_per_token=4.0)
    budget.fit(messages)
    oldest, latest = messages[3]["content"], messages[5]["content"]
    assert budget.tokens(messages) <= 3000 - 200
    assert (
        "[clipped to keep the conversation in its token budget" in oldest and "of 6,000 characters" in oldest
    )
    assert latest == "b" * 6000  # the latest is clipped only when clipping the older ones is not enough
    assert wire(messages)[3].keys() == {"role", "tool_call_id", "content"}  # no bookkeeping is sent


def test_when_clipping_is_not_enough_then_old_observations_are_dropped_and_the_latest_kept() -> None:
    messages = conversation(3000, 3000, 3000, 3000)
    budget = Budget(max_context=600, reserve=100, chars_per_token=4.0)
    budget.fit(messages)
    assert budget.tokens(messages) <= 600 - 100
    dropped = [m["content"].startswith("[dropped") for m in messages if m["role"] == "tool"]
    assert dropped[0] and dropped == sorted(dropped, reverse=True)  # the oldest first
    assert (
        not dropped[-1] and len(messages[-1]["content"]) >= MIN_KEEP
    )  # the latest is clipped, never dropped
    assert budget.dropped == sum(dropped) and "3,000 characters" in messages[3]["content"]


def test_when_the_endpoint_counts_the_prompt_then_the_estimate_follows_it() -> None:
    messages = conversation(4000)
    budget = Budget(max_context=100_000, reserve=0)
    budget.fit(messages)
    sent = budget.tokens(messages)
    budget.measured(prompt_tokens=sent // 2)  # the model's tokenizer packs twice as many characters
    assert budget.tokens(messages) < sent * 0.6
