"""Slack's official workspace export: a folder (a ``.zip`` is unpacked by the caller).

The folder holds ``users.json`` (profiles), ``channels.json`` (public channels) and, in exports
that include them, ``groups.json`` (private channels), ``dms.json`` and ``mpims.json``; then one
folder per conversation (named by channel name, or by id for direct messages) of daily files
``YYYY-MM-DD.json``, each a JSON array of message objects. ``integration_logs.json`` lists app
installs, not records, and is not read.

What is yielded:

* an :class:`~workgym.model.Identity` ``slack:<user id>`` per ``users.json`` entry, one
  ``slack:<bot id>`` (``is_bot``) per bot that posted a ``bot_message``, and a bare one for every
  user id that only messages name (author, ``<@U…>`` mention, reaction, channel member);
* a :class:`~workgym.model.Channel` per conversation listed, with the names it had before a
  ``channel_name`` (rename) event;
* a :class:`~workgym.model.Message` ``<channel id>:<ts>`` per array element, text as written
  (``<@U…>``, ``<#C…|name>`` and ``<url|label>`` markup kept).

Locators: ``users.json#3``, ``channels.json#0``, ``general/2015-06-05.json#3``; a file that
cannot be read at all is quarantined under its own path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from workgym.ingest.base import Format, Item, decode_utf8, join_locator
from workgym.ingest.timefmt import from_epoch
from workgym.model import Channel, Identity, Message, Quarantined

JSONObject = dict[str, object]
"""A decoded JSON object."""

CONVERSATION_FILES: tuple[tuple[str, str], ...] = (
    ("channels.json", "channel"),
    ("groups.json", "private"),
    ("mpims.json", "mpim"),
    ("dms.json", "dm"),
)
"""The files listing conversations, and the channel kind of each."""

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_RENAMED = re.compile(r'has renamed the channel from "(.*)" to "')


@dataclass
class _Export:
    """What one pass over an export has learned so far."""

    rel: str
    profiled: set[str] = field(default_factory=set)  # user ids listed in users.json
    bots: dict[str, str] = field(default_factory=dict)  # bot id -> display name yielded
    named: dict[str, str] = field(default_factory=dict)  # user id -> locator of first mention
    previous_names: dict[str, list[str]] = field(default_factory=dict)  # channel id -> old names

    def saw_user(self, user_id: str, locator: str) -> None:
        """Remember a user id that a record names, with where it was first named."""
        if user_id and user_id not in self.named:
            self.named[user_id] = locator


_DAY_FILE = re.compile(r"\d{4}-\d{2}-\d{2}\.json")


def detect(path: Path) -> bool:
    """Whether a folder is a Slack export.

    It has ``users.json`` and ``channels.json``, or ``channels.json`` beside at least one channel
    folder of day files (an export that lost its ``users.json`` is still read).
    """
    if not (path / "channels.json").is_file():
        return False
    if (path / "users.json").is_file():
        return True
    return any(
        child.is_dir() and any(_DAY_FILE.fullmatch(f.name) for f in child.iterdir())
        for child in path.iterdir()
    )


def parse(path: Path, rel: str) -> Iterator[Item]:
    """Read a Slack export folder into identities, channels and messages.

    Args:
        path: the export folder.
        rel: its path relative to the source root (``""`` for the root itself).

    Yields:
        Identities, then channels, then messages with the bot and bare identities they imply;
        a :class:`~workgym.model.Quarantined` for every file or element that cannot be read.
    """
    export = _Export(rel=rel)
    users_file = path / "users.json"
    if users_file.is_file():
        yield from _read_users(users_file, export)
    else:
        yield Quarantined(
            locator=join_locator(rel, "users.json"),
            reason="missing users.json: the export has no profiles; authors are kept as bare user ids",
        )

    channels: list[Channel] = []
    folder_ids: dict[str, str] = {}  # folder name -> channel id
    for name, kind in CONVERSATION_FILES:
        listing = path / name
        if not listing.is_file():
            continue
        for item in _read_conversations(listing, kind, export):
            if isinstance(item, Channel):
                channels.append(item)
                folder_ids.setdefault(item.name, item.id)
                folder_ids.setdefault(item.id, item.id)
            else:
                yield item

    # Messages are read before channels are yielded: a rename message names a channel's old name.
    later: list[Item] = []
    folders = sorted(
        (p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != "__MACOSX"),
        key=lambda p: p.name,
    )
    for folder in folders:
        channel_id = folder_ids.get(folder.name, folder.name)
        later.extend(_read_folder(folder, channel_id, export))

    for channel in channels:
        names = export.previous_names.get(channel.id)
        yield replace(channel, previous_names=tuple(names)) if names else channel
    for user_id, locator in export.named.items():
        if user_id not in export.profiled and user_id not in export.bots:
            yield Identity(key=f"slack:{user_id}", locator=locator)
    yield from later


def _load_array(file: Path, locator: str) -> list[object] | Quarantined:
    """A file's JSON array, or a Quarantined naming what is wrong with the file and where."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        return Quarantined(locator, f"unreadable file: {locator}: {exc.strerror or exc}")
    text = decode_utf8(data, locator)
    if isinstance(text, Quarantined):
        return replace(text, reason=f"{text.reason} in {locator}")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return Quarantined(locator, f"empty file: {locator} holds no JSON array", text)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return Quarantined(
            locator,
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} of {locator}",
            text,
        )
    except RecursionError:
        return Quarantined(locator, f"invalid JSON: nested too deeply in {locator}", text)
    if not isinstance(value, list):
        return Quarantined(locator, f"not a JSON array: {locator} holds {_json_type(value)}", text)
    return value


