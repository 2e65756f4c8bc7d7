from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.ingest import chatlog
from workgym.ingest.base import SNIFF_BYTES, Item
from workgym.model import Identity, Message, Quarantined

T = TypeVar("T")
IRC_LOGS = "duraspace-irc/irc_logs"


def of_type(items: list[Item], cls: type[T]) -> list[T]:
    return [i for i in items if isinstance(i, cls)]


def head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(SNIFF_BYTES)


def pircbot_line(time: str, colour: str, body: str) -> str:
    return f'<span class="irc-date">[{time}]</span> <span class="irc-{colour}">{body}</span><br />\n'


def write_log(path: Path, *lines: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(lines), encoding="utf-8")
    return path


def only_message(items: list[Item]) -> Message:
    (message,) = of_type(items, Message)
    return message


# --- the real PircBot logs ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_logs(shared_data: Path) -> list[Path]:
    return sorted(p for p in (shared_data / IRC_LOGS).iterdir() if p.is_file())


@pytest.fixture(scope="module")
def real_items(real_logs: list[Path]) -> dict[str, list[Item]]:
    return {p.name: list(chatlog.parse_pircbot(p, p.name)) for p in real_logs if p.suffix == ".log"}


def test_when_real_folder_is_sniffed_then_every_log_and_nothing_else_is_pircbot(
    real_logs: list[Path],
) -> None:
    assert len(real_logs) == 1305
    claimed = {p.name for p in real_logs if chatlog.detect_pircbot(p, head(p))}
    assert claimed == {p.name for p in real_logs if p.suffix == ".log"}
    assert len(claimed) == 1303
    assert {p.name for p in real_logs} - claimed == {"README.irclogs.md", "LICENSE.irclogs"}
    assert not [p.name for p in real_logs if chatlog.detect_plain(p, head(p))]


def test_when_real_logs_are_parsed_then_every_line_is_a_message_or_quarantined(
    real_logs: list[Path], real_items: dict[str, list[Item]]
) -> None:
    lines = sum(
        1 for p in real_logs if p.suffix == ".log" for raw in p.read_bytes().split(b"\n") if raw.strip()
    )
    kinds = Counter(type(i).__name__ for items in real_items.values() for i in items)
    assert kinds["Message"] + kinds["Quarantined"] == lines
    assert 50_000 < kinds["Message"] < 56_000


def test_when_real_logs_are_parsed_then_only_the_cut_off_line_is_quarantined(
    real_items: dict[str, list[Item]],
) -> None:
    quarantined = [q for items in real_items.values() for q in of_type(items, Quarantined)]
    # 2016-04-06.log ends in the middle of its last line: the logger stopped while writing it.
    assert [q.locator for q in quarantined] == ["2016-04-06.log:164"]
    assert quarantined[0].reason.startswith("unrecognised PircBot line")
    assert quarantined[0].reason.endswith("on line 164 of 2016-04-06.log")


def test_when_real_logs_are_parsed_then_all_messages_are_in_the_duraspace_channel(
    real_items: dict[str, list[Item]],
) -> None:
    channels = {m.channel_id for items in real_items.values() for m in of_type(items, Message)}
    # 2016-04-16.log has no join line; its channel comes from the neighbouring days.
    assert channels == {"irc:#duraspace"}


def test_when_real_logs_are_parsed_then_each_line_kind_is_found(real_items: dict[str, list[Item]]) -> None:
    subtypes = Counter(m.subtype for items in real_items.values() for m in of_type(items, Message))
    assert set(subtypes) == {
        "",
        "join",
        "part",
        "quit",
        "nick",
        "topic",
        "action",
        "notice",
        "server",
        "private",
    }
    assert subtypes[""] > 25_000


def test_when_a_bot_announces_a_pull_request_then_the_url_is_the_text(
    real_items: dict[str, list[Item]],
) -> None:
    announced = [
        m
        for m in of_type(real_items["2015-10-29.log"], Message)
        if m.author == "irc:kompewter" and "https://github.com/DSpace/DSpace/pull/1089" in m.text
    ]
    assert len(announced) == 1
    assert announced[0].ts == "2015-10-29T12:47:00+00:00"
    assert announced[0].text.startswith("[ https://github.com/DSpace/DSpace/pull/1089 ] - [DS-2779]")
    assert "<a" not in announced[0].text


