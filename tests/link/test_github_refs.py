"""References on GitHub tickets: #N, owner/repo#N, closing keywords, URLs, timelines, @logins, lore links."""

from __future__ import annotations

import pytest

from workgym.ingest.corpus import Corpus
from workgym.link.refs import TextLinker, extract_refs
from workgym.model import Comment, Commit, Email, Message, Record, Ticket, TicketEvent

SHA = "510307976d27823456111186cc6a308144372983"
PEOPLE = {"github:ada": "P1", "github:ben": "P2"}


def person_of(source_id: int, key: str) -> str | None:
    return PEOPLE.get(key)


def corpus_of(*records: Record) -> Corpus:
    corpus = Corpus()
    for record in records:
        corpus.add(1, record)
    return corpus


def gh(number: int, text: str = "", kind: str = "issue", repo: str = "acme/widget") -> Ticket:
    name = repo.rsplit("/", 1)[-1]
    return Ticket(
        id=f"{name}#{number}",
        project=repo,
        summary=f"item {number}",
        description=text,
        type=kind,
        locator=f"{number}",
    )


def refs_of(records: list[Record], src_id: str) -> list[tuple[str, str, str, str | None]]:
    """(ref_kind, raw, dst_kind, dst_id) of the refs one record makes."""
    return [
        (r.ref_kind, r.raw, r.dst_kind, r.dst_id)
        for r in extract_refs(corpus_of(*records), person_of)
        if r.src_id == src_id
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a bare #N on a GitHub ticket is its repository's issue or pull request
        ("see #7", [("issue", "#7", "ticket", "widget#7")]),
        ("see #8 for the fix", [("pull_request", "#8", "ticket", "widget#8")]),
        # one the data does not hold stays, unresolved
        ("see #99", [("issue", "#99", "ticket", None)]),
        # closing keywords record a closing relation, whatever their case
        ("Fixes #7.", [("closes", "Fixes #7", "ticket", "widget#7")]),
        ("this closes #7", [("closes", "closes #7", "ticket", "widget#7")]),
        ("Resolved: #7", [("closes", "Resolved: #7", "ticket", "widget#7")]),
        ("prefixes #7", [("issue", "#7", "ticket", "widget#7")]),  # "fixes" inside a word is no keyword
        # owner/repo#N and repo#N, in this repository or another stored one
        ("dup of acme/widget#7", [("issue", "acme/widget#7", "ticket", "widget#7")]),
        ("dup of widget#7", [("issue", "widget#7", "ticket", "widget#7")]),
        ("needs acme/gear#3", [("issue", "acme/gear#3", "ticket", "gear#3")]),
        ("Fixes acme/gear#3", [("closes", "Fixes acme/gear#3", "ticket", "gear#3")]),
        # a repository with no stored tickets keeps the old meaning (a pull request, by its merge commit)
        ("per rust-lang/rfcs#453", [("pull_request", "rust-lang/rfcs#453", "commit", None)]),
        # web URLs of stored repositories name the ticket
        (
            "https://github.com/acme/widget/pull/8",
            [("pull_request", "https://github.com/acme/widget/pull/8", "ticket", "widget#8")],
        ),
        (
            "https://github.com/acme/widget/issues/7#x",
            [("issue", "https://github.com/acme/widget/issues/7#x", "ticket", "widget#7")],
        ),
        # HTML entities and anchors are not references
        ("&#7; and a/#7", []),
        # @logins the data names are mentions; others (decorators, handles of nobody here) are not
        ("r? @ben, see @param", [("user_mention", "@ben", "person", "P2")]),
    ],
)
def test_when_a_github_ticket_cites_then_the_ref_is_what_github_means(
    text: str, expected: list[tuple[str, str, str, str | None]]
) -> None:
    records: list[Record] = [gh(1, text), gh(7), gh(8, kind="pull request"), gh(3, repo="acme/gear")]
    assert refs_of(records, "widget#1") == expected


