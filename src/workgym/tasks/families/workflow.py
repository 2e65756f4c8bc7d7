"""workflow: state-changing work; the expected changes are what the gold actions change.

Generators:

* hand over: a person is leaving; reassign their open tickets of a project to a colleague of
  that project and, where the workspace has chat, tell the project's channel (the message must
  reference every ticket moved);
* escalate: raise a ticket's priority and comment why;
* link: record that one ticket blocks (or relates to) another, both named by their summaries;
* close as a duplicate: a real comment called a ticket a duplicate of another ("Duplicate of #N")
  and the ticket was then closed; at a cutoff before both, close it (to the status it really went
  to) with a comment that points to the other;
* assign to the fixer: a GitHub pull request closed an issue ("Fixes #N"); assign the issue to
  whoever opened that pull request (issue -> pull request -> its author -> a write).

Validation runs the gold actions and turns their diff into per-field checks (ids, times and free
text left out) plus the footprint nothing else may leave the bounds of. The plausible-wrong agent
does the same work for the wrong person or the most similar wrong ticket.
"""

from __future__ import annotations

import re

from workgym.tasks.families.base import OPEN_STATUSES, Draft, Gen, before, evidence
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


_DUPLICATE = re.compile(r"\b(?:dup(?:licate|e)?s?)\b[\s:]*(?:of\s+|to\s+)?\Z", re.IGNORECASE)
"""The words just before a reference that call its ticket the original: "Duplicate of ", "dupe: "."""

_DENIED = re.compile(r"\b(?:not|no|isn't|wasn't|never)\b[^.\n]*\Z", re.IGNORECASE)
"""A denial before those words: "not a duplicate of", "isn't a dupe of"."""


def _is_open(status: str) -> bool:
    return status.lower() == "open" or status in OPEN_STATUSES


def _close_as_duplicate(g: Gen, budget: int) -> list[Draft]:
    """A comment said "Duplicate of <other>"; the ticket's next status change closed it."""
    drafts: list[Draft] = []
    said = g.rows(
        "SELECT r.src_id, r.dst_id AS original, r.start, k.ticket_id, k.created, k.body FROM main.ref r "
        "JOIN main.ticket_comment k ON k.id = r.src_id WHERE r.src_kind = 'ticket_comment' "
        "AND r.dst_kind = 'ticket' AND r.dst_id IS NOT NULL AND r.dst_id != k.ticket_id AND k.created != '' "
        "ORDER BY r.src_id, r.start"
    )
    said = [
        r
        for r in said
        if _DUPLICATE.search(r["body"][max(0, r["start"] - 24) : r["start"]])
        and not _DENIED.search(r["body"][max(0, r["start"] - 40) : r["start"]])
    ]
    for ref in g.sample(said, budget * 4):
        if len(drafts) >= budget:
            break
        close = g.rows(
            "SELECT author, created, from_value, to_value FROM main.ticket_event WHERE ticket_id = ? "
            "AND field = 'status' AND created >= ? ORDER BY created LIMIT 1",
            (ref["ticket_id"], ref["created"]),
        )
        if not close or not g.is_person(close[0]["author"]) or _is_open(close[0]["to_value"]):
            continue  # the next change after the comment did not close it (a reopen, a move)
        cutoff = before(ref["created"])
        dup = g.rows("SELECT * FROM main.ticket WHERE id = ? AND created <= ?", (ref["ticket_id"], cutoff))
        if dup and not _is_open(close[0]["from_value"]):
            continue  # it was already closed when the comment came
        original = g.rows(
            "SELECT * FROM main.ticket WHERE id = ? AND created <= ?", (ref["original"], cutoff)
        )
        if not dup or not original or not g.title(dup[0]) or not g.title(original[0]):
            continue
        if dup[0]["summary"] == original[0]["summary"]:
            continue  # the two titles would not tell them apart
        other = next(
            (
                d
                for d in g.similar_tickets(dup[0]["id"], dup[0]["summary"])
                if d["created"] < cutoff
                and (d["resolved"] == "" or d["resolved"] > cutoff)
                and d["id"] != original[0]["id"]
                and d["project"] == dup[0]["project"]
            ),
            None,
        )
        if other is None:
            continue
        change = {"status": close[0]["to_value"]}
        if (
            dup[0]["resolution"].lower().startswith("duplicate")
            and dup[0]["resolution"] in g.facts.resolutions
        ):
            change["resolution"] = dup[0]["resolution"]  # a tracker that records why (Jira's Duplicate)
        ask = g.pick(
            f"{g.title(dup[0])} reports the same problem as {g.title(original[0])}. Close it as a duplicate, "
            "with a comment that points to the other.",
            f"Triage: {g.title(dup[0])} is a duplicate of {g.title(original[0])}. Mark it so: a comment "
            "naming the original, and close it.",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(dup[0]["summary"])}"'})
        note = f"Duplicate of {original[0]['id']}."
        drafts.append(
            Draft(
                family="workflow",
                instruction=ask,
                gold=[
                    find,
                    Call("comment_ticket", {"key": dup[0]["id"], "body": note}),
                    Call("update_ticket", {"key": dup[0]["id"], **change}),
                ],
                wrong=[
                    find,
                    Call("comment_ticket", {"key": other["id"], "body": note}),
                    Call("update_ticket", {"key": other["id"], **change}),
                ],
                checks=[
                    Check(
                        kind="references",
                        table="ticket_comment",
                        where={"ticket_id": dup[0]["id"]},
                        text_field="body",
                        required=(("ticket", original[0]["id"]),),
                    )
                ],
                evidence=[
                    evidence("ticket_comment", ref["src_id"], f"calls {dup[0]['id']} a duplicate"),
                    evidence("ticket", dup[0]["id"], f"{close[0]['from_value']} -> {change['status']}"),
                    evidence("ticket", original[0]["id"], "the original"),
                ],
                entity=dup[0]["id"],
                cutoff=cutoff,
                persona=close[0]["author"],
                hops=2,
            )
        )
    return drafts


