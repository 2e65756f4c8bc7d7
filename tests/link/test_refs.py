from __future__ import annotations

import json
from pathlib import Path

import pytest

from workgym.ingest.corpus import Corpus
from workgym.link.config import LinkConfig, RefPattern, load_link_config
from workgym.link.refs import extract_refs
from workgym.model import (
    CalendarEvent,
    Channel,
    Comment,
    Commit,
    Document,
    Email,
    Identity,
    Message,
    Record,
    Ref,
    Ticket,
)

MERGE_499 = "23da3c8641" + "0123456789abcdef0123456789" + "abcd"  # "Merge pull request #499 from ..."
SQUASH_882 = "0d6a312cfa" + "fedcba9876543210fedcba9876" + "5432"  # "... (#882)"
CHANNEL = "C024BE91L"
PERMALINK_MESSAGE = f"{CHANNEL}:1433558319.000002"
PEOPLE = {
    "slack:U123ABC": "P1",
    "jira:skypanther": "P2",
    "email:jo@example.com": "P3",
    "irc:tdonohue": "P4",
}


def person_of(source_id: int, key: str) -> str | None:
    return PEOPLE.get(key)


def corpus_of(*records: Record) -> Corpus:
    """A corpus holding the records in order, the n-th from source n."""
    corpus = Corpus()
    for source_id, record in enumerate(records, start=1):
        corpus.add(source_id, record)
    return corpus


def stored() -> list[Record]:
    """A small workspace every kind of reference can point into."""
    return [
        Channel(id=CHANNEL, name="general", locator="channels.json#0"),
        Message(
            id=PERMALINK_MESSAGE,
            channel_id=CHANNEL,
            ts="2015-06-05T02:31:59+00:00",
            text="plan attached",
            locator="general/2015-06-05.json#0",
            files=("https://acme.slack.com/files/U123ABC/F0ABCDEF1/plan.png",),
        ),
        Ticket(id="ALOY-1064", project="ALOY", summary="ListView parser", locator="ALOY-1064.json"),
        Commit(
            id=MERGE_499, message="Merge pull request #499 from feons/ALOY-1064", locator="c:1", repo="alloy"
        ),
        Commit(
            id=SQUASH_882,
            message="fix(runtime): models (#882)\n\nFixes ALOY-1598",
            locator="c:2",
            repo="alloy",
        ),
        Document(
            id="docs/design.md",
            title="Design",
            body="# Design",
            text="Design",
            format="markdown",
            locator="docs/design.md",
            url="https://wiki.example.com/design",
        ),
        Email(
            id="m1@example.com",
            subject="Plan",
            body="the plan",
            locator="list.mbox:1",
            sender="email:jo@example.com",
        ),
    ]


def message(text: str, message_id: str = f"{CHANNEL}:1433600000.000100") -> Message:
    return Message(id=message_id, channel_id=CHANNEL, ts="", text=text, locator="general/x.json#1")


def refs_of(record: Record, *others: Record, config: LinkConfig | None = None) -> list[Ref]:
    """The refs whose source is ``record``, extracted with the stored workspace beside it."""
    refs = extract_refs(corpus_of(*stored(), *others, record), person_of, config or LinkConfig())
    record_id = getattr(record, "id")  # noqa: B009
    return [r for r in refs if r.src_id == record_id]


