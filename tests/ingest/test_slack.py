from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import TypeVar

import pytest

from workgym.ingest import slack
from workgym.ingest.base import Item
from workgym.model import Channel, Identity, Message, Quarantined

REAL = "houstondatavis-slack"
T = TypeVar("T")

USERS = [
    {
        "id": "U1",
        "name": "ana",
        "real_name": "Ana Example",
        "tz": "America/Chicago",
        "deleted": False,
        "is_bot": False,
        "profile": {
            "display_name": "ana.e",
            "real_name": "Ana Example",
            "email": "ana@example.com",
            "phone": "555-0100",
            "title": "Organizer",
        },
    },
    {"id": "U2", "name": "bo", "deleted": True, "profile": {"email": "bo@example.com"}},
]
CHANNELS = [
    {
        "id": "C1",
        "name": "general",
        "created": "1433558207",
        "creator": "U1",
        "is_archived": False,
        "members": ["U1", "U2"],
        "topic": {"value": "Data jams", "creator": "U1", "last_set": "0"},
        "purpose": {"value": "Everything", "creator": "U1", "last_set": "0"},
    },
    {"id": "C2", "name": "meetup-", "created": 1433558207, "is_archived": True, "members": []},
]
GENERAL_DAY = [
    {
        "type": "message",
        "user": "U1",
        "text": "hi <@U2> see <#C2|meetup-> and <https://x.example|x>",
        "ts": "1433558319.000002",
    },
    {
        "type": "message",
        "user": "U2",
        "text": "reply",
        "ts": "1433558400.000100",
        "thread_ts": "1433558319.000002",
        "edited": {"user": "U2", "ts": "1433558500.000000"},
        "reactions": [{"name": "+1", "users": ["U1", "U7"], "count": 2}],
    },
    {
        "type": "message",
        "subtype": "file_share",
        "user": "U1",
        "text": "<@U1|ana> uploaded a file",
        "ts": "1433558600.000001",
        "file": {"id": "F1", "name": "a.png", "permalink": "https://team.slack.com/files/ana/F1/a.png"},
        "files": [{"id": "F2", "name": "b.pdf", "permalink": "https://team.slack.com/files/ana/F2/b.pdf"}],
    },
    {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B9",
        "username": "deploybot",
        "text": "deployed",
        "ts": "1433558700.000001",
    },
    {
        "type": "message",
        "subtype": "file_comment",
        "text": "<@U8|cy> commented",
        "ts": "1433558800.000001",
        "comment": {"id": "Fc1", "user": "U8", "comment": "nice"},
    },
]
RENAME_DAY = [
    {
        "type": "message",
        "subtype": "channel_name",
        "user": "U1",
        "old_name": "random",
        "name": "meetup-",
        "text": '<@U1|ana> has renamed the channel from "random" to "meetup-"',
        "ts": "1465863776.000003",
    },
    {
        "type": "message",
        "subtype": "channel_name",
        "user": "U1",
        "text": '<@U1|ana> has renamed the channel from "chat" to "random"',
        "ts": "1465863777.000003",
    },
]


def write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """A small Slack export with one of every kind of conversation and message the parser reads."""
    root = tmp_path / "export"
    write_json(root / "users.json", USERS)
    write_json(root / "channels.json", CHANNELS)
    write_json(root / "groups.json", [{"id": "G1", "name": "staff", "members": ["U1"]}])
    write_json(root / "dms.json", [{"id": "D1", "created": 1433558207, "members": ["U1", "U2"]}])
    write_json(root / "mpims.json", [{"id": "G2", "name": "mpdm-ana--bo-1", "members": ["U1", "U2"]}])
    write_json(root / "integration_logs.json", [{"user_id": "U1", "change_type": "added"}])
    write_json(root / "general" / "2015-06-05.json", GENERAL_DAY)
    write_json(root / "meetup-" / "2016-06-13.json", RENAME_DAY)
    write_json(root / "staff" / "2015-06-06.json", [{"user": "U1", "text": "private", "ts": "1433600000.1"}])
    write_json(root / "D1" / "2015-06-06.json", [{"user": "U2", "text": "dm", "ts": "1433600001.1"}])
    write_json(
        root / "mpdm-ana--bo-1" / "2015-06-06.json", [{"user": "U2", "text": "mp", "ts": "1433600002.1"}]
    )
    write_json(
        root / "lost-channel" / "2015-06-07.json", [{"user": "U1", "text": "orphan", "ts": "1433600003.1"}]
    )
    return root


