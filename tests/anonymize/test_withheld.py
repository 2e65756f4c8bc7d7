"""Rows the anonymizer withholds, and the ones it must not: each reason says why, and names no one."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from workgym.anonymize.rewrite import Rewriter
from workgym.anonymize.run import WITHHELD_REASON_CHARS, anonymize_workspace, audit_path_for

KEY = bytes(range(32))


@pytest.fixture
def workspace(sample_db: Path, tmp_path: Path) -> Path:
    """A private copy of the sample, free to change."""
    copy = tmp_path / "workspace.db"
    shutil.copy(sample_db, copy)
    return copy


def test_when_texts_hold_redacted_passwords_then_nothing_is_learned_from_them_and_no_row_is_withheld(
    workspace: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(workspace)
    with conn:
        conn.execute(
            "UPDATE message SET text = text || ' (clone https://ci:****@git.example.com/r.git; pw ****)'"
            " WHERE rowid IN (SELECT rowid FROM message ORDER BY rowid LIMIT 151)"
        )
    conn.close()
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(workspace, out, KEY)
    assert audit.withheld == []
    assert audit.records_in == audit.records_out
    kept = sqlite3.connect(out).execute("SELECT COUNT(*) FROM message WHERE text LIKE '%:****@%'").fetchone()
    assert kept == (151,)  # a redaction names no one: it stays as written


def test_when_a_row_cannot_be_rewritten_then_the_audit_gives_the_message_with_identifiers_redacted(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(workspace)
    address = json.loads(conn.execute("SELECT emails FROM person ORDER BY id").fetchone()[0])[0]
    conn.close()
    row = Rewriter.row

    def failing(self: Rewriter, table: str, values: dict[str, Any], person_of_key: Any) -> dict[str, Any]:
        if table == "ticket":
            raise ValueError(f"cannot read the reporter field: unknown address {address!r} " + "x" * 400)
        return row(self, table, values, person_of_key)

    monkeypatch.setattr(Rewriter, "row", failing)
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(workspace, out, KEY)
    assert audit.withheld and {w["table"] for w in audit.withheld} == {"ticket"}
    assert len(audit.withheld) == audit.records_in["ticket"]
    reason = audit.withheld[0]["reason"]
    assert reason.startswith("ValueError: cannot read the reporter field: unknown address '<email>'")
    assert len(reason) <= len("ValueError: ") + WITHHELD_REASON_CHARS
    written = audit_path_for(out).read_text()
    assert address not in written and address.partition("@")[0] not in written


def test_when_a_long_token_is_reshaped_among_many_short_original_values_then_a_surrogate_is_found() -> None:
    import itertools
    import random
    import string

    from workgym.anonymize.directory import Directory
    from workgym.anonymize.keys import Keyed
    from workgym.anonymize.surrogates import Surrogates

    # Every two- and three-letter value is taken: each of a JWT's short letter runs is some original.
    taken = frozenset("".join(p) for n in (2, 3) for p in itertools.product(string.ascii_lowercase, repeat=n))
    surrogates = Surrogates(Keyed(bytes(32)), Directory(persons={}, domains={}), taken)
    rng = random.Random(7)
    token = "".join(rng.choice(string.ascii_letters + string.digits + "._-") for _ in range(471))
    out = surrogates.formatted("secret", token)
    assert out != token and len(out) == len(token)
