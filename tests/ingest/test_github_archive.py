"""GitHub migration archives (unpacked): pages of typed records that refer to each other by URL.

The fixture ``data/github-archive`` is written by hand from the documented archive layout: one
repository, two users, a milestone, two issues and a pull request that fixes one of them, their
comments, a review and a review comment, issue events, a release, plus three broken records.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_build import assert_accounted
from workgym.ingest import github_archive
from workgym.ingest.registry import Walker
from workgym.link.build import build_workspace
from workgym.model import Comment, Identity, Quarantined, Ticket, TicketEvent
from workgym.store import connect

ARCHIVE = Path(__file__).parent / "data" / "github-archive"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    db = tmp_path_factory.mktemp("archive") / "ws.db"
    report = build_workspace([ARCHIVE], db)
    assert_accounted(report, db)
    conn = connect(db)
    yield conn
    conn.close()


def person_of(conn: sqlite3.Connection, login: str) -> str:
    (pid,) = conn.execute("SELECT person_id FROM identity WHERE key = ?", (f"github:{login}",)).fetchone()
    return str(pid)


def test_when_an_archive_is_ingested_then_issues_and_pull_requests_are_tickets(
    ws: sqlite3.Connection,
) -> None:
    rows = ws.execute(
        "SELECT id, project, type, status, resolution, labels, fix_versions, created, resolved FROM ticket ORDER BY id"
    ).fetchall()
    assert [tuple(r) for r in rows] == [
        # the label URL's last segment, unquoted; the milestone URL's title from milestones_*.json;
        # times with an offset and milliseconds, in UTC
        (
            "widget#1",
            "acme/widget",
            "issue",
            "closed",
            "closed",
            '["bug", "good first issue"]',
            '["1.0"]',
            "2017-01-03T17:15:00+00:00",
            "2017-01-05T18:30:00+00:00",
        ),
        (
            "widget#2",
            "acme/widget",
            "pull request",
            "merged",
            "merged",
            "[]",
            '["1.0"]',
            "2017-01-04T22:00:00+00:00",
            "2017-01-05T18:29:58+00:00",
        ),
        ("widget#3", "acme/widget", "issue", "open", "", "[]", "[]", "2017-01-06T16:00:00+00:00", ""),
    ]
    ada, ben = person_of(ws, "ada"), person_of(ws, "ben")
    assert ws.execute("SELECT reporter, assignee FROM ticket WHERE id = 'widget#1'").fetchone() == (ada, ben)
    assert ws.execute("SELECT reporter FROM ticket WHERE id = 'widget#2'").fetchone() == (ben,)


def test_when_an_archive_is_ingested_then_closer_and_merger_come_from_the_issue_events(
    ws: sqlite3.Connection,
) -> None:
    # the archive's issue holds no closed_by: the actor of its closed (merged) event is the one
    status = ws.execute(
        "SELECT ticket_id, to_value, author, created FROM ticket_event WHERE field = 'status' ORDER BY ticket_id"
    ).fetchall()
    ada = person_of(ws, "ada")
    assert [tuple(r) for r in status] == [
        ("widget#1", "closed", ada, "2017-01-05T18:30:00+00:00"),
        ("widget#2", "merged", ada, "2017-01-05T18:29:58+00:00"),
    ]
    events = {
        (field, from_value, to_value)
        for field, from_value, to_value in ws.execute(
            "SELECT field, from_value, to_value FROM ticket_event WHERE field != 'status'"
        )
    }
    assert ("labeled", "", "bug") in events
    assert ("renamed", "Crash", "Widget crashes on empty input") in events
    assert ("merged", "", "3" * 40) in events
    assert ("reviewed", "", "40") in events  # the archive's review state, as written
    assert ws.execute("SELECT id FROM ticket_event WHERE field = 'labeled'").fetchone() == (
        "widget#1:labeled:21",
    )


def test_when_an_archive_is_ingested_then_comments_reviews_and_their_anchors_are_kept(
    ws: sqlite3.Connection,
) -> None:
    comments = ws.execute("SELECT id, ticket_id, body FROM ticket_comment ORDER BY id").fetchall()
    assert [(i, t) for i, t, _ in comments] == [
        ("discussion_r14", "widget#2"),  # a review comment, #r14
        ("issuecomment-11", "widget#1"),
        ("issuecomment-12", "widget#2"),  # on a pull request: its "pull_request" URL
        ("pullrequestreview-13", "widget#2"),  # the review's body
    ]
    assert dict((i, b) for i, _, b in comments)["discussion_r14"] == "Nit: name this `is_empty`."


def test_when_an_archive_is_ingested_then_users_file_names_the_people_found_by_url(
    ws: sqlite3.Connection,
) -> None:
    persons = ws.execute("SELECT name, emails FROM person ORDER BY name").fetchall()
    # ada: users_*.json gives her name and address; ben: in the users file without a name;
    # cy: named only by the URL of the issue she opened
    assert [tuple(p) for p in persons] == [
        ("Ada Example", '["ada@example.org"]'),
        ("ben", "[]"),
        ("cy", "[]"),
    ]


def test_when_an_archive_is_ingested_then_references_resolve_as_in_the_api_format(
    ws: sqlite3.Connection,
) -> None:
    refs = {
        (k, s, d)
        for k, s, d in ws.execute("SELECT ref_kind, src_id, dst_id FROM ref WHERE dst_kind = 'ticket'")
    }
    assert ("closes", "widget#2", "widget#1") in refs  # "Fixes #1." in the pull request
    assert ("pull_request", "issuecomment-11", "widget#2") in refs  # "see #2" in a comment
    assert ("issue", "widget#3", "widget#1") in refs  # "Same area as #1."


def test_when_an_archive_holds_broken_or_unmodelled_records_then_each_is_quarantined_with_why(
    ws: sqlite3.Connection,
) -> None:
    reasons = dict(ws.execute("SELECT locator, reason FROM quarantine").fetchall())
    assert set(reasons) == {"issues_000001.json#2", "issue_events_000001.json#5", "releases_000001.json#0"}
    assert "names no issue or pull request" in reasons["issues_000001.json#2"]
    assert "is not a commit sha" in reasons["issue_events_000001.json#5"]
    assert "release record" in reasons["releases_000001.json#0"]
    # schema.json, repositories and milestones are read as lookups: nothing of them is unaccounted
    (sources,) = ws.execute("SELECT COUNT(*) FROM source WHERE format = 'github-archive'").fetchone()
    assert sources == 1


# Rows: (file name, first bytes, claimed?)
SNIFFS = [
    # an archive page
    ("issues_000001.json", b'[{"type": "issue", "url": "https://github.com/a/b/issues/1"}]', True),
    # GitHub Enterprise: another host, same shape
    ("users_000001.json", b'[{"type": "user", "url": "https://ghe.example.com/ada", "login": "ada"}]', True),
    # an empty page, by its name
    ("issues_000002.json", b"[]", True),
    # an empty array of another name
    ("comments.json", b"[]", False),
    # a REST timeline whose cross-reference source says "type": "issue": the API's url is /repos/
    (
        "timeline.json",
        b'[{"event": "cross-referenced", "source": {"type": "issue", "issue": '
        b'{"url": "https://api.github.com/repos/a/b/issues/2"}}}]',
        False,
    ),
    # a GitHub Enterprise REST answer
    ("x.json", b'[{"type": "issue", "url": "https://ghe.example.com/api/v3/repos/a/b/issues/1"}]', False),
    # brson/rust-issue-archive's timeline: a type, no url
    (
        "000007-xrefs.json",
        b'[{"event": "cross-referenced", "from": 8, "type": "issue", "actor": "cy"}]',
        False,
    ),
]


@pytest.mark.parametrize(("name", "head", "claimed"), SNIFFS)
def test_when_sniffing_then_only_archive_pages_are_claimed(name: str, head: bytes, claimed: bool) -> None:
    assert github_archive.detect(Path(name), head) is claimed


def test_when_the_walk_meets_an_archive_then_it_is_one_source_with_nothing_unrecognised(
    tmp_path: Path,
) -> None:
    shutil.copytree(ARCHIVE, tmp_path / "archive")
    with Walker() as walker:
        found = walker.discover(tmp_path)
    assert {u.format.name for u in found.units} == {"github-archive"}
    assert not found.unrecognised


def test_when_read_twice_then_records_are_identical() -> None:
    for path in sorted(ARCHIVE.glob("*.json")):
        assert list(github_archive.parse(path, path.name)) == list(github_archive.parse(path, path.name))


def test_when_a_comment_names_no_ticket_then_it_alone_is_quarantined(tmp_path: Path) -> None:
    page = [
        {"type": "issue_comment", "url": "https://github.com/a/b/issues/1#issuecomment-1", "body": "orphan"},
        {
            "type": "issue_comment",
            "url": "https://github.com/a/b/issues/1#issuecomment-2",
            "issue": "https://github.com/a/b/issues/1",
            "user": "https://github.com/dee",
            "body": "kept",
        },
    ]
    path = tmp_path / "issue_comments_000001.json"
    path.write_text(json.dumps(page))
    items = list(github_archive.parse(path, path.name))
    assert [type(i) for i in items] == [Quarantined, Identity, Comment]
    assert isinstance(items[0], Quarantined) and "issue_comments_000001.json#0" in items[0].reason
    assert not any(isinstance(i, Ticket | TicketEvent) for i in items)