def parse(path: Path, rel: str = "") -> list[Item]:
    return list(slack.parse(path, rel))


def of_type(items: list[Item], cls: type[T]) -> list[T]:
    return [i for i in items if isinstance(i, cls)]


def messages_by_text(items: list[Item]) -> dict[str, Message]:
    return {m.text: m for m in of_type(items, Message)}


# --- the real export ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_items(shared_data: Path) -> list[Item]:
    return parse(shared_data / REAL)


def test_when_real_export_is_checked_then_it_is_detected(shared_data: Path) -> None:
    assert slack.detect(shared_data / REAL)
    assert not slack.detect(shared_data / REAL / "general")


def test_when_real_export_is_parsed_then_counts_match_the_export(real_items: list[Item]) -> None:
    kinds = Counter(type(i).__name__ for i in real_items)
    assert kinds["Message"] == 1382
    assert kinds["Channel"] == 16
    assert kinds["Quarantined"] == 0
    profiled = [i for i in of_type(real_items, Identity) if i.locator.startswith("users.json#")]
    assert len(profiled) == 71
    assert len({m.id for m in of_type(real_items, Message)}) == 1382


def test_when_real_export_mentions_users_then_each_is_a_profiled_identity(real_items: list[Item]) -> None:
    profiled = {i.key for i in of_type(real_items, Identity) if i.emails or i.handle}
    mentioned = {
        f"slack:{uid}"
        for m in of_type(real_items, Message)
        for uid in re.findall(r"<@([UW][A-Z0-9]+)", m.text)
    }
    assert len(mentioned) > 50
    missing = mentioned - profiled
    assert not missing, f"{len(missing)} mentioned ids without a profile"


def test_when_real_export_is_parsed_then_every_author_is_a_yielded_identity(real_items: list[Item]) -> None:
    keys = {i.key for i in of_type(real_items, Identity)}
    authors = {m.author for m in of_type(real_items, Message)}
    assert "" not in authors
    assert authors <= keys


def test_when_real_channel_was_renamed_then_its_old_name_is_kept(real_items: list[Item]) -> None:
    channels = {c.name: c for c in of_type(real_items, Channel)}
    assert channels["meetup-"].previous_names == ("random",)
    assert all(m.channel_id in {c.id for c in channels.values()} for m in of_type(real_items, Message))


def test_when_real_message_has_a_file_then_its_permalink_is_kept(real_items: list[Item]) -> None:
    shared = [m for m in of_type(real_items, Message) if m.files]
    assert len(shared) >= 60
    assert all(f.startswith("https://houstondatavis.slack.com/files/") for m in shared for f in m.files)


def test_when_real_export_is_parsed_twice_then_the_items_are_equal(shared_data: Path) -> None:
    assert parse(shared_data / REAL) == parse(shared_data / REAL)


# --- what each field becomes -------------------------------------------------------------------


def test_when_users_json_lists_a_user_then_the_identity_has_the_profile(export: Path) -> None:
    ana = next(i for i in of_type(parse(export), Identity) if i.key == "slack:U1")
    assert ana == Identity(
        key="slack:U1",
        locator="users.json#0",
        display_name="ana.e",
        real_name="Ana Example",
        emails=("ana@example.com",),
        handle="ana",
        phones=("555-0100",),
        title="Organizer",
        timezone="America/Chicago",
    )


def test_when_profile_has_no_display_name_then_the_user_name_is_shown(export: Path) -> None:
    bo = next(i for i in of_type(parse(export), Identity) if i.key == "slack:U2")
    assert (bo.display_name, bo.deleted, bo.emails) == ("bo", True, ("bo@example.com",))


def test_when_channels_are_listed_then_each_kind_is_a_channel(export: Path) -> None:
    channels = {c.id: c for c in of_type(parse(export), Channel)}
    assert {c.id: c.kind for c in channels.values()} == {
        "C1": "channel",
        "C2": "channel",
        "G1": "private",
        "D1": "dm",
        "G2": "mpim",
    }
    general = channels["C1"]
    assert general.topic == "Data jams"
    assert general.purpose == "Everything"
    assert general.created == "2015-06-06T02:36:47+00:00"
    assert general.creator == "slack:U1"
    assert general.members == ("slack:U1", "slack:U2")
    assert general.locator == "channels.json#0"
    assert channels["C2"].archived
    assert channels["D1"].name == "D1"


