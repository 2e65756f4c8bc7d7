"""The world over the real titanium workspace (6.7k Jira tickets, 27k comments, 4.4k commits)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.world.helpers import call
from workgym.world import EMPTY_HASH, Episode, World

CUTOFF = "2016-01-01T00:00:00+00:00"


@pytest.fixture(scope="module")
def titanium(titanium_db: Path) -> World:
    return World.open(titanium_db)


@pytest.fixture
def ti(titanium: World) -> Iterator[Episode]:
    person = next(iter(titanium.facts.people))
    episode = titanium.episode(cutoff=CUTOFF, persona=person, seed=1)
    yield episode
    episode.close()


def keys_of(listing: str) -> list[str]:
    return [line.split()[0] for line in listing.splitlines()[:-1]]


def test_when_searching_titanium_tickets_by_text_then_relevant_ones_come_first(ti: Episode) -> None:
    text = call(ti, "search_tickets", jql="android crash")
    first = text.splitlines()[0].lower()
    assert "android" in first and "crash" in first
    for key in keys_of(text)[:5]:
        created = call(ti, "get_ticket", key=key).splitlines()[3].split("created ")[1][:16]
        assert created <= CUTOFF[:16].replace("T", " ")


def test_when_a_word_is_everywhere_then_results_are_listed_unranked_with_a_note(ti: Episode) -> None:
    text = call(ti, "search_commits", query="the")
    assert "too many matches" in text or len(keys_of(text)) == 15


def test_when_a_project_has_no_status_history_then_any_seen_status_is_allowed(ti: Episode) -> None:
    (key, *_) = keys_of(call(ti, "search_tickets", jql="project = ALOY AND status = Open"))
    assert "-> In Progress" in call(ti, "update_ticket", key=key, status="In Progress")
    assert "-> Open" in call(ti, "update_ticket", key=key, status="Open")


def test_when_titanium_episodes_write_then_reset_and_fork_stay_isolated(ti: Episode) -> None:
    (key, *_) = keys_of(call(ti, "search_tickets", jql="project = TIMOB"))
    call(ti, "comment_ticket", key=key, body="a note only this episode sees: quokka")
    child = ti.fork()
    assert keys_of(call(child, "search_tickets", jql="comment ~ quokka")) == [key]
    ti.reset()
    assert ti.state_hash() == EMPTY_HASH
    assert call(ti, "search_tickets", jql="comment ~ quokka") == "no tickets match"
    (comment,) = child.state_diff().of("ticket_comment", "inserted")
    assert comment.row["body"].endswith("quokka") and comment.row["ticket_id"] == key
    child.close()


def test_when_the_cutoff_is_early_then_later_tickets_and_commits_are_invisible(titanium: World) -> None:
    ep = titanium.episode(cutoff="2012-01-01T00:00:00Z")
    listed = call(ep, "search_tickets", jql="ORDER BY created DESC")
    assert "updated 2012" not in listed and "updated 2013" not in listed
    commits = call(ep, "search_commits")
    assert all(line.split()[1] < "2012-01-02" for line in commits.splitlines()[:-1])
    ep.close()


def test_when_a_ticket_is_resolved_after_the_cutoff_then_it_shows_open_and_can_be_closed_again(
    titanium: World,
) -> None:
    person = next(iter(titanium.facts.people))
    with titanium.episode(cutoff="2012-07-01T00:00:00Z", persona=person) as ep:
        shown = call(ep, "get_ticket", key="ALOY-10")  # created 2012-05, closed as Fixed 2012-07-19
        assert "status Open" in shown and "Fixed" not in shown
        done = call(ep, "update_ticket", key="ALOY-10", status="Closed", resolution="fixed")
        assert "status Open -> Closed" in done and "resolution - -> Fixed" in done
        (change,) = ep.state_diff().of("ticket", "updated")
        fields = {f.field: f.new for f in change.fields}
        assert fields["status"] == "Closed" and fields["resolution"] == "Fixed"
        assert fields["resolved"] == ep.now
