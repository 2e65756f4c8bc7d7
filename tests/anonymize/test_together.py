"""What went wrong only when every real corpus was anonymized as one workspace, written small.

One workspace of all the real sets put people of one source in another's text and made every
short value of one a value of all: a surrogate host label that happened to spell another set's
two-letter nick read as that nick in an IRC join line; an archive's month (``2016-June``) read as a
given name; and a surrogate identity key met another person's.
"""

from __future__ import annotations

import json
import sqlite3
import string
from pathlib import Path

from workgym.anonymize.directory import Directory, Entry, Matcher, PersonInfo, _fill
from workgym.anonymize.keys import Keyed
from workgym.anonymize.run import anonymize_workspace
from workgym.anonymize.surrogates import Surrogates
from workgym.store import connect

KEY = bytes(range(32))


def test_when_an_archive_link_names_its_month_then_the_month_is_no_given_name() -> None:
    matcher = Matcher([("june", Entry("person", "P1", "first", 0.9, capitalised=True))])
    link = "see https://lists.example.org/pipermail/dev/2016-June/000123.html and 2016-June.txt.gz"
    assert matcher.find(link) == []
    said = "June wrote the notes; ask June"  # a name where no year stands before it
    assert [said[s.start : s.end] for s in matcher.find(said)] == ["June", "June"]
    assert len(matcher.find("build 2016-June-3")) == 1  # no archive's month: the rewrite moves none


def test_when_a_short_handle_is_a_host_top_level_label_then_a_join_line_does_not_read_it() -> None:
    matcher = Matcher([("ch", Entry("handle", "P1", "handle", structural=True))])
    join = "Saman2 (~harol@rbs-601.olsen.ch) has joined #dev"
    assert matcher.find(join, system=True) == []
    said = "ch (~ch@ch.example.org) has joined #dev"  # the nick, the ident and a host's own label
    assert [said[s.start : s.end] for s in matcher.find(said, system=True)] == ["ch", "ch", "ch"]


def test_when_short_handles_are_known_then_no_surrogate_host_label_or_octet_spells_one() -> None:
    # Every two-letter label starting with a-m is some real nick, and so is every octet under 100:
    # a reshaped host label or IP octet between separators must be none of them (a join line
    # "nick (~u@<host>)" is read with every handle a handle, so the audit would call it a leak).
    taken = {a + b for a in "abcdefghijklm" for b in string.ascii_lowercase} | {
        str(n) for n in range(10, 100)
    }
    directory = Directory(persons={"P1": PersonInfo(id="P1", name="Ann Lee", names=["Ann Lee"])}, domains=[])
    _fill(directory)
    surrogates = Surrogates(Keyed(KEY), directory, frozenset(taken | set(directory.entries)))
    for n in range(40):
        label = surrogates.formatted("hostname", f"x{string.ascii_lowercase[n % 26]}")
        assert label[0] > "m", label
        host = surrogates.hostname(f"{string.ascii_lowercase[n % 26]}q-{n}.pool.example-isp.net")
        assert host.split(".")[0].split("-")[0][0] > "m", host
        ip = surrogates.formatted("ip", f"{n + 100}.{n + 101}.{n + 102}.{n + 103}")
        assert all(len(octet) != 2 for octet in ip.split(".")), ip