def test_when_a_client_log_was_pasted_in_then_its_local_times_become_utc(
    real_items: dict[str, list[Item]],
) -> None:
    pasted = of_type(real_items["2018-05-09.log"], Message)[20]  # line 21: "2:55:07 PM CDT"
    assert (pasted.locator, pasted.ts, pasted.author) == (
        "2018-05-09.log:21",
        "2018-05-09T19:55:07+00:00",
        "irc:DSpaceSlackBot",
    )
    assert pasted.text.startswith("<tdonohue> Late reminder")


def test_when_real_logs_name_nicks_then_each_is_an_identity_once_per_file(
    real_items: dict[str, list[Item]],
) -> None:
    for name, items in real_items.items():
        keys = [i.key for i in of_type(items, Identity)]
        assert len(keys) == len(set(keys)), name
        named = {m.author for m in of_type(items, Message)} - {""}
        assert named <= set(keys), name


# --- PircBot lines -----------------------------------------------------------------------------

PIRCBOT_LINES = [
    # (colour, body as written, subtype, author, text)
    # a message: the text after the nick, entities decoded
    ("black", "&lt;pbecker&gt; a &amp; b &lt;3", "", "irc:pbecker", "a & b <3"),
    # a link: PircBot wraps URLs in <a>; the text keeps the URL once
    ("black", '&lt;bot&gt; [ <a href="https://x.example/1">https://x.example/1</a> ]', "", "irc:bot", "[ https://x.example/1 ]"),
    # a private message to the logging bot
    ("black", "&lt;- *Jags* hi", "private", "irc:Jags", "hi"),
    # a line pasted from another client: "nick: text", not escaped
    (" black", " DSpaceSlackBot: <tdonohue> hi", "", "irc:DSpaceSlackBot", "<tdonohue> hi"),
    # /me
    ("brick", "* hpottinger waves to kshepherd", "action", "irc:hpottinger", "waves to kshepherd"),
    # join, part and quit: the event as shown, without the "* "
    ("green", "* pbecker (~pbecker@host.example) has joined #duraspace", "join", "irc:pbecker",
     "pbecker (~pbecker@host.example) has joined #duraspace"),
    ("green", "* tdonohue (~t@host.example) has left #duraspace", "part", "irc:tdonohue",
     "tdonohue (~t@host.example) has left #duraspace"),
    ("navy", "* helix84 (~c@192.0.2.1) Quit (Ping timeout: 240 seconds)", "quit", "irc:helix84",
     "helix84 (~c@192.0.2.1) Quit (Ping timeout: 240 seconds)"),
    # a nick change is the old nick's
    ("green", "* ianthe is now known as ianthecowu", "nick", "irc:ianthe", "ianthe is now known as ianthecowu"),
    # the topic on joining, who set it, and a change
    ("green", "* Topic is 'Welcome'", "topic", "", "Topic is 'Welcome'"),
    ("green", "* Set by cwilper!ad@gateway/web on Fri Oct 22 01:19:41 UTC 2010", "topic", "irc:cwilper",
     "Set by cwilper!ad@gateway/web on Fri Oct 22 01:19:41 UTC 2010"),
    ("green", "* ChanServ changes topic to 'Hi'", "topic", "irc:ChanServ", "ChanServ changes topic to 'Hi'"),
    ("green", "* ChanServ sets mode +o tdonohue", "mode", "irc:ChanServ", "ChanServ sets mode +o tdonohue"),
    # a kick is the kicker's
    ("red", "* spammer was kicked by ChanServ (spam)", "kick", "irc:ChanServ", "spammer was kicked by ChanServ (spam)"),
    ("red", "[someone VERSION]", "ctcp", "irc:someone", "[someone VERSION]"),
    # notices: a person's keeps the text after the sender, a server's is an event
    ("brown", "-christel- [Global Notice] Hi all", "notice", "irc:christel", "[Global Notice] Hi all"),
    ("brown", "-adams.freenode.net- *** Checking Ident", "server", "",
     "-adams.freenode.net- *** Checking Ident"),
    ("navy", "* Disconnected.", "server", "", "Disconnected."),
]  # fmt: skip


