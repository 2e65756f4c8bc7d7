"""aggregate: counts and sets under filters, the answer computed over the episode's own views.

Generators:

* how many tickets of a type a person reported in a project in a month (a number);
* how many the reporter of a named ticket filed in its project in that month (a number, 2 hops:
  find the ticket, then count its reporter's);
* which open tickets of a project a person is assigned (a set of keys, at most 8);
* how many commits a person made in a month (a number).

The plausible-wrong agent answers the same question for a neighbouring filter (another month,
another person) whose answer differs.
"""

from __future__ import annotations

from workgym.tasks.families.base import OPEN_STATUSES as _OPEN
from workgym.tasks.families.base import Draft, Gen, evidence, submit
from workgym.tasks.model import Call, Check


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _number(value: int) -> Check:
    return Check(kind="answer", match="number", expected=value)


def _reported(g: Gen, budget: int, via_ticket: bool) -> list[Draft]:
    drafts: list[Draft] = []
    groups = g.rows(
        "SELECT project, type, reporter, substr(created, 1, 7) AS month, COUNT(*) AS n, "
        "group_concat(id, ' ') AS keys FROM ticket "
        "WHERE reporter != '' AND type != '' AND created != '' GROUP BY 1, 2, 3, 4 HAVING n BETWEEN 1 AND 12 "
        "ORDER BY 1, 2, 3, 4"
    )
    counts = {(r["project"], r["type"], r["reporter"], r["month"]): r["n"] for r in groups}
    for r in g.sample(groups, budget * 3):
        if len(drafts) >= budget or not g.is_person(r["reporter"]):
            continue
        label, first, nxt = g.month(r["month"] + "-01")
        y, m = int(r["month"][:4]), int(r["month"][5:7])
        prev = f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"
        wrong_n = counts.get((r["project"], r["type"], r["reporter"], prev), 0)
        if wrong_n == r["n"]:
            continue
        who = g.name(r["reporter"])
        kind = r["type"].lower()
        plural = _plural(kind)
        jql = (
            f'project = {r["project"]} AND reporter = "{who}" AND type = "{r["type"]}" '
            f"AND created >= {first} AND created < {nxt}"
        )
        _, pfirst, _ = g.month(prev + "-01")
        wrong_jql = jql.replace(
            f"created >= {first} AND created < {nxt}", f"created >= {pfirst} AND created < {first}"
        )
        gold = [Call("search_tickets", {"jql": jql}), submit(str(r["n"]))]
        wrong = [Call("search_tickets", {"jql": wrong_jql}), submit(str(wrong_n))]
        counted = sorted(r["keys"].split())
        chain = [evidence("person", r["reporter"], "reporter")]
        chain += [evidence("ticket", k, f"a {kind} reported in {label}") for k in counted]
        hops = 1
        if via_ticket:
            named = g.rows(
                "SELECT id, summary FROM ticket WHERE reporter = ? AND project = ? AND substr(created, 1, 7) = ? "
                "ORDER BY id LIMIT 1",
                (r["reporter"], r["project"], r["month"]),
            )
            if not named or not g.title(named[0]):
                continue
            t = named[0]
            title = g.title(t) or ""
            # A title that already says its project ("… in OPS") is not followed by "in OPS" again.
            where = "there" if f" in {r['project']}" in title.rsplit("”", 1)[-1] else f"in {r['project']}"
            ask = g.pick(
                f"How many {plural} did the reporter of {title} file {where} in {label}?",
                f"Whoever reported {title}: how many {plural} did they open {where} during {label}?",
            )
            find = [
                Call("search_tickets", {"jql": f'summary ~ "{g.words(t["summary"])}"'}),
                Call("get_ticket", {"key": t["id"]}),
            ]
            gold, wrong = find + gold, find + wrong
            chain.insert(0, evidence("ticket", t["id"], f"reported by {r['reporter']}"))
            hops = 2
        else:
            ask = g.pick(
                f"How many {plural} did {who} report in {r['project']} in {label}?",
                f"Count the {plural} {who} filed in {r['project']} during {label}.",
            )
        drafts.append(
            Draft(
                family="aggregate",
                instruction=ask,
                gold=gold,
                wrong=wrong,
                checks=[_number(r["n"])],
                evidence=chain,
                entity=r["reporter"],
                hops=hops,
            )
        )
    return drafts