def _read_users(file: Path, export: _Export) -> Iterator[Item]:
    """Identities from ``users.json``."""
    locator = join_locator(export.rel, file.name)
    users = _load_array(file, locator)
    if isinstance(users, Quarantined):
        yield users
        return
    for index, raw in enumerate(users):
        where = f"{locator}#{index}"
        if not isinstance(raw, dict):
            yield _bad_element(where, f"user is not a JSON object but {_json_type(raw)}", raw)
            continue
        user_id = _text(raw, "id")
        if not user_id:
            yield _bad_element(where, "user without id", raw)
            continue
        profile = _object(raw, "profile")
        name = _text(raw, "name")
        email = _text(profile, "email")
        phone = _text(profile, "phone")
        export.profiled.add(user_id)
        yield Identity(
            key=f"slack:{user_id}",
            locator=where,
            display_name=_text(profile, "display_name") or name,
            real_name=_text(profile, "real_name") or _text(raw, "real_name"),
            emails=(email,) if email else (),
            handle=name,
            phones=(phone,) if phone else (),
            title=_text(profile, "title"),
            timezone=_text(raw, "tz"),
            is_bot=raw.get("is_bot") is True,
            deleted=raw.get("deleted") is True,
        )


def _read_conversations(file: Path, kind: str, export: _Export) -> Iterator[Channel | Quarantined]:
    """Channels from one of the conversation listings (``channels.json``, ``dms.json``, ...)."""
    locator = join_locator(export.rel, file.name)
    entries = _load_array(file, locator)
    if isinstance(entries, Quarantined):
        yield entries
        return
    for index, raw in enumerate(entries):
        where = f"{locator}#{index}"
        if not isinstance(raw, dict):
            yield _bad_element(where, f"conversation is not a JSON object but {_json_type(raw)}", raw)
            continue
        channel_id = _text(raw, "id")
        if not channel_id:
            yield _bad_element(where, "conversation without id", raw)
            continue
        members = tuple(m for m in _list(raw, "members") if isinstance(m, str) and m)
        creator = _text(raw, "creator")
        for user_id in (*members, creator):
            export.saw_user(user_id, where)
        yield Channel(
            id=channel_id,
            name=_text(raw, "name") or channel_id,
            locator=where,
            kind="private" if kind == "channel" and raw.get("is_private") is True else kind,
            topic=_text(_object(raw, "topic"), "value"),
            purpose=_text(_object(raw, "purpose"), "value"),
            created=_epoch(raw.get("created")) or "",
            creator=f"slack:{creator}" if creator else "",
            members=tuple(f"slack:{m}" for m in members),
            archived=raw.get("is_archived") is True,
        )


def _read_folder(folder: Path, channel_id: str, export: _Export) -> Iterator[Item]:
    """Messages (and the bot identities they imply) from one conversation's daily files."""
    prefix = join_locator(export.rel, folder.name)
    days = sorted(
        (p for p in folder.iterdir() if p.suffix == ".json" and not p.name.startswith(".") and p.is_file()),
        key=lambda p: p.name,
    )
    for day in days:
        locator = f"{prefix}/{day.name}"
        messages = _load_array(day, locator)
        if isinstance(messages, Quarantined):
            yield messages
            continue
        for index, raw in enumerate(messages):
            yield from _read_message(raw, channel_id, f"{locator}#{index}", export)