def test_when_a_comment_on_a_github_ticket_cites_then_it_resolves_in_that_repository() -> None:
    records: list[Record] = [
        gh(7),
        gh(3, repo="acme/gear"),
        Comment(id="issuecomment-1", ticket_id="gear#3", body="same as #3? no, #7 is elsewhere", locator="c"),
    ]
    assert refs_of(records, "issuecomment-1") == [
        ("issue", "#3", "ticket", "gear#3"),
        ("issue", "#7", "ticket", None),  # gear has no #7
    ]


def test_when_timeline_events_then_cross_references_and_commits_are_refs_with_their_source() -> None:
    records: list[Record] = [
        gh(7),
        gh(8, kind="pull request"),
        TicketEvent(
            id="widget#7:x:0",
            ticket_id="widget#7",
            field="cross-referenced",
            from_value="widget#8",
            locator="x#0",
        ),
        TicketEvent(
            id="widget#7:x:1",
            ticket_id="widget#7",
            field="cross-referenced",
            from_value="widget#5",
            locator="x#1",
        ),
        TicketEvent(id="widget#7:x:2", ticket_id="widget#7", field="referenced", to_value=SHA, locator="x#2"),
        TicketEvent(
            id="widget#7:x:3", ticket_id="widget#7", field="labeled", to_value="E-easy", locator="x#3"
        ),
        Commit(id=SHA, message="Auto merge of #8", locator="git:1", repo="acme/widget"),
    ]
    found = [
        (r.src_id, r.field, r.ref_kind, r.dst_kind, r.dst_id)
        for r in extract_refs(corpus_of(*records), person_of)
    ]
    assert ("widget#7:x:0", "from_value", "cross_reference", "ticket", "widget#8") in found
    assert ("widget#7:x:1", "from_value", "cross_reference", "ticket", None) in found
    assert ("widget#7:x:2", "to_value", "commit", "commit", SHA) in found
    assert not [f for f in found if f[0] == "widget#7:x:3"]
    # the commit's bare #8 names the stored pull request, as it has no merge commit of its own
    assert (SHA, "message", "pull_request", "ticket", "widget#8") in found


def test_when_no_github_tickets_then_hash_numbers_outside_commits_stay_out() -> None:
    records: list[Record] = [
        Ticket(id="ENG-1", project="ENG", summary="s", description="item #7 and Fixes #8", locator="j"),
        Message(id="C1:1.0", channel_id="C1", ts="", text="agenda #1 #2 @ben", locator="m"),
    ]
    assert extract_refs(corpus_of(*records), person_of) == []


def test_when_a_lore_link_names_a_stored_mail_then_it_resolves_to_it() -> None:
    records: list[Record] = [
        Email(id="20190415.1@example.org", subject="[PATCH] x", body="", locator="m:1"),
        Email(
            id="20190416.2@example.org",
            subject="Re: [PATCH] x",
            body="Link: https://lore.kernel.org/linux-mips/20190415.1@example.org/\n"
            "and https://lkml.kernel.org/r/20190101.9%40example.org\n",
            locator="m:2",
        ),
    ]
    found = [
        (r.ref_kind, r.dst_id)
        for r in extract_refs(corpus_of(*records), person_of)
        if r.src_id == "20190416.2@example.org"
    ]
    assert found == [("email", "20190415.1@example.org"), ("email", None)]


def test_when_an_agent_writes_on_a_github_ticket_then_its_refs_resolve_like_stored_ones() -> None:
    linker = TextLinker(corpus_of(gh(7), gh(8, kind="pull request")), person_of)
    assert linker.refs("Fixes #7", kind="ticket_comment", ticket="widget#8") == [
        ("closes", "ticket", "widget#7")
    ]
    assert linker.refs("See widget#7.", kind="ticket_comment") == [("issue", "ticket", "widget#7")]
    assert linker.refs("See #7.", kind="message") == []  # no repository to read a bare #N in
