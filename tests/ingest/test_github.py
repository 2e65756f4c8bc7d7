"""GitHub REST API JSON: issues, pull requests, comments, reviews, timelines, and what goes wrong."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.test_build import assert_accounted
from workgym.ingest import github
from workgym.ingest.base import SNIFF_BYTES, Item
from workgym.ingest.registry import Walker
from workgym.link.build import build_workspace
from workgym.model import Comment, Identity, Quarantined, Ticket, TicketEvent
from workgym.store import connect

API = "https://api.github.com/repos/acme/widget"
WEB = "https://github.com/acme/widget"


def user(login: str, **extra: Any) -> dict[str, Any]:
    """A GitHub user object as the API embeds it (fictional people)."""
    return {
        "login": login,
        "id": abs(hash(login)) % 10**6,
        "type": "User",
        "html_url": f"https://github.com/{login}",
        **extra,
    }


def issue(number: int = 7, **fields: Any) -> dict[str, Any]:
    """An issue as GET /repos/acme/widget/issues/N returns it, with the fields given added."""
    base: dict[str, Any] = {
        "url": f"{API}/issues/{number}",
        "repository_url": API,
        "labels_url": f"{API}/issues/{number}/labels{{/name}}",
        "html_url": f"{WEB}/issues/{number}",
        "number": number,
        "title": "Parser panics on `where` clauses",
        "user": user("ada"),
        "labels": [{"name": "I-ICE", "color": "e10c02"}, {"name": "E-easy"}],
        "state": "closed",
        "assignee": user("ben"),
        "assignees": [user("ben"), user("cy")],
        "milestone": {"title": "1.0 beta", "number": 3},
        "comments": 1,
        "created_at": "2014-12-19T01:49:05Z",
        "updated_at": "2014-12-20T19:52:42Z",
        "closed_at": "2014-12-20T19:52:42Z",
        "body": "Given this:\r\n\r\n```rust\nfn f<T>() where T: Copy {}\n```\n",
        "closed_by": user("bors"),
        "state_reason": "completed",
    }
    base.update(fields)
    return base


def pull(number: int = 8, merged: str | None = "2014-12-21T10:00:00Z", **fields: Any) -> dict[str, Any]:
    """A pull request as the issues endpoint returns it (``pull_request`` key present)."""
    return issue(
        number,
        html_url=f"{WEB}/pull/{number}",
        pull_request={"url": f"{API}/pulls/{number}", "merged_at": merged},
        title="Implement where clauses",
        body="Fixes #7.\n\nr? @ben",
        state_reason=None,
        **fields,
    )


def comment(number: int, cid: int, login: str = "cy", body: str = "LGTM") -> dict[str, Any]:
    return {
        "url": f"{API}/issues/comments/{cid}",
        "html_url": f"{WEB}/issues/{number}#issuecomment-{cid}",
        "issue_url": f"{API}/issues/{number}",
        "id": cid,
        "user": user(login),
        "created_at": "2014-12-19T10:17:48Z",
        "updated_at": "2014-12-19T10:17:48Z",
        "body": body,
    }


def parse(tmp_path: Path, value: object, name: str = "item.json", raw: str | None = None) -> list[Item]:
    path = tmp_path / name
    path.write_text(raw if raw is not None else json.dumps(value), encoding="utf-8")
    return list(github.parse(path, name))


def of(items: list[Item], cls: type) -> list[Any]:
    return [i for i in items if isinstance(i, cls)]


def test_when_issue_file_then_ticket_keeps_state_labels_people_and_text(tmp_path: Path) -> None:
    items = parse(tmp_path, issue())
    (ticket,) = of(items, Ticket)
    assert ticket.id == "widget#7"
    assert ticket.project == "acme/widget"
    assert ticket.type == "issue"
    assert (ticket.status, ticket.resolution) == ("closed", "completed")
    assert ticket.labels == ("I-ICE", "E-easy")
    assert ticket.fix_versions == ("1.0 beta",)
    assert (ticket.reporter, ticket.assignee) == ("github:ada", "github:ben")
    assert ticket.description.startswith("Given this:\r\n\r\n```rust")
    assert ticket.created == "2014-12-19T01:49:05+00:00"
    assert ticket.resolved == "2014-12-20T19:52:42+00:00"
    assert {i.key for i in of(items, Identity)} == {"github:ada", "github:ben", "github:cy", "github:bors"}
    (close,) = of(items, TicketEvent)
    assert (close.field, close.from_value, close.to_value, close.author) == (
        "status",
        "open",
        "closed",
        "github:bors",
    )


def test_when_pull_request_is_merged_then_status_is_merged_with_a_merge_event(tmp_path: Path) -> None:
    items = parse(tmp_path, pull())
    (ticket,) = of(items, Ticket)
    assert (ticket.type, ticket.status, ticket.resolution) == ("pull request", "merged", "merged")
    (event,) = of(items, TicketEvent)
    assert (event.field, event.to_value, event.created) == ("status", "merged", "2014-12-21T10:00:00+00:00")


def test_when_pull_request_is_closed_unmerged_or_open_then_status_says_so(tmp_path: Path) -> None:
    closed = of(parse(tmp_path, pull(9, merged=None)), Ticket)[0]
    assert (closed.status, closed.resolution) == ("closed", "closed")
    opened = of(parse(tmp_path, issue(10, state="open", closed_at=None, closed_by=None)), Ticket)[0]
    assert (opened.status, opened.resolution, opened.resolved) == ("open", "", "")


def test_when_pages_are_arrays_back_to_back_or_jsonl_then_each_object_is_located(tmp_path: Path) -> None:
    # gh api --paginate writes one array per page, back to back
    pages = json.dumps([issue(1), issue(2)]) + json.dumps([issue(3)])
    tickets = of(parse(tmp_path, None, "issues.json", raw=pages), Ticket)
    assert [(t.id, t.locator) for t in tickets] == [
        ("widget#1", "issues.json#0"),
        ("widget#2", "issues.json#1"),
        ("widget#3", "issues.json#2"),
    ]
    lines = "\n".join(json.dumps(comment(7, n)) for n in (11, 12)) + "\n"
    comments = of(parse(tmp_path, None, "comments.jsonl", raw=lines), Comment)
    assert [(c.id, c.ticket_id, c.locator) for c in comments] == [
        ("issuecomment-11", "widget#7", "comments.jsonl:1"),
        ("issuecomment-12", "widget#7", "comments.jsonl:2"),
    ]


def test_when_review_comments_and_reviews_then_they_are_comments_on_the_pull_request(tmp_path: Path) -> None:
    review_comment = {
        "id": 31,
        "pull_request_url": f"{API}/pulls/8",
        "diff_hunk": "@@ -1 +1 @@",
        "path": "src/lib.rs",
        "user": user("ben"),
        "body": "nit: naming",
        "created_at": "2014-12-20T10:00:00Z",
    }
    review = {
        "id": 41,
        "pull_request_url": f"{API}/pulls/8",
        "user": user("ben"),
        "state": "APPROVED",
        "body": "r+",
        "submitted_at": "2014-12-20T11:00:00Z",
    }
    items = parse(tmp_path, [review_comment, review], "reviews.json")
    assert [(c.id, c.ticket_id, c.body) for c in of(items, Comment)] == [
        ("discussion_r31", "widget#8", "nit: naming"),
        ("pullrequestreview-41", "widget#8", "r+"),
    ]
    (event,) = of(items, TicketEvent)
    assert (event.field, event.to_value, event.author) == ("reviewed", "approved", "github:ben")


def test_when_timeline_names_no_issue_then_the_file_name_and_the_issue_beside_it_do(tmp_path: Path) -> None:
    (tmp_path / "000007-main.json").write_text(json.dumps(issue(7)))
    timeline = [
        # the archive's filtered form: bare actor login, "from" number, "date"
        {
            "event": "cross-referenced",
            "from": 8,
            "type": "issue",
            "actor": "ada",
            "date": "2014-12-19T10:46:09Z",
        },
        {"event": "referenced", "commit": "510307976d27823456111186cc6a308144372983", "actor": "bors"},
        # the API's full form
        {
            "event": "cross-referenced",
            "actor": user("cy"),
            "created_at": "2014-12-19T11:00:00Z",
            "source": {
                "type": "issue",
                "issue": {"number": 3, "repository_url": "https://api.github.com/repos/acme/gear"},
            },
        },
        {
            "event": "labeled",
            "id": 99,
            "actor": user("ben"),
            "label": {"name": "E-easy"},
            "created_at": "2014-12-19T12:00:00Z",
        },
        {
            "event": "assigned",
            "id": 100,
            "actor": user("ben"),
            "assignee": user("cy"),
            "created_at": "2014-12-19T12:00:01Z",
        },
    ]
    items = parse(tmp_path, timeline, "000007-xrefs.json")
    events = of(items, TicketEvent)
    assert [(e.ticket_id, e.field, e.from_value, e.to_value) for e in events] == [
        ("widget#7", "cross-referenced", "widget#8", ""),
        ("widget#7", "referenced", "", "510307976d27823456111186cc6a308144372983"),
        ("widget#7", "cross-referenced", "gear#3", ""),
        ("widget#7", "labeled", "", "E-easy"),
        ("widget#7", "assigned", "", "github:cy"),
    ]
    assert events[0].author == "github:ada" and events[0].created == "2014-12-19T10:46:09+00:00"
    assert len({e.id for e in events}) == len(events)


def test_when_timeline_has_no_issue_beside_it_then_each_event_is_quarantined_with_why(tmp_path: Path) -> None:
    items = parse(tmp_path, [{"event": "closed", "actor": user("ada")}], "timeline.json")
    (bad,) = items
    assert isinstance(bad, Quarantined)
    assert bad.locator == "timeline.json#0"
    assert "unknown issue" in bad.reason and "timeline.json#0" in bad.reason


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("020000-main.json", json.dumps(issue()).encode(), True),  # an issue
        ("page.json", json.dumps([comment(7, 1)]).encode(), True),  # a page of comments
        ("020001-comments.json", b"[]", True),  # an issue with no comments
        ("020001-xrefs.json", b"[]\n", True),  # no cross-references
        ("users.json", b"[]", False),  # an empty array named otherwise says nothing
        ("t.json", json.dumps([{"event": "closed", "actor": user("ada")}]).encode(), True),
        ("jira.json", json.dumps({"key": "DEMO-1", "fields": {}}).encode(), False),  # Jira's
        ("slack.json", json.dumps([{"type": "message", "text": "#1", "ts": "1.0"}]).encode(), False),
        ("notes.md", b"# number title", False),
    ],
)
def test_when_sniffing_then_only_github_json_is_claimed(name: str, content: bytes, claimed: bool) -> None:
    assert github.detect(Path(name), content[:SNIFF_BYTES]) is claimed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"number": 7, "title": "cut', "truncated JSON"),  # cut short mid-string
        ('{"number": 7,, }', "invalid JSON"),  # not JSON
        ("", "no JSON value"),  # nothing at all
    ],
)
def test_when_file_is_broken_then_it_is_quarantined_naming_the_file(
    tmp_path: Path, raw: str, reason: str
) -> None:
    (bad,) = parse(tmp_path, None, "broken.json", raw=raw)
    assert isinstance(bad, Quarantined)
    assert reason in bad.reason and bad.locator == "broken.json"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (issue(number="7"), 'number is "7", expected a whole number'),  # wrong type
        (
            {k: v for k, v in issue().items() if k not in ("url", "repository_url", "html_url")},
            "names no repository",
        ),
        (issue(created_at="yesterday"), 'created_at "yesterday" is not a time'),
        (issue(labels="I-ICE"), "labels is a JSON string"),
        (issue(user="ada"), "user is a JSON string, expected a user object"),
        (issue(state="merged"), "neither open nor closed"),
        ({"id": 1, "issue_url": "https://example.org/x", "body": "hi"}, "names no GitHub issue"),
        ({"hello": "world"}, "not a GitHub issue, pull request"),
        (["not", "an", "object"], "expected an object"),
    ],
)
def test_when_a_record_is_malformed_then_it_alone_is_quarantined_with_record_and_file(
    tmp_path: Path, record: object, reason: str
) -> None:
    items = parse(tmp_path, [issue(1), record, issue(2)], "mixed.json")
    assert [t.id for t in of(items, Ticket)] == ["widget#1", "widget#2"]
    (bad,) = of(items, Quarantined)
    assert reason in bad.reason, bad.reason
    assert bad.locator == "mixed.json#1" and "mixed.json#1" in bad.reason


def test_when_text_holds_a_lone_surrogate_then_the_record_is_quarantined_and_storable(tmp_path: Path) -> None:
    bad_title = '{"number": 3, "repository_url": "' + API + '", "title": "bad \\ud800"}'
    raw = (
        json.dumps([issue(1, body="ok \U0001f980 \u200f\u202e odd"), issue(2)])[:-1] + ", " + bad_title + "]"
    )
    items = parse(tmp_path, None, "odd.json", raw=raw)
    assert "\U0001f980" in of(items, Ticket)[0].description  # astral and bidi characters are kept as written
    (bad,) = of(items, Quarantined)
    assert "lone surrogate U+D800" in bad.reason
    bad.raw.encode("utf-8")  # what the quarantine table stores must encode


def test_when_body_is_huge_then_it_is_stored_whole(tmp_path: Path) -> None:
    body = "x" * 5_000_000
    (ticket,) = of(parse(tmp_path, issue(body=body)), Ticket)
    assert len(ticket.description) == 5_000_000


def test_when_an_archive_folder_is_ingested_then_every_record_is_accounted_and_people_merge(
    tmp_path: Path,
) -> None:
    items = tmp_path / "items"
    items.mkdir()
    (items / "000007-main.json").write_text(json.dumps(issue(7)))
    (items / "000007-comments.json").write_text(json.dumps([comment(7, 1, "ada"), comment(7, 2, "ben")]))
    (items / "000007-xrefs.json").write_text(
        json.dumps(
            [
                {
                    "event": "cross-referenced",
                    "from": 8,
                    "type": "issue",
                    "actor": "cy",
                    "date": "2014-12-19T10:46:09Z",
                }
            ]
        )
    )
    (items / "000008-main.json").write_text(json.dumps(pull(8)))
    (items / "000008-comments.json").write_text("[]")
    (items / "000008-xrefs.json").write_text("[]")
    (items / "000009-main.json").write_text('{"number": 9, "repository_url": "' + API + '", "title": "cut')
    (items / "000010.404").write_text("")
    db = tmp_path / "ws.db"
    report = build_workspace([tmp_path], db)
    assert_accounted(report, db)
    conn = connect(db)
    try:
        assert conn.execute("SELECT COUNT(*) FROM ticket").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM ticket_comment").fetchone()[0] == 2
        reasons = [r for (r,) in conn.execute("SELECT reason FROM quarantine")]
        assert any("truncated JSON" in r and "000009-main.json" in r for r in reasons)
        # ada: author and commenter; ben: assignee and commenter; cy: assignee and timeline actor
        persons = conn.execute("SELECT COUNT(*) FROM person").fetchone()[0]
        assert persons == 4  # ada, ben, cy, bors
        refs = Counter(
            (kind, dst)
            for kind, dst in conn.execute("SELECT ref_kind, dst_id FROM ref WHERE dst_kind = 'ticket'")
        )
        assert refs[("closes", "widget#7")] == 1  # "Fixes #7." in the pull request
        assert refs[("cross_reference", "widget#8")] == 1  # the timeline's source
    finally:
        conn.close()


def test_when_the_walk_meets_github_files_then_they_are_one_github_source(tmp_path: Path) -> None:
    (tmp_path / "000007-main.json").write_text(json.dumps(issue(7)))
    (tmp_path / "000007-comments.json").write_text("[]")
    with Walker() as walker:
        found = walker.discover(tmp_path)
    assert {u.format.name for u in found.units} == {"github"}
    assert not found.unrecognised


def test_when_read_twice_then_records_are_identical(tmp_path: Path) -> None:
    (tmp_path / "000007-main.json").write_text(json.dumps(issue(7)))
    path = tmp_path / "000007-xrefs.json"
    path.write_text(json.dumps([{"event": "referenced", "commit": "a" * 40, "actor": "bors"}]))
    assert list(github.parse(path, "x")) == list(github.parse(path, "x"))


# -- the world and the viewer serve GitHub tickets ---------------------------------------------------


@pytest.fixture
def github_db(tmp_path: Path) -> Path:
    """A GitHub-only workspace: issue #7 (closed), pull request #8 that fixes it, their timelines."""
    items = tmp_path / "items"
    items.mkdir()
    (items / "000007-main.json").write_text(json.dumps(issue(7)))
    (items / "000007-comments.json").write_text(json.dumps([comment(7, 1, "ada", "still fails on nightly")]))
    (items / "000007-xrefs.json").write_text(
        json.dumps(
            [
                {
                    "event": "cross-referenced",
                    "from": 8,
                    "type": "issue",
                    "actor": "cy",
                    "date": "2014-12-19T10:46:09Z",
                }
            ]
        )
    )
    (items / "000008-main.json").write_text(json.dumps(pull(8, user=user("cy"))))
    (items / "000009-main.json").write_text(
        json.dumps(issue(9, state="open", closed_at=None, closed_by=None, labels=[], title="Docs typo"))
    )
    db = tmp_path / "gh.db"
    build_workspace([items], db)
    return db