@pytest.mark.parametrize(("colour", "body", "subtype", "author", "text"), PIRCBOT_LINES)
def test_when_a_pircbot_line_is_read_then_subtype_author_and_text_follow_it(
    tmp_path: Path, colour: str, body: str, subtype: str, author: str, text: str
) -> None:
    log = write_log(tmp_path / "#duraspace" / "2015-10-29.log", pircbot_line("12:47", colour.strip(), body))
    message = only_message(list(chatlog.parse_pircbot(log, "logs/2015-10-29.log")))
    assert (message.subtype, message.author, message.text) == (subtype, author, text)
    assert message.ts == "2015-10-29T12:47:00+00:00"
    assert message.locator == "logs/2015-10-29.log:1"
    assert message.id == "irc:#duraspace:logs/2015-10-29.log:1"


def test_when_a_line_names_two_nicks_then_both_are_identities_before_the_message(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "2015-01-07.log", pircbot_line("10:53", "green", "* ianthe is now known as ian")
    )
    items = list(chatlog.parse_pircbot(log, "2015-01-07.log"))
    assert items[:2] == [
        Identity(key="irc:ianthe", locator="2015-01-07.log:1", handle="ianthe"),
        Identity(key="irc:ian", locator="2015-01-07.log:1", handle="ian"),
    ]
    assert isinstance(items[2], Message)


def test_when_a_log_has_join_lines_then_they_name_the_channel(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "logs" / "2015-01-01.log",
        pircbot_line("6:00", "black", "&lt;a&gt; early"),
        pircbot_line("6:35", "green", "* DuraLogBot (~PircBot@host.example) has joined #dspace"),
    )
    assert {m.channel_id for m in of_type(list(chatlog.parse_pircbot(log, "x")), Message)} == {"irc:#dspace"}


def test_when_no_log_in_the_folder_has_a_join_line_then_the_folder_names_the_channel(tmp_path: Path) -> None:
    log = write_log(tmp_path / "#fcrepo" / "2015-01-01.log", pircbot_line("6:00", "black", "&lt;a&gt; hi"))
    assert only_message(list(chatlog.parse_pircbot(log, "x"))).channel_id == "irc:#fcrepo"


def test_when_the_file_name_has_no_date_then_times_are_unknown(tmp_path: Path) -> None:
    log = write_log(tmp_path / "today.log", pircbot_line("6:00", "black", "&lt;a&gt; hi"))
    assert only_message(list(chatlog.parse_pircbot(log, "today.log"))).ts == ""


def test_when_a_pircbot_line_is_garbage_then_it_alone_is_quarantined(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "2015-01-01.log",
        pircbot_line("6:00", "black", "&lt;a&gt; before"),
        "this is not a log line\n",
        pircbot_line("25:00", "black", "&lt;a&gt; impossible time"),
        pircbot_line("6:02", "green", "* something nobody logs"),
        pircbot_line("6:03", "black", "&lt;a&gt; after"),
    )
    items = list(chatlog.parse_pircbot(log, "irc/2015-01-01.log"))
    assert [m.text for m in of_type(items, Message)] == ["before", "after"]
    assert [(q.locator, q.reason) for q in of_type(items, Quarantined)] == [
        (
            "irc/2015-01-01.log:2",
            "unrecognised PircBot line: not <span>time</span> <span>text</span><br /> on line 2 of irc/2015-01-01.log",
        ),
        ("irc/2015-01-01.log:3", "bad time: '[25:00]' on line 3 of irc/2015-01-01.log"),
        (
            "irc/2015-01-01.log:4",
            "unrecognised green line: '* something nobody logs' on line 4 of irc/2015-01-01.log",
        ),
    ]
    assert of_type(items, Quarantined)[0].raw == "this is not a log line"