def summary(refs: list[Ref]) -> list[tuple[str, str, str, str | None]]:
    return [(r.ref_kind, r.raw, r.dst_kind, r.dst_id) for r in refs]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a stored ticket's key, plain and in brackets
        ("see ALOY-1064 please", ("ticket", "ALOY-1064", "ticket", "ALOY-1064")),
        ("[ALOY-1064] parser", ("ticket", "ALOY-1064", "ticket", "ALOY-1064")),
        # a key of a stored project whose ticket is absent: kept, unresolved
        ("is ALOY-9999 related?", ("ticket", "ALOY-9999", "ticket", None)),
        # a Jira browse URL is one ticket ref, not a URL plus a key
        (
            "https://jira.appcelerator.org/browse/ALOY-1064",
            ("ticket", "https://jira.appcelerator.org/browse/ALOY-1064", "ticket", "ALOY-1064"),
        ),
        # a pull request URL resolves to its merge commit; the old owner name still matches
        (
            "PR: https://github.com/appcelerator/alloy/pull/499.",
            ("pull_request", "https://github.com/appcelerator/alloy/pull/499", "commit", MERGE_499),
        ),
        # a squash-merged pull request resolves to the commit ending "(#882)"
        (
            "[#882](https://github.com/tidev/alloy/pull/882)",
            ("pull_request", "https://github.com/tidev/alloy/pull/882", "commit", SQUASH_882),
        ),
        # the same number in another repository stays unresolved
        (
            "https://github.com/appcelerator/titanium_mobile/pull/499",
            ("pull_request", "https://github.com/appcelerator/titanium_mobile/pull/499", "commit", None),
        ),
        # owner/repo#N names a pull request without a URL
        ("merged tidev/alloy#499 today", ("pull_request", "tidev/alloy#499", "commit", MERGE_499)),
        # GitHub issues are not stored: unresolved
        (
            "https://github.com/tidev/alloy/issues/12",
            ("issue", "https://github.com/tidev/alloy/issues/12", "issue", None),
        ),
        # a commit URL resolves by sha
        (
            f"https://github.com/tidev/alloy/commit/{MERGE_499}",
            ("commit", f"https://github.com/tidev/alloy/commit/{MERGE_499}", "commit", MERGE_499),
        ),
        # a Slack permalink in Slack's own <url|label> markup
        (
            "<https://acme.slack.com/archives/C024BE91L/p1433558319000002|this>",
            (
                "message",
                "https://acme.slack.com/archives/C024BE91L/p1433558319000002",
                "message",
                PERMALINK_MESSAGE,
            ),
        ),
        # a Slack channel link
        (
            "<https://acme.slack.com/archives/C024BE91L>",
            ("channel_mention", "https://acme.slack.com/archives/C024BE91L", "channel", CHANNEL),
        ),
        # a Slack file link points at the message that shared the file
        (
            "https://acme.slack.com/files/U123ABC/F0ABCDEF1/plan.png",
            (
                "file",
                "https://acme.slack.com/files/U123ABC/F0ABCDEF1/plan.png",
                "message",
                PERMALINK_MESSAGE,
            ),
        ),
        # a Bugzilla URL: no such tracker stored
        (
            "https://bugs.webkit.org/show_bug.cgi?id=151348",
            ("bug", "https://bugs.webkit.org/show_bug.cgi?id=151348", "bug", None),
        ),
        # a document's URL
        (
            "https://wiki.example.com/design/",
            ("document", "https://wiki.example.com/design/", "document", "docs/design.md"),
        ),
        # any other URL, trailing punctuation left out, balanced parentheses kept
        (
            "(https://en.wikipedia.org/wiki/Foo_(bar)).",
            ("url", "https://en.wikipedia.org/wiki/Foo_(bar)", "", None),
        ),
        # Jira wiki link markup ends the URL at ]
        ("[docs|https://example.org/a?b=1]", ("url", "https://example.org/a?b=1", "", None)),
        # Slack user mentions, with and without the label
        ("<@U123ABC> ping", ("user_mention", "<@U123ABC>", "person", "P1")),
        ("<@U123ABC|jo> ping", ("user_mention", "<@U123ABC|jo>", "person", "P1")),
        # a Slack mention of someone unknown: kept, unresolved
        ("<@U999> ping", ("user_mention", "<@U999>", "person", None)),
        # a Jira user mention
        ("thanks [~skypanther]", ("user_mention", "[~skypanther]", "person", "P2")),
        # an e-mail address, resolved through the global email: namespace
        ("write to Jo@Example.com.", ("email_address", "Jo@Example.com", "person", "P3")),
        # pipermail's obfuscated address, kept because it is known
        ("From: jo at example.com (Jo)", ("email_address", "jo at example.com", "person", "P3")),
        # a Slack channel mention, stored and not
        ("in <#C024BE91L|general>", ("channel_mention", "<#C024BE91L|general>", "channel", CHANNEL)),
        ("in <#C0000000|gone>", ("channel_mention", "<#C0000000|gone>", "channel", None)),
        # Bugzilla-style bug numbers
        ("see Bug 12345", ("bug", "Bug 12345", "bug", None)),
        ("see bug #12345", ("bug", "bug #12345", "bug", None)),
        # a CVE id is its own kind, not a ticket
        ("CVE-2021-44228 again", ("cve", "CVE-2021-44228", "cve", None)),
        # a short sha resolves by unique prefix
        ("fixed in 23da3c8.", ("commit", "23da3c8", "commit", MERGE_499)),
        # a full sha of a commit not stored: kept, unresolved
        ("cherry picked from " + "f" * 39 + "1", ("commit", "f" * 39 + "1", "commit", None)),
        # a bare path ending in a document id, and a relative Markdown link
        ("read repo/docs/design.md first", ("document", "repo/docs/design.md", "document", "docs/design.md")),
        (
            "[design](docs/design.md#goals)",
            ("document", "docs/design.md#goals", "document", "docs/design.md"),
        ),
    ],
)
def test_when_message_cites_a_target_then_one_ref_with_kind_and_target(
    text: str, expected: tuple[str, str, str, str | None]
) -> None:
    assert summary(refs_of(message(text))) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "UTF-8, ISO-8859-1 and SHA-256",  # encodings and hashes written like keys
        "RFC-822 RFC-2822 RFC-5322",  # denylisted even with three numbers
        "needs GCC-4.8 or newer",  # a version, not a key
        "ABC-12 once",  # an unknown prefix cited once
        "deadbeef and 1234567",  # hex without a digit, digits without a letter
        "see abc1234",  # a short sha naming no commit
        "we're #1, see #2",  # a bare number outside a commit message
        "&#123; is an entity",  # an HTML entity
        "look at example.com",  # English, not an obfuscated address
        "icon@2x.png",  # an image name
        "DSPR#712",  # someone's own notation, unless configured
        "[x](image.png) and [y](#anchor)",  # not a document link
        "bug 12 and debug 12345",  # too short a bug number; a word ending in "bug"
    ],
)
def test_when_text_only_looks_like_a_reference_then_no_ref(text: str) -> None:
    assert refs_of(message(text)) == []


