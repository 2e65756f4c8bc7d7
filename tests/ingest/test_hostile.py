"""Hostile inputs: corrupt archive members, zip bombs, huge members, link loops, paths that are not URIs.

Every archive here is made by the test and is small on disk; the bombs unpack to tens of MiB and are
refused from their table of contents, so no test writes or holds what they would unpack to.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_build import assert_accounted
from workgym.cli import app
from workgym.export.leaks import LeakScanner
from workgym.ingest.config import ArchiveLimits, load_ingest_config, parse_size
from workgym.ingest.registry import Discovery, Walker
from workgym.link.build import BuildReport, build_workspace
from workgym.store import connect, ro_uri

MiB = 2**20

runner = CliRunner()


def quarantine(db: Path) -> dict[str, str]:
    """The quarantine table: locator -> reason."""
    conn = connect(db)
    try:
        return dict(conn.execute("SELECT locator, reason FROM quarantine").fetchall())
    finally:
        conn.close()


def count(db: Path, table: str) -> int:
    conn = connect(db)
    try:
        return int(conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    finally:
        conn.close()


def ingest(sources: list[Path], db: Path, limits: ArchiveLimits | None = None) -> BuildReport:
    """Ingest and check the accounting identity, as every test here must."""
    report = build_workspace(sources, db, limits=limits)
    assert_accounted(report, db)
    return report


def peak_memory(work: Callable[[], object]) -> int:
    """The most memory Python held at once while ``work`` ran, in bytes."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def write_zeros(zf: zipfile.ZipFile, name: str, size: int, fill: bytes = b"\0") -> None:
    """A member of ``size`` zero (or ``fill``) bytes, written a MiB at a time; deflate packs it tightly."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w", force_zip64=True) as member:
        chunk = (fill * (MiB // len(fill) + 1))[:MiB]
        for _ in range(size // MiB):
            member.write(chunk)


def deflated(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)


SLACK_DAYS = ("2020-01-01", "2020-01-02", "2020-01-03")


def slack_zip(path: Path, compression: int = zipfile.ZIP_STORED) -> None:
    """A Slack export zipped as one top folder: one user, one channel, one message a day."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr("export/users.json", json.dumps([{"id": "U1", "name": "ann"}]))
        zf.writestr("export/channels.json", json.dumps([{"id": "C1", "name": "general"}]))
        for n, day in enumerate(SLACK_DAYS):
            text = f"message of {day} " + "padding " * 50
            zf.writestr(
                f"export/general/{day}.json",
                json.dumps(
                    [{"type": "message", "user": "U1", "text": text, "ts": f"{1577836800 + n * 86400}.0"}]
                ),
            )


