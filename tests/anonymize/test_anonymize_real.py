"""Acceptance of the anonymizer on the real corpora (skipped with a reason when absent).

Nothing here prints personal data: assertions report counts and locations from the audit only.
linux-mips-lore and julialang-slack take minutes whole, so a deterministic slice of each is tested
here (the first mails of the list; every channel's first week); benchmarks/bench_anonymize_real.py
runs every corpus whole.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import ahocorasick
import pytest

from workgym.anonymize.run import anonymize_workspace, audit_path_for
from workgym.link.build import build_workspace

KEY = b"real-data-acceptance-key-0123456"

CORPORA = {
    "titanium": ("titanium/jira", "titanium/git_alloy"),
    "houstondatavis-slack": ("houstondatavis-slack",),
    "duraspace-irc": ("duraspace-irc/irc_logs", "duraspace-irc/git_dspace"),
}


MIPS_MAILS = 1000
"""The first mails of linux-mips-lore that the test reads (of 4,558)."""
JULIA_LAST_DAY = "2021-03-28"
"""The last day of julialang-slack that the test reads, in every channel (of three weeks)."""


def mips_slice(data: Path, tmp: Path) -> list[Path]:
    """The first :data:`MIPS_MAILS` mails of the list, as an mbox of their own."""
    (mbox,) = (data / "linux-mips-lore").glob("*.mbox")
    raw = mbox.read_bytes()
    starts = [m.start() + 2 for m in re.finditer(rb"\n\nFrom \S+ \w{3} \w{3} [ \d]\d ", raw)]
    folder = tmp / "linux-mips-lore"
    folder.mkdir()
    (folder / "slice.mbox").write_bytes(raw[: starts[MIPS_MAILS - 1]])
    return [folder]


def julia_slice(data: Path, tmp: Path) -> list[Path]:
    """Every channel's days up to :data:`JULIA_LAST_DAY`, with the workspace's users and channels."""
    root = data / "julialang-slack"
    folder = tmp / "julialang-slack"
    folder.mkdir()
    for name in ("users.json", "channels.json"):
        shutil.copy(root / name, folder / name)
    for channel in sorted(p for p in root.iterdir() if p.is_dir()):
        days = sorted(d for d in channel.glob("*.json") if d.stem <= JULIA_LAST_DAY)
        if days:
            (folder / channel.name).mkdir()
            for day in days:
                shutil.copy(day, folder / channel.name / day.name)
    return [folder]


SLICES: dict[str, Callable[[Path, Path], list[Path]]] = {
    "linux-mips-lore": mips_slice,
    "julialang-slack": julia_slice,
}


def anonymized(paths: list[Path], tmp_path: Path) -> tuple[Path, Path, dict[str, object]]:
    db = tmp_path / "workspace.db"
    build_workspace(paths, db)
    out = tmp_path / "anon.db"
    anonymize_workspace(db, out, KEY, workers=2)  # raises LeakError (with the audit) on any leak
    return db, out, json.loads(audit_path_for(out).read_text())


# -- the independent re-scan -----------------------------------------------------------------------
#
# The audit scans the output with the anonymizer's own matcher, so a value that matcher cannot see
# the audit cannot see either. This re-scan shares no code with it: it reads the raw workspace's
# person and identity rows and its Message-IDs with plain SQL, keeps the values that can only be
# that person's (full names, addresses, phones, handles no word could be, id local parts), and
# looks for each in every text cell of every table of the output, as a whole word, ignoring case.

_WORD = re.compile(r"[^\W\d_]+")
_HANDLE_NO_WORD = re.compile(r"(?=.*[\d_.\-])(?=.*[a-z])[a-z0-9_.\-]{5,}")


def original_identifiers(db: Path) -> dict[str, str]:
    """Lower-cased identifiers of the raw workspace that may never be in its anonymized copy -> kind."""
    found: dict[str, str] = {}
    with sqlite3.connect(db) as raw:
        people = raw.execute("SELECT name, names, emails, handles, phones, is_bot FROM person").fetchall()
        identities = raw.execute(
            "SELECT display_name, real_name, emails, handle, phones, is_bot FROM identity"
        ).fetchall()
        mail_ids = [i for (i,) in raw.execute("SELECT id FROM email")] if _has(raw, "email") else []
    for name, names, emails, handles, phones, bot in people:
        if bot:
            continue
        for full in [name, *json.loads(names)]:
            _add_name(found, full)
        _add_values(found, json.loads(emails), json.loads(handles), json.loads(phones))
    for display, real, emails, handle, phones, bot in identities:
        if bot:
            continue
        _add_name(found, display)
        _add_name(found, real)
        _add_values(found, json.loads(emails), [handle], json.loads(phones))
    for mail_id in mail_ids:
        local = mail_id.rpartition("@")[0].lower()
        if len(local) >= 12 and re.search(r"\d", local) and re.search(r"[a-z]", local):
            found[local] = "message-id"
    return found


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def _add_name(found: dict[str, str], name: str) -> None:
    words = _WORD.findall(name or "")
    if len(words) >= 2 and all(len(w) >= 3 for w in words) and " ".join(words) == (name or "").strip():
        found[name.strip().lower()] = "name"  # "Jane Doe" as written; not "J. Doe", not "Doe, Jane"


def _add_values(found: dict[str, str], emails: list[str], handles: list[str], phones: list[str]) -> None:
    for address in emails:
        local, at, domain = address.lower().rpartition("@")
        if at and "." in domain and len(local) >= 3:
            found[address.lower()] = "email"
    for handle in handles:
        if handle and _HANDLE_NO_WORD.fullmatch(handle.lower()):
            found[handle.lower()] = "handle"
    for phone in phones:
        if sum(c.isdigit() for c in phone) >= 7:
            found[phone.lower()] = "phone"


def rescan(out: Path, identifiers: dict[str, str]) -> dict[str, int]:
    """Whole-word, case-blind occurrences of ``identifiers`` in every text cell of ``out``, by kind."""
    automaton = ahocorasick.Automaton()
    for value, kind in identifiers.items():
        automaton.add_word(value, (len(value), kind))
    automaton.make_automaton()
    hits: dict[str, int] = {}
    with sqlite3.connect(out) as anon:
        tables = [t for (t,) in anon.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in anon.execute(f'SELECT * FROM "{table}"'):
                for cell in row:
                    if not isinstance(cell, str) or not cell:
                        continue
                    low = cell.lower()
                    if len(low) != len(cell):
                        continue  # offsets would not line up (a handful of cells, none of them names)
                    for end, (length, kind) in automaton.iter(low):
                        start = end - length + 1
                        if (start and (low[start - 1].isalnum() or low[start - 1] == "_")) or (
                            end + 1 < len(low) and (low[end + 1].isalnum() or low[end + 1] == "_")
                        ):
                            continue
                        hits[kind] = hits.get(kind, 0) + 1
    return hits


def assert_rescan_agrees(db: Path, out: Path, audit: dict[str, object]) -> None:
    """The audit found no leak, and neither does the independent re-scan."""
    identifiers = original_identifiers(db)
    assert len(identifiers) > 20  # people's names, addresses and ids were there to find
    assert rescan(out, identifiers) == {}, "original identifiers survive that the audit did not see"
    assert audit["leaks"] == 0


@pytest.mark.parametrize(
    "corpus",
    ["linux-mips-lore", "julialang-slack"],
)
def test_when_a_real_workspace_nobody_tuned_for_is_anonymized_then_nothing_leaks_and_links_hold(
    corpus: str, shared_data: Path, tmp_path: Path
) -> None:
    if not (shared_data / corpus).is_dir():
        pytest.skip(f"the {corpus} corpus is not under {shared_data}")
    db, out, audit = anonymized(SLICES[corpus](shared_data, tmp_path), tmp_path)
    assert audit["leaks"] == 0, audit["leak_locations"][:5]  # type: ignore[index]
    assert audit["withheld"] == []
    assert audit["records_in"] == audit["records_out"]
    assert audit["link_preservation"] == 1.0, audit["links"]
    assert_rescan_agrees(db, out, audit)
    if corpus == "linux-mips-lore":
        assert_words_are_kept(db, out, "SELECT body FROM email", r"\bkernel\b")
        assert_words_are_kept(db, out, "SELECT body FROM email", r"^(?:Signed-off-by|Link|Fixes|Cc):", 1.0)
        assert_no_message_id_keeps_its_host_or_time(db, out)
    else:
        assert_words_are_kept(db, out, "SELECT text FROM message", r"\b[Jj]ulia\b")
        assert_permalinks_move_with_their_messages(db, out)


def assert_words_are_kept(db: Path, out: Path, sql: str, word: str, share: float = 0.6) -> None:
    """An everyday word that is also someone's handle, name or domain label stays a word in prose.

    ``share`` is the least share of its occurrences kept (1.0: every one, as trailer labels are).
    """
    with sqlite3.connect(db) as raw, sqlite3.connect(out) as anon:
        before = sum(len(re.findall(word, t or "", re.M)) for (t,) in raw.execute(sql))
        after = sum(len(re.findall(word, t or "", re.M)) for (t,) in anon.execute(sql))
    assert before > 100  # the corpus writes the word often
    assert after >= share * before, f"{after} of {before} kept"


def assert_no_message_id_keeps_its_host_or_time(db: Path, out: Path) -> None:
    """No Message-ID of the original, nor its host when it has no dot (a machine), is in the output."""
    with sqlite3.connect(db) as raw, sqlite3.connect(out) as anon:
        ids = {i for (i,) in raw.execute("SELECT id FROM email")}
        machines = {i.rpartition("@")[2].lower() for i in ids if "." not in i.rpartition("@")[2]} - {
            "localhost"
        }
        text = "\n".join(
            " ".join(str(v) for v in row)
            for row in anon.execute('SELECT id, in_reply_to, "references", thread_id, body FROM email')
        )
    assert machines  # senders' machines named in ids (a given name in some)
    assert not [i for i in ids if i in text], "an original Message-ID survives"
    low = text.lower()
    assert not [m for m in machines if re.search(rf"@{re.escape(m)}\b", low)], "a machine's name survives"


def assert_permalinks_move_with_their_messages(db: Path, out: Path) -> None:
    """A permalink's time is moved as the message id it cites is (no way to read the offset)."""
    sql = "SELECT text FROM message"
    link = re.compile(r"/archives/C[A-Z0-9]+/p(\d{16})")
    with sqlite3.connect(db) as raw, sqlite3.connect(out) as anon:
        before = [t for (text,) in raw.execute(sql) for t in link.findall(text or "")]
        after = [t for (text,) in anon.execute(sql) for t in link.findall(text or "")]
    assert before and len(before) == len(after)
    assert not set(before) & set(after)