def test_when_channel_was_renamed_then_previous_names_are_listed_oldest_last(export: Path) -> None:
    meetup = next(c for c in of_type(parse(export), Channel) if c.id == "C2")
    assert meetup.previous_names == ("random", "chat")


def test_when_message_is_plain_then_text_and_markup_are_kept(export: Path) -> None:
    first = messages_by_text(parse(export))["hi <@U2> see <#C2|meetup-> and <https://x.example|x>"]
    assert first == Message(
        id="C1:1433558319.000002",
        channel_id="C1",
        ts="2015-06-06T02:38:39.000002+00:00",
        text="hi <@U2> see <#C2|meetup-> and <https://x.example|x>",
        locator="general/2015-06-05.json#0",
        author="slack:U1",
    )


def test_when_message_is_a_thread_reply_then_thread_edit_and_reactions_are_kept(export: Path) -> None:
    reply = messages_by_text(parse(export))["reply"]
    assert reply.thread_id == "C1:1433558319.000002"
    assert reply.edited == "2015-06-06T02:41:40+00:00"
    assert reply.reactions == ("+1:2",)


def test_when_message_shares_files_then_permalinks_of_file_and_files_are_kept(export: Path) -> None:
    shared = messages_by_text(parse(export))["<@U1|ana> uploaded a file"]
    assert shared.subtype == "file_share"
    assert shared.files == (
        "https://team.slack.com/files/ana/F1/a.png",
        "https://team.slack.com/files/ana/F2/b.pdf",
    )


def test_when_a_bot_posts_then_its_bot_id_is_the_author_and_a_bot_identity(export: Path) -> None:
    items = parse(export)
    bot_message = messages_by_text(items)["deployed"]
    assert bot_message.author == "slack:B9"
    bots = [i for i in of_type(items, Identity) if i.key == "slack:B9"]
    assert [(b.is_bot, b.display_name) for b in bots] == [(True, "deploybot")]


def test_when_a_user_is_only_named_in_messages_then_a_bare_identity_is_yielded(export: Path) -> None:
    items = parse(export)
    keys = Counter(i.key for i in of_type(items, Identity))
    assert keys["slack:U7"] == 1  # only reacts
    assert keys["slack:U8"] == 1  # only comments on a file
    assert messages_by_text(items)["<@U8|cy> commented"].author == "slack:U8"
    assert all(count == 1 for count in keys.values())


def test_when_folders_name_channels_or_dms_then_messages_get_their_channel_ids(export: Path) -> None:
    by_text = messages_by_text(parse(export))
    assert {t: by_text[t].channel_id for t in ("private", "dm", "mp", "orphan")} == {
        "private": "G1",
        "dm": "D1",
        "mp": "G2",
        "orphan": "lost-channel",  # a folder no listing names is still read
    }


def test_when_export_has_integration_logs_then_they_are_not_records(export: Path) -> None:
    assert not [i for i in parse(export) if i.locator.startswith("integration_logs.json")]


def test_when_export_sits_below_the_source_root_then_locators_start_with_rel(export: Path) -> None:
    items = parse(export, "exports/slack")
    assert all(i.locator.startswith("exports/slack/") for i in items)
    assert messages_by_text(items)["reply"].locator == "exports/slack/general/2015-06-05.json#1"


def test_when_users_json_is_missing_then_channels_are_read_and_authors_are_bare(export: Path) -> None:
    (export / "users.json").unlink()
    assert slack.detect(export)  # channels.json beside day folders is still an export
    items = parse(export)
    missing = of_type(items, Quarantined)
    assert [q.locator for q in missing] == ["users.json"]
    assert "missing users.json" in missing[0].reason
    assert len(of_type(items, Channel)) == 5
    identities = {i.key: i for i in of_type(items, Identity)}
    assert identities["slack:U1"] == Identity(key="slack:U1", locator="channels.json#0")


# --- broken input ------------------------------------------------------------------------------


