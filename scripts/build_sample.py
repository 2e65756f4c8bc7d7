"""Generate the bundled sample workspace: a fictional company ("Acme Robotics") in real export formats.

Deterministic: a fixed seed, fixed dates, sorted output; running it twice gives byte-identical files.

    python scripts/build_sample.py [OUT_DIR]   # default: src/workgym/samples/acme

Everything here is invented. Planted personal data (phones, personal addresses, a street address,
an API key, an IP address, a Luhn-valid card number, an IBAN) is listed in MANIFEST.json so later
stages can check it is found and replaced.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

SEED = 20240301
START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday; the sample spans ~3 months
DAYS = 91
DOMAIN = "acme-robotics.io"
JIRA = "https://acme.atlassian.net/browse"
REPO = "acme/acme-api"

# (first, last, nickname, slack handle, jira user, title, phone, personal address, left?)
PEOPLE = [
    ("Robert", "King", "Bob", "bobk", "rking", "Engineering Manager", "+1 415-555-0132", "", False),
    (
        "Priya",
        "Raman",
        "",
        "priya",
        "praman",
        "Staff Engineer",
        "+1 (415) 555-0177",
        "priya.r.home@gmail.com",
        False,
    ),
    ("Tomás", "Ortega", "Tom", "tomo", "tortega", "Backend Engineer", "+34 612 345 678", "", False),
    ("Mei", "Chen", "", "meichen", "mchen", "Frontend Engineer", "+1 650 555 0199", "", False),
    (
        "Oluwaseun",
        "Adeyemi",
        "Seun",
        "seun",
        "oadeyemi",
        "SRE",
        "+44 20 7946 0958",
        "seun.adeyemi@outlook.com",
        False,
    ),
    ("Hannah", "Schulz", "", "hannah", "hschulz", "Product Manager", "+49 30 901820", "", False),
    ("Daniel", "Okafor", "Dan", "danno", "dokafor", "Backend Engineer", "415.555.0104", "", True),
    ("Sofia", "Rossi", "", "sofia", "srossi", "QA Engineer", "+39 06 4891 2345", "", False),
    ("Kenji", "Watanabe", "", "kenji", "kwatanabe", "Data Engineer", "+81 3-1234-5678", "", False),
    (
        "Aisha",
        "Khan",
        "",
        "aisha",
        "akhan",
        "Security Engineer",
        "+1 212 555 0143",
        "aisha.k.personal@gmail.com",
        False,
    ),
    ("Lucas", "Martin", "Luke", "lucas", "lmartin", "Support Lead", "+33 1 42 68 53 00", "", False),
    ("Grace", "Park", "", "gpark", "gpark", "Designer", "+1 312 555 0110", "", False),
    ("Ivan", "Petrov", "", "ivan", "ipetrov", "Backend Engineer", "+1 646 555 0187", "", False),
    ("Nora", "Lindqvist", "", "nora", "nlindqvist", "Head of Operations", "+46 8 123 456 78", "", False),
    ("Sam", "Whitfield", "", "samw", "swhitfield", "CTO", "+1 415 555 0166", "", False),
]
CHANNELS = ["general", "eng-backend", "incidents", "releases", "design", "support-escalations"]
TOPICS = [
    "login timeouts on the mobile app",
    "rate limiter returns 500 instead of 429",
    "billing export misses refunds",
    "search index lag after deploy",
    "password reset e-mail not sent",
    "flaky integration test in CI",
    "CSV import chokes on BOM",
    "dark mode contrast on settings page",
    "webhook retries hammer customers",
    "memory leak in the report worker",
    "audit log missing actor for API keys",
    "slow dashboard for large tenants",
    "SSO metadata refresh fails",
    "timezone bug in scheduled reports",
    "upgrade postgres to 16",
    "rotate the staging TLS certificates",
    "robot fleet telemetry drops packets",
    "firmware OTA rollout stalls",
    "pagination off-by-one in /v2/orders",
    "make onboarding checklist editable",
]
PLANTED = {
    "api_key": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "ip": "10.42.7.19",
    "credit_card": "4111 1111 1111 1111",
    "iban": "DE89 3704 0044 0532 0130 00",
    "street": "1457 Larkin Street, San Francisco, CA 94109",
}


def email_of(p: tuple[object, ...]) -> str:
    return f"{str(p[0]).lower().replace('á', 'a')}.{str(p[1]).lower()}@{DOMAIN}"


def full(p: tuple[object, ...]) -> str:
    return f"{p[0]} {p[1]}"


def ts(moment: datetime, n: int) -> str:
    return f"{int(moment.timestamp())}.{n:06d}"


def jira_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def sha(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()


class Sample:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.rng = random.Random(SEED)
        self.tickets: list[dict[str, object]] = []
        self.docs: list[tuple[str, str]] = []
        self.prs: dict[int, str] = {}
        self.manifest: list[dict[str, str]] = []

    def when(self, day: int, hour: int | None = None) -> datetime:
        hour = self.rng.randint(8, 18) if hour is None else hour
        return START + timedelta(days=day, hours=hour - 9, minutes=self.rng.randint(0, 59))

    def plant(self, kind: str, file: str, value: str) -> None:
        self.manifest.append({"kind": kind, "file": file, "value": value})

    def write(self, rel: str, text: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")

    def write_json(self, rel: str, data: object) -> None:
        self.write(rel, json.dumps(data, indent=4, ensure_ascii=False) + "\n")

    # --- Jira ---------------------------------------------------------------------------------
    def jira_user(self, p: tuple[object, ...]) -> dict[str, object]:
        return {
            "name": p[4],
            "key": p[4],
            "displayName": full(p),
            "emailAddress": email_of(p),
            "timeZone": "America/Los_Angeles",
            "active": not p[8],
        }

    def make_tickets(self) -> None:
        n_eng, n_ops = 50, 15
        keys = [f"ENG-{i}" for i in range(1, n_eng + 1)] + [f"OPS-{i}" for i in range(1, n_ops + 1)]
        for i, key in enumerate(keys):
            topic = TOPICS[i % len(TOPICS)]
            reporter, assignee = self.rng.sample(PEOPLE, 2)
            if i % 9 == 4:
                assignee = PEOPLE[6]  # Daniel left; his tickets are still assigned to him
            created = self.when(min(i, DAYS - 10))
            status = self.rng.choice(["Open", "In Progress", "In Review", "Resolved", "Closed"])
            doc = f"docs/design/{i % 20:02d}-{topic.split()[0]}.md"
            desc = (
                f"h2. Problem\n{topic.capitalize()} — seen by sevral customers.\n\n"
                f"*Steps*\n# open the app\n# wait\n\nSee design doc: [{doc}|https://wiki.{DOMAIN}/{doc}]\n"
                f"{{code}}\nERROR worker-3 timeout after 30s\n{{code}}\ncc [~{assignee[4]}]"
            )
            if i == 7:
                desc += f"\nCustomer pasted their card by mistake: {PLANTED['credit_card']} — please scrub."
                self.plant("credit_card", f"jira/{key}.json", PLANTED["credit_card"])
            if i == 12:
                desc += f"\nRefund to IBAN {PLANTED['iban']} failed twice."
                self.plant("iban", f"jira/{key}.json", PLANTED["iban"])
            comments = []
            for c in range(self.rng.randint(1, 4)):
                who = self.rng.choice(PEOPLE)
                body = self.rng.choice(
                    [
                        f"I can repro on staging. Related to {self.rng.choice(keys)}?",
                        "Fixed in PR, pls review",
                        "Looks good to me, merging.",
                        "Still seeing this on prod :(",
                        f"Moved the discussion to #{self.rng.choice(CHANNELS)}.",
                    ]
                )
                comments.append(
                    {
                        "id": str(10000 + i * 10 + c),
                        "author": self.jira_user(who),
                        "body": body,
                        "created": jira_time(created + timedelta(hours=5 + c)),
                        "updated": jira_time(created + timedelta(hours=5 + c)),
                    }
                )
            histories = [
                {
                    "id": str(20000 + i),
                    "author": self.jira_user(assignee),
                    "created": jira_time(created + timedelta(days=1)),
                    "items": [{"field": "status", "fromString": "Open", "toString": status}],
                }
            ]
            self.tickets.append(
                {
                    "key": key,
                    "topic": topic,
                    "reporter": reporter,
                    "assignee": assignee,
                    "created": created,
                    "status": status,
                    "desc": desc,
                    "comments": comments,
                    "histories": histories,
                    "links": [],
                }
            )
        for i in range(0, len(self.tickets) - 1, 3):  # links listed on both ends
            a, b = self.tickets[i], self.tickets[i + 1]
            a["links"].append(("outward", b["key"]))  # type: ignore[union-attr]
            b["links"].append(("inward", a["key"]))  # type: ignore[union-attr]
        for t in self.tickets:
            fields: dict[str, object] = {
                "summary": str(t["topic"]).capitalize(),
                "description": t["desc"],
                "issuetype": {
                    "name": "Bug" if "bug" in str(t["topic"]) or len(str(t["topic"])) % 2 else "Task"
                },
                "project": {"key": str(t["key"]).split("-")[0]},
                "status": {"name": t["status"]},
                "priority": {"name": self.rng.choice(["Low", "Medium", "High"])},
                "resolution": {"name": "Fixed"} if t["status"] in ("Resolved", "Closed") else None,
                "reporter": self.jira_user(t["reporter"]),
                "creator": self.jira_user(t["reporter"]),  # type: ignore[arg-type]
                "assignee": self.jira_user(t["assignee"]),  # type: ignore[arg-type]
                "created": jira_time(t["created"]),
                "updated": jira_time(t["created"] + timedelta(days=2)),  # type: ignore[operator]
                "labels": ["backend"] if "api" in str(t["topic"]) else [],
                "components": [],
                "fixVersions": [],
                "issuelinks": [
                    {
                        "id": sha(t["key"], other)[:6],
                        "type": {"name": "Relates", "inward": "relates to", "outward": "relates to"},
                        f"{direction}Issue": {"key": other},
                    }
                    for direction, other in t["links"]  # type: ignore[attr-defined]
                ],
                "comment": {"comments": t["comments"], "total": len(t["comments"])},  # type: ignore[arg-type]
            }
            issue = {
                "id": str(100 + self.tickets.index(t)),
                "key": t["key"],
                "fields": fields,
                "changelog": {"histories": t["histories"]},
            }
            self.write_json(f"jira/{t['key']}.json", issue)

    # --- commits ------------------------------------------------------------------------------
    def make_commits(self) -> None:
        lines = []
        parent = ""
        pr = 40
        for i in range(120):
            t = self.tickets[i % len(self.tickets)]
            author = t["assignee"] if i % 4 else self.rng.choice(PEOPLE)
            name = str(author[2] or author[0]) + " " + str(author[1]) if i % 5 == 0 else full(author)  # type: ignore[index]
            moment = self.when(min(DAYS - 1, i * DAYS // 120))
            if i % 6 == 5:
                pr += 1
                message = f"Merge pull request #{pr} from {author[3]}/{t['key']}-fix\n\n{t['topic']}"  # type: ignore[index]
                self.prs[pr] = str(t["key"])
            elif i % 6 == 2:
                pr += 1
                message = f"{t['key']}: {t['topic']} (#{pr})"
                self.prs[pr] = str(t["key"])
            else:
                message = self.rng.choice(
                    [
                        f"Fixes {t['key']}",
                        f"{t['key']}: wip",
                        f"fix typo in {t['key']} handler",
                        "bump deps",
                        f"refactor: split worker ({t['key']})",
                    ]
                )
            commit_sha = sha("commit", i)
            lines.append(
                json.dumps(
                    {
                        "sha": commit_sha,
                        "parents": [parent] if parent else [],
                        "author_name": name,
                        "author_email": email_of(author),  # type: ignore[arg-type]
                        "author_date": moment.isoformat(),
                        "committer_name": "GitHub",
                        "committer_email": "noreply@github.com",
                        "committer_date": moment.isoformat(),
                        "message": message,
                        "files": [["M", f"src/acme/{str(t['topic']).split()[0]}.py"]],
                    }
                )
            )
            parent = commit_sha
        self.write("git/acme-api.commits.jsonl", "\n".join(lines) + "\n")

    # --- Slack --------------------------------------------------------------------------------
    def make_slack(self) -> None:
        users = []
        for n, p in enumerate(PEOPLE):
            users.append(
                {
                    "id": f"U0ACME{n:03d}",
                    "name": p[3],
                    "deleted": p[8],
                    "is_bot": False,
                    "real_name": full(p),
                    "tz": "America/Los_Angeles",
                    "profile": {
                        "display_name": p[2] or p[0],
                        "real_name": full(p),
                        "email": email_of(p),
                        "phone": p[6],
                        "title": p[5],
                    },
                }
            )
        users.append(
            {
                "id": "U0ACMEBOT",
                "name": "deploybot",
                "deleted": False,
                "is_bot": True,
                "profile": {"display_name": "deploybot", "real_name": "Deploy Bot"},
            }
        )
        self.write_json("slack/users.json", users)
        ids = [u["id"] for u in users[:-1]]
        channels = [
            {
                "id": f"C0ACME{c:03d}",
                "name": name,
                "created": str(int(START.timestamp())),
                "creator": ids[14],
                "members": ids,
                "is_archived": False,
                "topic": {"value": f"All things {name}"},
                "purpose": {"value": ""},
            }
            for c, name in enumerate(CHANNELS)
        ]
        self.write_json("slack/channels.json", channels)
        days: dict[tuple[str, str], list[dict[str, object]]] = {}
        for i in range(440):
            day = i * DAYS // 440
            channel = CHANNELS[self.rng.randrange(len(CHANNELS))]
            who = self.rng.randrange(len(PEOPLE))
            if PEOPLE[who][8] and day > 45:
                who = 0
            t = self.tickets[self.rng.randrange(len(self.tickets))]
            other = self.rng.randrange(len(PEOPLE))
            text = self.rng.choice(
                [
                    f"anyone looking at {t['key']}? {t['topic']}",
                    f"<@{ids[other]}> can you take <{JIRA}/{t['key']}|{t['key']}>?",
                    f"PR is up: <https://github.com/{REPO}/pull/{self.rng.choice(sorted(self.prs))}>",
                    f"see <#C0ACME001|eng-backend> for the {t['topic']} thread",
                    "standup in 5",
                    "lgtm :shipit:",
                    f"teh fix for {t['key']} is deployed to staging",
                    f"notes are in https://wiki.{DOMAIN}/docs/meetings/2024-03-{day % 28 + 1:02d}.md",
                ]
            )
            moment = self.when(day)
            msg: dict[str, object] = {"type": "message", "user": ids[who], "text": text, "ts": ts(moment, i)}
            if i == 50:
                msg["text"] = f"oops pasted the prod key: {PLANTED['api_key']} — rotating now"
                self.plant("api_key", "slack/eng-backend", PLANTED["api_key"])
                channel = "eng-backend"
            if i == 90:
                msg["text"] = f"worker log:\n```ERROR conn refused from {PLANTED['ip']}:5432```"
                self.plant("ip", "slack/incidents", PLANTED["ip"])
                channel = "incidents"
            if i % 11 == 3:
                msg["thread_ts"] = ts(moment, i)  # a thread root
            if i % 17 == 0:
                msg["edited"] = {"user": ids[who], "ts": ts(moment + timedelta(minutes=3), i)}
            if i % 13 == 0:
                msg["reactions"] = [{"name": "+1", "users": [ids[other]], "count": 1}]
            if i % 29 == 0:
                msg = {
                    "type": "message",
                    "subtype": "bot_message",
                    "bot_id": "B0DEPLOY",
                    "username": "deploybot",
                    "text": f"Deployed acme-api {sha('v', i)[:7]} to production",
                    "ts": ts(moment, i),
                }
            days.setdefault((channel, moment.strftime("%Y-%m-%d")), []).append(msg)
        rename = START + timedelta(days=30, hours=2)
        days.setdefault(("support-escalations", rename.strftime("%Y-%m-%d")), []).append(
            {
                "type": "message",
                "subtype": "channel_name",
                "user": ids[13],
                "old_name": "support",
                "name": "support-escalations",
                "text": f'<@{ids[13]}> has renamed the channel from "support" to "support-escalations"',
                "ts": ts(rename, 999),
            }
        )
        for (channel, day), messages in sorted(days.items()):
            messages.sort(key=lambda m: str(m["ts"]))
            self.write_json(f"slack/{channel}/{day}.json", messages)

    # --- mail ---------------------------------------------------------------------------------
    def make_mail(self) -> None:
        parts: list[tuple[str, str]] = []
        senders: list[tuple[object, ...]] = []
        for i in range(90):
            t = self.tickets[i % len(self.tickets)]
            sender, to = self.rng.sample(PEOPLE, 2)
            moment = self.when(i * DAYS // 90)
            mid = f"<{sha('mail', i)[:12]}@{DOMAIN}>"
            subject = f"{t['key']}: {t['topic']}"
            headers = [
                f"From: {full(sender)} <{email_of(sender)}>",
                f"To: {full(to)} <{email_of(to)}>",
                f"Subject: {subject}",
                f"Date: {format_datetime(moment)}",
                f"Message-ID: {mid}",
            ]
            body = f"Hi {to[2] or to[0]},\n\ncould you look at {JIRA}/{t['key']} before Thursday?\n"
            if i % 3 == 1:  # a reply quoting the previous message
                prev = f"<{sha('mail', i - 1)[:12]}@{DOMAIN}>"
                headers[2] = f"Subject: Re: {parts[-1][1]}"
                headers += [f"In-Reply-To: {prev}", f"References: {prev}"]
                body = "Sure, on it.\n\n> could you look at it before Thursday?\n> thx\n"
            if i % 10 == 9:  # a forward of the previous message
                prev_sender, prev_subject = senders[-1], parts[-1][1]
                headers[2] = f"Subject: Fwd: {prev_subject}"
                body = (
                    "FYI\n\n---------- Forwarded message ---------\n"
                    f"From: {full(prev_sender)} <{email_of(prev_sender)}>\nSubject: {prev_subject}\n\nsee above\n"
                )
            signature = f"\n--\n{full(sender)}\n{sender[5]}, Acme Robotics\nm: {sender[6]}\n"
            if i == 4:
                signature += f"{PLANTED['street']}\n"
                self.plant("street_address", "mail/team.mbox", PLANTED["street"])
            if sender[7] and i % 7 == 0:
                headers[0] = f"From: {full(sender)} <{sender[7]}>"
                self.plant("personal_email", "mail/team.mbox", str(sender[7]))
            self.plant("phone", "mail/team.mbox", str(sender[6]))
            senders.append(sender)
            parts.append(
                (
                    f"From {email_of(sender)} {moment.strftime('%a %b %d %H:%M:%S %Y')}\n"
                    + "\n".join(headers)
                    + "\n\n"
                    + body
                    + signature
                    + "\n",
                    subject,
                )
            )
        self.write("mail/team.mbox", "".join(p for p, _ in parts))

    # --- documents and calendar ---------------------------------------------------------------
    def make_docs(self) -> None:
        for i in range(20):
            t = self.tickets[i]
            rel = f"docs/design/{i:02d}-{str(t['topic']).split()[0]}.md"
            stale = i == 3
            text = (
                f"# Design: {t['topic']}\n\n"
                + (
                    "> **STALE** — superseded by [the new plan](04-dark.md). Do not follow.\n\n"
                    if stale
                    else ""
                )
                + f"Owner: {full(t['assignee'])}  \nTicket: [{t['key']}]({JIRA}/{t['key']})\n\n"  # type: ignore[arg-type]
                f"## Context\nWe saw {t['topic']} in prod. Related: {self.tickets[(i + 1) % 20]['key']}.\n\n"
                "## Plan\n1. reproduce\n2. fix\n3. add a regresion test\n"
            )
            self.write(rel, text)
            self.docs.append((rel, str(t["topic"])))
        self.write(
            "docs/runbooks/oncall.html",
            "<!DOCTYPE html><html><head><title>Engineering : On-call runbook</title></head><body>"
            '<div id="main-content"><h1>On-call runbook</h1><p>Page the SRE on duty (Seun, '
            f"{PEOPLE[4][6]}). Escalate to {full(PEOPLE[0])}.</p><p>See "
            f'<a href="{JIRA}/OPS-3">OPS-3</a>.</p></div></body></html>\n',
        )
        self.write(
            "docs/analysis/churn.Rmd",
            '---\ntitle: "Churn analysis"\n---\n\n```{r}\n# load data\n```\n\n'
            "Churn rose after ENG-9 shipped.\n",
        )
        self.write("docs/notes.txt", "Quarterly planning notes\n\nSam: hiring two backend engineers.\n")

    def make_calendar(self) -> None:
        events = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Acme//Sample//EN"]
        for i in range(24):
            organizer, *attendees = self.rng.sample(PEOPLE, 4)
            start = self.when(i * DAYS // 24, hour=self.rng.randint(9, 16)).replace(minute=0)
            doc = self.docs[i % len(self.docs)][0]
            events += [
                "BEGIN:VEVENT",
                f"UID:{sha('event', i)[:16]}@{DOMAIN}",
                f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}",
                f"DTEND:{(start + timedelta(minutes=45)).strftime('%Y%m%dT%H%M%SZ')}",
                f"SUMMARY:Review {doc.rsplit('/', 1)[-1]}",
                f"DESCRIPTION:Agenda: {doc} and {self.tickets[i]['key']}",
                f"ORGANIZER;CN={full(organizer)}:mailto:{email_of(organizer)}",
            ]
            events += [f"ATTENDEE;CN={full(a)}:mailto:{email_of(a)}" for a in attendees]
            if i == 0:
                events.append("RRULE:FREQ=WEEKLY;BYDAY=MO")
                events[-6] = "SUMMARY:Weekly standup"
            events.append("END:VEVENT")
        events.append("END:VCALENDAR")
        self.write("calendar/team.ics", "\r\n".join(events) + "\r\n")

    def run(self) -> None:
        if self.out.exists():
            shutil.rmtree(self.out)
        self.make_tickets()
        self.make_commits()
        self.make_slack()
        self.make_mail()
        self.make_docs()
        self.make_calendar()
        kinds: dict[str, int] = {}
        unique = sorted({(m["kind"], m["file"], m["value"]) for m in self.manifest})
        for kind, _, _ in unique:
            kinds[kind] = kinds.get(kind, 0) + 1
        self.write_json(
            "MANIFEST.json",
            {
                "planted": [dict(zip(("kind", "file", "value"), u, strict=True)) for u in unique],
                "counts": kinds,
            },
        )
        self.write("README.md", README)


README = """# Acme Robotics — the bundled sample workspace

