"""workflow: state-changing work; the expected changes are what the gold actions change.

Generators:

* hand over: a person is leaving; reassign their open tickets of a project to a colleague of
  that project and, where the workspace has chat, tell the project's channel (the message must
  reference every ticket moved);
* escalate: raise a ticket's priority and comment why;
* link: record that one ticket blocks (or relates to) another, both named by their summaries.

Validation runs the gold actions and turns their diff into per-field checks (ids, times and free
text left out) plus the footprint nothing else may leave the bounds of. The plausible-wrong agent
does the same work for the wrong person or the most similar wrong ticket.
"""

from __future__ import annotations

from workgym.tasks.families.base import Draft, Gen, evidence
from workgym.tasks.model import Call, Check


def _team_channel(g: Gen, project: str) -> str | None:
    """The public channel whose messages cite the project's tickets most, if any."""
    found = g.rows(
        "SELECT c.name, COUNT(*) AS n FROM main.ref r JOIN message m ON m.id = r.src_id "
        "JOIN channel c ON c.id = m.channel_id WHERE r.src_kind = 'message' AND r.dst_kind = 'ticket' "
        "AND r.dst_id LIKE ? AND c.kind IN ('public', 'channel', '') GROUP BY c.name ORDER BY n DESC, c.name LIMIT 1",
        (f"{project}-%",),
    )
    return str(found[0]["name"]) if found else None


def _lead(g: Gen, project: str, exclude: set[str]) -> str | None:
    """The project's most frequent reporter who is not in ``exclude``: who hands the work over."""
    for r in g.rows(
        "SELECT reporter, COUNT(*) AS n FROM ticket WHERE project = ? AND reporter != '' GROUP BY 1 ORDER BY n DESC, 1",
        (project,),
    ):
        if r["reporter"] not in exclude and g.is_person(r["reporter"]):
            return str(r["reporter"])
    return None


def _hand_over(g: Gen, budget: int) -> list[Draft]:
    drafts: list[Draft] = []
    groups = g.open_tickets_by_assignee(4)
    for r in g.sample(groups, budget * 3):
        if len(drafts) >= budget or not g.is_person(r["assignee"]):
            continue
        mates = [
            m["assignee"]
            for m in g.rows(
                "SELECT assignee, COUNT(*) AS n FROM ticket WHERE project = ? AND assignee NOT IN ('', ?) "
                "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 6",
                (r["project"], r["assignee"]),
            )
            if g.is_person(m["assignee"])
        ]
        lead = _lead(g, r["project"], {r["assignee"], *mates[:2]})
        if len(mates) < 2 or lead is None:
            continue
        keys = sorted(r["keys"].split())
        leaving, taker, wrong_taker = r["assignee"], mates[0], mates[1]
        channel = _team_channel(g, r["project"])
        ask = g.pick(
            f"{g.name(leaving)} is moving to another team. Reassign their open {r['project']} tickets to {g.name(taker)}",
            f"{g.name(leaving)} leaves the {r['project']} project this week: hand every open ticket of theirs there "
            f"over to {g.name(taker)}",
        )
        search = Call(
            "search_tickets", {"jql": f'project = {r["project"]} AND assignee = "{g.name(leaving)}"'}
        )
        gold = [search, *(Call("update_ticket", {"key": k, "assignee": taker}) for k in keys)]
        wrong = [search, *(Call("update_ticket", {"key": k, "assignee": wrong_taker}) for k in keys)]
        checks: list[Check] = []
        if channel:
            ask += f", and let #{channel} know which tickets moved."
            note = f"Heads-up: {g.name(leaving)} is moving on; {', '.join(keys)} now go to {g.name(taker)}."
            gold.append(Call("post_message", {"channel": channel, "text": note}))
            wrong.append(
                Call(
                    "post_message",
                    {"channel": channel, "text": note.replace(g.name(taker), g.name(wrong_taker))},
                )
            )
            chan = g.rows("SELECT id FROM channel WHERE name = ?", (channel,))[0]["id"]
            checks.append(
                Check(
                    kind="references",
                    table="message",
                    where={"channel_id": chan, "author": lead},
                    text_field="text",
                    required=tuple(("ticket", k) for k in keys),
                )
            )
        else:
            ask += "."
        drafts.append(
            Draft(
                family="workflow",
                instruction=ask,
                gold=gold,
                wrong=wrong,
                checks=checks,
                evidence=[
                    evidence("person", leaving, "leaving"),
                    *(evidence("ticket", k, "open, theirs") for k in keys),
                ],
                entity=leaving,
                persona=lead,
                hops=2,
            )
        )
    return drafts


