"""replay: cut the world just before a real event and ask for what the real person did.

Each task's cutoff is one second before the event, its persona the person who did it, and its
checks compare with what really happened:

* close out after a fix: a commit cited a ticket, then the ticket was resolved (its status
  history, or its resolution date where the tracker kept no history). The ticket must end with
  the real resolution and a status the project resolves tickets with (or, with history, the
  real next status);
* close the issue a pull request fixes: a GitHub pull request said "Fixes #N", and when it was
  merged the issue was closed; the issue must end closed;
* point to a record in a comment: a real comment on a ticket cited another ticket or a commit;
  the new comment must reference the same record (through the link extractor);
* answer in chat: a question in a channel was answered by someone else with a reference to a
  ticket or document; the reply must reference it;
* reply to mail: a real reply cited a ticket; the new reply (to the same message) must too.

The plausible-wrong agent does the same on the most similar other ticket, or cites another
record. Where the instruction names the target, it does so by title, never by id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from workgym.tasks.families.base import Draft, Gen, before, evidence, one_line
from workgym.tasks.model import Call, Check, Evidence


def _done_statuses(g: Gen, project: str) -> list[str]:
    return [
        r["status"]
        for r in g.rows(
            "SELECT status, COUNT(*) AS n FROM main.ticket WHERE project = ? AND resolution != '' GROUP BY 1 "
            "HAVING n >= 3 ORDER BY n DESC, 1",
            (project,),
        )
    ]


def _close_out(g: Gen, budget: int) -> list[Draft]:
    """A commit cited a ticket; then the ticket was resolved or moved on."""
    drafts: list[Draft] = []
    done_in: dict[str, list[str]] = {}  # a project's done statuses (the stored base: asked once each)
    cited = g.rows(
        'SELECT MIN(r.dst_id) AS ticket, c.id AS sha, c.message, c.committed FROM main.ref r JOIN main."commit" c '
        "ON c.id = r.src_id WHERE r.src_kind = 'commit' AND r.dst_kind = 'ticket' AND r.dst_id IS NOT NULL "
        "GROUP BY c.id HAVING COUNT(DISTINCT r.dst_id) = 1 ORDER BY c.id"
    )
    for ref in g.sample(cited, budget * 4):
        if len(drafts) >= budget:
            break
        t = g.rows("SELECT * FROM main.ticket WHERE id = ?", (ref["ticket"],))[0]
        event = g.rows(
            "SELECT author, created, from_value, to_value FROM main.ticket_event WHERE ticket_id = ? AND field = 'status' "
            "AND created > ? ORDER BY created LIMIT 1",
            (t["id"], ref["committed"]),
        )
        has_history = bool(
            g.rows(
                "SELECT 1 FROM main.ticket_event WHERE ticket_id = ? AND field = 'status' LIMIT 1", (t["id"],)
            )
        )
        if event:
            when, persona, want = event[0]["created"], event[0]["author"], {"status": event[0]["to_value"]}
            gold_args = {"status": event[0]["to_value"]}
        elif not has_history and t["resolved"] > ref["committed"] and t["resolution"]:
            if t["project"] not in done_in:
                done_in[t["project"]] = _done_statuses(g, t["project"])
            done = list(done_in[t["project"]])
            if t["status"] not in done:
                continue
            when, persona = t["resolved"], t["assignee"]
            want = {"resolution": t["resolution"], "status": {"any": done}}
            gold_args = {"status": t["status"], "resolution": t["resolution"]}
        else:
            continue
        if not g.is_person(persona) or _days(ref["committed"], when) > 30 or not g.title(t):
            continue
        cutoff = before(when)
        other = next(
            (
                d
                for d in g.similar_tickets(t["id"], t["summary"])
                if d["created"] < cutoff and (d["resolved"] == "" or d["resolved"] > cutoff)
            ),
            None,
        )
        named = g.commit(ref["sha"])
        if other is None or named is None:
            continue
        name, find = named
        ask = g.pick(
            f"{name[0].upper()}{name[1:]} has landed. Update the ticket it addresses the way it should be now.",
            f"{name[0].upper()}{name[1:]} was just committed. Bring the ticket it fixes up to date.",
        )
        drafts.append(
            Draft(
                family="replay",
                instruction=ask,
                gold=[*find, Call("update_ticket", {"key": t["id"], **gold_args})],
                wrong=[*find, Call("update_ticket", {"key": other["id"], **gold_args})],
                checks=[Check(kind="changes", table="ticket", op="updated", key=t["id"], fields=want)],
                evidence=[
                    evidence("commit", ref["sha"], f"cites {t['id']}, {ref['committed'][:10]}"),
                    evidence(
                        "ticket",
                        t["id"],
                        f"{', '.join(f'{k} {v}' for k, v in gold_args.items())} at {when[:16]}",
                    ),
                ],
                entity=t["id"],
                cutoff=cutoff,
                persona=persona,
                hops=2,
                derive_changes=False,
            )
        )
    return drafts


def _close_by_pull(g: Gen, budget: int) -> list[Draft]:
    """A GitHub pull request closed an issue ("Fixes #N"); the issue was closed as it was merged."""
    drafts: list[Draft] = []
    closes = g.rows(
        "SELECT r.dst_id AS issue, r.src_id AS pull, m.created AS merged, c.created AS closed, c.author "
        "FROM main.ref r JOIN main.ticket_event m ON m.ticket_id = r.src_id AND m.field = 'status' "
        "AND m.to_value = 'merged' JOIN main.ticket_event c ON c.ticket_id = r.dst_id AND c.field = 'status' "
        "AND c.to_value = 'closed' WHERE r.src_kind = 'ticket' AND r.ref_kind = 'closes' AND r.dst_id IS NOT NULL "
        "GROUP BY r.dst_id HAVING COUNT(DISTINCT r.src_id) = 1 ORDER BY r.dst_id"
    )
    for ref in g.sample(closes, budget * 4):
        if len(drafts) >= budget:
            break
        if not (0 <= _days(ref["merged"], ref["closed"]) <= 1) or not g.is_person(ref["author"]):
            continue
        issue = g.rows("SELECT * FROM main.ticket WHERE id = ?", (ref["issue"],))[0]
        pull = g.rows("SELECT * FROM main.ticket WHERE id = ?", (ref["pull"],))[0]
        if issue["type"] != "issue" or not g.title(pull) or issue["created"] >= ref["closed"]:
            continue
        cutoff = before(ref["closed"])
        other = next(
            (
                d
                for d in g.similar_tickets(issue["id"], issue["summary"])
                if d["created"] < cutoff
                and (d["resolved"] == "" or d["resolved"] > cutoff)
                and d["id"] != pull["id"]
            ),
            None,
        )
        if other is None:
            continue
        find = [
            Call("search_tickets", {"jql": f'summary ~ "{g.words(pull["summary"])}"'}),
            Call("get_ticket", {"key": pull["id"]}),
        ]
        ask = g.pick(
            f"The pull request {g.title(pull)} is landing now. Update the issue it fixes the way it should be.",
            f"You are merging the pull request {g.title(pull)}. Bring the issue it resolves up to date.",
        )
        gold_args = {"status": "closed"}
        drafts.append(
            Draft(
                family="replay",
                instruction=ask,
                gold=[*find, Call("update_ticket", {"key": issue["id"], **gold_args})],
                wrong=[*find, Call("update_ticket", {"key": other["id"], **gold_args})],
                checks=[
                    Check(kind="changes", table="ticket", op="updated", key=issue["id"], fields=gold_args)
                ],
                evidence=[
                    evidence("ticket", pull["id"], f"closes {issue['id']}, merged {ref['merged'][:16]}"),
                    evidence("ticket", issue["id"], f"status closed at {ref['closed'][:16]}"),
                ],
                entity=issue["id"],
                cutoff=cutoff,
                persona=ref["author"],
                hops=2,
                derive_changes=False,
            )
        )
    return drafts


def _days(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 86400


def _comment(key: str, width: int, record: str) -> Call:
    return Call("comment_ticket", {"key": key, "body": f"See {record[:width]}."})


def _post(channel: str, as_link: bool, record: str) -> Call:
    return Call(
        "post_message",
        {"channel": channel, "text": f"See [{record}]({record})" if as_link else f"See {record}"},
    )


def _reply(email_id: str, record: str) -> Call:
    return Call("send_email", {"reply_to": email_id, "body": f"This is tracked in {record}."})


def _citing(
    ask: str,
    find: Call,
    write: Callable[[str], Call],
    target: tuple[str, str],
    decoy: str,
    where: tuple[str, str, dict[str, str]],
    chain: list[Evidence],
    cutoff: str,
    persona: str,
) -> Draft:
    """A replay whose check is that the new text cites ``target`` as the real one did.

    ``write(record)`` makes the call that writes a text citing ``record``; the plausible-wrong
    agent cites ``decoy`` instead. ``where`` is (table, text field, the fields picking the row).
    """
    table, text_field, picks = where
    kind, dst = target
    return Draft(
        family="replay",
        instruction=ask,
        gold=[find, write(dst)],
        wrong=[find, write(decoy)],
        checks=[
            Check(kind="references", table=table, text_field=text_field, where=picks, required=((kind, dst),))
        ],
        evidence=chain,
        entity=dst,
        cutoff=cutoff,
        persona=persona,
        hops=2,
    )


def _cite_in_comment(g: Gen, budget: int) -> list[Draft]:
    """A real comment cited another ticket or a commit."""
    drafts: list[Draft] = []
    refs = g.rows(
        "SELECT r.src_id, MIN(r.dst_kind) AS kind, MIN(r.dst_id) AS dst, k.ticket_id, k.author, k.created FROM main.ref r "
        "JOIN main.ticket_comment k ON k.id = r.src_id WHERE r.src_kind = 'ticket_comment' AND r.dst_id IS NOT NULL "
        "AND r.dst_kind IN ('ticket', 'commit') AND k.created != '' GROUP BY r.src_id HAVING COUNT(DISTINCT r.dst_id) = 1 "
        "ORDER BY r.src_id"
    )
    for ref in g.sample(refs, budget * 3):
        if len(drafts) >= budget or not g.is_person(ref["author"]) or ref["dst"] == ref["ticket_id"]:
            continue
        cutoff = before(ref["created"])
        host = g.rows(
            "SELECT id, summary FROM main.ticket WHERE id = ? AND created <= ?", (ref["ticket_id"], cutoff)
        )
        if not host or not g.title(host[0]):
            continue
        if ref["kind"] == "ticket":
            target = g.rows(
                "SELECT id, summary FROM main.ticket WHERE id = ? AND created <= ?", (ref["dst"], cutoff)
            )
            if not target or not g.title(target[0]):
                continue
            decoys = [
                d
                for d in g.similar_tickets(ref["dst"], target[0]["summary"])
                if d["created"] <= cutoff and d["id"] != ref["ticket_id"]
            ]
            named = f"the ticket {g.title(target[0])}"
            find = Call("search_tickets", {"jql": f'summary ~ "{g.words(target[0]["summary"])}"'})
        else:
            target = g.rows(
                'SELECT id, message FROM main."commit" WHERE id = ? AND committed <= ?', (ref["dst"], cutoff)
            )
            named_commit = g.commit(ref["dst"])
            if not target or named_commit is None:
                continue
            decoys = g.rows(
                'SELECT id FROM main."commit" WHERE id != ? AND committed <= ? ORDER BY committed DESC LIMIT 5',
                (ref["dst"], cutoff),
            )
            named, (find, *_) = named_commit
        if not decoys:
            continue
        decoy = decoys[0]["id"]
        ask = g.pick(
            f"On {g.title(host[0])}, add a comment pointing people to {named}.",
            f"Comment on the ticket {g.title(host[0])} with a pointer to {named}.",
        )
        short = 40 if ref["kind"] == "ticket" else 10  # a ticket by its key, a commit by its short sha
        drafts.append(
            _citing(
                ask,
                find,
                partial(_comment, ref["ticket_id"], short),
                (ref["kind"], ref["dst"]),
                decoy,
                ("ticket_comment", "body", {"ticket_id": ref["ticket_id"], "author": ref["author"]}),
                [
                    evidence(
                        "ticket_comment",
                        ref["src_id"],
                        f"the real comment, {ref['created'][:16]}, cites {ref['dst']}",
                    ),
                    evidence(ref["kind"], ref["dst"], "cited"),
                ],
                cutoff,
                ref["author"],
            )
        )
    return drafts


def _answer_in_chat(g: Gen, budget: int) -> list[Draft]:
    """A question in a channel, answered within the hour by someone else citing a ticket or doc."""
    drafts: list[Draft] = []
    answers = g.rows(
        "SELECT m.id, m.channel_id, m.author, m.ts, MIN(r.dst_kind) AS kind, MIN(r.dst_id) AS dst FROM main.ref r "
        "JOIN main.message m ON m.id = r.src_id WHERE r.src_kind = 'message' AND r.dst_kind IN ('ticket', 'document') "
        "AND r.dst_id IS NOT NULL GROUP BY m.id HAVING COUNT(DISTINCT r.dst_id) = 1 ORDER BY m.id"
    )
    for a in g.sample(answers, budget * 3):
        if len(drafts) >= budget or not g.is_person(a["author"]):
            continue
        asked = g.rows(
            "SELECT m.id, m.author, m.text, c.name FROM main.message m JOIN main.channel c ON c.id = m.channel_id "
            "WHERE m.channel_id = ? AND m.ts < ? AND m.ts >= ? AND m.author != ? AND m.text LIKE '%?%' "
            "ORDER BY m.ts DESC LIMIT 1",
            (a["channel_id"], a["ts"], before(a["ts"], 3600), a["author"]),
        )
        if not asked or not g.is_person(asked[0]["author"]):
            continue
        q = asked[0]
        table, title = ("ticket", "summary") if a["kind"] == "ticket" else ("document", "title")
        target = g.rows(f'SELECT id, "{title}" AS title FROM main."{table}" WHERE id = ?', (a["dst"],))
        decoys = g.rows(f'SELECT id FROM main."{table}" WHERE id != ? ORDER BY id LIMIT 20', (a["dst"],))
        if not target or not decoys:
            continue
        decoy = g.rng.choice(decoys)["id"]
        question = one_line(q["text"])
        question = question if len(question) <= 140 else question[:140].rsplit(" ", 1)[0] + "…"
        noun = "ticket" if table == "ticket" else "document"
        ask = (
            f"In #{q['name']}, {g.name(q['author'])} asked: “{question}” Answer in the channel and point them to "
            f"the {noun} {g.quote(target[0]['title'])}."
        )
        channel = q["name"]
        drafts.append(
            _citing(
                ask,
                Call("read_channel", {"channel": channel}),
                partial(_post, channel, table != "ticket"),
                (table, a["dst"]),
                decoy,
                ("message", "text", {"channel_id": a["channel_id"], "author": a["author"]}),
                [
                    evidence("message", q["id"], "the question"),
                    evidence("message", a["id"], f"the real answer cites {a['dst']}"),
                    evidence(table, a["dst"], "cited"),
                ],
                before(a["ts"]),
                a["author"],
            )
        )
    return drafts


def _reply_to_mail(g: Gen, budget: int) -> list[Draft]:
    """A real reply cited a ticket."""
    drafts: list[Draft] = []
    replies = g.rows(
        "SELECT e.id, e.sender, e.date, e.in_reply_to, MIN(r.dst_id) AS dst FROM main.ref r JOIN main.email e ON e.id = r.src_id "
        "WHERE r.src_kind = 'email' AND r.dst_kind = 'ticket' AND r.dst_id IS NOT NULL AND e.in_reply_to != '' "
        "GROUP BY e.id HAVING COUNT(DISTINCT r.dst_id) = 1 ORDER BY e.id"
    )
    for r in g.sample(replies, budget * 3):
        if len(drafts) >= budget or not g.is_person(r["sender"]):
            continue
        orig = g.rows("SELECT id, sender, subject, body FROM main.email WHERE id = ?", (r["in_reply_to"],))
        target = g.rows("SELECT id, summary FROM main.ticket WHERE id = ?", (r["dst"],))
        if (
            not orig
            or not target
            or not g.title(target[0])
            or not g.is_person(orig[0]["sender"])
            or r["dst"] in orig[0]["body"]
        ):
            continue
        decoys = [
            d for d in g.similar_tickets(r["dst"], target[0]["summary"]) if d["id"] not in orig[0]["body"]
        ]
        if not decoys:
            continue
        o = orig[0]
        ask = g.pick(
            f"Reply to {g.name(o['sender'])}'s e-mail {g.quote(o['subject'])} and point them to the ticket "
            f"{g.title(target[0])}.",
            f"Answer {g.name(o['sender'])} on {g.quote(o['subject'])}: the ticket to follow is {g.title(target[0])}.",
        )
        drafts.append(
            _citing(
                ask,
                Call("search_mail", {"query": g.words(o["subject"])}),
                partial(_reply, o["id"]),
                ("ticket", r["dst"]),
                decoys[0]["id"],
                ("email", "body", {"in_reply_to": o["id"], "sender": r["sender"]}),
                [
                    evidence("email", o["id"], "the message answered"),
                    evidence("email", r["id"], f"the real reply cites {r['dst']}"),
                    evidence("ticket", r["dst"], "cited"),
                ],
                before(r["date"]),
                r["sender"],
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Replay drafts, about ``budget``, over the kinds of history the workspace has."""
    share = max(1, budget // 4)
    drafts = _close_out(g, share * 2) + _cite_in_comment(g, share * 2) + _close_by_pull(g, share)
    drafts += _answer_in_chat(g, share) + _reply_to_mail(g, share)
    return drafts