def _assign_to_fixer(g: Gen, budget: int) -> list[Draft]:
    """A pull request closed an issue; assign the issue to the pull request's author."""
    drafts: list[Draft] = []
    closers = g.rows(
        "SELECT MIN(r.src_id) AS pull, r.dst_id AS issue FROM main.ref r JOIN main.ticket p ON p.id = r.src_id "
        "WHERE r.src_kind = 'ticket' AND r.ref_kind = 'closes' AND r.dst_id IS NOT NULL AND p.type = 'pull request' "
        "GROUP BY r.dst_id HAVING COUNT(DISTINCT r.src_id) = 1 ORDER BY r.dst_id"
    )
    authors = {r["pull"]: r for r in closers}
    for ref in g.sample(closers, budget * 3):
        if len(drafts) >= budget:
            break
        issue = g.rows("SELECT * FROM ticket WHERE id = ?", (ref["issue"],))
        pull = g.rows("SELECT * FROM ticket WHERE id = ?", (ref["pull"],))
        if not issue or not pull or issue[0]["type"] != "issue" or not g.title(issue[0]):
            continue
        fixer = pull[0]["reporter"]
        if not g.is_person(fixer) or fixer in (issue[0]["assignee"], issue[0]["reporter"]):
            continue  # already theirs, or the issue's author, named by reading the issue alone
        persona = issue[0]["assignee"] if g.is_person(issue[0]["assignee"]) else issue[0]["reporter"]
        if not g.is_person(persona):
            continue
        decoys = [
            p
            for p in g.rows(
                "SELECT id, reporter FROM ticket WHERE type = 'pull request' AND reporter NOT IN ('', ?, ?) "
                "AND id IN (" + ", ".join("?" for _ in authors) + ") ORDER BY id",
                (fixer, issue[0]["assignee"], *sorted(authors)),
            )
            if g.is_person(p["reporter"])
        ][:20]
        if not decoys:
            continue
        other = g.rng.choice(decoys)
        ask = g.pick(
            f"A pull request fixed the issue {g.title(issue[0])}. Assign the issue to whoever opened that pull request.",
            f"Credit the fix: make the author of the pull request that closed {g.title(issue[0])} the issue's assignee.",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(issue[0]["summary"])}"'})
        read = Call("get_ticket", {"key": issue[0]["id"]})
        drafts.append(
            Draft(
                family="workflow",
                instruction=ask,
                gold=[
                    find,
                    read,
                    Call("get_ticket", {"key": pull[0]["id"]}),
                    Call("update_ticket", {"key": issue[0]["id"], "assignee": fixer}),
                ],
                wrong=[
                    find,
                    read,
                    Call("get_ticket", {"key": other["id"]}),
                    Call("update_ticket", {"key": issue[0]["id"], "assignee": other["reporter"]}),
                ],
                checks=[],
                evidence=[
                    evidence("ticket", pull[0]["id"], f"closes {issue[0]['id']}"),
                    evidence("person", fixer, "opened the pull request"),
                ],
                entity=issue[0]["id"],
                persona=persona,
                hops=3,
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Workflow drafts, about ``budget``."""
    share = max(1, budget // 3)
    drafts = _hand_over(g, share) + _escalate(g, share) + _link(g, share)
    # What a Jira workspace fills with the three above, a GitHub one (no priorities, link types or
    # long-open work) fills with these; each still gets a tenth where both kinds of data are there.
    rest = max(1, budget // 10, (budget - len(drafts)) // 2)
    return drafts + _close_as_duplicate(g, rest) + _assign_to_fixer(g, rest)