def test_when_refs_extracted_then_spans_give_the_raw_text() -> None:
    text = (
        "ALOY-1064 via https://github.com/tidev/alloy/pull/499 by <@U123ABC>, cc jo@example.com;\n"
        "sha 23da3c8, [~skypanther], bug 4321, CVE-2020-1234, <#C024BE91L|general>"
    )
    refs = refs_of(message(text))
    assert len(refs) == 9
    assert all(text[r.start : r.end] == r.raw for r in refs)
    assert [r.start for r in refs] == sorted(r.start for r in refs)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        # a ticket key inside a URL gives the URL's one ref ...
        ("https://example.org/notes/ALOY-1064.html", ["url"]),
        # ... a ticket ref when the key is a whole path segment (a branch, a test app's folder)
        ("https://github.com/feons/alloy/tree/ALOY-1064", ["ticket"]),
        # a sha inside a commit URL: one commit ref
        (f"https://github.com/tidev/alloy/commit/{MERGE_499}", ["commit"]),
        # an address inside a URL belongs to the URL
        ("https://example.org/u/jo@example.com", ["url"]),
        # a Jira mention of an address is a user mention, not an address
        ("[~jo@example.com]", ["user_mention"]),
        # the URL in Slack's mailto markup is no http URL: both addresses count
        ("<mailto:jo@example.com|jo@example.com>", ["email_address", "email_address"]),
    ],
)
def test_when_candidates_overlap_then_the_highest_ranked_claims_the_span(text: str, kinds: list[str]) -> None:
    assert [r.ref_kind for r in refs_of(message(text))] == kinds