A fictional 15-person robotics start-up over three months (March–May 2024), in the formats real
tools export. Generated by `scripts/build_sample.py` (deterministic); everything here is invented.

| folder | format | what |
|---|---|---|
| `slack/` | Slack export | 6 channels (one renamed from `support`), a bot, threads, edits, reactions |
| `jira/` | Jira REST v2 JSON | 65 issues in ENG and OPS with comments, links on both ends, changelog |
| `mail/team.mbox` | mbox | 90 e-mails: threads, quoted replies, forwards, signatures |
| `docs/` | Markdown, HTML (Confluence style), R Markdown, text | design docs (one stale), runbook, notes |
| `calendar/team.ics` | iCalendar | 24 meetings citing docs and tickets, a weekly standup |
| `git/acme-api.commits.jsonl` | commits as JSON lines | 120 commits of repo `acme-api`, merge and squash PRs |

Mess on purpose: typos, nicknames (Bob / Robert King / rking / bobk), a person who left (Daniel
Okafor: deleted in Slack, inactive in Jira, tickets still assigned), personal data planted for the
anonymizer to find (listed in `MANIFEST.json`).
"""


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "src" / "workgym" / "samples" / "acme"
    Sample(Path(sys.argv[1]) if len(sys.argv) > 1 else default).run()
