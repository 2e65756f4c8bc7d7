from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from workgym.model import KIND_OF, Identity, Message, Person
from workgym.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SourceInfo,
    StoreError,
    Writer,
    connect,
    count,
    read_meta,
    read_sources,
)

DESIGN_TABLES = [
    "person",
    "channel",
    "message",
    "ticket",
    "ticket_comment",
    "ticket_link",
    "ticket_event",
    "document",
    "email",
    "calendar_event",
    "commit",
    "ref",
    "source",
    "quarantine",
    "meta",
]


def test_when_created_then_every_table_of_the_design_exists(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db", create=True)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(DESIGN_TABLES) <= tables
    assert set(KIND_OF.values()) <= tables
    assert read_meta(conn)["schema_version"] == str(SCHEMA_VERSION)


def test_when_ref_table_read_then_it_has_the_design_columns(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db", create=True)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(ref)")]
    for col in ("src_kind", "src_id", "start", "end", "ref_kind", "dst_kind", "dst_id", "raw"):
        assert col in cols
    source_cols = [r[1] for r in conn.execute("PRAGMA table_info(source)")]
    assert source_cols == ["id", "format", "path", "sha256", "records", "quarantined"]


def test_when_migrated_twice_then_nothing_changes(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    connect(path, create=True).close()
    before = path.read_bytes()
    connect(path).close()
    assert path.read_bytes() == before
    assert [m[0] for m in MIGRATIONS] == sorted(m[0] for m in MIGRATIONS)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no such workspace"),  # missing file
        (b"not sqlite at all" * 100, "not a workgym workspace"),  # garbage bytes
        (b"", "not a workgym workspace"),  # empty file: sqlite opens it, but it has no meta
    ],
)
def test_when_file_is_not_a_workspace_then_store_error_names_it(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "w.db"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        connect(path)


def test_when_newer_schema_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    conn = connect(path, create=True)
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        connect(path)


def test_when_records_written_then_person_fields_hold_person_ids_and_text_is_kept(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db", create=True)
    person_of = {(1, "slack:U1"): "P0001"}
    writer = Writer(conn, lambda sid, key: person_of[(sid, key)])
    text = "see <@U1>  *bold*\r\n> quoted typo teh"
    with conn:
        writer.sources([SourceInfo(1, "slack", "export", "abc", 2, 0)])
        writer.persons([Person(id="P0001", name="Ann Lee", emails=("ann@x.org",))], [])
        writer.records(Identity, [(1, Identity(key="slack:U1", locator="users.json#0"))])
        writer.records(
            Message,
            [
                (
                    1,
                    Message(
                        id="C1:1.0",
                        channel_id="C1",
                        ts="t",
                        text=text,
                        locator="g/d.json#0",
                        author="slack:U1",
                        files=("a.png",),
                    ),
                )
            ],
        )
    row = conn.execute("SELECT author, text, files, source_id, locator FROM message").fetchone()
    assert row == ("P0001", text, '["a.png"]', 1, "g/d.json#0")
    assert conn.execute("SELECT person_id FROM identity").fetchone() == ("P0001",)
    assert count(conn, "person") == 1
    assert read_sources(conn)[0].format == "slack"


def test_when_same_id_inserted_twice_then_the_store_refuses(tmp_path: Path) -> None:
    conn = connect(tmp_path / "w.db", create=True)
    writer = Writer(conn, lambda sid, key: "P0001")
    writer.sources([SourceInfo(1, "slack", "export", "abc", 2, 0)])
    msg = Message(id="C1:1.0", channel_id="C1", ts="t", text="x", locator="l")
    with pytest.raises(sqlite3.IntegrityError):
        writer.records(Message, [(1, msg), (1, msg)])