def corrupt_member(path: Path, name: str) -> None:
    """Flip bytes in the middle of one member's data, leaving the archive's index intact."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    data = bytearray(path.read_bytes())
    header = info.header_offset
    name_len = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_len = int.from_bytes(data[header + 28 : header + 30], "little")
    middle = header + 30 + name_len + extra_len + info.compress_size // 2
    data[middle : middle + 4] = bytes(b ^ 0xFF for b in data[middle : middle + 4])
    path.write_bytes(bytes(data))


def config(tmp_path: Path, text: str) -> ArchiveLimits:
    """Limits as ``workgym ingest --config`` reads them."""
    path = tmp_path / "workgym.toml"
    path.write_text(text, encoding="utf-8")
    return load_ingest_config(path)


# --- corrupt members -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "compression",
    [
        zipfile.ZIP_STORED,  # the flipped bytes fail the member's CRC
        zipfile.ZIP_DEFLATED,  # the flipped bytes break the deflate stream (or its CRC)
    ],
)
def test_when_one_member_of_a_slack_zip_is_corrupt_then_the_others_are_read_and_it_is_quarantined(
    tmp_path: Path, compression: int
) -> None:
    archive = tmp_path / "slack.zip"
    slack_zip(archive, compression)
    corrupt_member(archive, "export/general/2020-01-02.json")
    db = tmp_path / "w.db"
    report = ingest([archive], db)
    assert count(db, "message") == 2  # the other two days
    reasons = quarantine(db)
    reason = reasons["general/2020-01-02.json"]
    assert reason.startswith("unreadable archive member: export/general/2020-01-02.json of slack.zip: ")
    assert [s.format for s in report.sources] == ["slack"]  # the member counts in the export's source


def test_when_a_member_would_land_outside_the_archive_then_it_is_quarantined_and_the_rest_read(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("notes/a.md", "# A\n\nkept\n")
        zf.writestr("../escape.md", "# out\n")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("notes/a.md", "# A again\n")
    db = tmp_path / "w.db"
    ingest([archive], db)
    reasons = quarantine(db)
    assert reasons["../escape.md"].startswith("archive member outside the archive: ../escape.md of docs.zip")
    # Locators drop the archive's one top folder, as the records' do.
    assert reasons["a.md"].startswith("duplicate archive member: notes/a.md of docs.zip is listed twice")
    assert not (tmp_path.parent / "escape.md").exists()
    assert count(db, "document") == 1


def test_when_a_member_is_packed_with_bzip2_then_it_alone_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "docs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.md", "# A\n", compress_type=zipfile.ZIP_DEFLATED)
        # bzip2 packs zeros a millionfold, and zipfile unpacks a whole read of it at once.
        zf.writestr("b.md", "# B\n", compress_type=zipfile.ZIP_BZIP2)
    db = tmp_path / "w.db"
    ingest([archive], db)
    assert quarantine(db)["b.md"].startswith(
        "archive member packed with bzip2: b.md of docs.zip is not unpacked"
    )
    assert count(db, "document") == 1


# --- zip bombs and caps ----------------------------------------------------------------------------


def test_when_a_flat_zip_bomb_is_ingested_then_default_caps_refuse_it_without_unpacking(
    tmp_path: Path,
) -> None:
    root = tmp_path / "exports"
    root.mkdir()
    with deflated(root / "bomb.zip") as zf:
        write_zeros(zf, "zeros.txt", 64 * MiB)
    assert (root / "bomb.zip").stat().st_size < MiB  # small on disk
    (root / "readme.md").write_text("# Kept\n\nThe rest of the source is read.\n", encoding="utf-8")
    db = tmp_path / "w.db"
    peak = peak_memory(lambda: ingest([root], db))
    reason = quarantine(db)["bomb.zip"]
    assert reason.startswith("archive over max_ratio: bomb.zip unpacks to ")
    assert "raise max_ratio under [ingest] in the --config TOML" in reason
    assert count(db, "document") == 1
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.parametrize(
    ("toml", "cap"),
    [
        ('[ingest]\nmax_ratio = 1e9\nmax_archive_bytes = "32 MiB"\n', "max_archive_bytes"),  # total size
        ("[ingest]\nmax_members = 2\n", "max_members"),  # member count
    ],
)
def test_when_an_archive_is_over_a_configured_cap_then_it_is_quarantined_naming_the_cap(
    tmp_path: Path, toml: str, cap: str
) -> None:
    archive = tmp_path / "big.zip"
    with deflated(archive) as zf:
        write_zeros(zf, "a.txt", 20 * MiB)
        write_zeros(zf, "b.txt", 20 * MiB)
        zf.writestr("c.md", "# c\n")
    db = tmp_path / "w.db"
    ingest([archive], db, config(tmp_path, toml))
    (reason,) = quarantine(db).values()
    assert reason.startswith(f"archive over {cap}: big.zip ")
    assert f"raise {cap} under [ingest]" in reason


def nested_bomb(path: Path, inner_size: int, copies: int) -> None:
    """A zip storing ``copies`` zips, each deflating ``inner_size`` zero bytes."""
    inner = path.with_name("inner.zip")
    with deflated(inner) as zf:
        write_zeros(zf, "zeros.txt", inner_size)
    with zipfile.ZipFile(path, "w") as zf:
        for n in range(copies):
            zf.write(inner, f"inner_{n}.zip")
    inner.unlink()


def test_when_a_nested_zip_bomb_is_ingested_then_each_inner_bomb_is_refused_by_default(
    tmp_path: Path,
) -> None:
    root = tmp_path / "exports"
    root.mkdir()
    nested_bomb(root / "outer.zip", 32 * MiB, copies=8)  # 256 MiB in 8 zips in one
    assert (root / "outer.zip").stat().st_size < MiB
    db = tmp_path / "w.db"
    peak = peak_memory(lambda: ingest([root], db))
    reasons = quarantine(db)
    assert sorted(reasons) == [f"outer.zip/inner_{n}.zip" for n in range(8)]
    assert all(r.startswith("archive over max_ratio") for r in reasons.values())
    assert peak < 16 * MiB, f"peak {peak / MiB:.1f} MiB"


def test_when_nested_archives_add_up_past_max_archive_bytes_then_the_ones_past_it_are_refused(
    tmp_path: Path,
) -> None:
    outer = tmp_path / "outer.zip"
    nested_bomb(outer, 2 * MiB, copies=4)
    limits = config(tmp_path, '[ingest]\nmax_ratio = 1e9\nmax_archive_bytes = "5 MiB"\n')
    db = tmp_path / "w.db"
    ingest([outer], db, limits)
    refused = {loc: r for loc, r in quarantine(db).items() if r.startswith("archive over max_archive_bytes")}
    # The outer zip and two inner ones (4 MiB) fit in 5 MiB; the last two would pass it.
    assert sorted(refused) == ["inner_2.zip", "inner_3.zip"]
    assert all("left of the cap of 5.0 MiB" in r for r in refused.values())


@pytest.mark.parametrize(
    ("max_depth", "notes_read"),
    [
        (3, 1),  # the default: a zip in a zip in a zip is read
        (2, 0),  # the innermost zip is one too deep
    ],
)
def test_when_zips_nest_then_max_depth_bounds_how_deep_they_are_unpacked(
    tmp_path: Path, max_depth: int, notes_read: int
) -> None:
    level3 = tmp_path / "c.zip"
    with zipfile.ZipFile(level3, "w") as zf:
        zf.writestr("note.md", "# deep\n")
    level2 = tmp_path / "b.zip"
    with zipfile.ZipFile(level2, "w") as zf:
        zf.write(level3, "c.zip")
    level1 = tmp_path / "a.zip"
    with zipfile.ZipFile(level1, "w") as zf:
        zf.write(level2, "b.zip")
    db = tmp_path / "w.db"
    ingest([level1], db, ArchiveLimits(max_depth=max_depth))
    assert count(db, "document") == notes_read
    if not notes_read:
        assert quarantine(db)["b.zip/c.zip"].startswith(
            "archive nested too deep: b.zip/c.zip lies 3 archives deep"
        )


# --- one big member --------------------------------------------------------------------------------


def test_when_a_member_is_over_max_member_bytes_then_it_alone_is_quarantined(tmp_path: Path) -> None:
    archive = tmp_path / "notes.zip"
    with deflated(archive) as zf:
        zf.writestr("notes/a.md", "# A\n\nsmall\n")
        zf.writestr("notes/big.md", "# Big\n\n" + "lorem ipsum dolor " * (3 * MiB // 18))
    db = tmp_path / "w.db"
    ingest([archive], db, config(tmp_path, '[ingest]\nmax_member_bytes = "1 MiB"\n'))
    reason = quarantine(db)["big.md"]
    assert reason.startswith(
        "archive member over max_member_bytes: notes/big.md of notes.zip unpacks to 3.0 MiB"
    )
    assert "raise max_member_bytes under [ingest]" in reason
    assert count(db, "document") == 1
    # Under the default caps the same archive is read whole.
    ingest([archive], tmp_path / "all.db")
    assert count(tmp_path / "all.db", "document") == 2


def test_when_a_member_is_large_then_it_is_unpacked_as_a_stream(tmp_path: Path) -> None:
    archive = tmp_path / "big.zip"
    with deflated(archive) as zf:
        write_zeros(zf, "log.txt", 48 * MiB, fill=b"all work and no play makes jack a dull boy\n")
    with Walker(ArchiveLimits(max_ratio=1e9)) as walker:
        found: list[Discovery] = []
        peak = peak_memory(lambda: found.append(walker.discover(archive)))
        (unit,) = found[0].units
        assert unit.path.stat().st_size == 48 * MiB
    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"


# --- links -----------------------------------------------------------------------------------------


def test_when_a_folder_is_linked_into_itself_then_its_files_are_read_once(tmp_path: Path) -> None:
    docs = tmp_path / "src" / "docs"
    docs.mkdir(parents=True)
    (docs / "a.md").write_text("# A\n", encoding="utf-8")
    (docs / "loop").symlink_to(docs, target_is_directory=True)
    db = tmp_path / "w.db"
    ingest([tmp_path / "src"], db)
    assert count(db, "document") == 1
    assert quarantine(db) == {
        "docs/loop": "link to a folder already read: docs/loop leads to docs, read once"
    }


def test_when_two_folders_link_each_other_then_each_file_is_read_once(tmp_path: Path) -> None:
    root = tmp_path / "src"
    for name, other in (("x", "y"), ("y", "x")):
        (root / name).mkdir(parents=True)
        (root / name / f"{name}.md").write_text(f"# {name}\n", encoding="utf-8")
        for n in range(3):  # several links a folder: without a record of folders read, the walk branches
            (root / name / f"to_{other}_{n}").symlink_to(Path("..") / other, target_is_directory=True)
    db = tmp_path / "w.db"
    ingest([root], db)
    assert count(db, "document") == 2
    reasons = quarantine(db)
    assert all(r.startswith("link to a folder already read") for r in reasons.values())
    assert not any("duplicate" in r for r in reasons.values())


def test_when_files_are_linked_twice_or_to_nothing_then_each_is_read_once_and_the_rest_named(
    tmp_path: Path,
) -> None:
    root = tmp_path / "src"
    root.mkdir()
    (root / "a.md").write_text("# A\n", encoding="utf-8")
    (root / "b.md").symlink_to("a.md")
    (root / "gone.md").symlink_to("nowhere.md")
    (root / "self.md").symlink_to("self.md")
    os.mkfifo(root / "pipe.md")  # reading a pipe would wait forever
    db = tmp_path / "w.db"
    ingest([root], db)
    assert count(db, "document") == 1
    reasons = quarantine(db)
    assert reasons["b.md"] == "link to a file already read: b.md leads to a.md, read once"
    assert reasons["gone.md"].startswith("broken link")
    assert reasons["self.md"].startswith("broken link")
    assert reasons["pipe.md"].startswith("not a regular file")


# --- config ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "size"),
    [
        (1024, 1024),  # bytes
        ("512 MiB", 512 * MiB),  # binary unit
        ("2GB", 2 * 10**9),  # decimal unit, no space
        ("1.5 KiB", 1536),  # a fraction
    ],
)
def test_when_a_size_is_given_then_it_is_read_in_bytes(value: object, size: int) -> None:
    assert parse_size(value, "max_archive_bytes") == size


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[ingest]\nmax_archve_bytes = 1\n", "did you mean 'max_archive_bytes'"),  # a typo
        ('[ingest]\nmax_member_bytes = "lots"\n', "max_member_bytes must be a number of bytes"),  # no size
        ("[ingest]\nmax_depth = 0\n", "max_depth is 0, expected 1 or more"),  # nothing could be read
    ],
)
def test_when_the_ingest_config_is_wrong_then_the_error_names_the_file_and_entry(
    tmp_path: Path, toml: str, message: str
) -> None:
    with pytest.raises(ValueError, match=r"workgym\.toml: \[ingest\]") as caught:
        config(tmp_path, toml)
    assert message in str(caught.value)


def test_when_the_documented_ingest_config_is_read_then_it_gives_the_defaults(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "formats.md").read_text(encoding="utf-8")
    block = doc.split("```toml\n[ingest]\n", 1)[1].split("```", 1)[0]
    assert config(tmp_path, "[ingest]\n" + block) == ArchiveLimits()


def test_when_a_real_slack_export_is_zipped_then_default_caps_read_all_of_it(
    shared_data: Path, tmp_path: Path
) -> None:
    export = shared_data / "houstondatavis-slack"
    archive = tmp_path / "export.zip"
    with deflated(archive) as zf:
        for path in sorted(export.rglob("*")):
            if path.is_file():
                zf.write(path, f"export/{path.relative_to(export)}")
    ingest([export], tmp_path / "folder.db")
    ingest([archive], tmp_path / "zip.db")
    assert quarantine(tmp_path / "zip.db") == quarantine(tmp_path / "folder.db")
    assert count(tmp_path / "zip.db", "message") == count(tmp_path / "folder.db", "message") > 1000


def test_when_ingest_is_given_a_config_with_caps_then_the_cli_applies_them(tmp_path: Path) -> None:
    archive = tmp_path / "slack.zip"
    slack_zip(archive)
    toml = tmp_path / "workgym.toml"
    toml.write_text("[ingest]\nmax_members = 3\n", encoding="utf-8")
    db = tmp_path / "w.db"
    result = runner.invoke(app, ["ingest", str(archive), "-o", str(db), "--config", str(toml)])
    assert result.exit_code == 0, result.output
    assert "archive over max_members" in result.output
    assert quarantine(db)["slack.zip"].startswith("archive over max_members: slack.zip holds 5 files")


# --- file: URIs ------------------------------------------------------------------------------------

AWKWARD_NAMES = [
    ("r%41.db", "rA.db"),  # unquoted, %41 is an A
    ("w#1.db", "w"),  # unquoted, # starts the fragment
    ("w?x.db", "w"),  # unquoted, ? starts the query (and mode=ro is lost)
    ("with space.db", None),  # spaces
    ("café ünï.db", None),  # non-ASCII
]


def tiny_workspace(db: Path, person: str, messages: int) -> None:
    """A one-channel Slack workspace with one person and ``messages`` messages."""
    export = db.parent / f"export-{db.name.encode().hex()}"
    (export / "general").mkdir(parents=True)
    handle = person.split()[0].lower()
    user = {"id": "U1", "name": handle, "real_name": person, "profile": {"email": f"{handle}@example.org"}}
    (export / "users.json").write_text(json.dumps([user]), encoding="utf-8")
    (export / "channels.json").write_text(json.dumps([{"id": "C1", "name": "general"}]), encoding="utf-8")
    day = [
        {"type": "message", "user": "U1", "text": f"{person} wrote note {n}", "ts": f"{1577836800 + n}.0"}
        for n in range(messages)
    ]
    (export / "general" / "2020-01-01.json").write_text(json.dumps(day), encoding="utf-8")
    build_workspace([export], db)


@pytest.mark.parametrize(("name", "decoy"), AWKWARD_NAMES)
def test_when_a_path_has_uri_characters_then_ro_uri_opens_that_file_read_only(
    tmp_path: Path, name: str, decoy: str | None
) -> None:
    for filename, value in ((name, "right"), (decoy, "decoy")):
        if filename is not None:
            conn = sqlite3.connect(tmp_path / filename)
            conn.execute("CREATE TABLE t (v TEXT)")
            conn.execute("INSERT INTO t VALUES (?)", (value,))
            conn.commit()
            conn.close()
    conn = sqlite3.connect(ro_uri(tmp_path / name), uri=True)
    try:
        assert conn.execute("SELECT v FROM t").fetchone() == ("right",)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("INSERT INTO t VALUES ('x')")
    finally:
        conn.close()


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("key") / "k.key"
    assert runner.invoke(app, ["keygen", str(path)]).exit_code == 0
    return path


@pytest.mark.parametrize(("name", "decoy"), AWKWARD_NAMES)
def test_when_anonymize_paths_have_uri_characters_then_it_reads_and_writes_those_files(
    tmp_path: Path, key_file: Path, name: str, decoy: str | None
) -> None:
    raw = tmp_path / name
    tiny_workspace(raw, "Zebediah Quux", messages=3)
    if decoy is not None:
        tiny_workspace(tmp_path / decoy, "Decoy Person", messages=1)
    out = tmp_path / "out" / f"anon {name}"
    result = runner.invoke(app, ["anonymize", str(raw), "-o", str(out), "--key", str(key_file)])
    assert result.exit_code == 0, result.output
    assert count(out, "message") == 3  # the raw workspace's, not the decoy's


@pytest.mark.parametrize(("name", "decoy"), AWKWARD_NAMES)
def test_when_the_export_raw_path_has_uri_characters_then_the_leak_check_reads_that_file(
    tmp_path: Path, name: str, decoy: str | None
) -> None:
    raw = tmp_path / name
    tiny_workspace(raw, "Zebediah Quux", messages=1)
    if decoy is not None:
        tiny_workspace(tmp_path / decoy, "Decoy Person", messages=1)
    scanner = LeakScanner(raw, b"k" * 32)
    assert not scanner.scan([{"text": "ping Zebediah Quux about it"}]).clean
    assert scanner.scan([{"text": "ping Decoy Person about it"}]).clean