@pytest.mark.parametrize(
    ("text", "config", "accepted"),
    [
        # three distinct numbers make an unknown prefix a ticket prefix
        ("DS-1 DS-2 DS-3", LinkConfig(), True),
        # two are not enough ...
        ("DS-1 DS-2 DS-2", LinkConfig(), False),
        # ... unless the configuration names the prefix
        ("DS-1", LinkConfig(ticket_prefixes=("DS",)), True),
        # or the threshold is lowered
        ("DS-1 DS-2", LinkConfig(min_ticket_numbers=2), True),
        # a Jira browse URL anywhere vouches for its prefix
        ("https://jira.duraspace.org/browse/DS-9 and DS-1", LinkConfig(), True),
        # ignoring a prefix wins even over a stored project
        ("ALOY-1064", LinkConfig(ignore_ticket_prefixes=("ALOY",)), False),
    ],
)
def test_when_prefix_is_vouched_for_then_its_keys_are_tickets(
    text: str, config: LinkConfig, accepted: bool
) -> None:
    refs = refs_of(message(text), config=config)
    plain_keys = [r for r in refs if r.ref_kind == "ticket" and "://" not in r.raw]
    assert bool(plain_keys) is accepted
    assert all(r.dst_id is None for r in plain_keys if not r.raw.startswith("ALOY"))


def test_when_dspace_keys_have_no_tickets_then_refs_are_kept_unresolved() -> None:
    commits = [
        Commit(id=f"{n:040x}", message=f"[DS-{n}] fix", locator=f"c:{n}", repo="DSpace")
        for n in (3975, 3976, 3977)
    ]
    refs = extract_refs(corpus_of(*commits), person_of)
    assert summary(refs) == [("ticket", f"DS-{n}", "ticket", None) for n in (3975, 3976, 3977)]


@pytest.mark.parametrize(
    ("repo", "url", "resolved"),
    [
        ("alloy", "https://github.com/appcelerator/alloy/pull/7", True),  # old owner
        ("alloy", "https://github.com/tidev/alloy/pull/7", True),  # new owner
        ("tidev/alloy", "https://github.com/appcelerator/alloy/pull/7", True),  # owner/name on the commit
        ("Alloy", "https://github.com/TiDev/ALLOY/pull/7/files", True),  # case, and a sub-page
        ("alloy", "https://github.com/tidev/titanium_mobile/pull/7", False),  # another repository
        ("", "https://github.com/tidev/titanium_mobile/pull/7", True),  # no repo names: any repository
    ],
)
def test_when_pull_request_cited_then_merge_commit_matched_by_repo_name(
    repo: str, url: str, resolved: bool
) -> None:
    merge = Commit(id="a1" * 20, message="Merge pull request #7 from x/y\n\nfix", locator="c:1", repo=repo)
    refs = extract_refs(corpus_of(merge, message(url)), person_of)
    assert summary(refs) == [("pull_request", url, "commit", merge.id if resolved else None)]


def test_when_merge_and_squash_commit_share_a_number_then_merge_commit_wins() -> None:
    squash = Commit(id="b2" * 20, message="feature (#7)", locator="c:1", repo="alloy")
    merge = Commit(id="a1" * 20, message="Merge pull request #7 from x/y", locator="c:2", repo="alloy")
    refs = extract_refs(corpus_of(squash, merge, message("https://github.com/tidev/alloy/pull/7")), person_of)
    assert [(r.src_kind, r.dst_id) for r in refs] == [
        ("message", merge.id),
        ("commit", merge.id),  # the squash commit's own "(#7)" names the same pull request
    ]


