"""End to end through ``build_workspace``: accounting, broken inputs, determinism, the sample."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from workgym.cli import sample_sources
from workgym.ingest.registry import UnknownFormatError
from workgym.link.build import BuildReport, build_workspace
from workgym.store import CONTENT_TABLES, connect, read_sources


def per_source_rows(conn: sqlite3.Connection) -> dict[int, int]:
    totals: dict[int, int] = {}
    for table in (*CONTENT_TABLES, "identity"):
        for sid, n in conn.execute(f'SELECT source_id, COUNT(*) FROM "{table}" GROUP BY source_id'):
            totals[sid] = totals.get(sid, 0) + n
    return totals


def assert_accounted(report: BuildReport, db: Path) -> None:
    assert report.read == report.stored + report.quarantined
    conn = connect(db)
    rows = per_source_rows(conn)
    quarantined = dict(
        conn.execute("SELECT source_id, COUNT(*) FROM quarantine GROUP BY source_id").fetchall()
    )
    for source in read_sources(conn):
        assert rows.get(source.id, 0) == source.records, source
        assert quarantined.get(source.id, 0) == source.quarantined, source
    conn.close()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A folder of broken inputs of every kind, beside a few good ones."""
    root = tmp_path / "broken"
    slack = root / "slack"
    (slack / "general").mkdir(parents=True)
    (slack / "users.json").write_text(
        json.dumps([{"id": "U1", "name": "ann", "profile": {"email": "ann@x.org"}}])
    )
    (slack / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general", "members": ["U1"]}]))
    (slack / "general" / "2020-01-01.json").write_text(
        json.dumps([{"type": "message", "user": "U1", "text": "hi <@U1>", "ts": "1577836800.000100"}])
    )
    (slack / "general" / "2020-01-02.json").write_text('[{"type": "message", "user": "U1", "te')  # truncated
    (slack / "general" / "2020-01-03.json").write_bytes(
        b'[{"type": "message", "text": "caf\xe9", "ts": "1.0"}]'
    )

    jira = root / "jira"
    jira.mkdir()
    (jira / "ABC-1.json").write_text(
        json.dumps({"id": "1", "key": "ABC-1", "fields": {"summary": "ok", "project": {"key": "ABC"}}})
    )
    (jira / "ABC-2.json").write_text('{"id": "2", "key": "ABC-2", "fields": {"summary": "cut')

    mail = root / "mail"
    mail.mkdir()
    (mail / "list.mbox").write_bytes(
        b"From a@x.org Mon Jan  6 10:00:00 2020\n"
        b"From: Ann <ann@x.org>\nSubject: fine\nMessage-ID: <m1@x.org>\nDate: Mon, 6 Jan 2020 10:00:00 +0000\n\n"
        b"body ABC-1\n\n"
        b"From b@x.org Mon Jan  6 11:00:00 2020\n"
        b"\x00\x01\x02 garbage\xff\xfe no headers at all\n\n"
    )
    (root / "empty.ics").write_bytes(b"")
    (root / "notes").mkdir()
    (root / "notes" / "image.bin").write_bytes(bytes(range(256)) * 4)
    # A Slack export zipped without users.json.
    with zipfile.ZipFile(root / "export.zip", "w") as zf:
        zf.writestr("channels.json", json.dumps([{"id": "C9", "name": "random"}]))
        zf.writestr(
            "random/2020-01-01.json",
            json.dumps([{"type": "message", "user": "U9", "text": "x", "ts": "2.0"}]),
        )
    irc = root / "irc"
    irc.mkdir()
    (irc / "2016-01-01.log").write_bytes(
        b'<span class="irc-date">[10:00]</span> <span class="irc-black">&lt;ann&gt; hello DS-1</span><br />\n'
        b'<span class="irc-date">[10:01]</span> <span class="irc-black">&lt;bob&gt; caf\xe9</span><br />\n'
    )
    return root


def test_when_inputs_are_broken_then_nothing_crashes_and_every_record_is_accounted(
    broken: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    report = build_workspace([broken], db)
    assert_accounted(report, db)
    conn = connect(db)
    reasons = {locator: reason for locator, reason in conn.execute("SELECT locator, reason FROM quarantine")}
    # Each bad record is quarantined under a locator naming its file (and position where there is one).
    assert any(loc.startswith("slack/general/2020-01-02.json") for loc in reasons)
    assert any(loc.startswith("slack/general/2020-01-03.json") for loc in reasons)
    assert any(loc.startswith("jira/ABC-2.json") for loc in reasons)
    assert any(loc.startswith("mail/list.mbox:") for loc in reasons)
    assert reasons.get("empty.ics") == "empty file"
    assert "notes/image.bin" in reasons
    assert any(loc.startswith("irc/2016-01-01.log:2") for loc in reasons)
    # And the good records around them are stored.
    assert conn.execute("SELECT COUNT(*) FROM ticket").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM email").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM message WHERE text = 'hi <@U1>'").fetchone()[0] == 1


def test_when_a_message_is_50_mb_then_it_is_stored_without_crash(tmp_path: Path) -> None:
    big = tmp_path / "big.mbox"
    with big.open("wb") as fh:
        fh.write(
            b"From a@x.org Mon Jan  6 10:00:00 2020\nFrom: a@x.org\nSubject: big\nMessage-ID: <big@x>\n\n"
        )
        line = b"all work and no play makes jack a dull boy " * 24 + b"\n"
        for _ in range(50 * 1024 * 1024 // len(line)):
            fh.write(line)
    db = tmp_path / "w.db"
    report = build_workspace([big], db)
    assert_accounted(report, db)
    assert report.stored + report.quarantined >= 1


def test_when_single_file_is_unknown_then_error_lists_supported_formats(tmp_path: Path) -> None:
    odd = tmp_path / "data.bin"
    odd.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(UnknownFormatError, match="slack"):
        build_workspace([odd], tmp_path / "w.db")


def test_when_path_is_missing_then_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        build_workspace([tmp_path / "nope"], tmp_path / "w.db")


def test_when_sample_is_ingested_twice_then_databases_are_byte_identical(tmp_path: Path) -> None:
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    build_workspace(sample_sources(), one)
    build_workspace(sample_sources(), two)
    assert one.read_bytes() == two.read_bytes()


def test_when_sample_is_ingested_then_every_source_kind_is_present_and_linked(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    report = build_workspace(sample_sources(), db)
    assert_accounted(report, db)
    assert report.quarantined == 0, report.sources
    conn = connect(db)
    for table, minimum in [
        ("message", 400),
        ("ticket", 60),
        ("document", 20),
        ("email", 80),
        ("calendar_event", 20),
        ("commit", 100),
    ]:
        assert conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] >= minimum, table
    assert 10 <= conn.execute("SELECT COUNT(*) FROM person WHERE is_bot = 0").fetchone()[0] <= 20
    kinds = {
        k
        for (k,) in conn.execute(
            "SELECT DISTINCT src_kind FROM ref WHERE dst_kind = 'ticket' AND dst_id IS NOT NULL"
        )
    }
    assert {"message", "email", "commit", "document"} <= kinds