def _read_message(raw: object, channel_id: str, where: str, export: _Export) -> Iterator[Item]:
    """One message element: the message, or why it cannot be read; first any bot identity it implies."""
    if not isinstance(raw, dict):
        yield _bad_element(where, f"message is not a JSON object but {_json_type(raw)}", raw)
        return
    ts = raw.get("ts")
    if ts is None or ts == "":
        yield _bad_element(where, "message without ts", raw)
        return
    moment = _epoch(ts)
    if moment is None:
        yield _bad_element(where, f"bad ts {ts!r}, not a Unix time", raw)
        return
    text = raw.get("text", "")
    if text is None:
        text = ""
    if not isinstance(text, str):
        yield _bad_element(where, f"text is {_json_type(text)}, not a string", raw)
        return
    user = raw.get("user")
    if user is not None and not isinstance(user, str):
        yield _bad_element(where, f"user is {_json_type(user)}, not a string", raw)
        return

    subtype = _text(raw, "subtype")
    bot_id = _text(raw, "bot_id")
    author = ""
    if bot_id and (subtype == "bot_message" or not user):
        author = f"slack:{bot_id}"
        bot_name = _text(raw, "username") or _text(_object(raw, "bot_profile"), "name")
        # Yield a bot at its first message, and again when a later one first gives its name.
        if bot_id not in export.bots or (bot_name and not export.bots[bot_id]):
            export.bots[bot_id] = bot_name
            yield Identity(key=author, locator=where, display_name=bot_name, handle=bot_name, is_bot=True)
    else:
        # A file comment names its author inside the comment, not on the message.
        user = user or _text(_object(raw, "comment"), "user")
        if user:
            author = f"slack:{user}"
            export.saw_user(user, where)

    for mentioned in _MENTION.findall(text):
        export.saw_user(mentioned, where)
    export.saw_user(_text(raw, "inviter"), where)
    reactions: list[str] = []
    for reaction in _list(raw, "reactions"):
        if not isinstance(reaction, dict):
            continue
        users = [u for u in _list(reaction, "users") if isinstance(u, str)]
        for reactor in users:
            export.saw_user(reactor, where)
        count = reaction.get("count")
        total = count if isinstance(count, int) and not isinstance(count, bool) else len(users)
        reactions.append(f"{_text(reaction, 'name')}:{total}")

    if subtype == "channel_name":
        old = _text(raw, "old_name")
        if not old and (renamed := _RENAMED.search(text)):
            old = renamed.group(1)
        names = export.previous_names.setdefault(channel_id, [])
        if old and old not in names:
            names.append(old)

    thread_ts = raw.get("thread_ts")
    edited = _epoch(_object(raw, "edited").get("ts"))
    yield Message(
        id=f"{channel_id}:{ts}",
        channel_id=channel_id,
        ts=moment,
        text=text,
        locator=where,
        author=author,
        thread_id=f"{channel_id}:{thread_ts}" if isinstance(thread_ts, str) and thread_ts else "",
        subtype=subtype,
        edited=edited or "",
        files=_files(raw),
        reactions=tuple(reactions),
    )


def _files(raw: JSONObject) -> tuple[str, ...]:
    """Permalinks (else private URLs, names or ids) of the files a message shares."""
    shared: list[object] = [raw["file"]] if "file" in raw else []
    shared += _list(raw, "files")
    found: list[str] = []
    for item in shared:
        if not isinstance(item, dict):
            continue
        for key in ("permalink", "url_private", "name", "id"):
            value = _text(item, key)
            if value:
                found.append(value)
                break
    return tuple(found)


def _bad_element(where: str, what: str, raw: object) -> Quarantined:
    """A Quarantined element: the reason names the element (``file#N``) and what is wrong with it."""
    file, _, index = where.rpartition("#")
    return Quarantined(where, f"{what}: element {index} of {file}", json.dumps(raw, ensure_ascii=False))


def _epoch(value: object) -> str | None:
    """A Unix time as ISO UTC, or None when it is not one."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        return from_epoch(value)
    except (ValueError, OverflowError, ArithmeticError):
        return None


def _text(obj: JSONObject, key: str) -> str:
    """A string field, ``""`` when absent or null; numbers as written."""
    value = obj.get(key)
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | dict | list):
        return ""
    return str(value)


def _object(obj: JSONObject, key: str) -> JSONObject:
    """An object field, empty when absent or not an object."""
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def _list(obj: JSONObject, key: str) -> list[object]:
    """A list field, empty when absent or not a list."""
    value = obj.get(key)
    return value if isinstance(value, list) else []


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, with its article: "a string", "an array", "null"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


FORMAT = Format(
    name="slack",
    description="Slack export folder or .zip: users.json, channels.json, <channel>/<YYYY-MM-DD>.json",
    parse=parse,
    detect_dir=detect,
    priority=100,
)
