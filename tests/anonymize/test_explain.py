"""Explaining leaks: each leaking original value, its place and the layer that should have caught it."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workgym.anonymize.directory import Directory, Entry, Matcher
from workgym.anonymize.explain import (
    ADDRESS_DETECTOR,
    DIRECTORY_ENTRY,
    ID_REWRITING,
    NAME_DETECTOR,
    PATTERN_KIND,
    find_leaks,
)
from workgym.anonymize.keys import keygen
from workgym.anonymize.run import audit_path_for, failed_audit_path_for
from workgym.cli import app
from workgym.store import connect

runner = CliRunner()
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400", "NO_COLOR": "1"}

PLANTED_NAME = "Bartholomew Quigley"  # not in the directory: the name detector learns it from prose
PLANTED_PHONE = "+1 415 555 0134"  # the phone pattern learns it from prose


@pytest.fixture
def leaky(sample_db: Path, tmp_path: Path) -> tuple[Path, Path, Path, dict[str, str]]:
    """A raw workspace (its own folder) that leaks: values planted in kept columns, a user id allowed.

    Returns the workspace, the key file, the config and what was planted where.
    """
    raw = tmp_path / "raw"
    raw.mkdir()
    db = raw / "workspace.db"
    shutil.copyfile(sample_db, db)
    conn = sqlite3.connect(db)
    with conn:
        email = json.loads(conn.execute("SELECT emails FROM person ORDER BY id").fetchone()[0])[0]
        user_id = conn.execute("SELECT key FROM identity WHERE key LIKE 'slack:U%' ORDER BY key").fetchone()[
            0
        ]
        conn.execute(
            "UPDATE message SET text = text || ? WHERE rowid = (SELECT MIN(rowid) FROM message)",
            (f" Thanks, {PLANTED_NAME}. Call me on {PLANTED_PHONE} tomorrow.",),
        )
        # ticket.type, .priority and .resolution are kept as written (the tools' vocabularies)
        conn.execute(
            "UPDATE ticket SET resolution = ?, priority = ?, type = ? WHERE rowid = (SELECT MIN(rowid) FROM ticket)",
            (email, PLANTED_NAME, PLANTED_PHONE),
        )
    conn.close()
    key = tmp_path / "k.key"
    keygen(key)
    config = tmp_path / "anon.toml"
    allowed = user_id.partition(":")[2]
    config.write_text(f'[anonymize]\nallow = ["{allowed}"]\n')
    return db, key, config, {"email": email, "user_id": allowed}


def test_when_a_workspace_leaks_then_explain_names_each_value_its_place_and_its_cause(
    leaky: tuple[Path, Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    db, key, config, planted = leaky
    out = tmp_path / "out" / "anon.db"
    explain = db.parent / "workspace.explain.json"
    args = ["anonymize", str(db), "-o", str(out), "--key", str(key), "--config", str(config)]
    result = runner.invoke(app, [*args, "--explain", str(explain)], env=WIDE)

    assert result.exit_code == 1, result.output
    assert not out.exists() and not audit_path_for(out).exists()
    # the summary groups the leaks by cause, with the columns they are in
    assert "leaks by cause" in result.output
    assert "id rewriting" in result.output and "ticket.resolution" in result.output
    assert "directory entry" in result.output and "message.text" in result.output
    assert "ORIGINAL values" in result.output

    assert stat.S_IMODE(explain.stat().st_mode) == 0o600
    explained = json.loads(explain.read_text(encoding="utf-8"))
    audit = json.loads(failed_audit_path_for(out).read_text(encoding="utf-8"))
    assert explained["leaks"] == audit["leaks"] == len(explained["values"]) > 0
    assert audit["leaks_by_cause"] == {c: sum(v.values()) for c, v in explained["by_cause"].items()}
    found = {(v["table"], v["column"], v["value"].lower()): v for v in explained["values"]}

    email = found[("ticket", "resolution", planted["email"])]
    assert email["cause"] == ID_REWRITING and email["learned"].startswith("directory: email")
    assert email["raw_id"]  # the row in the raw workspace, to fix or report
    name = found[("ticket", "priority", PLANTED_NAME.lower())]
    assert name["cause"] == ID_REWRITING and name["learned"].startswith("learned from names: person")
    phone = found[("ticket", "type", PLANTED_PHONE.lower())]
    assert phone["cause"] == ID_REWRITING and phone["learned"].startswith("learned from pattern: phone")
    user_id = [v for v in explained["values"] if v["value"] == planted["user_id"]]
    assert user_id and all(v["cause"] == DIRECTORY_ENTRY for v in user_id)
    assert all("allowed by [anonymize] allow" in v["learned"] for v in user_id)
    assert any(v["table"] == "message" and v["column"] == "text" for v in user_id)

    # the audit, beside the output, still names no value
    assert planted["email"] not in json.dumps(audit).lower()
    assert PLANTED_NAME.lower() not in json.dumps(audit).lower()


def test_when_explain_points_into_the_output_s_folder_then_it_is_refused_before_anything_runs(
    leaky: tuple[Path, Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    db, key, _, _ = leaky
    out = tmp_path / "out" / "anon.db"
    for inside in (out.parent / "explain.json", out.parent / "deeper" / "explain.json"):
        result = runner.invoke(
            app,
            ["anonymize", str(db), "-o", str(out), "--key", str(key), "--explain", str(inside)],
            env=WIDE,
        )
        assert result.exit_code == 1, result.output
        assert "inside the output's folder" in result.output and "original" in result.output
        assert not inside.exists() and not failed_audit_path_for(out).exists()


def test_when_nothing_leaks_then_no_explanation_is_written_and_a_stale_one_is_removed(
    leaky: tuple[Path, Path, Path, dict[str, str]], sample_db: Path, tmp_path: Path
) -> None:
    db, key, config, _ = leaky
    out = tmp_path / "out" / "anon.db"
    explain = db.parent / "workspace.explain.json"
    args = ["anonymize", str(db), "-o", str(out), "--key", str(key), "--config", str(config)]
    assert runner.invoke(app, [*args, "--explain", str(explain)], env=WIDE).exit_code == 1
    assert explain.is_file()
    shutil.copyfile(sample_db, db)  # the leaks fixed at their source, the allowed user id no more
    fixed = ["anonymize", str(db), "-o", str(out), "--key", str(key), "--explain", str(explain)]

    result = runner.invoke(app, fixed, env=WIDE)

    assert result.exit_code == 0, result.output
    assert "nothing to explain" in result.output
    assert out.is_file() and not explain.exists()


def _output_with(text: str, tmp_path: Path) -> sqlite3.Connection:
    conn = connect(tmp_path / "out.db", create=True)
    conn.execute("PRAGMA foreign_keys = OFF")  # one ticket, no source row
    conn.execute(
        "INSERT INTO ticket (id, project, summary, locator, status, source_id) VALUES (?, ?, ?, ?, ?, 1)",
        ("ENG-1", "ENG", text, "x.json", text),
    )
    return conn


@pytest.mark.parametrize(
    "value, entry, prose_cause",
    [
        # a person the directory knows
        ("Nora Lindqvist", Entry("person", "P0002", "full"), DIRECTORY_ENTRY),
        # a value a user dictionary names
        ("Project Falcon", Entry("custom", "", "value", layer="config"), DIRECTORY_ENTRY),
        # learned from the phone pattern
        ("+44 20 7946 0018", Entry("phone", "", "value", 0.95, layer="pattern"), PATTERN_KIND),
        # learned from the name detector
        ("Bartholomew Quigley", Entry("person", "", "value", 0.9, layer="names"), NAME_DETECTOR),
        # learned from NER: the name detector's cause too
        ("Ottilie Brand", Entry("person", "", "value", 0.85, layer="ner"), NAME_DETECTOR),
        # learned from the street-address detector (which reports the names layer)
        (
            "1234 Quigley Boulevard",
            Entry("street_address", "", "value", 0.95, layer="names"),
            ADDRESS_DETECTOR,
        ),
    ],
)
def test_when_a_known_value_is_left_then_its_cause_follows_how_it_was_learned_and_where_it_is(
    value: str, entry: Entry, prose_cause: str, tmp_path: Path
) -> None:
    directory = Directory(persons={}, domains=[])
    learned = [] if entry.layer in ("directory", "config") else [(value.lower(), entry)]
    if not learned:
        directory.add(value, entry)
    matcher = Matcher([(value.lower(), entry)])
    conn = _output_with(f"left here: {value}.", tmp_path)

    leaks = find_leaks(conn, matcher, directory, learned, tables={"ticket"}, raw_ids={"ticket": ["ENG-1"]})

    by_column = {leak.column: leak for leak in leaks}
    assert set(by_column) == {"summary", "status"}
    assert by_column["summary"].cause == prose_cause  # prose: the layer that knew the value
    assert by_column["status"].cause == ID_REWRITING  # a kept column: its own rewriting
    assert all(leak.value == value and leak.raw_id == "ENG-1" for leak in leaks)
    assert f"[[{value}]]" in by_column["summary"].context