def _shared_handle_workspace(db: Path) -> Path:
    """Two sources, each with a person whose handle is ``jgo``; the Jira one is mentioned in Jira."""
    conn = connect(db, create=True)
    with conn:
        conn.execute("INSERT INTO source VALUES (1, 'slack', 'slack.zip', 'ab', 1, 0)")
        conn.execute("INSERT INTO source VALUES (2, 'jira', 'jira.json', 'cd', 1, 0)")
        people = [
            # A chat user and a Jira user of one handle; one person with addresses at two
            # organisations of one local part, as a kernel developer has.
            ("P0001", "Jolyon Gorvane", ["jgo"], ["jgo@quillmere.io"], 1, "slack:U0JGO1ABC"),
            ("P0002", "Jasper Goldwick", ["jgo"], ["jgo@brannoch.org", "jgo@vellacott.org"], 2, "jira:jgo"),
        ]
        for pid, name, handles, emails, source, key in people:
            conn.execute(
                "INSERT INTO person (id, name, emails, handles, names) VALUES (?, ?, ?, ?, ?)",
                (pid, name, json.dumps(emails), json.dumps(handles), json.dumps([name])),
            )
            conn.execute(
                "INSERT INTO identity (key, display_name, handle, source_id, person_id) VALUES (?, ?, 'jgo', ?, ?)",
                (key, name, source, pid),
            )
            for address in emails:
                conn.execute(
                    "INSERT INTO identity (key, display_name, source_id, person_id) VALUES (?, ?, ?, ?)",
                    (f"email:{address}", name, source, pid),
                )
        conn.execute(
            "INSERT INTO ticket (id, project, summary, reporter, created, source_id)"
            " VALUES ('MOD-1', 'MOD', 'a module', 'P0002', '2019-05-29T12:22:00Z', 2)"
        )
        for n in range(3):
            conn.execute(
                "INSERT INTO ticket_comment (id, ticket_id, body, author, created, source_id)"
                " VALUES (?, 'MOD-1', ?, 'P0002', '2019-05-29T12:22:00Z', 2)",
                (str(100 + n), f"[~jgo] can you look at step {n}?"),
            )
    conn.close()
    return db


def test_when_two_sources_have_people_of_one_handle_then_a_mention_keeps_the_person_its_source_knows(
    tmp_path: Path,
) -> None:
    db = _shared_handle_workspace(tmp_path / "workspace.db")
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(db, out, KEY)  # raises LeakError on any leak
    assert audit.withheld == []
    assert audit.links.resolved_before == 3 and audit.links.ratio == 1.0, audit.links
    conn = sqlite3.connect(out)
    (jira_key,) = [k for (k,) in conn.execute("SELECT key FROM identity WHERE key LIKE 'jira:%'")]
    bodies = [b for (b,) in conn.execute("SELECT body FROM ticket_comment")]
    assert all(b.startswith(f"[~{jira_key.partition(':')[2]}]") for b in bodies), (jira_key, bodies)
    # one person's addresses at two organisations stay two addresses: no two organisations share a surrogate
    keys = [
        k
        for (k,) in conn.execute("SELECT key FROM identity WHERE person_id = 'P0002' AND key LIKE 'email:%'")
    ]
    assert len(set(keys)) == 2


def test_when_a_directory_has_many_organisations_then_no_two_share_a_surrogate_label() -> None:
    persons = {
        f"P{i:04d}": PersonInfo(id=f"P{i:04d}", name="", emails=[f"jo@org{i:04d}x.com"]) for i in range(3000)
    }
    directory = Directory(persons=persons, domains=[f"org{i:04d}x.com" for i in range(3000)])
    _fill(directory)
    surrogates = Surrogates(Keyed(KEY), directory, frozenset(directory.entries))
    labels = [surrogates.org_label(f"org{i:04d}x") for i in range(3000)]
    assert len(set(labels)) == len(labels)
    again = Surrogates(Keyed(KEY), directory, frozenset(directory.entries))
    assert [again.org_label(f"org{i:04d}x") for i in reversed(range(3000))] == labels[::-1]
    addresses = [a for m in surrogates.person_emails.values() for a in m.values()]
    assert len(set(addresses)) == len(addresses)


