"""Jira REST v2 issue JSON: issue files, search results, project metadata, and what goes wrong."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from workgym.ingest import jira
from workgym.ingest.base import SNIFF_BYTES, Item
from workgym.model import Comment, Identity, Quarantined, Ticket, TicketEvent, TicketLink

# Fictional people; the real corpus is only counted, never printed.
ADA = {
    "name": "ada",
    "key": "ada",
    "displayName": "Ada Quill",
    "emailAddress": "ada@example.org",
    "active": True,
    "timeZone": "Europe/Paris",
}
BEN = {
    "name": "bwire",
    "key": "bwire",
    "displayName": "Ben Wire",
    "active": False,
    "timeZone": "America/Chicago",
}
CLOUD = {"accountId": "5b10a2844c20165700ede21g", "displayName": "Cy Cloud", "active": True}


def issue(key: str = "DEMO-7", **fields: Any) -> dict[str, Any]:
    """A Jira issue as /rest/api/2/issue/KEY returns it, with the fields given added."""
    base: dict[str, Any] = {
        "issuetype": {"id": "1", "name": "Bug", "subtask": False},
        "project": {"id": "100", "key": "DEMO", "name": "Demo"},
        "fixVersions": [{"id": "1", "name": "Demo 1.5.0", "released": True}],
        "resolution": {"id": "1", "name": "Fixed"},
        "resolutiondate": "2014-08-05T05:31:15.000+0000",
        "created": "2014-06-30T19:28:17.000-0700",
        "priority": {"name": "Medium", "id": "3"},
        "labels": ["qe-manualtest", "regression"],
        "versions": [{"id": "2", "name": "Demo 1.4.0"}],
        "issuelinks": [],
        "assignee": BEN,
        "updated": "2014-09-13T16:40:54.000+0000",
        "status": {"name": "Closed", "id": "6"},
        "components": [{"id": "3", "name": "Tooling"}, {"id": "4", "name": "Docs"}],
        "description": "Given this in *index.xml*:\r\n{code}\r\n<Alloy/>\r\n{code}\r\n",
        "summary": "ListView parser should remove {{Templates}} node",
        "creator": ADA,
        "reporter": ADA,
        "environment": "iOS 8\r\nTiSDK 3.4.0",
        "comment": {"comments": [], "maxResults": 0, "total": 0, "startAt": 0},
    }
    base.update(fields)
    return {"id": "132418", "key": key, "fields": base}


def comment(comment_id: str, author: dict[str, Any], body: str | None, created: str) -> dict[str, Any]:
    made = {
        "id": comment_id,
        "author": author,
        "updateAuthor": author,
        "created": created,
        "updated": created,
    }
    if body is not None:
        made["body"] = body
    return made


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content, indent="\t"), encoding="utf-8")
    return path


def parse(path: Path, rel: str) -> list[Item]:
    return list(jira.parse(path, rel))


def of(items: list[Item], kind: type) -> list[Any]:
    return [item for item in items if isinstance(item, kind)]


def test_when_issue_file_then_ticket_keeps_text_and_names_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, "DEMO/DEMO-7.json", issue())

    items = parse(path, "DEMO/DEMO-7.json")

    assert of(items, Quarantined) == []
    [ticket] = of(items, Ticket)
    assert ticket == Ticket(
        id="DEMO-7",
        project="DEMO",
        summary="ListView parser should remove {{Templates}} node",
        locator="DEMO/DEMO-7.json",
        description="Given this in *index.xml*:\r\n{code}\r\n<Alloy/>\r\n{code}\r\n",
        type="Bug",
        status="Closed",
        priority="Medium",
        resolution="Fixed",
        reporter="jira:ada",
        assignee="jira:bwire",
        creator="jira:ada",
        created="2014-07-01T02:28:17+00:00",  # -0700 in the file
        updated="2014-09-13T16:40:54+00:00",
        resolved="2014-08-05T05:31:15+00:00",
        labels=("qe-manualtest", "regression"),
        components=("Tooling", "Docs"),
        fix_versions=("Demo 1.5.0",),
        affects_versions=("Demo 1.4.0",),
        environment="iOS 8\r\nTiSDK 3.4.0",
    )


def test_when_fields_are_null_then_ticket_has_empty_values(tmp_path: Path) -> None:
    nulls = issue(
        "OPEN-1",
        project=None,
        assignee=None,
        priority=None,
        resolution=None,
        resolutiondate=None,
        description=None,
        environment=None,
        labels=[],
    )
    path = write(tmp_path, "OPEN-1.json", nulls)

    [ticket] = of(parse(path, "OPEN-1.json"), Ticket)

    assert (ticket.project, ticket.assignee, ticket.priority, ticket.resolved) == ("OPEN", "", "", "")
    assert (ticket.description, ticket.environment, ticket.labels) == ("", "", ())


@pytest.mark.parametrize(
    ("fields", "parent"),
    [
        ({"parent": {"id": "1", "key": "DEMO-2", "fields": {"summary": "Epic work"}}}, "DEMO-2"),  # sub-task
        ({"epic": {"id": 9, "key": "DEMO-3", "name": "Document it", "done": False}}, "DEMO-3"),  # epic link
        ({}, ""),  # neither
    ],
)
def test_when_issue_has_parent_or_epic_then_ticket_names_it(
    tmp_path: Path, fields: dict[str, Any], parent: str
) -> None:
    path = write(tmp_path, "DEMO-7.json", issue(**fields))

    [ticket] = of(parse(path, "DEMO-7.json"), Ticket)

    assert ticket.parent == parent


def test_when_users_appear_then_each_identity_is_yielded_once_per_file(tmp_path: Path) -> None:
    comments = [
        comment("10", ADA, "first", "2014-08-04T09:26:57.000+0000"),
        comment("11", CLOUD, "second", "2014-08-05T09:26:57.000+0000"),
        comment("12", ADA, "third", "2014-08-06T09:26:57.000+0000"),
    ]
    path = write(tmp_path, "DEMO-7.json", issue(comment={"comments": comments}))

    identities = of(parse(path, "DEMO-7.json"), Identity)

    by_key = {identity.key: identity for identity in identities}
    assert len(identities) == len(by_key) == 3
    assert by_key["jira:ada"] == Identity(
        key="jira:ada",
        locator="DEMO-7.json",
        display_name="Ada Quill",
        emails=("ada@example.org",),
        handle="ada",
        timezone="Europe/Paris",
    )
    assert by_key["jira:bwire"].deleted  # "active": false
    cloud = by_key["jira:5b10a2844c20165700ede21g"]  # Jira Cloud: no name, so the account id
    assert (cloud.handle, cloud.display_name, cloud.locator) == ("", "Cy Cloud", "DEMO-7.json/comment#1")


def test_when_issue_has_comments_then_each_is_a_comment_with_its_locator(tmp_path: Path) -> None:
    comments = [
        comment(
            "316816", BEN, "PR: https://example.org/pull/499\r\n{code}x{code}", "2014-08-04T09:26:57.000+0000"
        ),
        comment("316817", ADA, None, "2014-08-05T10:00:00.000+0200"),  # Jira omits an empty body
    ]
    path = write(tmp_path, "DEMO-7.json", issue(comment={"comments": comments, "total": 2}))

    found = of(parse(path, "DEMO/DEMO-7.json"), Comment)

    assert found == [
        Comment(
            id="316816",
            ticket_id="DEMO-7",
            body="PR: https://example.org/pull/499\r\n{code}x{code}",
            locator="DEMO/DEMO-7.json/comment#0",
            author="jira:bwire",
            created="2014-08-04T09:26:57+00:00",
            updated="2014-08-04T09:26:57+00:00",
        ),
        Comment(
            id="316817",
            ticket_id="DEMO-7",
            body="",
            locator="DEMO/DEMO-7.json/comment#1",
            author="jira:ada",
            created="2014-08-05T08:00:00+00:00",
            updated="2014-08-05T08:00:00+00:00",
        ),
    ]


def test_when_issue_lists_links_then_each_listing_is_a_link_from_this_side(tmp_path: Path) -> None:
    depends = {"id": "10020", "name": "Depends", "inward": "is dependent of", "outward": "depends on"}
    links = [
        {"id": "1", "type": depends, "inwardIssue": {"id": "9", "key": "TOOL-1859", "fields": {}}},
        {"id": "2", "type": depends, "outwardIssue": {"id": "8", "key": "DEMO-9", "fields": {}}},
    ]
    path = write(tmp_path, "DEMO-7.json", issue(issuelinks=links))

    found = of(parse(path, "DEMO-7.json"), TicketLink)

    assert found == [
        TicketLink("DEMO-7", "TOOL-1859", "Depends", "inward", "is dependent of", "DEMO-7.json/link#0"),
        TicketLink("DEMO-7", "DEMO-9", "Depends", "outward", "depends on", "DEMO-7.json/link#1"),
    ]


def test_when_issue_has_changelog_then_each_item_is_an_event(tmp_path: Path) -> None:
    data = issue()
    data["changelog"] = {
        "startAt": 0,
        "total": 1,
        "histories": [
            {
                "id": "5001",
                "author": BEN,
                "created": "2014-07-02T10:00:00.000+0000",
                "items": [
                    {"field": "status", "from": "1", "fromString": "Open", "to": "5", "toString": "Resolved"},
                    {"field": "Fix Version", "from": None, "fromString": None, "to": "15909"},  # no toString
                ],
            }
        ],
    }
    path = write(tmp_path, "DEMO-7.json", data)

    events = of(parse(path, "DEMO-7.json"), TicketEvent)

    assert events == [
        TicketEvent(
            "5001:0",
            "DEMO-7",
            "status",
            "DEMO-7.json/history#0/item#0",
            "jira:bwire",
            "2014-07-02T10:00:00+00:00",
            "Open",
            "Resolved",
        ),
        TicketEvent(
            "5001:1",
            "DEMO-7",
            "Fix Version",
            "DEMO-7.json/history#0/item#1",
            "jira:bwire",
            "2014-07-02T10:00:00+00:00",
            "",
            "15909",
        ),
    ]


def test_when_search_results_then_issues_are_located_by_index(tmp_path: Path) -> None:
    results = {
        "expand": "names,schema",
        "startAt": 0,
        "maxResults": 50,
        "total": 3,
        "issues": [issue("DEMO-1"), {"id": "2", "fields": {}}, issue("DEMO-3")],
    }
    path = write(tmp_path, "search.json", results)

    items = parse(path, "exports/search.json")

    assert [(t.id, t.locator) for t in of(items, Ticket)] == [
        ("DEMO-1", "exports/search.json#0"),
        ("DEMO-3", "exports/search.json#2"),
    ]
    [bad] = of(items, Quarantined)
    assert bad.locator == "exports/search.json#1"
    assert '"key"' in bad.reason


def test_when_project_metadata_then_nothing_is_yielded(tmp_path: Path) -> None:
    project = {
        "id": "100",
        "key": "DEMO",
        "description": "Demo framework",
        "components": [{"id": "3", "name": "Tooling"}],
        "issueTypes": [{"id": "1", "name": "Bug"}],
        "url": "https://example.org",
        "versions": [],
        "name": "Demo",
    }
    path = write(tmp_path, "DEMO/project.json", project)

    assert jira.detect(path, path.read_bytes()[:SNIFF_BYTES])
    assert parse(path, "DEMO/project.json") == []


@pytest.mark.parametrize(
    ("content", "claimed"),
    [
        (json.dumps(issue(), indent="\t").encode(), True),  # an issue file
        (b'\xef\xbb\xbf {"key": "DEMO-1", "fields": {}}', True),  # with a byte-order mark
        (b'{"startAt": 0, "maxResults": 50, "total": 0, "issues": []}', True),  # empty search results
        (b'{"id": "1", "key": "DEMO", "components": []}', True),  # project metadata
        (b'[{"key": "DEMO-1", "fields": {}}]', False),  # a JSON array (Slack day files are arrays)
        (b'{"key": "value", "other": 1}', False),  # some other JSON object
        (b'{"issues": ["no", "search", "keys"]}', False),  # "issues" alone is not Jira
        (b'{"sha": "abc", "message": "key fields"}\n', False),  # a commit line
        (b"<p>Welcome to the archive of the fields and the key</p>", False),  # HTML
    ],
)
def test_when_sniffing_then_only_jira_json_is_claimed(tmp_path: Path, content: bytes, claimed: bool) -> None:
    path = write(tmp_path, "any-name.txt", content)

    assert jira.detect(path, content[:SNIFF_BYTES]) is claimed


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # cut short inside a string
        pytest.param(
            json.dumps(issue()).encode()[:200], "truncated JSON: Unterminated string", id="truncated"
        ),
        # cut short between values
        pytest.param(b'{"key": "DEMO-7", "fields": {', "truncated JSON: ", id="truncated-at-end"),
        # a trailing comma
        pytest.param(b'{"key": "DEMO-7", "fields": {"summary": "x",}}', "invalid JSON: ", id="invalid"),
        # a Latin-1 byte
        pytest.param(
            b'{"key": "DEMO-7", "fields": {"summary": "caf\xe9"}}', "invalid UTF-8 at byte 44", id="latin1"
        ),
        # an array, not an object
        pytest.param(
            b'[{"key": "DEMO-7", "fields": {}}]', "not a Jira issue: the file holds a JSON array", id="array"
        ),
        pytest.param(b'{"id": "1", "fields": {"summary": "x"}}', 'Jira issue has no "key"', id="no-key"),
        pytest.param(
            b'{"id": "1", "key": "DEMO-7", "self": "x"}', 'Jira issue DEMO-7 has no "fields"', id="no-fields"
        ),
        pytest.param(
            b'{"key": "DEMO-7", "fields": []}',
            'Jira issue DEMO-7 has a JSON array as its "fields"',
            id="bad-fields",
        ),
    ],
)
def test_when_file_is_broken_then_it_is_quarantined_with_where(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = write(tmp_path, "DEMO-7.json", content)

    [item] = parse(path, "DEMO-7.json")

    assert isinstance(item, Quarantined)
    assert item.locator == "DEMO-7.json"
    assert item.reason.startswith(expected), item.reason
    assert item.raw


def test_when_json_error_then_reason_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "DEMO-7.json", b'{\n  "key": "DEMO-7",\n  "fields": {"summary": x}\n}')

    [item] = parse(path, "DEMO-7.json")

    assert isinstance(item, Quarantined)
    assert item.reason.endswith("line 3, column 25 (char 45) of DEMO-7.json"), item.reason


def test_when_a_field_is_not_a_time_then_the_ticket_alone_is_quarantined(tmp_path: Path) -> None:
    comments = [comment("10", BEN, "still read", "2014-08-04T09:26:57.000+0000")]
    path = write(tmp_path, "DEMO-7.json", issue(created="yesterday", comment={"comments": comments}))

    items = parse(path, "DEMO-7.json")

    [bad] = of(items, Quarantined)
    assert (bad.locator, bad.reason) == (
        "DEMO-7.json",
        "Jira issue DEMO-7: created 'yesterday' is not a time",
    )
    assert of(items, Ticket) == []
    assert [c.id for c in of(items, Comment)] == ["10"]
    assert [i.key for i in of(items, Identity)] == [
        "jira:bwire"
    ]  # the quarantined ticket's people go with it


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            {"author": ADA, "body": "x", "created": "2014-08-04T09:26:57.000+0000"},
            'comment on DEMO-7: no "id"',
        ),
        ("just text", "comment on DEMO-7: a JSON string, expected an object"),
        (
            {"id": "3", "author": "ada", "body": "x"},
            "comment on DEMO-7: author is a JSON string, expected a user",
        ),
    ],
)
def test_when_a_comment_is_broken_then_only_it_is_quarantined(
    tmp_path: Path, entry: Any, reason: str
) -> None:
    good = comment("10", BEN, "fine", "2014-08-04T09:26:57.000+0000")
    path = write(tmp_path, "DEMO-7.json", issue(comment={"comments": [good, entry]}))

    items = parse(path, "DEMO-7.json")

    [bad] = of(items, Quarantined)
    assert bad.locator == "DEMO-7.json/comment#1"
    assert bad.reason.startswith(reason), bad.reason
    assert len(of(items, Ticket)) == len(of(items, Comment)) == 1


def test_when_a_link_names_no_other_issue_then_it_is_quarantined(tmp_path: Path) -> None:
    path = write(tmp_path, "DEMO-7.json", issue(issuelinks=[{"id": "1", "type": {"name": "Relates"}}]))

    items = parse(path, "DEMO-7.json")

    [bad] = of(items, Quarantined)
    assert bad.locator == "DEMO-7.json/link#0"
    assert "neither" in bad.reason
    assert of(items, TicketLink) == []


def test_when_titanium_dump_is_read_then_every_issue_comment_and_link_is_counted(shared_data: Path) -> None:
    root = shared_data / "titanium" / "jira"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    counts: Counter[str] = Counter()
    distinct_links: set[tuple[str, str, str]] = set()
    unclaimed: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        with path.open("rb") as fh:
            if not jira.detect(path, fh.read(SNIFF_BYTES)):
                unclaimed.append(path.name)
                continue
        counts["files"] += 1
        for item in jira.parse(path, path.relative_to(root).as_posix()):
            counts[type(item).__name__] += 1
            if isinstance(item, Quarantined):
                pytest.fail(f"{item.locator}: {item.reason}")
            if isinstance(item, TicketLink):
                ends = (item.ticket_id, item.other_id)
                source, target = ends if item.direction == "outward" else ends[::-1]
                distinct_links.add((source, target, item.link_type))

    assert sorted(unclaimed) == ["LICENSE.jira-archive", "README.jira-archive.md", "index.html"]
    assert counts["files"] == 6_773 + 4  # the issues and four project.json
    assert (counts["Ticket"], counts["Comment"], counts["TicketLink"]) == (6_773, 27_026, 4_236)
    assert len(distinct_links) == 2_695
