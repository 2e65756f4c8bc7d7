"""Record ids are ids: never read as phones, and a surrogate collision withholds a row instead of crashing."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workgym.anonymize.patterns import detect_patterns
from workgym.anonymize.rewrite import Rewriter
from workgym.anonymize.run import anonymize_workspace

KEY = bytes(range(32))

# Ids as trackers, scale-ups and exports write them: a number with a revision or copy digit, a
# year and a serial.
ID_LIKE = st.one_of(
    st.from_regex(r"[1-9]\d{4,9}-\d", fullmatch=True),  # 194980-1
    st.from_regex(r"(?:19[7-9]\d|20[0-3]\d)-\d{4,8}", fullmatch=True),  # 2024-000123
)
# A phone-shaped number written after a label that says it is an id.
LABELLED = st.tuples(
    st.sampled_from(["ID", "id:", "Comment", "ticket #", "order no.", "ref", "Build", "revision", "#"]),
    st.from_regex(r"\d{3}-\d{3}-\d{4}|\d{3}-\d{4}|\d{6}-\d{2,4}", fullmatch=True),
)


@pytest.fixture
def workspace(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample, free to change."""
    copy = tmp_path / "workspace.db"
    shutil.copy(sample_db, copy)
    return copy


@settings(max_examples=300, derandomize=True, deadline=None)
@given(ID_LIKE, st.sampled_from(["{}", "see {} above", "{}\n", "comment {} was edited"]))
def test_when_an_id_like_number_is_written_anywhere_then_it_is_no_phone(value: str, frame: str) -> None:
    text = frame.format(value)
    assert [s for s in detect_patterns(text) if s.kind == "phone"] == []


@settings(max_examples=300, derandomize=True, deadline=None)
@given(LABELLED)
def test_when_a_number_follows_an_id_label_then_it_is_no_phone(labelled: tuple[str, str]) -> None:
    label, number = labelled
    text = f"{label} {number}"
    assert [s for s in detect_patterns(text) if s.kind == "phone"] == []


@pytest.mark.parametrize(
    "text",
    [
        "phone: 208-336-4844",  # a cue word: a phone
        "call me on 208-336-4844",
        "ticket 12, phone 208-336-4844",  # the id label is not the number's own
        "Tel 030 1234567-0",  # a switchboard's -0 after three groups
    ],
)
def test_when_a_phone_is_labelled_as_one_then_it_is_still_found(text: str) -> None:
    assert any(s.kind == "phone" for s in detect_patterns(text))


def _set_comment_ids(workspace: Path, make: str) -> int:
    conn = sqlite3.connect(workspace)
    with conn:
        conn.execute(f"UPDATE ticket_comment SET id = {make}")
    count = int(conn.execute("SELECT COUNT(*) FROM ticket_comment").fetchone()[0])
    conn.close()
    return count


def test_when_comment_ids_read_like_phones_then_each_is_kept_distinct_and_no_row_is_withheld(
    workspace: Path, tmp_path: Path
) -> None:
    # 194980-1, 194980-2 ...: seven digits with a separator, alone in their column.
    count = _set_comment_ids(workspace, "'194980-' || rowid")
    assert count > 1
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(workspace, out, KEY)
    assert audit.withheld == []
    assert audit.records_out["ticket_comment"] == count
    ids = [r[0] for r in sqlite3.connect(out).execute("SELECT id FROM ticket_comment")]
    assert len(set(ids)) == count and all(i.startswith("194980-") for i in ids)


def test_when_two_rows_get_one_surrogate_id_then_the_second_is_withheld_with_its_reason(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = _set_comment_ids(workspace, "'C-' || rowid")
    record_id = Rewriter.record_id

    def colliding(self: Rewriter, value: str) -> str:  # every comment id given the same surrogate
        return "C-0" if value.startswith("C-") else record_id(self, value)

    monkeypatch.setattr(Rewriter, "record_id", colliding)
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(workspace, out, KEY)
    held = [w for w in audit.withheld if w["table"] == "ticket_comment"]
    assert len(held) == count - 1
    assert audit.records_out["ticket_comment"] == 1
    assert all("UNIQUE constraint failed: ticket_comment.id" in w["reason"] for w in held)
    assert len({w["rowid"] for w in held}) == count - 1
    assert sqlite3.connect(out).execute("SELECT id FROM ticket_comment").fetchall() == [("C-0",)]