@pytest.mark.parametrize("corpus", sorted(CORPORA))
def test_when_a_real_corpus_is_anonymized_then_nothing_leaks_and_links_hold(
    corpus: str, shared_data: Path, tmp_path: Path
) -> None:
    db = tmp_path / "workspace.db"
    build_workspace([shared_data / p for p in CORPORA[corpus]], db)
    out = tmp_path / "anon.db"
    anonymize_workspace(db, out, KEY, workers=2)  # raises LeakError (with the audit) on any leak
    audit = json.loads(audit_path_for(out).read_text())
    assert audit["leaks"] == 0, audit["leak_locations"][:5]
    assert audit["withheld"] == []
    assert audit["records_in"] == audit["records_out"]
    assert audit["link_preservation"] == 1.0, audit["links"]["lost_by_kind"]
    assert_rescan_agrees(db, out, audit)
    if corpus == "duraspace-irc":
        assert_no_irc_host_survives(db, out)


_JOIN_HOST = re.compile(r"\(~?[^\s@()]+@([^\s()]+)\) has (?:joined|quit|left)")


def assert_no_irc_host_survives(db: Path, out: Path) -> None:
    """Every host and IP address of the IRC joins and quits is gone from every message.

    Found here by a regex of its own, not by the detector under test.
    """
    sql = "SELECT text FROM message"
    with sqlite3.connect(db) as raw, sqlite3.connect(out) as anon:
        hosts = {h.lower() for (t,) in raw.execute(sql) for h in _JOIN_HOST.findall(t or "")}
        hosts = {h for h in hosts if "." in h.rstrip(".") or "/" in h}  # not the network's "services."
        assert len(hosts) > 100  # the corpus has hundreds of people's machines
        text = "\n".join(t or "" for (t,) in anon.execute(sql)).lower()
    survivors = [h for h in hosts if h in text]
    assert not survivors, f"{len(survivors)} of {len(hosts)} hosts survive"


def test_when_an_original_identifier_is_left_in_an_output_then_the_rescan_finds_it(
    sample_db: Path, anon_db: Path, tmp_path: Path
) -> None:
    identifiers = original_identifiers(sample_db)
    assert rescan(anon_db, identifiers) == {}  # the sample's own anonymized copy: nothing
    leaky = tmp_path / "leaky.db"
    shutil.copy(anon_db, leaky)
    name = next(v for v, kind in identifiers.items() if kind == "name")
    address = next(v for v, kind in identifiers.items() if kind == "email")
    with sqlite3.connect(leaky) as conn:
        conn.execute(
            "UPDATE message SET text = ? WHERE rowid = (SELECT MIN(rowid) FROM message)",
            (f"ask {name.title()} ({address.upper()}), not {name}x",),  # the last is no whole word
        )
    assert rescan(leaky, identifiers) == {"name": 1, "email": 1}