@pytest.mark.parametrize(
    ("text", "citing", "resolved"),
    [
        # the line's ticket key is cited by exactly one commit: the rebased pull request's
        ("ALOY-7 fixed by https://github.com/tidev/alloy/pull/9", ["fix ALOY-7"], True),
        # two commits cite the key: ambiguous
        ("ALOY-7 fixed by https://github.com/tidev/alloy/pull/9", ["fix ALOY-7", "more ALOY-7"], False),
        # the key is on another line
        ("ALOY-7\nfixed by https://github.com/tidev/alloy/pull/9", ["fix ALOY-7"], False),
        # the one commit citing the key merged another pull request
        (
            "ALOY-7 fixed by https://github.com/tidev/alloy/pull/9",
            ["Merge pull request #8 from x/ALOY-7"],
            False,
        ),
    ],
)
def test_when_pull_request_has_no_merge_commit_then_ticket_on_its_line_may_name_the_commit(
    text: str, citing: list[str], resolved: bool
) -> None:
    commits = [
        Commit(id=f"{n:x}" * 40, message=m, locator=f"c:{n}", repo="alloy") for n, m in enumerate(citing, 10)
    ]
    ticket = Ticket(id="ALOY-7", project="ALOY", summary="s", locator="ALOY-7.json")
    refs = extract_refs(corpus_of(ticket, *commits, message(text)), person_of)
    pull = [r for r in refs if r.ref_kind == "pull_request" and r.src_kind == "message"]
    assert [r.dst_id for r in pull] == [commits[0].id if resolved else None]


def test_when_commit_message_cites_bare_number_then_resolved_in_its_repo_and_self_refs_dropped() -> None:
    merge = Commit(id="a1" * 20, message="Merge pull request #7 from x/y", locator="c:1", repo="alloy")
    other = Commit(id="c3" * 20, message="Merge pull request #7 from z/w", locator="c:2", repo="dspace")
    fix = Commit(id="d4" * 20, message="Follow-up to #7 (see #8)", locator="c:3", repo="alloy")
    refs = extract_refs(corpus_of(merge, other, fix), person_of)
    assert [(r.src_id, r.raw, r.dst_id) for r in refs] == [(fix.id, "#7", merge.id), (fix.id, "#8", None)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abcd123", None),  # a prefix of two commits: ambiguous, dropped
        ("abcd1234", "abcd1234" + "0" * 32),  # one longer prefix: unique
        ("ABCD1234", None),  # shas are written in lowercase
        ("abcd12345" + "f" * 31, None),  # a full sha not stored: kept unresolved
    ],
)
def test_when_sha_prefix_cited_then_resolved_only_when_unique(text: str, expected: str | None) -> None:
    commits = [
        Commit(id="abcd1234" + "0" * 32, message="one", locator="c:1"),
        Commit(id="abcd1235" + "0" * 32, message="two", locator="c:2"),
    ]
    refs = extract_refs(corpus_of(*commits, message(text)), person_of)
    assert [r.dst_id for r in refs] == ([] if expected is None and len(text) < 40 else [expected])


def test_when_email_replies_or_forwards_then_refs_to_the_stored_emails() -> None:
    forwarded = (
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: Jo <jo@example.com>\nDate: Fri, 5 Jun 2015 14:31:59 +0000\nSubject: Re: Plan\n\nthe plan"
    )
    reply = Email(
        id="m2@example.com",
        subject="Re: Plan",
        body="ok",
        locator="list.mbox:2",
        in_reply_to="m1@example.com",
    )
    by_references = Email(
        id="m3@example.com",
        subject="Re: Plan",
        body="ok",
        locator="list.mbox:3",
        references=("m0@x", "m2@example.com"),
    )
    forward = Email(id="m4@example.com", subject="Fwd: Plan", body=forwarded, locator="list.mbox:4")
    dangling = Email(
        id="m5@example.com", subject="Re: ?", body="?", locator="list.mbox:5", in_reply_to="gone@x"
    )
    refs = extract_refs(corpus_of(*stored(), reply, by_references, forward, dangling), person_of)
    got = [(r.src_id, r.field, r.ref_kind, r.dst_id) for r in refs if r.ref_kind in ("reply", "forward")]
    assert got == [
        ("m2@example.com", "in_reply_to", "reply", "m1@example.com"),
        ("m3@example.com", "references", "reply", "m2@example.com"),
        ("m4@example.com", "body", "forward", "m1@example.com"),
        ("m5@example.com", "in_reply_to", "reply", None),
    ]
    joined = " ".join(by_references.references)
    ref = next(r for r in refs if r.src_id == "m3@example.com")
    assert joined[ref.start : ref.end] == "m2@example.com"


