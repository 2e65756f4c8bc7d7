"""chain: follow references across sources to an answer, 2 to 4 hops, from the workspace's ref graph.

Generators (every hop a resolved reference in the ``ref`` table, the first record named by its
title, the answer a person):

* commit -> ticket -> reporter or assignee ("who reported the ticket the commit … fixes?");
* chat message -> ticket -> assignee; e-mail -> ticket -> assignee;
* ticket -> document -> author ("who wrote the doc linked from …?");
* commit -> ticket -> document -> author (3 hops);
* ticket comment -> pull request (its merge commit) -> who merged it;
* GitHub issue -> the pull request that closed it ("Fixes #N") -> who opened or merged it.

A start record that references more than one record of the next kind is skipped: the question
would have two answers. The plausible-wrong agent takes the most similar other ticket (or the
other record the same start names) and answers from there.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter

from workgym.tasks.families.base import Draft, Gen, evidence, submit
from workgym.tasks.model import Call

_KEY = re.compile(r"\b[A-Z][A-Z0-9_]+-[0-9]+\b")


def _single_refs(g: Gen, src_kind: str, dst_kind: str, ref_kinds: tuple[str, ...] = ()) -> list[sqlite3.Row]:
    """(src_id, dst_id) of sources that reference exactly one record of ``dst_kind``."""
    kinds = " AND ref_kind IN (" + ", ".join("?" for _ in ref_kinds) + ")" if ref_kinds else ""
    return g.rows(
        "SELECT src_id, MIN(dst_id) AS dst_id FROM main.ref WHERE src_kind = ? AND dst_kind = ? "
        f"AND dst_id IS NOT NULL{kinds} GROUP BY src_id HAVING COUNT(DISTINCT dst_id) = 1 ORDER BY src_id",
        (src_kind, dst_kind, *ref_kinds),
    )


def _ticket(g: Gen, key: str) -> sqlite3.Row | None:
    found = g.rows("SELECT * FROM ticket WHERE id = ?", (key,))
    return found[0] if found else None


def _via_ticket(g: Gen, budget: int, src_kind: str) -> list[Draft]:
    """<record> -> ticket -> person (reporter or assignee)."""
    drafts: list[Draft] = []
    for ref in g.sample(_single_refs(g, src_kind, "ticket"), budget * 3):
        if len(drafts) >= budget:
            break
        t = _ticket(g, ref["dst_id"])
        if t is None:
            continue
        role = "reporter" if src_kind == "commit" and g.rng.random() < 0.5 else "assignee"
        person = t[role]
        if not g.is_person(person):
            continue
        other = g.decoy_ticket(t, role)
        if other is None:
            continue
        start = _start(g, src_kind, ref["src_id"])
        if start is None:
            continue
        intro, find = start
        who = "reported" if role == "reporter" else "is assigned to"
        ask = g.pick(
            f"{intro} Who {who} that ticket?",
            f"{intro} Find the ticket it refers to: who {who} it?",
        )
        drafts.append(
            Draft(
                family="chain",
                instruction=ask,
                gold=[*find, Call("get_ticket", {"key": t["id"]}), submit(g.name(person))],
                wrong=[*find, Call("get_ticket", {"key": other["id"]}), submit(g.name(other[role]))],
                checks=[g.answer_person(person)],
                evidence=[
                    evidence(src_kind, ref["src_id"], f"references {t['id']}"),
                    evidence("ticket", t["id"], f"{role} {person}"),
                    evidence("person", person, role),
                ],
                entity=person,
                hops=2,
            )
        )
    return drafts


def _start(g: Gen, kind: str, record_id: str) -> tuple[str, list[Call]] | None:
    """How the instruction names the start record, and the gold calls that find and read it."""
    if kind == "commit":
        named = g.commit(record_id)
        if named is None:
            return None
        name, calls = named
        intro = g.pick(
            f"{name[0].upper()}{name[1:]} fixes a ticket.", f"{name[0].upper()}{name[1:]} mentions a ticket."
        )
        return intro, calls
    if kind == "message":
        row = g.rows(
            "SELECT m.text, m.author, m.ts, c.name FROM message m JOIN channel c ON c.id = m.channel_id WHERE m.id = ?",
            (record_id,),
        )
        if not row or not g.is_person(row[0]["author"]):
            return None
        m = row[0]
        words = g.words(m["text"], 3)
        if len(words) < 8:
            return None
        intro = f"On {m['ts'][:10]}, {g.name(m['author'])} brought up a ticket in #{m['name']} (“{words}” …)."
        search = Call("search_messages", {"query": words, "channel": m["name"]})
        return intro, [search, Call("read_thread", {"message_id": record_id})]
    if kind == "email":
        row = g.rows("SELECT subject, sender FROM email WHERE id = ?", (record_id,))
        if (
            not row
            or len(row[0]["subject"]) < 8
            or not g.is_person(row[0]["sender"])
            or _KEY.search(row[0]["subject"])
        ):
            return None
        e = row[0]
        intro = f"{g.name(e['sender'])}'s e-mail {g.quote(e['subject'])} is about a ticket."
        search = Call("search_mail", {"query": g.words(e["subject"])})
        return intro, [search, Call("read_email_thread", {"email_id": record_id})]
    return None


def _doc_author(g: Gen, budget: int, via_commit: bool) -> list[Draft]:
    """Ticket -> document -> author, or commit -> ticket -> document -> author."""
    drafts: list[Draft] = []
    docs = {r["src_id"]: r["dst_id"] for r in _single_refs(g, "ticket", "document")}
    starts = _single_refs(g, "commit", "ticket") if via_commit else [{"src_id": k, "dst_id": k} for k in docs]
    for ref in g.sample(starts, budget * 4):
        if len(drafts) >= budget:
            break
        key = ref["dst_id"]
        doc_id = docs.get(key)
        t = _ticket(g, key)
        if doc_id is None or t is None or not g.title(t):
            continue
        doc = g.rows("SELECT id, title, author FROM document WHERE id = ?", (doc_id,))
        if not doc or not g.is_person(doc[0]["author"]):
            continue
        author = doc[0]["author"]
        others = g.rows(
            "SELECT id, author FROM document WHERE id != ? AND author != ? AND author != '' ORDER BY id",
            (doc_id, author),
        )
        others = [o for o in others if g.is_person(o["author"])]
        if not others:
            continue
        other = g.rng.choice(others)
        gold = [Call("get_ticket", {"key": key}), Call("read_doc", {"doc": doc_id}), submit(g.name(author))]
        wrong = [
            Call("get_ticket", {"key": key}),
            Call("read_doc", {"doc": other["id"]}),
            submit(g.name(other["author"])),
        ]
        chain = [evidence("ticket", key, f"links {doc_id}"), evidence("document", doc_id, f"author {author}")]
        if via_commit:
            start = _start(g, "commit", ref["src_id"])
            if start is None:
                continue
            intro, find = start
            ask = f"{intro} Who wrote the document that ticket links to?"
            gold, wrong = [*find, *gold], [*find, *wrong]
            chain.insert(0, evidence("commit", ref["src_id"], f"references {key}"))
        else:
            ask = g.pick(
                f"Who wrote the document linked from the ticket {g.title(t)}?",
                f"The ticket {g.title(t)} points to a design doc. Who is its author?",
            )
            gold.insert(0, Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'}))
            wrong.insert(0, gold[0])
        drafts.append(
            Draft(
                family="chain",
                instruction=ask,
                gold=gold,
                wrong=wrong,
                checks=[g.answer_person(author)],
                evidence=[*chain, evidence("person", author, "author")],
                entity=author,
                hops=len(chain),
            )
        )
    return drafts


def _merged_by(g: Gen, budget: int) -> list[Draft]:
    """Ticket comment -> pull request (its merge commit) -> who merged it."""
    drafts: list[Draft] = []
    refs = _single_refs(g, "ticket_comment", "commit", ("pull_request",))
    for ref in g.sample(refs, budget * 3):
        if len(drafts) >= budget:
            break
        comment = g.rows("SELECT ticket_id, author FROM ticket_comment WHERE id = ?", (ref["src_id"],))
        commit = g.rows('SELECT id, author FROM "commit" WHERE id = ?', (ref["dst_id"],))
        if not comment or not commit or not g.is_person(commit[0]["author"]):
            continue
        t = _ticket(g, comment[0]["ticket_id"])
        if t is None or not g.title(t) or not g.is_person(comment[0]["author"]):
            continue
        merger = commit[0]["author"]
        if merger == comment[0]["author"]:
            continue  # the instruction names the commenter: it would name the answer
        others = g.rows(
            "SELECT id, author FROM \"commit\" WHERE author != ? AND message LIKE 'Merge pull request%' ORDER BY id LIMIT 50",
            (merger,),
        )
        others = [o for o in others if g.is_person(o["author"])]
        if not others:
            continue
        other = g.rng.choice(others)
        ask = g.pick(
            f"In the comments of {g.title(t)}, {g.name(comment[0]['author'])} links a pull request. "
            "Who merged it?",
            f"A comment by {g.name(comment[0]['author'])} on {g.title(t)} cites a pull request: "
            "whose commit merged it?",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'})
        read = Call("get_ticket", {"key": t["id"]})
        drafts.append(
            Draft(
                family="chain",
                instruction=ask,
                gold=[find, read, Call("get_commit", {"sha": ref["dst_id"]}), submit(g.name(merger))],
                wrong=[find, read, Call("get_commit", {"sha": other["id"]}), submit(g.name(other["author"]))],
                checks=[g.answer_person(merger)],
                evidence=[
                    evidence("ticket_comment", ref["src_id"], f"on {t['id']}, cites the pull request"),
                    evidence("commit", ref["dst_id"], f"merged by {merger}"),
                    evidence("person", merger, "merged it"),
                ],
                entity=merger,
                hops=2,
            )
        )
    return drafts


def _closed_by_pull(g: Gen, budget: int) -> list[Draft]:
    """GitHub issue -> the pull request that closed it -> who opened it, or who merged it."""
    drafts: list[Draft] = []
    closers = g.rows(
        "SELECT MIN(r.src_id) AS pull, r.dst_id AS issue FROM main.ref r JOIN main.ticket p ON p.id = r.src_id "
        "WHERE r.src_kind = 'ticket' AND r.ref_kind = 'closes' AND r.dst_id IS NOT NULL AND p.type = 'pull request' "
        "GROUP BY r.dst_id HAVING COUNT(DISTINCT r.src_id) = 1 ORDER BY r.dst_id"
    )
    merger_of = {
        r["ticket_id"]: r["author"]
        for r in g.rows(
            "SELECT ticket_id, author FROM main.ticket_event WHERE field = 'status' AND to_value = 'merged' "
            "AND author != '' ORDER BY ticket_id"
        )
    }
    # Who merged is worth asking only where merges are not all one person's (or one bot's): never
    # of the one who merges most (a merge queue such as bors), whose name would be a safe guess.
    counts = Counter(merger_of.values())
    usual = counts.most_common(1)[0][0] if counts else ""
    merges_vary = len({m for m in counts if g.is_person(m)}) >= 3
    pulls = {r["pull"]: r for r in closers}
    for ref in g.sample(closers, budget * 3):
        if len(drafts) >= budget:
            break
        issue, pull = _ticket(g, ref["issue"]), _ticket(g, ref["pull"])
        if issue is None or pull is None or issue["type"] != "issue" or not g.title(issue):
            continue
        merged = merges_vary and merger_of.get(pull["id"], usual) != usual and g.rng.random() < 0.5
        answer = merger_of[pull["id"]] if merged else pull["reporter"]
        if not g.is_person(answer) or answer == issue["reporter"]:
            continue  # the issue's reporter is named by reading it: no second hop needed
        role = "merged" if merged else "opened"
        decoys = [
            p
            for p in (_ticket(g, k) for k in sorted(pulls) if k != pull["id"])
            if p is not None
            and (merger_of.get(p["id"], "") if merged else p["reporter"]) not in ("", answer)
            and g.is_person(merger_of.get(p["id"], "") if merged else p["reporter"])
        ][:20]
        if not decoys:
            continue
        other = g.rng.choice(decoys)
        other_answer = merger_of[other["id"]] if merged else other["reporter"]
        ask = g.pick(
            f"The issue {g.title(issue)} was closed by a pull request. Who {role} that pull request?",
            f"Find the pull request that fixed the issue {g.title(issue)}: who {role} it?",
        )
        find = Call("search_tickets", {"jql": f'summary ~ "{g.words(issue["summary"])}"'})
        read = Call("get_ticket", {"key": issue["id"]})
        drafts.append(
            Draft(
                family="chain",
                instruction=ask,
                gold=[find, read, Call("get_ticket", {"key": pull["id"]}), submit(g.name(answer))],
                wrong=[find, read, Call("get_ticket", {"key": other["id"]}), submit(g.name(other_answer))],
                checks=[g.answer_person(answer)],
                evidence=[
                    evidence("ticket", pull["id"], f"closes {issue['id']}"),
                    evidence("ticket", pull["id"], f"{role} by {answer}"),
                    evidence("person", answer, f"{role} the pull request"),
                ],
                entity=answer,
                hops=2,
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Chain drafts, about ``budget``, over the reference kinds the workspace has."""
    share = max(1, budget // 5)
    drafts = (
        _via_ticket(g, share * 2, "commit")
        + _via_ticket(g, share, "message")
        + _via_ticket(g, share, "email")
    )
    drafts += _doc_author(g, share, via_commit=False) + _doc_author(g, share // 2 + 1, via_commit=True)
    drafts += _merged_by(g, share * 2)
    drafts += _closed_by_pull(g, share * 2)
    return drafts