def _open_set(g: Gen, budget: int) -> list[Draft]:
    drafts: list[Draft] = []
    rows = g.open_tickets_by_assignee(8)
    by_project: dict[str, list[tuple[str, list[str]]]] = {}
    for r in rows:
        by_project.setdefault(r["project"], []).append((r["assignee"], sorted(r["keys"].split())))
    for r in g.sample(rows, budget * 3):
        if len(drafts) >= budget or not g.is_person(r["assignee"]):
            continue
        keys = sorted(r["keys"].split())
        others = [(p, k) for p, k in by_project[r["project"]] if p != r["assignee"] and g.is_person(p)]
        if not others:
            continue
        other, other_keys = g.rng.choice(others)
        who = g.name(r["assignee"])
        statuses = ", ".join(f'"{s}"' for s in _OPEN)
        jql = f'project = {r["project"]} AND assignee = "{who}" AND status in ({statuses})'
        ask = g.pick(
            f"Which open {r['project']} tickets are assigned to {who}? Give their keys.",
            f"List the keys of the {r['project']} tickets {who} still has open.",
        )
        drafts.append(
            Draft(
                family="aggregate",
                instruction=ask,
                gold=[Call("search_tickets", {"jql": jql}), submit(", ".join(keys))],
                wrong=[
                    Call("search_tickets", {"jql": jql.replace(who, g.name(other))}),
                    submit(", ".join(other_keys)),
                ],
                checks=[Check(kind="answer", match="set", expected=keys)],
                evidence=[
                    evidence("person", r["assignee"], "assignee"),
                    *(evidence("ticket", k, "open, assigned") for k in keys),
                ],
                entity=r["assignee"],
            )
        )
    return drafts


def _commits(g: Gen, budget: int) -> list[Draft]:
    drafts: list[Draft] = []
    rows = g.rows(
        "SELECT author, substr(committed, 1, 7) AS month, COUNT(*) AS n, group_concat(id, ' ') AS ids "
        "FROM \"commit\" WHERE author != '' "
        "AND committed != '' GROUP BY 1, 2 HAVING n BETWEEN 1 AND 15 ORDER BY 1, 2"
    )
    counts = {(r["author"], r["month"]): r["n"] for r in rows}
    for r in g.sample(rows, budget * 3):
        if len(drafts) >= budget or not g.is_person(r["author"]):
            continue
        label, first, nxt = g.month(r["month"] + "-01")
        y, m = int(r["month"][:4]), int(r["month"][5:7])
        prev = f"{y - (m == 1):04d}-{(m - 2) % 12 + 1:02d}"
        wrong_n = counts.get((r["author"], prev), 0)
        if wrong_n == r["n"]:
            continue
        who = g.name(r["author"])
        _, pfirst, _ = g.month(prev + "-01")
        search = {"author": who, "after": f"{first}T00:00:00Z", "before": f"{nxt}T00:00:00Z"}
        ask = g.pick(
            f"How many commits did {who} make in {label}?", f"In {label}, how many commits did {who} author?"
        )
        drafts.append(
            Draft(
                family="aggregate",
                instruction=ask,
                gold=[Call("search_commits", search), submit(str(r["n"]))],
                wrong=[
                    Call(
                        "search_commits",
                        {**search, "after": f"{pfirst}T00:00:00Z", "before": f"{first}T00:00:00Z"},
                    ),
                    submit(str(wrong_n)),
                ],
                checks=[_number(r["n"])],
                evidence=[
                    evidence("person", r["author"], "author"),
                    *(evidence("commit", c, f"committed in {label}") for c in sorted(r["ids"].split())),
                ],
                entity=r["author"],
            )
        )
    return drafts


def generate(g: Gen, budget: int) -> list[Draft]:
    """Aggregate drafts, about ``budget``."""
    share = max(1, budget // 4)
    return _reported(g, share, False) + _reported(g, share, True) + _open_set(g, share) + _commits(g, share)
