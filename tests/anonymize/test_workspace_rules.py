"""The rules that make a workspace nobody tuned for anonymize: everyday words, ids, times, plans.

Each rule is tested on a small workspace written here, where it must act and where it must not.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from workgym.anonymize.audit import scan_leaks
from workgym.anonymize.config import AnonConfig
from workgym.anonymize.directory import Directory, Matcher, build_directory
from workgym.anonymize.rewrite import Plan, Rewriter, check_plans
from workgym.anonymize.words import is_word
from workgym.link.identity import is_personal_address, resolve_identities
from workgym.model import Identity
from workgym.store import connect

KEY = bytes(range(32))

PEOPLE = [
    # id, name, handles, emails
    ("P0001", "Dana Quixley", ["mail"], ["dana@kernel.org"]),  # a handle that is a host label
    ("P0002", "Kees Vandervoort", ["keesvdv"], ["kees@kernel.org"]),  # a handle that is no word
    ("P0003", "Brisa Olmedo", ["julia"], ["brisa@embeddedor.com"]),  # a handle that is a tool's name
    ("P0004", "Kristoffer", [], ["kristoffer@example.org"]),  # a sender known by one name
    ("P0005", "P0005", [], []),  # a person with no name at all is named by the id
]
KNOWN_ID = "20190529122200.GA28779@guoren-Inspiron-7460"
OTHER_ID = "20190415.GA1@keesvdv-laptop"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    conn = connect(tmp_path_factory.mktemp("rules") / "workspace.db", create=True)
    with conn:
        conn.execute("INSERT INTO source VALUES (1, 'mbox', 'list_2019-04-15.mbox', 'ab', 1, 0)")
        for pid, name, handles, emails in PEOPLE:
            conn.execute(
                "INSERT INTO person (id, name, emails, handles, names, timezone) VALUES (?, ?, ?, ?, ?, ?)",
                (pid, name, json.dumps(emails), json.dumps(handles), json.dumps([name]), "America/Santiago"),
            )
        conn.execute(
            'INSERT INTO email (id, subject, body, locator, sender, date, "references", source_id)'
            " VALUES (?, 's', 'b', 'list_2019-04-15.mbox:1', 'P0002', '2019-05-29T12:22:00Z', ?, 1)",
            (KNOWN_ID, json.dumps([OTHER_ID])),
        )
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def directory(workspace: sqlite3.Connection) -> Directory:
    return build_directory(workspace)


@pytest.fixture(scope="module")
def rewriter(directory: Directory) -> Rewriter:
    return Rewriter(Plan(KEY, directory, AnonConfig(names=False)))


def kinds(matcher: Matcher, text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end]) for s in matcher.find(text)]


# -- everyday words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("mail", True),  # a host label
        ("e-mail", True),  # a word written with a hyphen
        ("kernel", True),  # an English word
        ("julia", True),  # a programming language
        ("Driver", True),  # any case
        ("stefan", False),  # a given name stays a name
        ("keescook", False),  # a login
        ("jane-doe", False),  # a name written with a hyphen
    ],
)
def test_when_a_value_is_judged_then_words_and_names_are_told_apart(value: str, word: bool) -> None:
    assert is_word(value) is word


def test_when_a_handle_is_a_host_label_then_it_matches_only_as_a_mention(directory: Directory) -> None:
    matcher = Matcher(directory.values())
    assert kinds(matcher, "<CAF1x@mail.gmail.com> sent by e-mail") == []
    assert kinds(matcher, "write to jo@mail.example.org") == []  # the @ of an address is no mention
    assert kinds(matcher, "thanks @mail") == [("handle", "mail")]
    assert kinds(matcher, "keesvdv fixed it") == [("handle", "keesvdv")]  # a handle that is no word


def test_when_a_handle_is_a_tools_name_then_prose_about_the_tool_is_kept(rewriter: Rewriter) -> None:
    text = "Julia 1.6 is out; julia> using Pkg"
    assert rewriter.text(text, prose=True) == text
    assert "julia" not in rewriter.text("ping @julia", prose=True)


def test_when_an_org_label_is_a_word_then_only_its_domain_is_replaced(rewriter: Rewriter) -> None:
    out = rewriter.text("the kernel at kernel.org; see embeddedor", prose=True)
    assert out.startswith("the kernel at ")
    assert "kernel.org" not in out
    assert "embeddedor" not in out  # a distinctive label is replaced alone too


def test_when_a_sender_has_one_name_then_it_is_replaced_but_an_id_is_not(rewriter: Rewriter) -> None:
    out = rewriter.text("Kristoffer wrote to P0005", prose=True)
    assert "Kristoffer" not in out
    assert out.endswith("P0005")


# -- ids and times -------------------------------------------------------------------------------


def test_when_a_message_id_is_written_anywhere_then_it_becomes_the_same_keyed_id(rewriter: Rewriter) -> None:
    column = rewriter.mail_id(KNOWN_ID)
    assert "guoren" not in column.lower() and "20190529" not in column
    quoted = rewriter.text(f"> In-Reply-To: <{KNOWN_ID}>", prose=True)
    linked = rewriter.text(f"Link: https://lore.kernel.org/r/{KNOWN_ID}/", prose=True)
    anywhere = rewriter.text(f"as said in {KNOWN_ID}, yes", prose=True)
    assert column in quoted and column in linked and column in anywhere


def test_when_an_unknown_message_id_is_in_a_link_or_header_then_it_is_hashed(rewriter: Rewriter) -> None:
    unknown = "20190601101010.GA5@jane-Laptop-E7470"
    linked = rewriter.text(f"https://lore.kernel.org/lkml/{unknown}/T/", prose=True)
    quoted = rewriter.text(f"Message-ID: <{unknown}>", prose=True)
    for out in (linked, quoted):
        assert rewriter.mail_id(unknown) in out
        assert "20190601101010" not in out and "jane" not in out.lower()
    assert rewriter.text("mail jo@example.com now", prose=True).endswith("now")  # an address is no id


def test_when_a_message_id_host_has_no_dot_then_it_is_reshaped_and_localhost_kept(rewriter: Rewriter) -> None:
    host = rewriter.mail_id("abc.123@jane-Laptop-E7470").rpartition("@")[2]
    assert re.fullmatch(r"[a-z]{4}-[A-Z][a-z]{5}-[A-Z]\d{4}", host) and "jane" not in host.lower()
    assert rewriter.mail_id("abc.123@localhost").endswith("@localhost")
    assert rewriter.mail_id("abc.123@mail.gmail.com").endswith("@mail.gmail.com")


def test_when_a_permalink_cites_a_message_then_its_time_moves_with_the_message_id(rewriter: Rewriter) -> None:
    moved = rewriter.message_id("C67TK21LJ:1616519608.110500")
    ts = moved.partition(":")[2]
    text = rewriter.text("https://x.slack.com/archives/C67TK21LJ/p1616519608110500", prose=True)
    assert text.endswith("/p" + ts.replace(".", ""))
    assert ts != "1616519608.110500"


@pytest.mark.parametrize(
    ("text", "moved"),
    [
        ("list_2019-04-15_to_2019-11-28.mbox", True),  # dates in a file name, between underscores
        ("archive 2015-June.txt", True),  # a pipermail month
        ("build 2019-04-15-1", False),  # a version that starts like a date
        ("id x2019-04-15", False),  # inside a word
    ],
)
def test_when_a_date_is_in_a_name_then_it_moves_only_when_it_stands_alone(
    rewriter: Rewriter, text: str, moved: bool
) -> None:
    out = rewriter.text(text, prose=False)
    assert (out != text) is moved
    if moved and "June" in text:
        assert re.search(r"\d{4}-(January|February|March|April|May|June|July|August|September|"
                         r"October|November|December)\.txt", out)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("On Wed, May 29, 2019 at 12:22, Kees wrote:", r"On Wed, [A-Z][a-z]+ \d{1,2}, \d{4} at 12:22, "),
        ("Date: Wed, 29 May 2019 12:22:00 +0200", r"Date: Wed, \d{1,2} [A-Z][a-z]{2} \d{4} 12:22:00 \+0200"),
        ("Sent: Thursday, 04 July 2019 10:00", r"Sent: Thursday, \d\d [A-Z][a-z]+ \d{4} 10:00"),
        ("on March 3rd, 2020 we met", r"on [A-Z][a-z]+ \d{1,2}(st|nd|rd|th), \d{4} we met"),
        ("On 2019/9/24 4:34, Jo wrote:", r"On \d{4}/\d{1,2}/\d{1,2} 4:34, Jo wrote:"),  # year first
    ],
)
def test_when_a_date_is_written_in_words_then_it_moves_in_the_same_words(
    rewriter: Rewriter, text: str, shape: str
) -> None:
    out = rewriter.text(text, prose=True)
    assert out != text and re.match(shape, out), out
    assert not re.search(r"\b(2019|2020)\b", out)  # the offset is at least half a year


@pytest.mark.parametrize(
    "text",
    [
        "31 Feb 2019 is no day",  # no such day
        "Marching 3 2019 times",  # no month
        "in 2019 May 5",  # no date in words
        "on 13/13/2019",  # no day in either order
        "build 1.10.2019.5",  # a version that holds a date's shape
    ],
)
def test_when_words_only_look_like_a_date_then_they_stay(rewriter: Rewriter, text: str) -> None:
    assert rewriter.text(text, prose=True) == text


def test_when_a_name_is_also_a_month_then_it_is_a_name_except_inside_a_date(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db", create=True)
    with conn:
        conn.execute(
            "INSERT INTO person (id, name, names) VALUES ('P0001', 'Jan Kowalczyk', '[\"Jan Kowalczyk\"]')"
        )
    matcher = Matcher(build_directory(conn).values())
    conn.close()
    assert kinds(matcher, "On Sat, Jan 1, 2022 at 4:10 PM") == []
    assert kinds(matcher, "Date: Sat, 1 Jan 2022 23:10:24 +0000") == []
    assert kinds(matcher, "Jan says: ship it") == [("person", "Jan")]


# -- plans ---------------------------------------------------------------------------------------


def test_when_reactions_name_a_person_then_they_are_rewritten_as_in_text(rewriter: Rewriter) -> None:
    out = json.loads(rewriter._column("reactions", '["keesvdv:3", "+1:2"]', "", False, lambda k: ""))
    assert out[1] == "+1:2"
    assert out[0].endswith(":3") and out[0] == rewriter.text("keesvdv", prose=False) + ":3"
    assert "keesvdv" not in out[0]


def test_when_a_timezone_is_a_zone_then_it_is_kept_else_cleared(rewriter: Rewriter) -> None:
    assert rewriter._column("timezone", "America/Santiago", "", False, lambda k: "") == "America/Santiago"
    assert rewriter._column("timezone", "Kristoffer's desk", "", False, lambda k: "") == ""


def test_when_a_timezone_holds_a_zone_then_the_audit_passes_it_and_flags_anything_else(
    directory: Directory, tmp_path: Path
) -> None:
    conn = connect(tmp_path / "out.db", create=True)
    matcher = Matcher(directory.values())
    with conn:
        conn.execute("INSERT INTO person (id, name, timezone) VALUES ('P1', 'x', 'America/Santiago')")
    assert scan_leaks(conn, matcher, KEY).count == 0
    with conn:
        conn.execute("UPDATE person SET timezone = 'Kristoffer time'")
    report = scan_leaks(conn, matcher, KEY)
    assert report.count == 1 and report.by_kind["timezone"] == 1
    conn.close()


def test_when_a_column_has_no_plan_then_anonymizing_refuses_to_start(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db", create=True)
    check_plans(conn)  # every column of a fresh workspace is planned
    conn.execute('ALTER TABLE person ADD COLUMN "nickname" TEXT')
    with pytest.raises(ValueError, match=r"person\.nickname"):
        check_plans(conn)
    conn.close()


# -- identity ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "personal"),
    [
        ("jo@example.org", True),
        ("root@localhost", False),  # every machine's
        ("jo@jane-laptop", False),  # a host without a dot
        ("build@box.localdomain", False),  # a private network
    ],
)
def test_when_an_address_is_judged_then_machines_are_no_evidence(address: str, personal: bool) -> None:
    assert is_personal_address(address) is personal


def test_when_two_people_share_a_machine_address_then_they_stay_two() -> None:
    a = Identity(key="git:ann", locator="x", real_name="Ann Oak", emails=("root@localhost",))
    b = Identity(key="git:bob", locator="x", real_name="Bob Elm", emails=("root@localhost",))
    c = Identity(key="email:ann@example.org", locator="y", display_name="Ann Oak")
    d = Identity(key="name:Ann Oak", locator="z", display_name="Ann Oak")
    resolution = resolve_identities([(1, a), (1, b), (2, c), (2, d)])
    person = resolution.person_of
    assert person[(1, "git:ann")] != person[(1, "git:bob")]
    assert person[(2, "name:Ann Oak")] == person[(1, "git:ann")] == person[(2, "email:ann@example.org")]


# -- phone fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "found"),
    [
        ("ask", False),  # what people type into a profile's phone field instead of a number
        ("n/a", False),
        ("x1234", False),  # an extension alone names no one
        ("+1 (713) 555-0142", True),
    ],
)
def test_when_a_phone_field_holds_no_number_then_nothing_is_looked_for(
    tmp_path: Path, phone: str, found: bool
) -> None:
    conn = connect(tmp_path / "phones.db", create=True)
    with conn:
        conn.execute(
            "INSERT INTO person (id, name, emails, handles, names, phones) VALUES (?, ?, ?, ?, ?, ?)",
            ("P0001", "Dana Quixley", "[]", "[]", json.dumps(["Dana Quixley"]), json.dumps([phone])),
        )
    matcher = Matcher(build_directory(conn).values())
    conn.close()
    text = f"please ask the team, or call {phone}"
    assert (("phone", phone) in kinds(matcher, text)) is found
    assert ("phone", "ask") not in kinds(matcher, text)
