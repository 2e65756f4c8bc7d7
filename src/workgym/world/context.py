"""What a tool gets: the episode's state, the shared facts, the persona, the clock and new ids."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from workgym.world.facts import Facts, PersonInfo
from workgym.world.schema import ToolError
from workgym.world.state import State


@dataclass(slots=True)
class ToolContext:
    """The episode as a tool sees it.

    Attributes:
        state: the episode's copy-on-write state (read with ``state.query``, write with its methods).
        facts: people, channels and workflows of the workspace.
        persona: the person the episode acts as (writes are theirs); None for an observer.
        now: the episode's time, stamped on every write.
        seed: the episode's seed; with ``sequence`` it makes new ids.
        sequence: how many ids the episode has made.
        answer: the answer submitted, once it is.
        user: the person who gave the task, simulated: their reply to a question (None: nobody).
    """

    state: State
    facts: Facts
    persona: str | None
    now: str
    seed: int
    sequence: int = 0
    answer: str | None = None
    user: Callable[[str], str] | None = None

    def new_id(self, kind: str) -> str:
        """A new id, the same for the same seed and sequence: 12 hex digits."""
        self.sequence += 1
        digest = hashlib.sha256(f"{self.seed}:{self.sequence}:{kind}".encode()).hexdigest()
        return digest[:12]

    def me(self) -> str:
        """The persona's id, for a write.

        Raises:
            ToolError: the episode has no persona.
        """
        if self.persona is None:
            raise ToolError("this episode has no persona, so it cannot write; open it with persona=...")
        return self.persona

    def name(self, person_id: str) -> str:
        """A person's display name."""
        return self.facts.name(person_id)

    def person(self, text: str, *, what: str = "person") -> PersonInfo:
        """The one person a name, handle, address or id names.

        Raises:
            ToolError: nobody matches, or several do equally well (the message lists them).
        """
        if text.strip().lower() in ("me", "myself", "currentuser()") and self.persona:
            return self.facts.people[self.persona]
        found = self.facts.find_people(text)
        if not found:
            raise ToolError(f"no {what} matches {text!r}; try find_person")
        exact = [p for p in found if text.strip().lstrip("@").lower() in p.aliases()]
        if len(exact) == 1:
            return exact[0]
        if len(found) == 1:
            return found[0]
        options = ", ".join(f"{p.name} ({p.id})" for p in (exact or found)[:8])
        raise ToolError(f"{text!r} matches several people: {options}; give an id or an e-mail address")