def test_when_a_personal_repository_is_tracked_then_its_owner_login_is_one_surrogate_everywhere(
    tmp_path: Path,
) -> None:
    # Issue 16: on GitHub workspaces the project is "owner/repo"; a personal repository's owner is
    # a login (here a word, "max", and one with a dash), and repository names have dashes.
    db = tmp_path / "workspace.db"
    conn = connect(db, create=True)
    with conn:
        conn.execute("INSERT INTO source VALUES (1, 'github', 'items', 'ab', 1, 0)")
        for pid, login in (("P0001", "max"), ("P0002", "quen-tarro")):
            conn.execute(
                "INSERT INTO person (id, name, handles) VALUES (?, '', ?)", (pid, json.dumps([login]))
            )
            conn.execute(
                "INSERT INTO identity (key, handle, source_id, person_id) VALUES (?, ?, 1, ?)",
                (f"github:{login}", login, pid),
            )
        for n, (owner, author) in enumerate((("max", "P0001"), ("quen-tarro", "P0002")), start=3):
            conn.execute(
                "INSERT INTO ticket (id, project, summary, type, reporter, created, source_id)"
                " VALUES (?, ?, 'a bug', 'issue', ?, '2019-05-29T12:22:00Z', 1)",
                (f"dot-files#{n}" if owner == "max" else f"rust-lint#{n}", f"{owner}/"
                 + ("dot-files" if owner == "max" else "rust-lint"), author),
            )  # fmt: skip
        conn.execute(
            "INSERT INTO ticket_comment (id, ticket_id, body, author, created, source_id) VALUES"
            " ('issuecomment-1', 'dot-files#3', ?, 'P0002', '2019-05-29T12:22:00Z', 1)",
            (
                "@max see max/dot-files#3, quen-tarro/rust-lint#4 and https://github.com/max/dot-files/issues/3",
            ),
        )
    conn.close()
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(db, out, KEY)  # raises LeakError on any leak
    assert audit.withheld == [] and audit.links.ratio == 1.0 and audit.links.resolved_before >= 3
    anon = sqlite3.connect(out)
    logins = {p: k.partition(":")[2] for k, p in anon.execute("SELECT key, person_id FROM identity")}
    assert logins["P0001"] != "max" and "quen" not in logins["P0002"]
    projects = sorted(p for (p,) in anon.execute("SELECT project FROM ticket"))
    assert projects == sorted([f"{logins['P0001']}/dot-files", f"{logins['P0002']}/rust-lint"])
    ids = sorted(i for (i,) in anon.execute("SELECT id FROM ticket"))
    assert ids == ["dot-files#3", "rust-lint#4"]  # the repository's name and number: the link
    (body,) = anon.execute("SELECT body FROM ticket_comment").fetchone()
    me = logins["P0001"]
    assert body == (
        f"@{me} see {me}/dot-files#3, {logins['P0002']}/rust-lint#4 and https://github.com/{me}/dot-files/issues/3"
    )


def test_when_a_repository_is_named_after_its_owner_then_the_login_in_its_name_is_mapped_too(
    tmp_path: Path,
) -> None:
    # alice/alice.github.io, jdoe/jdoe-dotfiles: common on GitHub; the ticket ids carry the name.
    db = tmp_path / "workspace.db"
    conn = connect(db, create=True)
    with conn:
        conn.execute("INSERT INTO source VALUES (1, 'github', 'items', 'ab', 1, 0)")
        conn.execute(
            "INSERT INTO person (id, name, handles) VALUES ('P0001', '', ?)", (json.dumps(["quentarro"]),)
        )
        conn.execute(
            "INSERT INTO identity (key, handle, source_id, person_id)"
            " VALUES ('github:quentarro', 'quentarro', 1, 'P0001')"
        )
        conn.execute(
            "INSERT INTO ticket (id, project, summary, type, reporter, created, source_id) VALUES"
            " ('quentarro-dotfiles#3', 'quentarro/quentarro-dotfiles', 'a bug', 'issue', 'P0001',"
            " '2019-05-29T12:22:00Z', 1)"
        )
        conn.execute(
            "INSERT INTO ticket_comment (id, ticket_id, body, author, created, source_id) VALUES"
            " ('issuecomment-1', 'quentarro-dotfiles#3', 'see quentarro/quentarro-dotfiles#3', 'P0001',"
            " '2019-05-29T12:22:00Z', 1)"
        )
    conn.close()
    audit = anonymize_workspace(db, tmp_path / "anon.db", KEY)  # raises LeakError on any leak
    assert audit.withheld == [] and audit.links.ratio == 1.0
    anon = sqlite3.connect(tmp_path / "anon.db")
    (login,) = anon.execute("SELECT handle FROM identity").fetchone()
    assert "quentarro" not in login
    assert anon.execute("SELECT id, project FROM ticket").fetchall() == [
        (f"{login}-dotfiles#3", f"{login}/{login}-dotfiles")
    ]
    assert anon.execute("SELECT ticket_id, body FROM ticket_comment").fetchall() == [
        (f"{login}-dotfiles#3", f"see {login}/{login}-dotfiles#3")
    ]