@pytest.mark.parametrize(
    ("header", "resolved"),
    [
        ("From: Jo <jo@example.com>", True),  # sender and subject match
        ("From: Someone <someone@example.org>", False),  # the subject alone is not enough against a sender
        ("From: Jo", True),  # no address to compare: the subject decides
    ],
)
def test_when_forwarded_block_names_sender_then_sender_must_match(header: str, resolved: bool) -> None:
    body = f"-----Original Message-----\n{header}\nSubject: Plan\n\nthe plan"
    forward = Email(id="m4@example.com", subject="FW: Plan", body=body, locator="list.mbox:4")
    refs = [r for r in refs_of(forward) if r.ref_kind == "forward"]
    assert [(r.raw, r.dst_id) for r in refs] == [
        ("-----Original Message-----", "m1@example.com" if resolved else None)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Bug 12345 is back",  # in words
        "https://bugs.example.org/show_bug.cgi?id=12345",  # as a Bugzilla URL
    ],
)
def test_when_bug_number_is_a_stored_ticket_id_then_resolved_to_it(text: str) -> None:
    imported = Ticket(id="12345", project="Bugzilla", summary="crash", locator="bugs.xml#1")
    assert [(r.ref_kind, r.dst_kind, r.dst_id) for r in refs_of(message(text), imported)] == [
        ("bug", "ticket", "12345")
    ]


def test_when_ticket_has_parent_then_parent_ref() -> None:
    sub = Ticket(id="ALOY-1065", project="ALOY", summary="part", locator="ALOY-1065.json", parent="ALOY-1064")
    assert summary(refs_of(sub)) == [("parent", "ALOY-1064", "ticket", "ALOY-1064")]


@pytest.mark.parametrize(
    ("text", "source_has_nick", "expected"),
    [
        ("tdonohue: are you around?", True, [("user_mention", "tdonohue", "person", "P4")]),  # addressed
        (
            "TDonohue, are you around?",
            True,
            [("user_mention", "TDonohue", "person", "P4")],
        ),  # nicks ignore case
        ("So, are you around?", True, []),  # a word, not a nick of this source
        ("tdonohue: are you around?", False, []),  # the nick belongs to another source
    ],
)
def test_when_irc_line_starts_with_a_nick_then_user_mention(
    text: str, source_has_nick: bool, expected: list[tuple[str, str, str, str | None]]
) -> None:
    corpus = Corpus()
    corpus.add(1, Identity(key="irc:tdonohue", locator="2015-01-01.log:1", handle="tdonohue"))
    line = Message(id="irc:#duraspace:x:2", channel_id="irc:#duraspace", ts="", text=text, locator="x:2")
    corpus.add(1 if source_has_nick else 2, line)
    assert summary(extract_refs(corpus, person_of)) == expected


def test_when_irc_join_shows_hostmask_then_no_address() -> None:
    join = Message(
        id="irc:#d:x:1",
        channel_id="irc:#d",
        ts="",
        text="jo (jo@example.com) has joined #d",
        locator="x:1",
        subtype="join",
    )
    assert refs_of(join) == []


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("../docs/design.md", "docs/design.md"),  # relative to the linking document's folder
        ("/docs/design.md", "docs/design.md"),  # relative to the root
        ("missing.md", None),  # a document file type: kept, unresolved
    ],
)
def test_when_document_links_relatively_then_resolved_from_its_folder(
    target: str, expected: str | None
) -> None:
    guide = Document(
        id="guide/intro.md",
        title="Intro",
        body=f"See [it]({target}).",
        text="",
        format="markdown",
        locator="g",
    )
    assert summary(refs_of(guide)) == [("document", target, "document", expected)]


