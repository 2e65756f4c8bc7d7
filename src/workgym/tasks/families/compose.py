"""compose: long tasks built from the other families' parts, across apps, under the workplace policy.

A composed task joins parts, each a piece of work another family asks alone (find a ticket by
what it is about, read it, reassign it, tell someone by mail, book a meeting, cite a commit, count
a person's tickets). Its gold is the parts' gold in order, its checks are the parts' checks, and
its plausible-wrong actions are the parts' gold with one part done the wrong way: the way an agent
that skips a rule, a hop or a look would do it. Gold solutions run 8 to 25 calls.

Generators:

* **handover** (tracker, mail, calendar; policy-bound): a person leaves a project. Find their open
  tickets there, read each, give each to the backup owner the policy names, e-mail each ticket's
  reporter (the new owner in cc) and book the handover meeting in the first free slot. Wrong: the
  tickets go to the other backup.
* **priority request** (tracker, mail; policy-bound): several tickets, each named by what it is
  about, must get a priority. Where the persona leads the project, they change it and comment why;
  elsewhere the policy forbids it: they e-mail the lead and comment that they asked. Wrong: the
  priority is changed directly everywhere; a priority changed and changed back still fails (the
  ticket's history keeps it: a ``forbids`` check).
* **cite commits** (fan-out, tracker and code): for each of several tickets, find the latest
  commit that mentions it and cite it in a comment on the ticket. Wrong: one ticket cites an
  older commit, or another ticket's.
* **deep chain** (4 hops, code and tracker): commit -> the ticket it names -> the one ticket that
  ticket links to -> its assignee -> how many open tickets they hold in that project. Wrong: the
  answer one hop short.

Tickets are named by their summaries or, where the draw asks for it (``distractors``), by a word
that several tickets' summaries share and one constraint (project, month filed, type, status) that
only the one meant meets: the agent must look at the candidates to tell them apart.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from workgym.tasks.families.base import _STOP, OPEN_STATUSES, Draft, Gen, evidence, submit
from workgym.tasks.model import Call, Check, Evidence
from workgym.tasks.policy import Policy, derive_policy, next_working_day
from workgym.world import Episode

_WORD = re.compile(r"[^\W\d_]\w{3,}")
_SLOT = re.compile(r"^\s+(\S+) – (\S+)$", re.M)


def _json_list(ids: Sequence[str]) -> str:
    return "[" + ",".join(f'"{i}"' for i in ids) + "]"


@dataclass
class Part:
    """A piece of a composed task: its gold, its wrong variant (default: the gold), checks, evidence."""

    gold: list[Call]
    checks: list[Check] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    wrong: list[Call] | None = None


def join(parts: Sequence[Part]) -> tuple[list[Call], list[Call], list[Check], list[Evidence]]:
    """The gold, wrong actions, checks and evidence of parts done in order."""
    gold = [c for p in parts for c in p.gold]
    wrong = [c for p in parts for c in (p.gold if p.wrong is None else p.wrong)]
    checks = [c for p in parts for c in p.checks]
    seen: set[tuple[str, str]] = set()
    found: list[Evidence] = []
    for p in parts:
        for e in p.evidence:
            if (e.kind, e.id) not in seen:
                seen.add((e.kind, e.id))
                found.append(e)
    return gold, wrong, checks, found


def _composed(
    parts: Sequence[Part],
    ask: str,
    *,
    entity: str,
    persona: str,
    hops: int,
    policy: str,
    distractors: int = 1,
) -> Draft:
    """The draft of parts done in order under the policy (its state checks are the parts' own)."""
    gold, wrong, checks, found = join(parts)
    return Draft(
        family="compose",
        instruction=ask,
        gold=gold,
        wrong=wrong,
        checks=checks,
        evidence=found,
        entity=entity,
        persona=persona,
        hops=hops,
        distractors=distractors,
        derive_changes=False,
        policy=policy,
    )


class _Context:
    """What the generators share within one run: the policy, a word index of summaries, episodes."""

    def __init__(self, g: Gen) -> None:
        self.g = g
        self.policy: Policy = derive_policy(g.world, g.is_person)
        self.tickets: dict[str, sqlite3.Row] = {
            r["id"]: r
            for r in g.rows(
                "SELECT id, project, summary, status, type, priority, reporter, assignee, created FROM ticket ORDER BY id"
            )
        }
        self.by_word: dict[str, list[str]] = defaultdict(list)
        for key, t in self.tickets.items():
            for w in {w.lower() for w in _WORD.findall(t["summary"])} - _STOP:
                self.by_word[w].append(key)
        self._episodes: dict[str | None, Episode] = {}
        self._slots: dict[tuple[str, ...], tuple[Call, str, str] | None] = {}

    def close(self) -> None:
        for ep in self._episodes.values():
            ep.close()

    def slot(self, persona: str, attendees: list[str]) -> tuple[Call, str, str] | None:
        """The policy's meeting slot: the find_free_slot call, and the first slot's start and end."""
        asked = (persona, *attendees)
        if asked not in self._slots:
            self._slots[asked] = self._find_slot(persona, attendees)
        return self._slots[asked]

    def _find_slot(self, persona: str, attendees: list[str]) -> tuple[Call, str, str] | None:
        ep = self._episodes.get(persona)
        if ep is None:
            ep = self._episodes[persona] = self.g.world.episode(persona=persona)
        ep.reset(seed=0)
        call = Call(
            "find_free_slot",
            {"attendees": attendees, "duration_minutes": 30, "after": next_working_day(ep.now)},
        )
        found = _SLOT.search(ep.step(call.to_dict()).text)
        return (call, found[1], found[2]) if found else None

    def name_ticket(self, key: str) -> tuple[str, list[Call], int] | None:
        """How an instruction names a ticket, the calls that find and read it, and its distractors."""
        g, t = self.g, self.tickets[key]
        want = g.level.get("distractors", 0) or g.rng.choice((0, 0, 1, 2, 3, 4))
        read = Call("get_ticket", {"key": key})
        if want:
            found = self._ambiguous(t, want)
            if found is not None:
                phrase, word, others = found
                return phrase, [Call("search_tickets", {"jql": f'summary ~ "{word}"'}), read], others
        title = g.title(t)
        if title is None:
            return None
        return title, [Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'}), read], 1

    def _ambiguous(self, t: sqlite3.Row, want: int) -> tuple[str, str, int] | None:
        """A word several summaries share and a constraint only ``t`` meets among them."""
        words = sorted({w.lower() for w in _WORD.findall(t["summary"])} - _STOP)
        options = sorted(
            ((len(self.by_word[w]) - 1, w) for w in words if len(self.by_word[w]) - 1 >= want),
        )
        for others, w in options[:3]:
            if others > 12:  # past a page of search results the look is a paging exercise
                break
            rows = [self.tickets[k] for k in self.by_word[w]]
            label = self.g.month(t["created"])[0] if t["created"] else ""
            shown = f"“{w}”"
            constraints = (
                ("project", t["project"], f"the {t['project']} ticket whose summary mentions {shown}"),
                ("type", t["type"], f"the {t['type'].lower()} whose summary mentions {shown}"),
                (
                    "month",
                    t["created"][:7],
                    f"the ticket whose summary mentions {shown} and that was filed in {label}",
                ),
                (
                    "status",
                    t["status"],
                    f"the ticket whose summary mentions {shown} and that is {t['status']}",
                ),
            )
            for column, value, phrase in constraints:
                if not value:
                    continue
                have = [r for r in rows if (r["created"][:7] if column == "month" else r[column]) == value]
                if len(have) == 1:
                    return phrase, w, others
        return None


def _ticket_parts(cx: _Context, keys: Sequence[str]) -> tuple[list[str], list[Part], int] | None:
    """The names of tickets and the parts that find and read each; None when one cannot be named."""
    names, parts, most = [], [], 0
    for k in keys:
        named = cx.name_ticket(k)
        if named is None:
            return None
        phrase, calls, others = named
        names.append(phrase)
        parts.append(Part(calls, evidence=[evidence("ticket", k, "named in the instruction")]))
        most = max(most, others)
    if len(set(names)) != len(names):
        return None
    return names, parts, most


def _listing(items: Sequence[str]) -> str:
    """Names in a list; semicolons apart, since a ticket's name may hold a comma."""
    return items[0] if len(items) == 1 else "; ".join(items[:-1]) + "; and " + items[-1]


def _meeting(organizer: str, attendees: list[str], slot: tuple[Call, str, str], title: str) -> Part:
    """Find the policy's slot and book it: the event's organizer, attendees and times are checked."""
    free, start, end = slot
    invited = {"any": [_json_list(attendees), _json_list([*attendees, organizer])]}
    return Part(
        [
            free,
            Call(
                "create_event",
                {"title": title, "start": start, "duration_minutes": 30, "attendees": attendees},
            ),
        ],
        checks=[
            Check(
                kind="changes",
                table="calendar_event",
                op="inserted",
                fields={"organizer": organizer, "attendees": invited, "start": start, "end": end},
            )
        ],
    )


def _handover(cx: _Context, budget: int) -> list[Draft]:
    g, policy = cx.g, cx.policy
    marks = ", ".join("?" for _ in OPEN_STATUSES)
    groups = g.rows(
        f"SELECT project, assignee, group_concat(id, ' ') AS keys, COUNT(*) AS n FROM ticket "
        f"WHERE assignee != '' AND status IN ({marks}) GROUP BY 1, 2 HAVING n BETWEEN 2 AND 6 ORDER BY 1, 2",
        OPEN_STATUSES,
    )
    drafts: list[Draft] = []
    for r in g.sample(groups, len(groups)):
        if len(drafts) >= budget:
            break
        project, leaver = r["project"], r["assignee"]
        lead = policy.leads.get(project)
        taker = policy.successor(project, leaver)
        backups = [b for b in policy.backups.get(project, ()) if b != leaver]
        if lead is None or taker is None or lead == leaver or not g.is_person(leaver):
            continue
        wrong_taker = next((b for b in policy.backups.get(project, ()) if b not in (leaver, taker)), None)
        if wrong_taker is None:
            wrong_taker = next(
                (
                    t["assignee"]
                    for t in cx.tickets.values()
                    if t["project"] == project
                    and t["assignee"] not in ("", leaver, taker, lead)
                    and g.is_person(t["assignee"])
                ),
                None,
            )
        if wrong_taker is None or not backups:
            continue
        keys = sorted(r["keys"].split())
        statuses = ", ".join(f'"{s}"' for s in OPEN_STATUSES)
        find = Part(
            [
                Call(
                    "search_tickets",
                    {
                        "jql": f'project = {project} AND assignee = "{g.name(leaver)}" AND status in ({statuses})'
                    },
                ),
                *(Call("get_ticket", {"key": k}) for k in keys),
            ],
            evidence=[
                evidence("person", leaver, "leaving"),
                *(evidence("ticket", k, "open, theirs") for k in keys),
            ],
        )
        move = Part(
            [Call("update_ticket", {"key": k, "assignee": taker}) for k in keys],
            checks=[
                Check(kind="changes", table="ticket", op="updated", key=k, fields={"assignee": taker})
                for k in keys
            ],
            wrong=[Call("update_ticket", {"key": k, "assignee": wrong_taker}) for k in keys],
        )
        by_reporter: dict[str, list[str]] = defaultdict(list)
        for k in keys:
            rep = cx.tickets[k]["reporter"]
            if rep and rep not in (lead, taker) and rep in g.facts.people:
                by_reporter[rep].append(k)
        mails = []
        mail_checks = []
        for rep, theirs in sorted(by_reporter.items()):
            mails.append(
                Call(
                    "send_email",
                    {
                        "to": [rep],
                        "cc": [taker],
                        "subject": f"{project} handover: {', '.join(theirs)}",
                        "body": f"Hi {g.name(rep)}, {g.name(leaver)} is leaving {project}; "
                        f"{', '.join(theirs)} now go to {g.name(taker)}.",
                    },
                )
            )
            mail_checks.append(
                Check(
                    kind="references",
                    table="email",
                    where={"sender": lead, "to": _json_list([rep]), "cc": _json_list([taker])},
                    text_field="body",
                    required=tuple(("ticket", k) for k in theirs),
                )
            )
        tell = Part(
            mails,
            checks=mail_checks,
            evidence=[evidence("person", p, "reporter") for p in sorted(by_reporter)],
        )
        slot = cx.slot(lead, [leaver, taker])
        if slot is None:
            continue
        meet = _meeting(
            lead, [leaver, taker], slot, f"{project} handover: {g.name(leaver)} to {g.name(taker)}"
        )
        ask = g.pick(
            f"{g.name(leaver)} is leaving the {project} project. Do the handover of their open tickets "
            "there as our policy says.",
            f"{g.name(leaver)} moves off {project} at the end of the week: hand their open {project} "
            "tickets over the way the policy asks, and set up the handover meeting.",
            f"Please run the {project} handover for {g.name(leaver)}, who is leaving: every open ticket of "
            "theirs there, the mails and the meeting, by the book.",
        )
        drafts.append(
            _composed(
                [find, move, tell, meet],
                ask,
                entity=leaver,
                persona=lead,
                hops=3,
                policy=policy.text(["handover", "notify", "meeting"], [project], g.name),
            )
        )
    return drafts


def _priority(cx: _Context, budget: int) -> list[Draft]:
    g, policy = cx.g, cx.policy
    priorities = [p for p in g.facts.priorities if p.lower() not in ("none", "unset", "undefined", "-")]
    if len(priorities) < 2 or not policy.leads:
        return []
    people = sorted({t["assignee"] for t in cx.tickets.values() if g.is_person(t["assignee"])})
    # Drawn with rng.sample from a fixed pool: shuffling thousands of tickets per draft is the slow part.
    pool = sorted(x for x in cx.tickets if cx.tickets[x]["project"] in policy.leads)
    drafts: list[Draft] = []
    for _ in range(budget * 4):
        if len(drafts) >= budget or not people:
            break
        persona = g.rng.choice(people)
        k = g.rng.randint(max(2, g.level.get("min_actions", 0) // 3), 4)
        keys = sorted(g.rng.sample(pool, min(k, len(pool))))
        target = g.rng.choice(priorities)
        if len(keys) < 2 or any(cx.tickets[x]["priority"] == target for x in keys):
            continue
        led = [x for x in keys if policy.leads[cx.tickets[x]["project"]] == persona]
        asked = [x for x in keys if x not in led]
        if not asked:
            continue
        named = _ticket_parts(cx, keys)
        if named is None:
            continue
        names, finds, distractors = named
        reason = g.rng.choice(
            (
                "customers are hitting them in production",
                "they block the release",
                "support has escalations open on them",
            )
        )
        parts = list(finds)
        for x in led:
            parts.append(
                Part(
                    [
                        Call("update_ticket", {"key": x, "priority": target}),
                        Call("comment_ticket", {"key": x, "body": f"Priority set to {target}: {reason}."}),
                    ],
                    checks=[
                        Check(
                            kind="changes", table="ticket", op="updated", key=x, fields={"priority": target}
                        ),
                        Check(
                            kind="changes",
                            table="ticket_comment",
                            op="inserted",
                            fields={"ticket_id": x, "author": persona},
                        ),
                    ],
                )
            )
        by_lead: dict[str, list[str]] = defaultdict(list)
        for x in asked:
            by_lead[policy.leads[cx.tickets[x]["project"]]].append(x)
        booked = True
        for lead, theirs in sorted(by_lead.items()):
            slot = cx.slot(persona, [lead])
            if slot is None:
                booked = False
                break
            note = f"Please raise {', '.join(theirs)} to {target}: {reason}."
            parts.append(
                Part(
                    [
                        Call(
                            "send_email",
                            {
                                "to": [lead],
                                "subject": f"Priority {target} for {', '.join(theirs)}",
                                "body": note,
                            },
                        ),
                        *(
                            Call(
                                "comment_ticket",
                                {"key": x, "body": f"Asked {g.name(lead)} to raise this to {target}."},
                            )
                            for x in theirs
                        ),
                    ],
                    checks=[
                        Check(
                            kind="references",
                            table="email",
                            where={"sender": persona, "to": _json_list([lead])},
                            text_field="body",
                            required=tuple(("ticket", x) for x in theirs),
                        ),
                        *(
                            Check(
                                kind="changes",
                                table="ticket_comment",
                                op="inserted",
                                fields={"ticket_id": x, "author": persona},
                            )
                            for x in theirs
                        ),
                        Check(
                            kind="forbids",
                            table="ticket_event",
                            where={"field": "priority", "ticket_id": {"any": theirs}},
                        ),
                    ],
                    wrong=[
                        *(Call("update_ticket", {"key": x, "priority": target}) for x in theirs),
                        *(
                            Call("comment_ticket", {"key": x, "body": f"Priority set to {target}: {reason}."})
                            for x in theirs
                        ),
                    ],
                    evidence=[evidence("person", lead, "leads the project")],
                )
            )
            parts.append(_meeting(persona, [lead], slot, f"Priority review: {', '.join(theirs)}"))
        if not booked:
            continue
        ask = g.pick(
            f"These need priority {target} because {reason}: {_listing(names)}. Get it done within the policy.",
            f"Because {reason}, {_listing(names)} should be {target}. Handle it as the policy says.",
            f"Make sure {_listing(names)} end up at {target} — {reason}. Follow the policy on priorities.",
        )
        projects = {cx.tickets[x]["project"] for x in keys}
        drafts.append(
            _composed(
                parts,
                ask,
                entity=keys[0],
                persona=persona,
                hops=2,
                distractors=distractors,
                policy=policy.text(["priority"], projects, g.name),
            )
        )
    return drafts


def _commits_of(g: Gen) -> dict[str, list[tuple[str, str]]]:
    """Ticket -> (committed, sha) of every commit that names it, latest first."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in g.rows(
        'SELECT r.dst_id AS key, c.id AS sha, c.committed AS at FROM main.ref r JOIN "commit" c ON c.id = r.src_id '
        "WHERE r.src_kind = 'commit' AND r.dst_kind = 'ticket' AND r.dst_id IS NOT NULL ORDER BY 1, 3 DESC, 2"
    ):
        if (r["at"], r["sha"]) not in out[r["key"]]:
            out[r["key"]].append((r["at"], r["sha"]))
    return out


def _cite_commits(cx: _Context, budget: int) -> list[Draft]:
    g = cx.g
    commits = {k: v for k, v in _commits_of(g).items() if k in cx.tickets}
    ok = sorted(k for k, v in commits.items() if len(v) == 1 or v[0][0] != v[1][0])
    pool = [x for x in ok if cx.tickets[x]["project"] in cx.policy.leads]
    leads = set(cx.policy.leads.values())
    people = sorted(
        {
            t["assignee"]
            for t in cx.tickets.values()
            if g.is_person(t["assignee"]) and t["assignee"] not in leads
        }
    )
    drafts: list[Draft] = []
    for _ in range(budget * 4):
        if len(drafts) >= budget or len(pool) < 3 or not people:
            break
        k = g.rng.randint(max(3, g.level.get("min_actions", 0) // 4), 5)
        keys = sorted(g.rng.sample(pool, min(k, len(pool))))
        persona = g.rng.choice(people)
        named = _ticket_parts(cx, keys)
        if named is None:
            continue
        names, finds, distractors = named
        parts = []
        for x, part in zip(keys, finds, strict=True):
            sha = commits[x][0][1]
            # An older commit of the same ticket where it has one, else another ticket's latest.
            older = [sha_ for _, sha_ in commits[x][1:]]
            bad = older[-1] if older else next(commits[y][0][1] for y in keys if y != x)
            part.gold += [
                Call("search_commits", {"query": x}),
                Call("comment_ticket", {"key": x, "body": f"Latest commit: {sha}"}),
            ]
            part.checks.append(
                Check(
                    kind="references",
                    table="ticket_comment",
                    where={"ticket_id": x, "author": persona},
                    text_field="body",
                    required=(("commit", sha),),
                )
            )
            part.evidence.append(evidence("commit", sha, f"the latest commit naming {x}"))
            part.wrong = [
                *part.gold[:-1],
                Call("comment_ticket", {"key": x, "body": f"Latest commit: {bad}"}),
            ]
            parts.append(part)
        # The plausible-wrong agent slips on one ticket only: the others it does right.
        for p in parts[:-1]:
            p.wrong = None
        by_lead: dict[str, list[str]] = defaultdict(list)
        for x in keys:
            by_lead[cx.policy.leads[cx.tickets[x]["project"]]].append(x)
        for lead, theirs in sorted(by_lead.items()):
            found_shas = [(x, commits[x][0][1]) for x in theirs]
            body = "Latest commits: " + "; ".join(f"{x}: {sha}" for x, sha in found_shas) + "."
            parts.append(
                Part(
                    [
                        Call(
                            "send_email", {"to": [lead], "subject": "Latest commits of tickets", "body": body}
                        )
                    ],
                    checks=[
                        Check(
                            kind="references",
                            table="email",
                            where={"sender": persona, "to": _json_list([lead])},
                            text_field="body",
                            required=tuple(
                                r for x, sha in found_shas for r in (("ticket", x), ("commit", sha))
                            ),
                        )
                    ],
                    evidence=[evidence("person", lead, "leads the project")],
                )
            )
        ask = g.pick(
            f"For each of these tickets, find the most recent commit that mentions it and cite that commit "
            f"(its sha) in a comment on the ticket, then report as the policy says: {_listing(names)}.",
            f"Go through {_listing(names)}: on each, leave a comment with the sha of the latest commit that "
            "refers to it, and report back the way the policy asks.",
            f"Which commit last touched each of these? {_listing(names)}. Note it (the sha) in a comment "
            "on each ticket and send the summary the policy calls for.",
        )
        drafts.append(
            _composed(
                parts,
                ask,
                entity=keys[0],
                persona=persona,
                hops=2,
                distractors=distractors,
                policy=cx.policy.text(["report"], {cx.tickets[x]["project"] for x in keys}, g.name),
            )
        )
    return drafts


def _open_count(cx: _Context, person: str, project: str) -> int:
    return sum(
        1
        for t in cx.tickets.values()
        if t["assignee"] == person and t["project"] == project and t["status"] in OPEN_STATUSES
    )


def _deep_chain(cx: _Context, budget: int) -> list[Draft]:
    g = cx.g
    links: dict[str, set[str]] = defaultdict(set)
    for r in g.rows("SELECT ticket_id, other_id FROM ticket_link WHERE other_id != ticket_id"):
        if r["other_id"] in cx.tickets:
            links[r["ticket_id"]].add(r["other_id"])
    starts = g.rows(
        "SELECT src_id, MIN(dst_id) AS dst_id FROM main.ref WHERE src_kind = 'commit' AND dst_kind = 'ticket' "
        "AND dst_id IS NOT NULL GROUP BY src_id HAVING COUNT(DISTINCT dst_id) = 1 ORDER BY src_id"
    )
    drafts: list[Draft] = []
    for ref in g.sample(starts, budget * 6):
        if len(drafts) >= budget:
            break
        first = ref["dst_id"]
        if len(links.get(first, ())) != 1 or first not in cx.tickets:
            continue
        second = next(iter(links[first]))
        t1, t2 = cx.tickets[first], cx.tickets[second]
        person, near = t2["assignee"], t1["assignee"]
        if not g.is_person(person) or not g.is_person(near) or person == near:
            continue
        n, wrong_n = _open_count(cx, person, t2["project"]), _open_count(cx, near, t1["project"])
        named = g.commit(ref["src_id"])
        if named is None:
            continue
        intro, find = named
        statuses = ", ".join(f'"{s}"' for s in OPEN_STATUSES)
        count = Call(
            "search_tickets",
            {
                "jql": f'project = {t2["project"]} AND assignee = "{g.name(person)}" AND status in ({statuses})'
            },
        )
        near_count = Call(
            "search_tickets",
            {"jql": f'project = {t1["project"]} AND assignee = "{g.name(near)}" AND status in ({statuses})'},
        )
        ask = g.pick(
            f"{intro[0].upper()}{intro[1:]} names a ticket, and that ticket links to one other. Who is assigned "
            "to the linked ticket, and how many open tickets do they have in its project? Give the name and "
            "the number.",
            f"Start from {intro}: follow it to the ticket it mentions, then to the ticket linked from there. "
            "Name that ticket's assignee and say how many open tickets they hold in that project.",
        )
        drafts.append(
            Draft(
                family="compose",
                instruction=ask,
                gold=[
                    *find,
                    Call("get_ticket", {"key": first}),
                    Call("get_ticket", {"key": second}),
                    count,
                    submit(f"{g.name(person)}: {n}"),
                ],
                wrong=[
                    *find,
                    Call("get_ticket", {"key": first}),
                    near_count,
                    submit(f"{g.name(near)}: {wrong_n}"),
                ],
                checks=[g.answer_person(person), Check(kind="answer", match="number", expected=n)],
                evidence=[
                    evidence("commit", ref["src_id"], f"names {first}"),
                    evidence("ticket", first, f"links {second}"),
                    evidence("ticket", second, f"assigned to {person}"),
                    evidence("person", person, f"{n} open in {t2['project']}"),
                ],
                entity=person,
                hops=4,
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Composed drafts, about ``budget``: handovers, priority requests, commit citations, deep chains."""
    cx = _Context(g)
    try:
        share = max(1, budget // 4)
        made = [
            _handover(cx, share),
            _priority(cx, share + share // 2),
            _cite_commits(cx, share),
            _deep_chain(cx, share // 2 + 1),
        ]
        # Interleaved, so that a run cut short keeps every generator's share.
        longest = max(len(m) for m in made)
        return [m[i] for i in range(longest) for m in made if i < len(m)]
    finally:
        cx.close()


__all__ = ["Part", "generate", "join"]
