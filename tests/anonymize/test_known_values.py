"""Known values are replaced wherever the audit looks for them: beside ticket keys, and as an address's bare host.

Three leaks seen in scaled-up workspaces, each written here on a small workspace: a learned name
inside a link just before a ticket number, a learned two-word name beside a reference in a
comment, and a handle that is the dot-less domain of the person's own address.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from workgym.anonymize.directory import Entry, Matcher
from workgym.anonymize.run import anonymize_workspace
from workgym.store import connect

KEY = bytes(range(32))

COMMENTS = [
    # where each learned name is learned: a sign-off, a greeting
    "Fixed in master.\n\nThanks,\nKai",
    "Hi Oriana Vexley, the build is green again.",
    # where each is written again, beside what looks like a reference
    "See https://issues.example.org/browse/KAI-1234 for the old report",  # another tracker's key
    "ORIANA VEXLEY-2 was the second try; see MOD-1 too",  # a name touching a key's shape
    "Moved to MOD-1.",  # the workspace's own ticket: a link that must survive
]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    db = tmp_path / "workspace.db"
    conn = connect(db, create=True)
    with conn:
        conn.execute("INSERT INTO source VALUES (1, 'jira', 'jira.json', 'ab', 1, 0)")
        conn.execute(
            "INSERT INTO person (id, name, emails, handles, names) VALUES (?, ?, ?, ?, ?)",
            ("P0001", "Dana Quixley", json.dumps(["dquixley@dquixley"]), json.dumps(["dquixley"]),
             json.dumps(["Dana Quixley"])),
        )  # fmt: skip
        conn.execute(
            "INSERT INTO identity (key, display_name, emails, handle, source_id, person_id)"
            " VALUES ('jira:dquixley', 'Dana Quixley', ?, 'dquixley', 1, 'P0001')",
            (json.dumps(["dquixley@dquixley"]),),
        )
        for key in ("MOD-1", "MOD-2"):
            conn.execute(
                "INSERT INTO ticket (id, project, summary, reporter, created, source_id)"
                " VALUES (?, 'MOD', 'a module', 'P0001', '2019-05-29T12:22:00Z', 1)",
                (key,),
            )
        for n, body in enumerate(COMMENTS, start=1):
            conn.execute(
                "INSERT INTO ticket_comment (id, ticket_id, body, author, created, source_id)"
                " VALUES (?, 'MOD-2', ?, 'P0001', '2019-05-29T12:22:00Z', 1)",
                (str(1000 + n), body),
            )
    conn.close()
    return db


def test_when_learned_names_stand_beside_ticket_keys_then_they_are_replaced_and_the_link_kept(
    workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "anon.db"
    audit = anonymize_workspace(workspace, out, KEY)  # raises LeakError on any leak
    assert audit.leaks.count == 0 and audit.withheld == []
    assert audit.links.ratio == 1.0 and audit.links.resolved_before >= 2
    bodies = [b for (b,) in sqlite3.connect(out).execute("SELECT body FROM ticket_comment ORDER BY rowid")]
    text = "\n".join(bodies)
    assert "KAI" not in text and "Kai" not in text
    assert "VEXLEY" not in text.upper()
    assert bodies[4] == "Moved to MOD-1."  # the workspace's own key is a link, kept as written
    assert "/browse/" in bodies[2] and "-1234 for the old report" in bodies[2]


def test_when_a_handle_is_the_dot_less_domain_of_an_address_then_the_domain_is_reshaped(
    workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "anon.db"
    anonymize_workspace(workspace, out, KEY)
    conn = sqlite3.connect(out)
    cells = [
        *(e for (es,) in conn.execute("SELECT emails FROM person") for e in json.loads(es)),
        *(e for (es,) in conn.execute("SELECT emails FROM identity") for e in json.loads(es)),
        *(k for (k,) in conn.execute("SELECT key FROM identity")),
    ]
    assert cells and not [c for c in cells if "quixley" in c.lower()]
    (address,) = {e for e in cells if "@" in e}
    assert "." not in address.partition("@")[2]  # still a bare host, not a made-up domain


def test_when_a_known_value_spells_a_project_key_then_the_key_is_no_match() -> None:
    matcher = Matcher([("mod", Entry("person", "P1", "first", 0.9, capitalised=True))], ["MOD"])
    spans = matcher.find("see MOD-12 and ask Mod")
    assert [(s.start, s.end) for s in spans] == [(19, 22)]  # Mod, not the MOD of MOD-12


def test_when_an_organisation_domain_hosts_a_public_archive_then_the_archive_link_keeps_its_host() -> None:
    matcher = Matcher([("kernel.org", Entry("domain", "", "domain"))])
    text = "https://lore.kernel.org/r/abc@x.org from jo@kernel.org at www.kernel.org"
    found = [text[s.start : s.end] for s in matcher.find(text)]
    assert found == ["kernel.org", "kernel.org"]  # the address's and the website's, not the archive's
    assert text.index("kernel.org") not in [s.start for s in matcher.find(text)]