def test_when_every_text_field_cites_then_each_field_gives_refs_in_field_order() -> None:
    ticket = Ticket(
        id="MOD-1",
        project="MOD",
        summary="like ALOY-1064",
        description="see https://example.org",
        environment="<@U123ABC>",
        locator="MOD-1.json",
    )
    comment = Comment(id="9", ticket_id="MOD-1", body="[~skypanther]", locator="MOD-1.json#c1")
    notes = Document(id="notes.txt", title="n", body="jo@example.com", text="", format="text", locator="n")
    mail = Email(id="m9@x", subject="ALOY-1064 status", body="see 23da3c8", locator="list.mbox:9")
    event = CalendarEvent(
        id="ev1",
        title="Triage ALOY-1064",
        locator="cal.ics:1",
        description="agenda: https://wiki.example.com/design",
        location="https://meet.example.com/abc",
    )
    corpus = corpus_of(*stored(), ticket, comment, notes, mail, event)
    got = [
        (r.src_kind, r.field, r.ref_kind)
        for r in extract_refs(corpus, person_of)
        if r.src_id in ("MOD-1", "9", "notes.txt", "m9@x", "ev1")
    ]
    assert got == [
        ("ticket", "summary", "ticket"),
        ("ticket", "description", "url"),
        ("ticket", "environment", "user_mention"),
        ("ticket_comment", "body", "user_mention"),
        ("document", "body", "email_address"),
        ("email", "subject", "ticket"),
        ("email", "body", "commit"),
        ("calendar_event", "title", "ticket"),
        ("calendar_event", "description", "document"),
        ("calendar_event", "location", "url"),
    ]


def test_when_same_corpus_extracted_twice_then_equal_lists() -> None:
    text = "ALOY-1064 https://github.com/tidev/alloy/pull/499 23da3c8 <@U123ABC> DS-1 DS-2 DS-3"
    first = extract_refs(corpus_of(*stored(), message(text)), person_of)
    second = extract_refs(corpus_of(*stored(), message(text)), person_of)
    assert first == second
    assert len(first) > 5


# --- configuration ---------------------------------------------------------------------------

CONFIG = r"""
[link]
ticket_prefixes = ["TISTUD"]

[[link.patterns]]
ref_kind = "pull_request"
regex = 'DSPR#(\d+)'
dst_kind = "commit"
target = "DSpace/DSpace#{1}"

[[link.patterns]]
ref_kind = "user_mention"
regex = '(?<![\w.])@(?P<user>[a-z]+)\b(?!\.)'
dst_kind = "person"
target = "jira:{user}"

[[link.patterns]]
ref_kind = "wiki_page"
regex = 'wiki:\w+'
"""


def test_when_config_file_adds_patterns_then_they_extract_and_resolve(tmp_path: Path) -> None:
    path = tmp_path / "workgym.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_link_config(path)
    assert config.ticket_prefixes == ("TISTUD",)
    merge = Commit(id="e5" * 20, message="Merge pull request #712 from x/DS-1", locator="c:1", repo="DSpace")
    text = "DSPR#712 merged, @skypanther see wiki:Release and TISTUD-1"
    refs = extract_refs(corpus_of(merge, message(text)), person_of, config)
    assert summary([r for r in refs if r.src_kind == "message"]) == [
        ("pull_request", "DSPR#712", "commit", merge.id),
        ("user_mention", "@skypanther", "person", "P2"),
        ("wiki_page", "wiki:Release", "", None),
        ("ticket", "TISTUD-1", "ticket", None),
    ]


