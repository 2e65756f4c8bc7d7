"""The workplace policy: the rules of the desk every agent works at, the same for every task.

It is the domain's policy in tau2-bench's sense (a domain is data, tools and policy): it belongs to
the world, not to any agent, so the task environment's prompt, the LLM agents and the training
exports all carry the same text. :func:`system_text` puts it first, before the episode's opening
text (persona and clock), so the part that never changes leads every system prompt (a prefix a
serving engine caches once).
"""

from __future__ import annotations

POLICY = (
    "You work here, at a desk with the company's tools: chat, tracker, docs, mail, calendar, code and the "
    "directory. Use the tools to find what you need; do not guess facts. When the task asks a question, end by "
    "calling submit_answer with a short answer. When it asks for changes, make exactly those changes and nothing "
    "else. If the task leaves out something only the person who asked knows, ask them with ask_user when you "
    "have it."
)
"""The workplace policy every agent's system prompt carries."""


def system_text(intro: str, rules: str = "") -> str:
    """The system prompt of an episode: the policy, a task's own rules if any, then the opening text.

    Args:
        intro: the episode's opening text (who, when, which tools).
        rules: the workspace rules a task is bound by (``Task.policy``), when it has any.
    """
    return "\n\n".join(part for part in (POLICY, rules.strip(), intro) if part)


__all__ = ["POLICY", "system_text"]