def test_when_a_line_is_not_utf8_then_it_alone_is_quarantined(tmp_path: Path) -> None:
    log = tmp_path / "2015-01-01.log"
    log.write_bytes(
        pircbot_line("6:00", "black", "&lt;a&gt; ok").encode()
        + pircbot_line("6:01", "black", "&lt;a&gt; caf").encode().replace(b"caf", b"caf\xe9")
    )
    items = list(chatlog.parse_pircbot(log, "2015-01-01.log"))
    assert [m.text for m in of_type(items, Message)] == ["ok"]
    (quarantined,) = of_type(items, Quarantined)
    assert quarantined.locator == "2015-01-01.log:2"
    assert quarantined.reason == "invalid UTF-8 at byte 74 of line 2 in 2015-01-01.log"


def test_when_a_log_is_empty_then_nothing_is_yielded(tmp_path: Path) -> None:
    log = write_log(tmp_path / "2015-01-01.log")
    assert list(chatlog.parse_pircbot(log, "2015-01-01.log")) == []
    assert list(chatlog.parse_plain(log, "2015-01-01.log")) == []


# --- plain text logs ---------------------------------------------------------------------------

IRSSI_LOG = """--- Log opened Tue Jun 02 10:00:00 2015
10:00 -!- tdonohue [~tdonohue@host.example] has joined #dspace
10:01 < tdonohue> hi all, see DS-1234
10:01 <@mhwood> hello
10:02  * mhwood waves
10:03 -!- mhwood is now known as mwood
10:04 -!- mode/#dspace [+o tdonohue] by ChanServ
10:05 -!- tdonohue changed the topic of #dspace to: meeting
10:06 -!- Irssi: Join to #dspace was synced in 1 secs
--- Day changed Wed Jun 03 2015
00:01 <mwood> after midnight
"""


def test_when_an_irssi_log_is_read_then_each_line_is_a_message(tmp_path: Path) -> None:
    log = write_log(tmp_path / "irclogs" / "#dspace.log", IRSSI_LOG)
    assert chatlog.detect_plain(log, head(log))
    assert not chatlog.detect_pircbot(log, head(log))
    messages = of_type(list(chatlog.parse_plain(log, "#dspace.log")), Message)
    assert [(m.ts, m.author, m.subtype, m.text) for m in messages] == [
        ("2015-06-02T10:00:00+00:00", "irc:tdonohue", "join", "tdonohue [~tdonohue@host.example] has joined #dspace"),
        ("2015-06-02T10:01:00+00:00", "irc:tdonohue", "", "hi all, see DS-1234"),
        ("2015-06-02T10:01:00+00:00", "irc:mhwood", "", "hello"),
        ("2015-06-02T10:02:00+00:00", "irc:mhwood", "action", "waves"),
        ("2015-06-02T10:03:00+00:00", "irc:mhwood", "nick", "mhwood is now known as mwood"),
        ("2015-06-02T10:04:00+00:00", "irc:ChanServ", "mode", "mode/#dspace [+o tdonohue] by ChanServ"),
        ("2015-06-02T10:05:00+00:00", "irc:tdonohue", "topic", "tdonohue changed the topic of #dspace to: meeting"),
        ("2015-06-02T10:06:00+00:00", "", "server", "Irssi: Join to #dspace was synced in 1 secs"),
        ("2015-06-03T00:01:00+00:00", "irc:mwood", "", "after midnight"),
    ]  # fmt: skip
    assert {m.channel_id for m in messages} == {"irc:#dspace"}
    assert messages[0].locator == "#dspace.log:2"


def test_when_a_bracketed_log_has_no_date_then_times_are_unknown(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "chat.txt",
        "[10:00] <alice> hello\n[10:00:05] * bob waves\n[10:01] *** carol has joined #x\n",
    )
    assert chatlog.detect_plain(log, head(log))
    messages = of_type(list(chatlog.parse_plain(log, "chat.txt")), Message)
    assert [(m.ts, m.author, m.subtype) for m in messages] == [
        ("", "irc:alice", ""),
        ("", "irc:bob", "action"),
        ("", "irc:carol", "join"),
    ]
    assert {m.channel_id for m in messages} == {"irc:chat"}


CHANNEL_NAMES = [
    # (path of the log, channel)
    ("logs/#dspace.2015-06-02.log", "irc:#dspace"),  # in the file name, date dropped
    ("freenode/#fcrepo/2015-06-02.log", "irc:#fcrepo"),  # ZNC: in the folder name
    ("logs/dspace-devel.log", "irc:dspace-devel"),  # neither: the file stem
]