def test_when_config_file_has_no_link_section_then_defaults(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text("[anonymize]\nkey_file = 'k'\n", encoding="utf-8")
    assert load_link_config(path) == LinkConfig()


@pytest.mark.parametrize(
    ("text", "message_parts"),
    [
        # a regex that does not compile, named by its entry number and kind
        (
            "[[link.patterns]]\nref_kind='ok'\nregex='x'\n[[link.patterns]]\nref_kind='broken'\nregex='('\n",
            ["entry 2 ('broken')", "does not compile"],
        ),
        # a misspelt key, with the fix suggested
        ("[[link.patterns]]\nref_kind='a'\nregexp='x'\n", ["entry 1 ('a')", "did you mean 'regex'"]),
        # a target naming a group the regex lacks
        ("[[link.patterns]]\nref_kind='a'\nregex='(x)'\ntarget='{2}'\n", ["entry 1 ('a')", "names group 2"]),
        # a required key missing
        ("[[link.patterns]]\nref_kind='a'\n", ["entry 1 ('a')", "missing key 'regex'"]),
        # a misspelt section key
        ("[link]\nticket_prefix=['DS']\n", ["[link]", "did you mean 'ticket_prefixes'"]),
        # a prefix that is no project key
        ("[link]\nticket_prefixes=['ds']\n", ["[link]", "'ds'"]),
        # not TOML at all
        ("[link\n", ["not valid TOML"]),
    ],
)
def test_when_config_file_is_wrong_then_error_names_file_and_entry(
    tmp_path: Path, text: str, message_parts: list[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as caught:
        load_link_config(path)
    assert str(path) in str(caught.value)
    for part in message_parts:
        assert part in str(caught.value)


def test_when_pattern_built_in_code_is_wrong_then_value_error() -> None:
    with pytest.raises(ValueError, match="names group 'user'"):
        RefPattern(ref_kind="x", regex="(a)", target="{user}")


# --- real data -------------------------------------------------------------------------------


def _jira_ticket(path: Path) -> list[Record]:
    issue = json.loads(path.read_text(encoding="utf-8"))
    fields = issue["fields"]
    key = issue["key"]
    records: list[Record] = [
        Ticket(
            id=key,
            project=key.split("-")[0],
            summary=fields.get("summary") or "",
            description=fields.get("description") or "",
            locator=path.name,
        )
    ]
    for comment in fields["comment"]["comments"]:
        records.append(
            Comment(id=comment["id"], ticket_id=key, body=comment["body"] or "", locator=path.name)
        )
    return records


def test_when_real_alloy_history_and_jira_then_pull_requests_resolve_to_merge_commits(
    shared_data: Path,
) -> None:
    titanium = shared_data / "titanium"
    corpus = Corpus()
    for key in ("ALOY-1064", "ALOY-1036", "ALOY-1598"):
        for record in _jira_ticket(titanium / "jira" / "ALOY" / "1000-1999" / f"{key}.json"):
            corpus.add(1, record)
    with (titanium / "git_alloy" / "commits.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            raw = json.loads(line)
            corpus.add(
                2, Commit(id=raw["sha"], message=raw["message"], locator="commits.jsonl", repo="alloy")
            )
    changelog = (titanium / "git_alloy" / "CHANGELOG.md").read_text(encoding="utf-8")
    corpus.add(
        3,
        Document(id="CHANGELOG.md", title="", body=changelog, text=changelog, format="markdown", locator="c"),
    )

    refs = extract_refs(corpus, person_of)

    comment_ticket = {c.id: c.ticket_id for _, c in corpus.comments}
    merged = {
        (comment_ticket.get(r.src_id, r.src_id), (r.dst_id or "")[:10])
        for r in refs
        if r.ref_kind == "pull_request" and r.src_kind == "ticket_comment"
    }
    assert ("ALOY-1064", "23da3c8641") in merged  # PR #499
    assert ("ALOY-1036", "f4d17e7922") in merged  # PR #442
    in_changelog = {(r.ref_kind, r.raw, r.dst_id) for r in refs if r.src_kind == "document"}
    assert ("ticket", "https://jira.appcelerator.org/browse/ALOY-1598", "ALOY-1598") in in_changelog
    # PR #882 was rebased (no merge commit): its line's ALOY-1598 leads to the one fix commit citing it
    pr882 = {dst for kind, raw, dst in in_changelog if raw == "https://github.com/tidev/alloy/pull/882"}
    assert [(dst or "")[:10] for dst in pr882] == ["0d6a312cfa"]
    fix = [r for r in refs if r.src_kind == "commit" and r.src_id.startswith("0d6a312cfa")]
    assert [(r.ref_kind, r.dst_id) for r in fix] == [("ticket", "ALOY-1598")]
    texts = {**{c.id: c.body for _, c in corpus.comments}, "CHANGELOG.md": changelog}
    assert all(texts[r.src_id][r.start : r.end] == r.raw for r in refs if r.src_id in texts)
