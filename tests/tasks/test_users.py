"""The scripted user: answers what it was asked about, says it does not know anything else."""

from __future__ import annotations

import pytest

from tests.fake_openai import FakeOpenAI, Reply
from workgym.tasks import ScriptedUser, Task, UserFact
from workgym.tasks.users import DONT_KNOW, LLMUser, UserEndpoint, user_for

FACTS = [
    UserFact(("who", "assign", "colleague"), "Give it to Nora."),
    UserFact(("priority", "urgent"), "They asked for High."),
]


@pytest.mark.parametrize(
    "question, reply",
    [
        ("Who should I assign it to?", "Give it to Nora."),  # the hidden person
        ("Which colleague did you mean?", "Give it to Nora."),  # other words, same fact
        ("How urgent is it, what priority?", "They asked for High."),  # the other fact
        ("What's the weather like?", DONT_KNOW),  # nothing it holds
        ("", DONT_KNOW),  # an empty question
    ],
)
def test_when_asked_then_the_user_replies_from_its_facts_only(question: str, reply: str) -> None:
    user = ScriptedUser(FACTS)
    assert user(question) == reply
    assert user.asked == [question]


def test_when_asked_twice_then_the_same_reply_comes() -> None:
    user = ScriptedUser(FACTS)
    assert user("who takes it?") == user("who takes it?")


def clarify_task() -> Task:
    return Task(
        "clarify",
        "Hand the login ticket to the colleague I mentioned.",
        None,
        "P0001",
        (),
        (),
        (),
        user=tuple(FACTS),
    )


def scripted(replies: list[Reply]) -> FakeOpenAI:
    return FakeOpenAI(lambda request: replies.pop(0))


def test_when_an_endpoint_is_configured_then_a_model_plays_the_user_with_the_hidden_facts() -> None:
    with scripted([Reply("Nora should take it."), Reply("No idea, sorry.")]) as server:
        user = user_for(clarify_task(), UserEndpoint(model="tiny", base_url=server.url, api_key="k"))
        assert isinstance(user, LLMUser)
        assert user("Who should take the ticket?") == "Nora should take it."
        assert user("And the weather?") == "No idea, sorry."
        system = server.requests[0]["messages"][0]["content"]
        assert "Give it to Nora." in system and "Hand the login ticket" in system  # the facts and the task
        assert [m["role"] for m in server.requests[1]["messages"]] == ["system", "user", "assistant", "user"]
        assert server.requests[0]["temperature"] == 0.0 and server.requests[0]["model"] == "tiny"
        assert user.failures == []


def test_when_the_endpoint_fails_then_the_scripted_reply_is_given_and_the_failure_recorded() -> None:
    with scripted([Reply(status=400), Reply("")]) as server:
        user = LLMUser(clarify_task(), UserEndpoint(model="tiny", base_url=server.url, api_key="k"))
        assert user("Who should I assign it to?") == "Give it to Nora."  # an HTTP error
        assert user("Who should I assign it to?") == "Give it to Nora."  # an empty reply
        assert len(user.failures) == 2 and "BadRequestError" in user.failures[0]


def test_when_no_endpoint_is_set_then_the_user_is_scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKGYM_USER_MODEL", raising=False)
    assert UserEndpoint.from_env() is None
    assert isinstance(user_for(clarify_task()), ScriptedUser)
    monkeypatch.setenv("WORKGYM_USER_MODEL", "m")
    monkeypatch.setenv("WORKGYM_USER_BASE_URL", "http://127.0.0.1:9/v1")
    assert UserEndpoint.from_env() == UserEndpoint(model="m", base_url="http://127.0.0.1:9/v1")