def test_when_an_agent_uses_the_tracker_then_github_names_and_words_work(github_db: Path) -> None:
    from tests.world.helpers import call
    from workgym.world import World

    conn = connect(github_db)
    (ada,) = conn.execute("SELECT id FROM person WHERE name = 'ada'").fetchone()
    conn.close()
    world = World.open(github_db)
    with world.episode(persona=ada) as ep:
        for key in ("widget#7", "#7", "7", "acme/widget#7", "Widget#7"):
            shown = call(ep, "get_ticket", key=key)
            assert shown.startswith("widget#7: Parser panics"), key
        assert "cross-referenced widget#8" in call(ep, "get_ticket", key="#7")  # the timeline is its history
        found = call(ep, "search_tickets", jql='state = open AND author = "ada"')
        assert "widget#9" in found and "widget#7" not in found
        assert "widget#8" in call(ep, "search_tickets", jql='type = "pull request" AND status = merged')
        assert "widget#7" in call(ep, "search_tickets", jql='milestone = "1.0 beta" AND labels = I-ICE')
        call(ep, "comment_ticket", key="#9", body="Fixed by #8.")
        call(ep, "update_ticket", key="widget#9", status="closed")
        assert "status closed" in call(ep, "get_ticket", key="#9")
        bad = ep.step({"name": "get_ticket", "arguments": {"key": "#99"}})
        assert bad.info["error"] is not None and "no ticket" in bad.text


def test_when_a_github_ticket_is_viewed_then_its_timeline_links_the_citing_ticket(github_db: Path) -> None:
    from tests.report.viewer_client import signed_in
    from workgym.report.viewer import create_viewer
    from workgym.world import World

    client = signed_in(create_viewer(World.open(github_db)))
    page = client.get("/ticket/widget%237")
    assert page.status_code == 200
    assert "Parser panics" in page.text and "still fails on nightly" in page.text
    assert "cross-referenced" in page.text and 'href="/ticket/widget%238"' in page.text
    assert "1.0 beta" in page.text  # the milestone
