"""Acceptance of the anonymizer on the real corpora (skipped with a reason when absent).

Nothing here prints personal data: assertions report counts and locations from the audit only.
"""

from __future__ import annotations

import json
import re
import sqlite3
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