BROKEN_FILES = [
    # (file bytes, what the reason must say)
    # an export cut off mid-file
    pytest.param(b'[{"user": "U1", "text": "hi", "ts": "14', "invalid JSON: Unterminated string", id="cut"),
    # Latin-1 text where UTF-8 belongs: the offset of the bad byte
    pytest.param(b'[{"user": "U1", "text": "caf\xe9", "ts": "1"}]', "invalid UTF-8 at byte 28", id="latin-1"),
    # one message object where the day's array belongs
    pytest.param(
        b'{"user": "U1", "text": "hi", "ts": "1"}',
        "not a JSON array: general/2015-06-06.json holds an object",
        id="object",
    ),
    # a zero-byte file
    pytest.param(b"", "empty file", id="empty"),
]


@pytest.mark.parametrize(("content", "reason"), BROKEN_FILES)
def test_when_a_day_file_is_broken_then_it_is_quarantined_and_the_rest_is_read(
    export: Path, content: bytes, reason: str
) -> None:
    (export / "general" / "2015-06-06.json").write_bytes(content)
    items = parse(export)
    quarantined = of_type(items, Quarantined)
    assert [q.locator for q in quarantined] == ["general/2015-06-06.json"]
    assert reason in quarantined[0].reason
    assert "general/2015-06-06.json" in quarantined[0].reason
    assert len(of_type(items, Message)) == len(GENERAL_DAY) + len(RENAME_DAY) + 4


def test_when_json_is_truncated_then_the_reason_gives_line_and_column(export: Path) -> None:
    (export / "general" / "2015-06-06.json").write_text('[\n  {"ts": "1",\n', encoding="utf-8")
    (quarantined,) = of_type(parse(export), Quarantined)
    assert re.search(r"at line \d+ column \d+ of general/2015-06-06\.json$", quarantined.reason)


BROKEN_ELEMENTS = [
    # (element, what the reason must say)
    # a bare string among the message objects
    pytest.param("just text", "message is not a JSON object but a string", id="not-an-object"),
    # no ts: no id and no time
    pytest.param({"user": "U1", "text": "no time"}, "message without ts", id="no-ts"),
    # a ts that is not a Unix time
    pytest.param({"user": "U1", "text": "bad time", "ts": "yesterday"}, "bad ts 'yesterday'", id="bad-ts"),
    # text of the wrong type
    pytest.param({"user": "U1", "text": ["a"], "ts": "1.1"}, "text is an array", id="text-not-string"),
    # user of the wrong type
    pytest.param({"user": 7, "text": "hi", "ts": "1.1"}, "user is a number", id="user-not-string"),
]


@pytest.mark.parametrize(("element", "reason"), BROKEN_ELEMENTS)
def test_when_a_message_element_is_broken_then_it_alone_is_quarantined(
    export: Path, element: object, reason: str
) -> None:
    write_json(export / "general" / "2015-06-06.json", [{"user": "U1", "text": "ok", "ts": "2.2"}, element])
    items = parse(export)
    (quarantined,) = of_type(items, Quarantined)
    assert quarantined.locator == "general/2015-06-06.json#1"
    assert quarantined.reason.startswith(reason)
    assert quarantined.reason.endswith("element 1 of general/2015-06-06.json")
    assert json.loads(quarantined.raw) == element
    assert "ok" in messages_by_text(items)


def test_when_users_json_is_broken_then_it_is_quarantined_and_messages_are_still_read(export: Path) -> None:
    (export / "users.json").write_text('[{"id": "U1"', encoding="utf-8")
    items = parse(export)
    (quarantined,) = of_type(items, Quarantined)
    assert quarantined.locator == "users.json"
    assert quarantined.reason.startswith("invalid JSON:")
    assert len(of_type(items, Message)) == len(GENERAL_DAY) + len(RENAME_DAY) + 4


def test_when_a_listing_entry_has_no_id_then_that_entry_is_quarantined(export: Path) -> None:
    write_json(export / "channels.json", [*CHANNELS, {"name": "no-id"}, 3])
    quarantined = of_type(parse(export), Quarantined)
    assert [(q.locator, q.reason) for q in quarantined] == [
        ("channels.json#2", "conversation without id: element 2 of channels.json"),
        ("channels.json#3", "conversation is not a JSON object but a number: element 3 of channels.json"),
    ]
