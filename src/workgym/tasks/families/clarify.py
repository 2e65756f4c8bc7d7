"""clarify: an instruction that leaves out one fact, and a simulated user who holds it.

Generators (the agent has ``ask_user``; the scripted user of :mod:`workgym.tasks.users` answers
a question about its hidden fact and says it does not know anything else):

* hand a ticket to "the colleague we talked about": who is hidden;
* set a ticket to "the priority the customer asked for": which priority is hidden.

The gold actions ask, then act; the plausible-wrong agent acts without asking, on a guess (the
ticket's most frequent other assignee, or another priority), and fails.
"""

from __future__ import annotations

from workgym.tasks.families.base import Draft, Gen, evidence
from workgym.tasks.model import Call, UserFact


def _hand_to(g: Gen, budget: int) -> list[Draft]:
    drafts: list[Draft] = []
    rows = g.rows(
        "SELECT id, project, summary, assignee, reporter FROM ticket WHERE summary != '' ORDER BY id"
    )
    for t in g.sample(rows, budget * 3):
        if len(drafts) >= budget or not g.is_person(t["reporter"]) or not g.title(t):
            continue
        mates = [
            m["assignee"]
            for m in g.rows(
                "SELECT assignee, COUNT(*) AS n FROM ticket WHERE project = ? AND assignee NOT IN ('', ?, ?) "
                "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 8",
                (t["project"], t["assignee"], t["reporter"]),
            )
            if g.is_person(m["assignee"])
        ]
        if len(mates) < 2:
            continue
        taker, guess = g.sample(mates, 2)
        ask = g.pick(
            f"Please hand {g.title(t)} over to the colleague I mentioned earlier.",
            f"Reassign {g.title(t)} to the person we agreed should take it.",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'})
        drafts.append(
            Draft(
                family="clarify",
                instruction=ask,
                gold=[
                    find,
                    Call("ask_user", {"question": "Who should take the ticket?"}),
                    Call("update_ticket", {"key": t["id"], "assignee": taker}),
                ],
                wrong=[find, Call("update_ticket", {"key": t["id"], "assignee": guess})],
                checks=[],
                evidence=[
                    evidence("ticket", t["id"], "the ticket"),
                    evidence("person", taker, "who the user means"),
                ],
                entity=t["id"],
                persona=t["reporter"],
                user=[
                    UserFact(
                        (
                            "who",
                            "whom",
                            "person",
                            "colleague",
                            "assign",
                            "owner",
                            "take",
                            "name",
                            "mentioned",
                        ),
                        f"Please give it to {g.name(taker)}.",
                    )
                ],
            )
        )
    return drafts


def _priority(g: Gen, budget: int) -> list[Draft]:
    priorities = list(g.facts.priorities)
    if len(priorities) < 3:
        return []
    drafts: list[Draft] = []
    rows = g.rows("SELECT id, summary, priority, reporter FROM ticket WHERE summary != '' ORDER BY id")
    for t in g.sample(rows, budget * 3):
        if len(drafts) >= budget or not g.is_person(t["reporter"]) or not g.title(t):
            continue
        target, guess = g.sample([p for p in priorities if p != t["priority"]], 2)
        ask = g.pick(
            f"The customer told me how urgent {g.title(t)} is for them; set its priority to match.",
            f"Set {g.title(t)} to the priority the customer asked for.",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'})
        drafts.append(
            Draft(
                family="clarify",
                instruction=ask,
                gold=[
                    find,
                    Call("ask_user", {"question": "Which priority did the customer ask for?"}),
                    Call("update_ticket", {"key": t["id"], "priority": target}),
                ],
                wrong=[find, Call("update_ticket", {"key": t["id"], "priority": guess})],
                checks=[],
                evidence=[evidence("ticket", t["id"], f"priority {t['priority'] or '-'} before")],
                entity=t["id"],
                persona=t["reporter"],
                user=[
                    UserFact(
                        ("priority", "urgent", "urgency", "customer", "asked", "level", "important"),
                        f"They asked for {target}.",
                    )
                ],
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Clarify drafts, about ``budget``."""
    share = max(1, budget // 2)
    return _hand_to(g, share) + _priority(g, budget - share)
