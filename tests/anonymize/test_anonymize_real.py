"""Acceptance of the anonymizer on the real corpora (skipped with a reason when absent).

Nothing here prints personal data: assertions report counts and locations from the audit only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workgym.anonymize.run import anonymize_workspace, audit_path_for
from workgym.link.build import build_workspace

KEY = b"real-data-acceptance-key-0123456"

CORPORA = {
    "titanium": ("titanium/jira", "titanium/git_alloy"),
    "houstondatavis-slack": ("houstondatavis-slack",),
    "duraspace-irc": ("duraspace-irc/irc_logs", "duraspace-irc/git_dspace"),
}


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
