"""Simulated users for clarify tasks: they hold the facts an instruction leaves out.

:class:`ScriptedUser` is deterministic: it answers a question with the reply of the hidden fact
whose words the question uses most (a word counts when the question has a word starting with its
first five letters, so "assigned" finds "assign"), and says it does not know otherwise. It never
volunteers a fact nobody asked about. It is the default, and what validation uses.

:class:`LLMUser` plays the user with a model at any OpenAI-compatible endpoint, given the task and
the hidden facts, when one is configured (:meth:`UserEndpoint.from_env`, or passed by a runner).
A failing endpoint is recorded in ``failures`` and the scripted reply is given instead, so the
episode goes on. :func:`user_for` picks one of the two.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from workgym.tasks.model import Task, UserFact

DONT_KNOW = "Sorry, I don't know that; it should be somewhere in the workspace."


class ScriptedUser:
    """A user who answers questions about its hidden facts, and only those.

    Args:
        facts: what the user knows and the instruction leaves out.
    """

    def __init__(self, facts: Sequence[UserFact]) -> None:
        self.facts = tuple(facts)
        self.asked: list[str] = []

    def fork(self) -> ScriptedUser:
        """A copy that goes on from what this one was asked (for a forked episode)."""
        copy = ScriptedUser(self.facts)
        copy.asked = list(self.asked)
        return copy

    def __call__(self, question: str) -> str:
        """The reply to one question."""
        self.asked.append(question)
        words = re.findall(r"\w+", question.casefold())
        best, score = None, 0
        for fact in self.facts:
            hits = sum(1 for a in fact.about if any(w.startswith(a.casefold()[:5]) for w in words))
            if hits > score:
                best, score = fact, hits
        return best.reply if best is not None else DONT_KNOW


USER_PROMPT = """You are the person who gave a colleague this task: {instruction}
You know these facts, which the task left out:
{facts}
The colleague will ask you questions. Answer in one or two short sentences, using only these facts.
If a question is about anything else, say you don't know. Never do the task yourself."""


@dataclass(frozen=True, slots=True)
class UserEndpoint:
    """Where a model that plays the user is served.

    Attributes:
        model: the model's name at the endpoint.
        base_url: the endpoint (e.g. ``http://127.0.0.1:8000/v1``); None for the SDK's default.
        api_key: the key; default ``$OPENAI_API_KEY``, or a placeholder for local servers.
        temperature: sampling temperature (0 for repeatable replies).
        timeout: seconds to wait for a reply.
    """

    model: str
    base_url: str | None = None
    api_key: str | None = None
    temperature: float = 0.0
    timeout: float = 30.0

    @classmethod
    def from_env(cls) -> UserEndpoint | None:
        """``$WORKGYM_USER_MODEL`` at ``$WORKGYM_USER_BASE_URL`` (else ``$OPENAI_BASE_URL``), if set."""
        model = os.environ.get("WORKGYM_USER_MODEL")
        if not model:
            return None
        base = os.environ.get("WORKGYM_USER_BASE_URL") or os.environ.get("OPENAI_BASE_URL")
        return cls(model=model, base_url=base)


class LLMUser:
    """A user played by a model: it knows the task and the hidden facts, and answers questions.

    Args:
        task: the clarify task (its instruction and hidden facts make the prompt).
        endpoint: where the model is served.
        seed: passed to the endpoint, for servers that honour it.
    """

    def __init__(self, task: Task, endpoint: UserEndpoint, *, seed: int = 0) -> None:
        from openai import OpenAI  # imported here: only a configured endpoint needs it

        self.endpoint = endpoint
        self.seed = seed
        self.fallback = ScriptedUser(task.user)
        self.failures: list[str] = []
        facts = "\n".join(f"- {f.reply}" for f in task.user) or "- (none)"
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": USER_PROMPT.format(instruction=task.instruction, facts=facts)}
        ]
        self._client = OpenAI(
            base_url=endpoint.base_url,
            api_key=endpoint.api_key or os.environ.get("OPENAI_API_KEY") or "not-needed",
            timeout=endpoint.timeout,
            max_retries=2,
        )

    def fork(self) -> LLMUser:
        """A copy that goes on from this conversation alone (for a forked episode); one client."""
        copy = object.__new__(LLMUser)
        copy.endpoint, copy.seed, copy._client = self.endpoint, self.seed, self._client
        copy.fallback = self.fallback.fork()
        copy.failures = list(self.failures)
        copy.messages = [dict(m) for m in self.messages]
        return copy

    def __call__(self, question: str) -> str:
        """The model's reply; the scripted one when the endpoint fails (the failure is recorded)."""
        from openai import OpenAIError

        self.messages.append({"role": "user", "content": question})
        try:
            response = self._client.chat.completions.create(
                model=self.endpoint.model,
                messages=self.messages,  # type: ignore[arg-type]
                temperature=self.endpoint.temperature,
                seed=self.seed,
                max_tokens=200,
            )
            reply = (response.choices[0].message.content or "").strip() if response.choices else ""
            if not reply:
                raise ValueError("the endpoint answered with no text")
        except (OpenAIError, ValueError) as exc:
            self.failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")
            reply = self.fallback(question)
        self.messages.append({"role": "assistant", "content": reply})
        return reply


def user_for(
    task: Task, endpoint: UserEndpoint | None = None, *, seed: int = 0
) -> Callable[[str], str] | None:
    """The simulated user of a task: a model when an endpoint is given, else scripted; None if it has none."""
    if not task.user:
        return None
    if endpoint is not None:
        return LLMUser(task, endpoint, seed=seed)
    return ScriptedUser(task.user)


__all__ = ["DONT_KNOW", "USER_PROMPT", "LLMUser", "ScriptedUser", "UserEndpoint", "user_for"]
