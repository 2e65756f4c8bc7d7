"""Trailer labels stay words; a person's own name fields are rewritten whole, whatever they look like.

Two rules found on real workspaces, each tested on a small workspace written here (a copy of the
sample with one person added), where it must act and where it must not:

* a word that is also a name (``Link`` is a surname) opening a header or trailer line
  (``Link: https://...`` among ``Signed-off-by:`` lines) is the label, never the name;
* a display name that is the person's handle, made only of everyday words (``coffee-and-code``),
  is their handle in their own row: the rewrite replaces it and the audit reads it so.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from workgym.anonymize.audit import scan_leaks
from workgym.anonymize.config import AnonConfig
from workgym.anonymize.directory import Matcher, build_directory, is_field_label
from workgym.anonymize.rewrite import Plan, Rewriter
from workgym.anonymize.run import anonymize_workspace

KEY = bytes(range(32))
PERSON = "P9001"
NAME = "Lena Link"
HANDLE = "coffee-and-code"  # every part an everyday word: no handle is matched in prose by it
ADDRESS = "lena.link@quixfield.io"

TRAILERS = (
    "The fix moves the check.\n\n"
    'Fixes: 0123456789ab ("mips: add the check")\n'
    "Link: https://lore.kernel.org/r/20200101.GA1@example.org\n"
    f"Signed-off-by: {NAME} <{ADDRESS}>\n"
)
QUOTED_HEADERS = (
    "> From: someone\n> Date: Mon, 6 Jan 2020\n> \n>     Link: https://example.org/x\n> \n> text\n"
)
ADDRESSED = "Link: can you look at this?\nI think it is the cache."  # no trailer block: a name


@pytest.fixture
def workspace(sample_db: Path, tmp_path: Path) -> Path:
    """The sample with Lena Link added: a person whose surname is a word and whose handle is words."""
    copy = tmp_path / "workspace.db"
    shutil.copy(sample_db, copy)
    with sqlite3.connect(copy) as conn:
        (source,) = conn.execute("SELECT MIN(id) FROM source").fetchone()
        conn.execute(
            "INSERT INTO person (id, name, emails, handles, names) VALUES (?, ?, ?, ?, ?)",
            (PERSON, NAME, json.dumps([ADDRESS]), json.dumps([HANDLE]), json.dumps([NAME, HANDLE])),
        )
        conn.execute(
            "INSERT INTO identity (key, display_name, real_name, emails, handle, source_id, person_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            ("slack:U9001XYZ", HANDLE, NAME, json.dumps([ADDRESS]), HANDLE, source, PERSON),
        )
        conn.execute(
            "UPDATE message SET text = ? WHERE rowid = (SELECT MIN(rowid) FROM message)",
            (TRAILERS + "\n" + QUOTED_HEADERS + "\n" + ADDRESSED,),
        )
    return copy


def rewriter_for(db: Path) -> Rewriter:
    with sqlite3.connect(db) as conn:
        directory = build_directory(conn)
    return Rewriter(Plan(KEY, directory, AnonConfig(names=False)))


def test_when_a_word_that_is_a_name_labels_a_trailer_then_the_label_stays(workspace: Path) -> None:
    rewriter = rewriter_for(workspace)
    out = rewriter.text(TRAILERS, prose=True)
    assert "\nLink: https://" in out and "\nFixes: " in out and "\nSigned-off-by: " in out
    assert NAME not in out and ADDRESS not in out  # the person in the trailer is still replaced
    quoted = rewriter.text(QUOTED_HEADERS, prose=True)
    assert "> Date: " in quoted and ">     Link: " in quoted  # a quoted mail's headers, a lone trailer


@pytest.mark.parametrize(
    "text",
    [
        ADDRESSED,  # addressed by name, among no trailers
        "Thanks,\nLink\n",  # a sign-off
        "Then Link: said it.",  # not at the start of a line
    ],
)
def test_when_the_name_is_no_label_then_it_is_replaced(workspace: Path, text: str) -> None:
    rewriter = rewriter_for(workspace)
    out = rewriter.text(text, prose=True)
    assert "Link" not in out


def test_when_a_label_is_judged_then_only_a_word_opening_a_header_block_counts() -> None:
    block = "Reported-by: x\nLink: y\nMark: z\n"
    assert is_field_label(block, block.index("Link"), block.index("Link") + 4)
    assert is_field_label(block, block.index("Mark"), block.index("Mark") + 4)  # a word, in the block
    chat = "Mark: hi\nLink: y\n"  # no trailer nor header in the paragraph: these are addressees
    assert not is_field_label(chat, chat.index("Link"), chat.index("Link") + 4)
    named = "Reported-by: x\nKristoffer: y\n"  # no everyday word: a name even in a block
    assert not is_field_label(named, named.index("Kristoffer"), named.index("Kristoffer") + 10)
    alone = "    Acked-by: x\n"  # a trailer's shape needs no company, though "Acked" is no word
    assert is_field_label(alone, 4, 9)
    double = "Anna-Maria: can you look?\nSigned-off-by: x"  # a name of two parts is no trailer
    assert not is_field_label(double, 0, 4) and not is_field_label(double, 5, 10)


def test_when_a_display_name_is_a_handle_made_of_words_then_it_is_rewritten_and_audited_whole(
    workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(workspace, out, KEY)
    assert audit.leaks.count == 0 and audit.withheld == []
    with sqlite3.connect(out) as conn:
        (display, names, handle) = conn.execute(
            "SELECT i.display_name, p.names, i.handle FROM identity i JOIN person p ON p.id = i.person_id"
            " WHERE i.person_id = ?",
            (PERSON,),
        ).fetchone()
        assert HANDLE not in display and HANDLE not in names
        assert display == handle  # the display name is the same surrogate handle as the handle
        assert "\nLink: https://" in conn.execute("SELECT text FROM message ORDER BY rowid").fetchone()[0]
        # The audit reads the own-name columns whole: the original handle put back is a leak there.
        conn.execute("UPDATE identity SET display_name = ? WHERE person_id = ?", (HANDLE, PERSON))
        with sqlite3.connect(workspace) as raw:
            directory = build_directory(raw)
        report = scan_leaks(conn, Matcher(directory.values(), directory.ticket_prefixes), KEY)
    assert report.by_kind["handle"] == 1 and report.by_table["identity"] == 1
    assert not [
        s for s in Matcher(directory.values()).find(f"a {HANDLE} here") if s.kind == "handle"
    ]  # in prose the words stay words