@pytest.mark.parametrize(("name", "channel"), CHANNEL_NAMES)
def test_when_a_plain_log_is_named_then_the_name_gives_channel_and_day(
    tmp_path: Path, name: str, channel: str
) -> None:
    log = write_log(tmp_path / name, "10:00 <a> hi\n")
    message = only_message(list(chatlog.parse_plain(log, name)))
    assert message.channel_id == channel
    assert message.ts == ("" if channel == "irc:dspace-devel" else "2015-06-02T10:00:00+00:00")


def test_when_a_plain_line_is_garbage_then_it_alone_is_quarantined(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "2015-06-02.log", "10:00 <a> hi\ngarbage here\n25:61 <a> late\n10:02 <a> bye\n"
    )
    items = list(chatlog.parse_plain(log, "2015-06-02.log"))
    assert [m.text for m in of_type(items, Message)] == ["hi", "bye"]
    assert [(q.locator, q.reason) for q in of_type(items, Quarantined)] == [
        ("2015-06-02.log:2", "unrecognised log line: no [HH:MM] time stamp on line 2 of 2015-06-02.log"),
        ("2015-06-02.log:3", "bad time: '25:61' on line 3 of 2015-06-02.log"),
    ]


NOT_PLAIN_LOGS = [
    # (first bytes of a file that is not a plain IRC log)
    b"# Meeting notes\n\n10:00 <alice> said hi\n",  # Markdown that quotes a log line
    b"From alice@example.com Tue Jun  2 10:00:00 2015\nSubject: hi\n",  # an mbox
    b"10:00,alice,hello\n",  # CSV
    b'<span class="irc-date">[10:00]</span> <span class="irc-black">&lt;a&gt; hi</span><br />\n',  # PircBot
    b"",  # nothing
]


@pytest.mark.parametrize("content", NOT_PLAIN_LOGS)
def test_when_a_file_is_not_a_plain_log_then_it_is_not_detected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    assert not chatlog.detect_plain(path, content)


def test_when_formats_are_listed_then_both_are_there() -> None:
    assert chatlog.FORMATS == (chatlog.FORMAT_PIRCBOT, chatlog.FORMAT_PLAIN)
    assert {f.name for f in chatlog.FORMATS} == {"pircbot", "irclog"}
    assert all(f.detect_file is not None and f.detect_dir is None for f in chatlog.FORMATS)


# --- invariants --------------------------------------------------------------------------------

LINE_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=40)
PLAIN_LINES = st.one_of(
    LINE_TEXT,
    LINE_TEXT.map(lambda t: f"10:00 <nick> {t}"),
    LINE_TEXT.map(lambda t: f"[10:00] * nick {t}"),
    LINE_TEXT.map(lambda t: f"10:00 -!- {t}"),
)
PIRCBOT_LINES_ANY = st.one_of(
    LINE_TEXT,
    LINE_TEXT.map(lambda t: pircbot_line("10:00", "black", t).rstrip("\n")),
    LINE_TEXT.map(lambda t: pircbot_line("10:00", "green", f"* {t}").rstrip("\n")),
)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(PLAIN_LINES, max_size=8))
def test_when_any_plain_log_is_read_then_each_line_is_a_message_or_quarantined(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    log = tmp_path_factory.mktemp("plain") / "2015-06-02.log"
    log.write_text("\n".join(lines), encoding="utf-8")
    items = list(chatlog.parse_plain(log, "2015-06-02.log"))
    records = [i for i in items if isinstance(i, Message | Quarantined)]
    counted = [line for line in lines if line.strip() and not chatlog._MARKER.match(line)]
    assert len(records) == len(counted)


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(PIRCBOT_LINES_ANY, max_size=8))
def test_when_any_pircbot_log_is_read_then_each_line_is_a_message_or_quarantined(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str]
) -> None:
    log = tmp_path_factory.mktemp("pircbot") / "2015-06-02.log"
    log.write_text("\n".join(lines), encoding="utf-8")
    items = list(chatlog.parse_pircbot(log, "2015-06-02.log"))
    records = [i for i in items if isinstance(i, Message | Quarantined)]
    assert len(records) == len([line for line in lines if line.strip()])
