"""A workplace policy derived from the workspace: who leads a project, who takes over, who may change what.

The rules are the ones a team's history shows (tau2-bench gives its agents a written domain
policy; here the policy comes from the world, so every workspace has its own):

* **leads**: a project's lead is the person who filed most of its tickets;
* **backups**: when someone leaves a project, their open tickets go to its backup owner, the
  person assigned most of its tickets (the lead aside), or the next one when the backup is the
  one leaving;
* **notify**: a ticket that changes hands is announced by e-mail to its reporter, the new
  assignee in cc (unless the reporter is the sender or the new assignee);
* **meeting**: a handover ends with a 30-minute meeting of the leaver, the new owner and the
  sender, at the first time they are all free from the next working day on;
* **priority**: only a project's lead changes priorities there; anyone else e-mails the lead,
  naming the tickets, comments on each ticket that the lead was asked and books a review with them;
* **report**: work on a list of tickets ends with a summary e-mail to each project's lead.

A task carries the text of the rules its right answer depends on (:attr:`Task.policy`), with the
facts they need (the leads and backups of its projects); the agent sees it in its prompt. The
checks then fail an episode that breaks a rule even where its end state looks right (a
``forbids`` check: a priority changed and changed back leaves history rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from workgym.world import World
from workgym.world.fts import ro_uri

RULES: Mapping[str, str] = {
    "handover": (
        "When someone leaves a project, each of their open tickets there goes to the project's backup "
        "owner, or to the second backup when the first is the one leaving. Only the lead hands work over."
    ),
    "notify": (
        "Whenever a ticket changes assignee, e-mail its reporter, with the new assignee in cc, and name "
        "the ticket's key in the mail (one mail per reporter may cover several tickets). No mail is "
        "needed when the reporter is you or the new assignee."
    ),
    "meeting": (
        "A handover ends with a 30-minute meeting of the leaver and the new owner, organised by you, at "
        "the first time all of you are free (working hours) from the start of the next working day on."
    ),
    "priority": (
        "Only a project's lead changes ticket priorities in it. Anyone else who needs a priority changed "
        "e-mails the lead, naming each ticket's key and the priority wanted, leaves the priority as it "
        "is, comments on each ticket that the lead was asked, and books a 30-minute priority review "
        "with the lead at the first time you are both free (working hours) from the start of the next "
        "working day on. A lead changes the priority and comments on the ticket why."
    ),
    "report": (
        "Work done on a list of tickets ends with one e-mail to the lead of each project involved, "
        "naming each of that project's tickets and what you found or did; never mail yourself."
    ),
}
"""Each rule's text, as the agent reads it."""


@dataclass(frozen=True, slots=True)
class Policy:
    """The policy of one workspace: the leads and backup owners of its projects.

    Attributes:
        leads: project -> the lead's person id.
        backups: project -> the backup owners, first and second (person ids).
    """

    leads: Mapping[str, str] = field(default_factory=dict)
    backups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def successor(self, project: str, leaving: str) -> str | None:
        """Who takes over the open tickets of ``leaving`` in ``project``, by the handover rule."""
        return next((b for b in self.backups.get(project, ()) if b != leaving), None)

    def text(self, rules: Iterable[str], projects: Iterable[str], name: Callable[[str], str]) -> str:
        """The policy a task gives its agent: the facts of its projects, then the rules it is bound by."""
        lines = ["Workplace policy:"]
        for p in sorted(set(projects)):
            facts = []
            if p in self.leads:
                facts.append(f"the lead is {name(self.leads[p])}")
            backups = self.backups.get(p, ())
            if backups and "handover" in rules:
                facts.append("the backup owners are " + " then ".join(name(b) for b in backups))
            if facts:
                lines.append(f"- In {p}, " + "; ".join(facts) + ".")
        lines += [f"- {RULES[r]}" for r in rules]
        return "\n".join(lines)


def derive_policy(world: World, is_person: Callable[[str], bool]) -> Policy:
    """The policy the workspace's history shows: leads by tickets filed, backups by tickets assigned.

    Args:
        world: the workspace.
        is_person: which ids may hold a role (real people, not bots).
    """
    conn = sqlite3.connect(ro_uri(world.path), uri=True)
    try:
        reporters = conn.execute(
            "SELECT project, reporter, COUNT(*) AS n FROM ticket WHERE reporter != '' "
            "GROUP BY 1, 2 ORDER BY 1, n DESC, 2"
        ).fetchall()
        assignees = conn.execute(
            "SELECT project, assignee, COUNT(*) AS n FROM ticket WHERE assignee != '' "
            "GROUP BY 1, 2 ORDER BY 1, n DESC, 2"
        ).fetchall()
    finally:
        conn.close()
    leads: dict[str, str] = {}
    for project, person, _ in reporters:
        if project not in leads and is_person(person):
            leads[project] = person
    backups: dict[str, list[str]] = {}
    for project, person, _ in assignees:
        chosen = backups.setdefault(project, [])
        if len(chosen) < 2 and person != leads.get(project) and is_person(person):
            chosen.append(person)
    return Policy(leads, {p: tuple(b) for p, b in backups.items() if len(b) == 2 and p in leads})


def next_working_day(moment: str) -> str:
    """The start (00:00 UTC) of the working day after the day of ``moment``, as ISO 8601."""
    day = date.fromisoformat(moment[:10]) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return f"{day.isoformat()}T00:00:00+00:00"


__all__ = ["RULES", "Policy", "derive_policy", "next_working_day"]
