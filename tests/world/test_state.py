"""Copy-on-write state: isolation, reset, fork, diff, hash; the workspace file is never written."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.world.helpers import CUTOFF, ME, call
from workgym.world import EMPTY_HASH, Episode, World, fts
from workgym.world.fts import ensure_index, fingerprint
from workgym.world.state import StateError


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_some(ep: Episode) -> None:
    call(ep, "post_message", channel="general", text="deploy is green")
    call(ep, "update_ticket", key="ENG-20", status="In Progress")
    call(ep, "comment_ticket", key="ENG-20", body="taking this")


def test_when_two_episodes_write_then_neither_sees_the_other(world: World) -> None:
    a = world.episode(cutoff=CUTOFF, persona=ME, seed=1)
    b = world.episode(cutoff=CUTOFF, persona=ME, seed=1)
    call(a, "post_message", channel="general", text="only in episode a: kumquat")
    call(b, "update_ticket", key="ENG-20", status="In Progress")
    assert "kumquat" in call(a, "read_channel", channel="general")
    assert "kumquat" not in call(b, "read_channel", channel="general")
    assert "no message" in call(b, "search_messages", query="kumquat")
    assert "status Open" in call(a, "get_ticket", key="ENG-20")
    assert "status In Progress" in call(b, "get_ticket", key="ENG-20")
    a.close()
    b.close()


def test_when_reset_then_hash_and_observations_are_those_of_a_fresh_episode(world: World) -> None:
    ep = world.episode(cutoff=CUTOFF, persona=ME, seed=3)
    fresh = ep.state_hash()
    before = call(ep, "get_ticket", key="ENG-20")
    write_some(ep)
    assert ep.state_hash() != fresh
    ep.reset()
    assert ep.state_hash() == fresh == EMPTY_HASH
    assert not ep.state_diff()
    assert call(ep, "get_ticket", key="ENG-20") == before
    ep.close()


def test_when_text_is_written_then_search_finds_it_until_reset(ep: Episode) -> None:
    call(ep, "post_message", channel="general", text="the quince rollout is done")
    assert "quince rollout" in call(ep, "search_messages", query="quince")
    ep.reset()
    assert "no message" in call(ep, "search_messages", query="quince")
    call(ep, "post_message", channel="general", text="the tamarind rollout is done")
    assert "quince" not in call(ep, "search_messages", query="rollout")
    assert call(ep, "search_messages", query="rollout").startswith("[2024-04-01")  # the episode's own first


def test_when_a_base_row_is_updated_without_new_text_then_search_still_ranks_it_from_the_index(
    ep: Episode,
) -> None:
    before = call(ep, "search_messages", query="deployed staging", channel="design")
    call(ep, "add_reaction", message_id="C0ACME004:1709575080.000001", emoji="tada")
    after = call(ep, "search_messages", query="deployed staging", channel="design")
    assert [line.split("  (")[0] for line in after.splitlines()] == [
        line.split("  (")[0] for line in before.splitlines()
    ]
    assert ":tada: 1" in after


def test_when_forked_then_child_and_parent_diverge_independently(world: World) -> None:
    parent = world.episode(cutoff=CUTOFF, persona=ME, seed=5)
    call(parent, "post_message", channel="general", text="before the fork: papaya")
    child = parent.fork()
    assert child.state_hash() == parent.state_hash()
    assert child.steps == parent.steps and child.now == parent.now
    call(child, "post_message", channel="general", text="only in the child: lychee")
    call(parent, "update_ticket", key="ENG-20", status="Resolved")
    assert "papaya" in call(child, "read_channel", channel="general")
    assert "lychee" not in call(parent, "read_channel", channel="general")
    assert "lychee" in call(child, "search_messages", query="lychee")
    assert "status Open" in call(child, "get_ticket", key="ENG-20")
    assert child.state_hash() != parent.state_hash()
    child.reset()
    assert "papaya" not in call(child, "read_channel", channel="general")
    assert "papaya" in call(parent, "read_channel", channel="general")
    parent.close()
    child.close()


def test_when_fork_replays_the_same_calls_then_it_reaches_the_same_hash(world: World) -> None:
    parent = world.episode(cutoff=CUTOFF, persona=ME, seed=9)
    call(parent, "post_message", channel="general", text="one")
    child = parent.fork()
    for ep in (parent, child):
        call(ep, "comment_ticket", key="ENG-4", body="two")
    assert parent.state_hash() == child.state_hash()
    parent.close()
    child.close()


def test_when_rows_change_then_diff_lists_inserts_and_field_changes(ep: Episode) -> None:
    write_some(ep)
    diff = ep.state_diff()
    (message,) = diff.of("message", "inserted")
    assert message.row["text"] == "deploy is green" and message.row["author"] == ME
    (ticket,) = diff.of("ticket", "updated")
    changed = {f.field: (f.old, f.new) for f in ticket.fields}
    assert changed["status"] == ("Open", "In Progress")
    assert set(changed) == {"status", "updated"}
    assert len(diff.of("ticket_event", "inserted")) == 1
    assert diff.to_dict()["ticket_comment"]["inserted"][0]["body"] == "taking this"


def test_when_a_change_is_undone_then_the_overlay_forgets_the_row(ep: Episode) -> None:
    state = ep.state
    before = state.get("ticket", "ENG-20")
    state.update("ticket", "ENG-20", {"priority": "High"})
    assert state.hash() != EMPTY_HASH
    state.update("ticket", "ENG-20", {"priority": before["priority"]})
    assert state.hash() == EMPTY_HASH and not state.diff()


def test_when_a_row_is_deleted_then_it_is_invisible_and_the_diff_says_so(ep: Episode) -> None:
    state = ep.state
    state.delete("ticket", "ENG-4")
    assert state.get("ticket", "ENG-4") is None
    (change,) = state.diff().changes
    assert (change.kind, change.key, change.row["summary"]) == (
        "deleted",
        "ENG-4",
        "Search index lag after deploy",
    )
    with pytest.raises(StateError):
        state.delete("ticket", "ENG-4")
    state.reset()
    assert state.get("ticket", "ENG-4") is not None


def test_when_a_key_is_taken_even_after_the_cutoff_then_insert_refuses(ep: Episode) -> None:
    state = ep.state
    assert state.get("ticket", "ENG-50") is None  # created after the cutoff: invisible
    with pytest.raises(StateError, match="already exists"):
        state.insert("ticket", {"id": "ENG-50", "project": "ENG", "summary": "x"})


def test_when_episodes_run_then_the_workspace_file_is_untouched(sample_db: Path, world: World) -> None:
    before = file_hash(sample_db)
    listing = sorted(p.name for p in sample_db.parent.iterdir())
    ep = world.episode(cutoff=CUTOFF, persona=ME, seed=1)
    write_some(ep)
    ep.fork().close()
    ep.reset()
    ep.close()
    assert file_hash(sample_db) == before
    assert sorted(p.name for p in sample_db.parent.iterdir()) == listing


def test_when_the_workspace_folder_is_read_only_then_the_index_goes_to_a_temp_folder(
    sample_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "w.db"
    shutil.copy(sample_db, db)
    (tmp_path / "tmp").mkdir()
    # Tests may run as root, who can write anywhere: make the folder read-only to the probe instead.
    monkeypatch.setattr(fts, "_writable", lambda path: Path(path) != folder)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    index = ensure_index(db)
    assert index.parent == tmp_path / "tmp" / "workgym-fts"
    assert fingerprint(db)[:16] in index.name
    assert sorted(p.name for p in folder.iterdir()) == ["w.db"]
    ep = World.open(db).episode(persona=ME)
    assert "ENG-1" in call(ep, "search_tickets", jql="login timeouts")
    ep.close()


def test_when_the_workspace_changes_then_its_index_is_rebuilt_and_the_old_one_removed(
    sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    shutil.copy(sample_db, db)
    first = ensure_index(db)
    assert ensure_index(db) == first  # unchanged: reused
    with db.open("ab") as fh:
        fh.write(b"\0" * 4096)  # different bytes, still a readable database
    second = ensure_index(db)
    assert second != first and second.is_file() and not first.exists()


def test_when_the_index_is_rebuilt_then_only_its_own_old_sidecars_are_removed(
    sample_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    shutil.copy(sample_db, db)
    mine = [tmp_path / "w.db.notes.fts", tmp_path / "w.db.0123456789abcdef.fts"]
    for path in mine:  # the user's own files that happen to share the pattern
        path.write_bytes(b"user data")
    ensure_index(db)
    assert [p.read_bytes() for p in mine] == [b"user data", b"user data"]


def test_when_an_index_file_is_corrupt_then_it_is_rebuilt(sample_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    shutil.copy(sample_db, db)
    index = ensure_index(db)
    index.write_bytes(b"not a database")
    assert ensure_index(db) == index
    ep = World.open(db).episode(persona=ME)
    assert "ENG-1" in call(ep, "search_tickets", jql="login timeouts")
    ep.close()
