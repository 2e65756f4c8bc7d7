"""Read source paths into a :class:`Corpus`, accounting for every record.

Each source path gives one *source* per format found in it (a folder of Jira issue files and a
Slack export beside them are two sources). Every item a parser yields is either stored in the
corpus or quarantined with a reason:

* an identity the source already named is merged into the first (a Jira user appears in many issues);
* a record whose id another record already has is quarantined as a duplicate;
* a parser that fails outright quarantines the rest of its file with the error;
* what the walk refused (an archive over a cap, an unreadable archive member, a link to what was
  read already) is quarantined in the source whose export it lies in, else with the files no
  format reads, in a source of format ``unrecognised``.

Records a source implies without listing them are *derived* and stored too: a channel named only
by its messages (IRC logs), a person named only as a record's author. So for every source,
``read + derived == stored + quarantined``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TypeVar

from workgym.ingest.base import Format, Item
from workgym.ingest.config import ArchiveLimits
from workgym.ingest.corpus import Corpus
from workgym.ingest.registry import Unit, Walker
from workgym.model import Channel, Identity, Message, Quarantined, Record
from workgym.store import PERSON_FIELDS

Progress = Callable[[int, int, str], None]
"""Called as ``progress(units_done, units_total, label)`` while reading."""


@dataclass
class SourceTally:
    """One source being read: what it is and how its records were accounted for."""

    id: int
    format: str
    path: str
    sha256: str = ""
    read: int = 0
    derived: int = 0
    stored: int = 0
    quarantined: int = 0
    merged_identities: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)


@dataclass
class ReadResult:
    """Everything read from the source paths."""

    corpus: Corpus
    sources: list[SourceTally]
    quarantine: list[tuple[int, Quarantined]]
    unrecognised: list[tuple[str, str]]  # (source path, relative path)


def _reason_class(reason: str) -> str:
    """A quarantine reason without its specifics, for per-reason counts."""
    head = re.split(r"[:(]", reason, maxsplit=1)[0]
    return " ".join(w for w in head.split() if not any(ch.isdigit() for ch in w))[:60]


_IDENTITY_FIELDS = tuple(f.name for f in fields(Identity) if f.name != "locator")


def _merge_identity(old: Identity, new: Identity) -> Identity:
    """Fill what the first sighting of an identity left empty; union addresses and phones."""
    changes: dict[str, object] = {}
    for name in _IDENTITY_FIELDS:
        a, b = getattr(old, name), getattr(new, name)
        if a == b:
            continue
        if isinstance(a, tuple):
            union = a + tuple(x for x in b if x not in a)
            if union != a:
                changes[name] = union
        elif not a and b:
            changes[name] = b
    return replace(old, **changes) if changes else old  # type: ignore[arg-type]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unpaired(value: object) -> bool:
    return isinstance(value, str) and _LONE_SURROGATE.search(value) is not None


_Text = TypeVar("_Text", bound=Item)


def _without_lone_surrogates(item: _Text) -> _Text:
    r"""The item with each lone surrogate in its text as U+FFFD.

    A lone surrogate is no character, and UTF-8 (so the store) cannot hold one; parsers pass them
    on from a JSON escape (``"\ud800"``) or a name of undecodable bytes (``surrogateescape``).
    What was written there is unreadable either way; the rest of the record is kept.
    """
    changes: dict[str, object] = {}
    for name in (f.name for f in fields(item)):
        value = getattr(item, name)
        if _unpaired(value):
            changes[name] = _LONE_SURROGATE.sub("\ufffd", value)
        elif isinstance(value, tuple) and any(_unpaired(v) for v in value):
            changes[name] = tuple(
                _LONE_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in value
            )
    return replace(item, **changes) if changes else item  # type: ignore[arg-type]


def _hash_units(units: Iterable[Unit]) -> str:
    digest = hashlib.sha256()
    for unit in units:
        files = sorted(p for p in unit.path.rglob("*") if p.is_file()) if unit.path.is_dir() else [unit.path]
        for path in files:
            if any(part.startswith(".") for part in path.relative_to(unit.path.parent).parts[1:]):
                continue
            digest.update(str(path.relative_to(unit.path.parent)).encode())
            with path.open("rb") as fh:
                digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()


class _Reader:
    def __init__(self) -> None:
        self.corpus = Corpus()
        self.quarantine: list[tuple[int, Quarantined]] = []
        self.identity_at: dict[tuple[int, str], int] = {}
        self.first_at: dict[tuple[str, str], tuple[int, str]] = {}  # (kind, id) -> (source, locator)
        self.channels_named: dict[str, tuple[int, str]] = {}  # channel id -> (source, first message locator)

    def take(self, tally: SourceTally, item: Item) -> None:
        tally.read += 1
        item = _without_lone_surrogates(item)
        if isinstance(item, Quarantined):
            self.reject(tally, item)
            return
        if isinstance(item, Identity):
            self.add_identity(tally, item)
            return
        kind = type(item).__name__.lower()
        record_id = getattr(item, "id", None)
        if record_id is not None:
            key = (kind, record_id)
            if key in self.first_at:
                first_source, first_locator = self.first_at[key]
                self.reject(
                    tally,
                    Quarantined(
                        locator=item.locator,
                        reason=f"duplicate {kind} id {record_id!r}: first read at {first_locator}"
                        + ("" if first_source == tally.id else f" (source {first_source})"),
                        raw=json.dumps(asdict(item), ensure_ascii=False),
                    ),
                )
                return
            self.first_at[key] = (tally.id, item.locator)
        if isinstance(item, Message) and item.channel_id not in self.channels_named:
            self.channels_named[item.channel_id] = (tally.id, item.locator)
        self.store(tally, item)

    def store(self, tally: SourceTally, record: Record) -> None:
        self.corpus.add(tally.id, record)
        tally.stored += 1
        kind = type(record).__name__
        tally.by_kind[kind] = tally.by_kind.get(kind, 0) + 1

    def add_identity(self, tally: SourceTally, identity: Identity) -> None:
        key = (tally.id, identity.key)
        index = self.identity_at.get(key)
        if index is None:
            self.identity_at[key] = len(self.corpus.identities)
            self.store(tally, identity)
            return
        sid, old = self.corpus.identities[index]
        self.corpus.identities[index] = (sid, _merge_identity(old, identity))
        tally.read -= 1  # a repeated sighting is the same record, not a new one
        tally.merged_identities += 1

    def reject(self, tally: SourceTally, item: Quarantined) -> None:
        item = _without_lone_surrogates(item)
        self.quarantine.append((tally.id, item))
        tally.quarantined += 1
        reason = _reason_class(item.reason)
        tally.quarantine_reasons[reason] = tally.quarantine_reasons.get(reason, 0) + 1

    def derive(self, tallies: dict[int, SourceTally]) -> None:
        """Store the channels and identities that records name but no source listed."""
        listed = {c.id for _, c in self.corpus.channels}
        for channel_id, (sid, locator) in self.channels_named.items():
            if channel_id in listed:
                continue
            platform, _, name = (
                channel_id.partition(":") if channel_id.startswith("irc:") else ("", "", channel_id)
            )
            channel = Channel(id=channel_id, name=name, locator=locator, platform=platform or "slack")
            tallies[sid].derived += 1
            self.store(tallies[sid], channel)
        for cls, items in list(self.corpus.lists()):
            for sid, record in list(items):
                for name in PERSON_FIELDS.get(cls, ()):
                    value = getattr(record, name)
                    for key in value if isinstance(value, tuple) else (value,):
                        if key and (sid, key) not in self.identity_at:
                            identity = Identity(key=key, locator=record.locator)
                            tallies[sid].derived += 1
                            self.identity_at[(sid, key)] = len(self.corpus.identities)
                            self.store(tallies[sid], identity)


def read_sources(
    paths: Iterable[Path], progress: Progress | None = None, limits: ArchiveLimits | None = None
) -> ReadResult:
    """Discover and parse every source path.

    Args:
        paths: the source paths.
        progress: called as units are read.
        limits: how far archives may be unpacked (the defaults of :class:`ArchiveLimits` when None).

    Raises:
        FileNotFoundError: a path does not exist.
        UnknownFormatError: a path is a single file that no format reads.
    """
    reader = _Reader()
    tallies: dict[int, SourceTally] = {}
    unrecognised: list[tuple[str, str]] = []
    with Walker(limits) as walker:
        plan: list[tuple[SourceTally, list[Unit]]] = []
        for path in paths:
            found = walker.discover(path)
            unrecognised += [(str(path), rel) for rel, _ in found.unrecognised]
            groups: dict[str, list[Unit]] = {}
            formats: dict[str, Format] = {}
            for unit in found.units:
                groups.setdefault(unit.format.name, []).append(unit)
                formats[unit.format.name] = unit.format
            by_rel: dict[str, SourceTally] = {}
            for name, units in groups.items():
                tally = SourceTally(id=len(tallies) + 1, format=name, path=str(path))
                tallies[tally.id] = tally
                plan.append((tally, units))
                by_rel.update((unit.rel, tally) for unit in units)
            # What the walk refused inside a unit (a corrupt member of a zipped export) is that
            # source's; the rest, with the files no format reads, goes to one source of its own.
            unread = [Quarantined(locator=rel, reason=why) for rel, why in found.unrecognised]
            for item in found.refused:
                owner = _owner(by_rel, item.locator)
                if owner is None:
                    unread.append(item)
                else:
                    owner.read += 1
                    reader.reject(owner, item)
            if unread:
                tally = SourceTally(id=len(tallies) + 1, format="unrecognised", path=str(path))
                tallies[tally.id] = tally
                for item in unread:
                    tally.read += 1
                    reader.reject(tally, item)
        total = sum(len(units) for _, units in plan)
        done = 0
        for tally, units in plan:
            tally.sha256 = _hash_units(units)
            for unit in units:
                _parse_unit(reader, tally, unit)
                done += 1
                if progress is not None:
                    progress(done, total, unit.rel or tally.path)
        reader.derive(tallies)
    return ReadResult(reader.corpus, list(tallies.values()), reader.quarantine, unrecognised)


def _owner(by_rel: dict[str, SourceTally], locator: str) -> SourceTally | None:
    """The source of the unit a locator lies in (the deepest, when units nest), if any."""
    parts = locator.split("/")
    for end in range(len(parts), -1, -1):
        tally = by_rel.get("/".join(parts[:end]))
        if tally is not None:
            return tally
    return None


def _parse_unit(reader: _Reader, tally: SourceTally, unit: Unit) -> None:
    taken = 0
    try:
        for item in unit.format.parse(unit.path, unit.rel):
            reader.take(tally, item)
            taken += 1
        if taken == 0 and unit.path.is_file() and unit.path.stat().st_size == 0:
            tally.read += 1
            reader.reject(tally, Quarantined(locator=unit.rel or unit.path.name, reason="empty file"))
    except Exception as exc:
        tally.read += 1
        reader.reject(
            tally,
            Quarantined(
                locator=unit.rel or unit.path.name,
                reason=f"{unit.format.name} parser failed after {taken} records: {type(exc).__name__}: {exc}",
            ),
        )
