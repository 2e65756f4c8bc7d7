"""The anonymizer end to end on the bundled sample: no leak, every link kept, same bytes every way."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.anonymize.config import AnonConfig
from workgym.anonymize.directory import Matcher, build_directory
from workgym.anonymize.keys import KeyFileError, fingerprint, keygen, load_key
from workgym.anonymize.rewrite import Plan, Rewriter
from workgym.anonymize.run import LeakError, anonymize_workspace, audit_path_for, failed_audit_path_for
from workgym.store import connect, read_meta

KEY = bytes(range(32))


@pytest.fixture(scope="module")
def anon(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("anon") / "anon.db"
    anonymize_workspace(sample_db, out, KEY)
    return out, json.loads(audit_path_for(out).read_text())


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def test_when_sample_anonymized_then_no_leak_and_every_link_is_kept(
    anon: tuple[Path, dict[str, object]],
) -> None:
    _, audit = anon
    assert audit["leaks"] == 0
    assert audit["link_preservation"] == 1.0
    assert audit["key_in_output"] is False
    assert audit["withheld"] == []
    assert audit["key_fingerprint"] == fingerprint(KEY)


def test_when_sample_anonymized_then_records_and_resolved_refs_are_unchanged(
    sample_db: Path, anon: tuple[Path, dict[str, object]]
) -> None:
    out, audit = anon
    assert audit["records_in"] == audit["records_out"]
    for table in ("message", "ticket", "email", "document", "person", "identity", "commit"):
        assert count(sample_db, f'SELECT COUNT(*) FROM "{table}"') == count(
            out, f'SELECT COUNT(*) FROM "{table}"'
        )
    assert count(out, "SELECT COUNT(dst_id) FROM ref") == count(sample_db, "SELECT COUNT(dst_id) FROM ref")


def test_when_sample_anonymized_then_no_known_value_is_left_anywhere(
    sample_db: Path, anon: tuple[Path, dict[str, object]]
) -> None:
    out, _ = anon
    conn = sqlite3.connect(sample_db)
    directory = build_directory(conn)
    conn.close()
    dump = "\n".join(sqlite3.connect(out).iterdump()).lower()
    for person in directory.persons.values():
        for value in [*person.emails, *person.user_ids, *(n for n in person.names if " " in n)]:
            assert value.lower() not in dump, f"{person.id}: a known value survived"
    assert KEY.hex() not in dump


def test_when_sample_anonymized_then_meta_says_so_with_the_fingerprint_only(
    anon: tuple[Path, dict[str, object]],
) -> None:
    out, _ = anon
    conn = connect(out)
    meta = read_meta(conn)
    conn.close()
    assert meta["anonymized"] == "true"
    assert meta["key_fingerprint"] == fingerprint(KEY)
    assert KEY.hex() not in json.dumps(meta)


def test_when_sample_anonymized_then_dates_move_by_whole_weeks(
    sample_db: Path, anon: tuple[Path, dict[str, object]]
) -> None:
    from datetime import datetime

    out, _ = anon
    before = [r[0] for r in sqlite3.connect(sample_db).execute("SELECT created FROM ticket ORDER BY rowid")]
    after = [r[0] for r in sqlite3.connect(out).execute("SELECT created FROM ticket ORDER BY rowid")]
    shifts = {
        datetime.fromisoformat(b) - datetime.fromisoformat(a) for a, b in zip(after, before, strict=True)
    }
    assert len(shifts) == 1
    (shift,) = shifts
    assert shift.days % 7 == 0 and shift.days != 0 and shift.seconds == 0


def test_when_run_twice_or_with_two_workers_then_bytes_are_identical(
    sample_db: Path, anon: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    out, _ = anon
    again = tmp_path / "again.db"
    parallel = tmp_path / "parallel.db"
    anonymize_workspace(sample_db, again, KEY)
    anonymize_workspace(sample_db, parallel, KEY, workers=2)
    assert again.read_bytes() == out.read_bytes()
    assert parallel.read_bytes() == out.read_bytes()


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="ray not installed (pip install workgym[ray])"
)
def test_when_run_on_ray_then_bytes_are_identical(
    sample_db: Path, anon: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    out, _ = anon
    on_ray = tmp_path / "ray.db"
    anonymize_workspace(sample_db, on_ray, KEY, workers=2, executor="ray")
    assert on_ray.read_bytes() == out.read_bytes()


def test_when_key_differs_then_surrogates_differ(sample_db: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    anonymize_workspace(sample_db, one, KEY)
    anonymize_workspace(sample_db, two, bytes(32))
    names = "SELECT name FROM person ORDER BY id"
    assert [r for r in sqlite3.connect(one).execute(names)] != [
        r for r in sqlite3.connect(two).execute(names)
    ]


def test_when_a_known_user_id_is_allowed_then_the_audit_finds_the_leak_and_nothing_is_written(
    sample_db: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(sample_db)
    key = conn.execute("SELECT key FROM identity WHERE key LIKE 'slack:U%' ORDER BY key").fetchone()[0]
    conn.close()
    name = key.partition(":")[2]
    out = tmp_path / "anon.db"
    with pytest.raises(LeakError) as caught:
        anonymize_workspace(sample_db, out, KEY, config=AnonConfig(allow=(name,)))
    assert caught.value.audit.leaks.count > 0
    assert not out.exists() and not audit_path_for(out).exists()
    audit = json.loads(failed_audit_path_for(out).read_text())
    assert audit["leaks"] > 0 and audit["leak_locations"]
    assert name.lower() not in json.dumps(audit).lower()


def test_when_key_file_is_made_then_it_loads_and_bad_ones_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    key = keygen(path)
    assert load_key(path) == key
    assert path.stat().st_mode & 0o077 == 0
    with pytest.raises(FileExistsError):
        keygen(path)
    (tmp_path / "bad.key").write_text("hello\n")
    with pytest.raises(KeyFileError, match="not a workgym key"):
        load_key(tmp_path / "bad.key")
    with pytest.raises(KeyFileError, match="keygen"):
        load_key(tmp_path / "missing.key")


# -- property: a planted identifier never survives ------------------------------------------------


@pytest.fixture(scope="module")
def rewriter_and_values(sample_db: Path) -> tuple[Rewriter, Matcher, list[str]]:
    conn = sqlite3.connect(sample_db)
    directory = build_directory(conn)
    conn.close()
    rewriter = Rewriter(Plan(KEY, directory, AnonConfig()))
    values = sorted(
        {
            v
            for p in directory.persons.values()
            if not p.is_bot
            for v in [*p.emails, *p.user_ids, *p.names]
            if " " in v or "@" in v or v[:1] == "U"
        }
    )
    return rewriter, Matcher(directory.values(0.8)), values


_filler = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_when_an_identifier_is_planted_anywhere_in_any_case_then_it_never_survives(
    rewriter_and_values: tuple[Rewriter, Matcher, list[str]], data: st.DataObject
) -> None:
    rewriter, audit, values = rewriter_and_values
    value = data.draw(st.sampled_from(values))
    case = data.draw(st.sampled_from([str, str.upper, str.lower, str.title]))
    planted = case(value)
    after = data.draw(st.sampled_from(["", ".", ",", "'s", ")", ":"]))
    text = f"{data.draw(_filler)} {planted}{after} {data.draw(_filler)}"
    prose = data.draw(st.booleans())
    out = rewriter.text(text, prose=prose)
    assert planted not in out
    assert not audit.find(out)


def test_when_ticket_prefixes_are_mapped_then_keys_change_everywhere_and_links_hold(
    sample_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(
        sample_db, out, KEY, config=AnonConfig(map_ticket_prefixes=True, ticket_prefixes={"ENG": "CORE"})
    )
    assert audit.links.ratio == 1.0
    conn = sqlite3.connect(out)
    projects = {r[0] for r in conn.execute("SELECT DISTINCT project FROM ticket")}
    assert "CORE" in projects and not projects & {"ENG", "OPS"}
    texts = " ".join(
        r[0] for r in conn.execute("SELECT text FROM message UNION ALL SELECT body FROM ticket_comment")
    )
    assert "ENG-" not in texts and "OPS-" not in texts and "CORE-" in texts


def test_when_a_person_has_many_aliases_then_they_all_map_to_one_surrogate(
    sample_db: Path, anon: tuple[Path, dict[str, object]]
) -> None:
    out, _ = anon
    before = {
        r[0]: r for r in sqlite3.connect(sample_db).execute("SELECT id, name, names, emails FROM person")
    }
    checked = 0
    for pid, name, names, emails in sqlite3.connect(out).execute(
        "SELECT id, name, names, emails FROM person"
    ):
        first, _, last = name.partition(" ")
        full = [n for n in json.loads(names) if " " in n]
        if not last or not full:
            continue
        assert all(n.split()[-1] == last.split()[-1] for n in full), pid
        for address in json.loads(emails):
            local = address.partition("@")[0]
            original_local = {a.partition("@")[0] for a in json.loads(before[pid][3])}
            if any("." in o for o in original_local) and "." in local:
                assert local == f"{first}.{last}".lower(), pid
        checked += 1
    assert checked >= 10


@settings(max_examples=4, deadline=None)
@given(key=st.binary(min_size=16, max_size=32))
def test_when_any_key_is_used_then_record_and_resolved_ref_counts_are_unchanged(
    sample_db: Path, tmp_path_factory: pytest.TempPathFactory, key: bytes
) -> None:
    out = tmp_path_factory.mktemp("keys") / "anon.db"
    audit = anonymize_workspace(sample_db, out, key)
    assert audit.records_in == audit.records_out
    assert audit.links.ratio == 1.0 and audit.leaks.count == 0
    assert count(out, "SELECT COUNT(dst_id) FROM ref") == count(sample_db, "SELECT COUNT(dst_id) FROM ref")


def test_when_ner_is_configured_then_the_prose_detector_runs_presidio_or_names_the_extra(
    tmp_path: Path, sample_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workgym.anonymize.config import load_anon_config
    from workgym.anonymize.ner import PresidioLayer, PresidioNotInstalledError

    toml = tmp_path / "anon.toml"
    toml.write_text("[anonymize]\nner = true\n")
    config = load_anon_config(toml)
    assert config.ner
    with connect(sample_db) as conn:
        plan = Plan(b"k" * 32, build_directory(conn), config)
    if importlib.util.find_spec("presidio_analyzer") is not None:
        layers = Rewriter(plan).detector.layers
        assert any(isinstance(layer, PresidioLayer) for layer in layers)
    import workgym.anonymize.ner as ner

    monkeypatch.setattr(ner, "presidio_available", lambda: False)
    with pytest.raises(PresidioNotInstalledError, match=r"workgym\[presidio\]"):
        Rewriter(plan)