def _escalate(g: Gen, budget: int) -> list[Draft]:
    priorities = list(g.facts.priorities)
    if len(priorities) < 2:
        return []
    drafts: list[Draft] = []
    rows = g.rows(
        "SELECT id, summary, priority, assignee, reporter FROM ticket WHERE summary != '' ORDER BY id"
    )
    reasons = (
        "customers are hitting it in production",
        "it blocks the release",
        "support has three escalations on it",
    )
    for t in g.sample(rows, budget * 3):
        persona = t["assignee"] if g.is_person(t["assignee"]) else t["reporter"]
        if len(drafts) >= budget or not g.is_person(persona) or not g.title(t):
            continue
        target = next((p for p in g.sample(priorities, len(priorities)) if p != t["priority"]), None)
        other = next((d for d in g.similar_tickets(t["id"], t["summary"]) if d["priority"] != target), None)
        if target is None or other is None:
            continue
        reason = g.rng.choice(reasons)
        ask = g.pick(
            f"Set {g.title(t)} to priority {target} and leave a comment saying why: {reason}.",
            f"Change the priority of {g.title(t)} to {target}; comment on the ticket that {reason}.",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'})
        comment = f"Priority set to {target}: {reason}."
        drafts.append(
            Draft(
                family="workflow",
                instruction=ask,
                gold=[
                    find,
                    Call("update_ticket", {"key": t["id"], "priority": target}),
                    Call("comment_ticket", {"key": t["id"], "body": comment}),
                ],
                wrong=[
                    find,
                    Call("update_ticket", {"key": other["id"], "priority": target}),
                    Call("comment_ticket", {"key": other["id"], "body": comment}),
                ],
                checks=[],
                evidence=[evidence("ticket", t["id"], f"priority {t['priority'] or '-'} before")],
                entity=t["id"],
                persona=persona,
            )
        )
    return drafts


def _link(g: Gen, budget: int) -> list[Draft]:
    types = g.facts.link_types
    kind = "Blocks" if "Blocks" in types else ("Relates" if "Relates" in types else None)
    if kind is None:
        return []
    drafts: list[Draft] = []
    rows = g.rows(
        "SELECT id, project, summary, assignee, reporter FROM ticket WHERE summary != '' ORDER BY id"
    )
    for a in g.sample(rows, budget * 3):
        persona = a["assignee"] if g.is_person(a["assignee"]) else a["reporter"]
        if len(drafts) >= budget or not g.is_person(persona) or not g.title(a):
            continue
        near = [d for d in g.similar_tickets(a["id"], a["summary"], 6) if d["project"] == a["project"]]
        if len(near) < 2 or not g.title(near[0]):
            continue
        b, decoy = near[0], near[1]
        linked = g.rows(
            "SELECT 1 FROM ticket_link WHERE ticket_id = ? AND other_id IN (?, ?)",
            (a["id"], b["id"], decoy["id"]),
        )
        if linked:
            continue
        if kind == "Blocks":
            ask = g.pick(
                f"Record in the tracker that {g.title(b)} blocks {g.title(a)}.",
                f"{g.title(a)} can't move until {g.title(b)} is done: link them that way.",
            )
        else:
            ask = f"Link {g.title(a)} to {g.title(b)} as related."
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(b["summary"])}"'})
        drafts.append(
            Draft(
                family="workflow",
                instruction=ask,
                gold=[find, Call("link_tickets", {"key": b["id"], "other": a["id"], "link_type": kind})],
                wrong=[find, Call("link_tickets", {"key": decoy["id"], "other": a["id"], "link_type": kind})],
                checks=[],
                evidence=[
                    evidence("ticket", b["id"], f"{kind.lower()} the other"),
                    evidence("ticket", a["id"], "the one it holds up"),
                ],
                entity=a["id"],
                persona=persona,
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Workflow drafts, about ``budget``."""
    share = max(1, budget // 3)
    return _hand_over(g, share) + _escalate(g, share) + _link(g, share)
