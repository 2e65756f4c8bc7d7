"""lookup: one fact from one source, the record named by its title as people would name it.

Generators (each a question with one true answer, the record picked so its title is unique):

* who is assigned to / who reported a ticket, named by its summary (tracker);
* what priority a ticket has (tracker; the answer is one of the tracker's priorities);
* who wrote a commit, named by its subject line (code);
* who sent an e-mail, named by its subject (mail);
* who wrote a document, named by its title (docs).

The plausible-wrong agent does the same lookup on the most similar other record (most shared
words in the title) whose answer differs, and answers with that record's value.
"""

from __future__ import annotations

from collections import Counter

from workgym.tasks.families.base import Draft, Gen, evidence, submit
from workgym.tasks.model import Call, Check


def _ticket_people(g: Gen, budget: int) -> list[Draft]:
    drafts: list[Draft] = []
    rows = g.rows("SELECT id, summary, assignee, reporter FROM ticket WHERE summary != '' ORDER BY id")
    for t in g.sample(rows, budget * 3):
        if len(drafts) >= budget or not g.title(t):
            continue
        role = g.rng.choice(("assignee", "reporter"))
        person = t[role]
        if not g.is_person(person):
            continue
        other = g.decoy_ticket(t, role)
        if other is None:
            continue
        title = g.title(t)
        if role == "assignee":
            ask = g.pick(
                f"Who is assigned to the ticket {title}?",
                f"Who's working on {title}?",
                f"Which person owns the ticket {title} right now?",
            )
        else:
            ask = g.pick(
                f"Who reported {title}?",
                f"Who filed the ticket {title}?",
                f"Who opened the ticket about {title}?",
            )
        search = Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'})
        drafts.append(
            Draft(
                family="lookup",
                instruction=ask,
                gold=[search, Call("get_ticket", {"key": t["id"]}), submit(g.name(person))],
                wrong=[search, Call("get_ticket", {"key": other["id"]}), submit(g.name(other[role]))],
                checks=[g.answer_person(person)],
                evidence=[
                    evidence("ticket", t["id"], f"its {role} is {person}"),
                    evidence("person", person, role),
                ],
                entity=person,
            )
        )
    return drafts


def _ticket_priority(g: Gen, budget: int) -> list[Draft]:
    priorities = g.facts.priorities
    if len(priorities) < 2:
        return []
    drafts: list[Draft] = []
    rows = g.rows(
        "SELECT id, summary, priority FROM ticket WHERE priority != '' AND summary != '' ORDER BY id"
    )
    for t in g.sample(rows, budget * 3):
        if len(drafts) >= budget or not g.title(t):
            continue
        other = next(
            (d for d in g.similar_tickets(t["id"], t["summary"]) if d["priority"] not in ("", t["priority"])),
            None,
        )
        if other is None:
            continue
        title = g.title(t)
        ask = g.pick(
            f"What priority does {title} have?", f"How urgent is {title} marked — what's its priority?"
        )
        search = Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'})
        drafts.append(
            Draft(
                family="lookup",
                instruction=ask,
                gold=[search, Call("get_ticket", {"key": t["id"]}), submit(t["priority"])],
                wrong=[search, Call("get_ticket", {"key": other["id"]}), submit(other["priority"])],
                checks=[Check(kind="answer", match="value", expected=t["priority"], choices=priorities)],
                evidence=[evidence("ticket", t["id"], f"priority {t['priority']}")],
                entity=t["id"],
            )
        )
    return drafts


def _authors(g: Gen, budget: int, table: str, title: str, who: str, ask: tuple[str, ...]) -> list[Draft]:
    """Who wrote a commit / sent an e-mail / wrote a document, the record named by its title."""
    drafts: list[Draft] = []
    rows = g.rows(
        f'SELECT id, "{title}" AS title, "{who}" AS who FROM "{table}" WHERE "{who}" != \'\' ORDER BY id'
    )
    by_author: dict[str, list[str]] = {}
    for r in rows:
        by_author.setdefault(r["who"], []).append(r["id"])
    # Counted and split once, not once per candidate: the same answers, in linear time.
    heads = Counter(x["title"].split("\n", 1)[0].strip() for x in rows)
    people = [(x, set(x["title"].lower().split())) for x in rows if g.is_person(x["who"])]
    for r in g.sample(rows, budget * 3):
        head = r["title"].split("\n", 1)[0].strip()
        if len(drafts) >= budget or len(head) < 12 or not g.is_person(r["who"]):
            continue
        if heads[head] != 1:
            continue
        others = [(x, said) for x, said in people if x["who"] != r["who"]]
        if not others:
            continue
        words = set(g.words(head, 8).lower().split())
        other = max(others, key=lambda o: (len(words & o[1]), o[0]["id"]))[0]
        read, arg = {
            "commit": ("get_commit", "sha"),
            "email": ("read_email_thread", "email_id"),
            "document": ("read_doc", "doc"),
        }[table]
        search = {
            "commit": Call("search_commits", {"query": g.words(head)}),
            "email": Call("search_mail", {"query": g.words(head)}),
            "document": Call("search_docs", {"query": g.words(head)}),
        }[table]
        text = g.rng.choice(ask).format(title=g.quote(head))
        drafts.append(
            Draft(
                family="lookup",
                instruction=text,
                gold=[search, Call(read, {arg: r["id"]}), submit(g.name(r["who"]))],
                wrong=[search, Call(read, {arg: other["id"]}), submit(g.name(other["who"]))],
                checks=[g.answer_person(r["who"])],
                evidence=[evidence(table, r["id"], f"{who} {r['who']}"), evidence("person", r["who"], who)],
                entity=r["who"],
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Lookup drafts, about ``budget`` of them, spread over the record kinds the workspace has."""
    share = max(1, budget // 5)
    drafts = _ticket_people(g, share * 2) + _ticket_priority(g, share)
    drafts += _authors(
        g,
        share,
        "commit",
        "message",
        "author",
        ("Who wrote the commit {title}?", "Whose commit is {title}?", "Who authored the change {title}?"),
    )
    drafts += _authors(
        g,
        share // 2 + 1,
        "email",
        "subject",
        "sender",
        ("Who sent the e-mail {title}?", "Who wrote the mail with the subject {title}?"),
    )
    drafts += _authors(
        g,
        share // 2 + 1,
        "document",
        "title",
        "author",
        ("Who wrote the document {title}?", "Who is the author of {title}?"),
    )
    return drafts
