"""Each tool on the bundled sample, as of 2024-04-01 09:00, acting as Daniel Okafor (P0003)."""

from __future__ import annotations

import pytest

from tests.world.helpers import ME, call
from workgym.world import Episode, World
from workgym.world.schema import REGISTRY
from workgym.world.tools import APPS

# -- directory ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nora", "Nora Lindqvist (P0002)"),  # a first name
        ("LINDQVIST", "Nora Lindqvist (P0002)"),  # a surname, any case
        ("@nlindqvist", "Nora Lindqvist (P0002)"),  # a chat handle
        ("seun.adeyemi@outlook", "Oluwaseun Adeyemi (P0004)"),  # part of a second address
        ("P0011", "Ivan Petrov (P0011)"),  # an id
    ],
)
def test_when_finding_a_person_by_any_fragment_then_they_are_listed(
    ep: Episode, query: str, expected: str
) -> None:
    assert expected in call(ep, "find_person", query=query)


def test_when_getting_a_person_then_profile_and_channels_show(ep: Episode) -> None:
    text = call(ep, "get_person", person="nora")
    assert "Head of Operations" in text and "America/Los_Angeles" in text and "#general" in text


def test_when_a_person_is_ambiguous_then_the_error_lists_candidates(ep: Episode) -> None:
    obs = ep.step({"name": "get_person", "arguments": {"person": "a"}})
    assert obs.info["error"] == "tool_error" and "several people" in obs.text


# -- chat --------------------------------------------------------------------------------------


def test_when_listing_channels_then_every_visible_channel_shows(ep: Episode) -> None:
    text = call(ep, "list_channels")
    assert "#general (C0ACME000)" in text and "6 channels" in text


def test_when_reading_a_channel_then_latest_page_in_time_order_with_ids(ep: Episode) -> None:
    text = call(ep, "read_channel", channel="#incidents")
    lines = [line for line in text.splitlines() if line.startswith("[")]
    assert lines == sorted(lines) and len(lines) <= 20
    assert all(line[1:17] <= "2024-04-01 09:00" for line in lines)
    older = call(ep, "read_channel", channel="incidents", page=2)
    assert older.splitlines()[1] < lines[0]


def test_when_reading_a_channel_in_a_range_then_only_that_range_shows(ep: Episode) -> None:
    text = call(ep, "read_channel", channel="general", after="2024-03-11", before="2024-03-11")
    lines = [line for line in text.splitlines() if line.startswith("[")]
    assert lines and all(line.startswith("[2024-03-11") for line in lines)


def test_when_posting_a_reply_then_the_thread_shows_it(ep: Episode) -> None:
    root = "C0ACME004:1709544300.000003"
    posted = call(ep, "post_message", channel="design", text="following up here", thread_id=root)
    assert "in thread" in posted
    thread = call(ep, "read_thread", message_id=root)
    assert "following up here" in thread and "Daniel Okafor" in thread
    assert "1 reply" in call(ep, "read_channel", channel="design", after="2024-03-04", before="2024-03-04")


def test_when_searching_messages_then_ranked_hits_with_filters(ep: Episode) -> None:
    text = call(ep, "search_messages", query="deployed staging", channel="design")
    assert "teh fix for OPS-14" in text and all("#design" in line for line in text.splitlines()[:-1])
    by_author = call(ep, "search_messages", query="standup", author="Aisha Khan")
    assert "Aisha Khan" in by_author and "Nora" not in by_author
    loose = call(ep, "search_messages", query="standup xylophone")
    assert "some of them" in loose and "standup" in loose


def test_when_reacting_then_the_count_grows(ep: Episode) -> None:
    message = "C0ACME002:1710269640.000039"  # already has :+1: 1
    assert "now 2" in call(ep, "add_reaction", message_id=message, emoji=":+1:")
    assert "now 1" in call(ep, "add_reaction", message_id=message, emoji="eyes")
    assert ":+1: 2 :eyes: 1" in call(ep, "read_thread", message_id=message)


# -- tracker -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jql", "present", "absent"),
    [
        ("project = eng", "ENG-", "OPS-"),  # one project, any case (OPS starts after the cutoff)
        ('status in ("In Progress", "In Review")', "[In ", "[Open]"),  # a list of statuses
        ("assignee = currentUser()", "assignee Daniel Okafor", "assignee Nora"),  # the persona
        ("login timeouts", "ENG-1 ", "OPS-"),  # bare words: text search
        ('text ~ "timeouts" AND project = ENG', "ENG-21", "OPS-"),  # text and a field
        ("created >= 2024-03-25 ORDER BY created", "ENG-24", "ENG-1 "),  # a date
        ("priority = High AND NOT status = Closed", "High", "[Closed]"),  # NOT
        ("updated >= -2d", "ENG-29", "ENG-1 "),  # relative to episode time
    ],
)
def test_when_searching_tickets_with_jql_then_the_filter_holds(
    ep: Episode, jql: str, present: str, absent: str
) -> None:
    text = call(ep, "search_tickets", jql=jql)
    assert present in text and absent not in text


@pytest.mark.parametrize(
    "jql",
    [
        'status = "Open',  # unclosed quote
        "colour = red",  # unknown field
        "project = ENG AND",  # ends too early
        "created >= someday",  # not a date
        "assignee = zzzzzz",  # nobody
        "project in (ENG, OPS",  # unclosed list
    ],
)
def test_when_jql_is_wrong_then_the_error_says_what(ep: Episode, jql: str) -> None:
    obs = ep.step({"name": "search_tickets", "arguments": {"jql": jql}})
    assert obs.info["error"] == "tool_error" and obs.text.startswith("Error (search_tickets)")


def test_when_getting_a_ticket_then_fields_links_history_and_comments_show(ep: Episode) -> None:
    text = call(ep, "get_ticket", key="eng-1")
    for part in (
        "ENG-1: Login timeouts",
        "status Closed",
        "relates to ENG-2",
        "history:",
        "Open -> Closed",
        "comments",
    ):
        assert part in text


def test_when_creating_a_ticket_then_it_gets_the_next_key_and_the_first_status(ep: Episode) -> None:
    text = call(
        ep,
        "create_ticket",
        project="ops",
        summary="Rotate the VPN keys",
        priority="high",
        labels=["security"],
    )
    assert text.startswith("created OPS-16 [Open]")
    ticket = call(ep, "get_ticket", key="OPS-16")
    assert "reporter Daniel Okafor" in ticket and "priority High" in ticket and "labels: security" in ticket
    assert "OPS-16" in call(ep, "search_tickets", jql="text ~ VPN")


def test_when_updating_a_ticket_then_status_follows_the_workflow(ep: Episode) -> None:
    assert "status Open -> In Review" in call(ep, "update_ticket", key="ENG-20", status="in review")
    refused = ep.step({"name": "update_ticket", "arguments": {"key": "ENG-20", "status": "Closed"}})
    assert refused.info["error"] == "tool_error" and "workflow" in refused.text
    wrong = ep.step({"name": "update_ticket", "arguments": {"key": "ENG-26", "status": "Done"}})
    assert "is not one of: Closed, In Progress, In Review, Resolved" in wrong.text
    text = call(ep, "update_ticket", key="ENG-26", assignee="none", priority="Medium", labels=["ci", "flaky"])
    assert "assignee Aisha Khan -> nobody" in text and "priority Low -> Medium" in text
    assert "history:" in call(ep, "get_ticket", key="ENG-26")


def test_when_commenting_and_linking_then_the_ticket_shows_both(ep: Episode) -> None:
    call(ep, "comment_ticket", key="ENG-4", body="Reproduced after the 2024-03-30 deploy.")
    assert call(ep, "link_tickets", key="ENG-4", other="ENG-24") == "linked: ENG-4 relates to ENG-24"
    assert "already" in call(ep, "link_tickets", key="ENG-4", other="ENG-24")
    text = call(ep, "get_ticket", key="ENG-4")
    assert "Reproduced after" in text and "relates to ENG-24" in text
    assert "relates to ENG-4" in call(ep, "get_ticket", key="ENG-24")


# -- docs --------------------------------------------------------------------------------------


def test_when_searching_and_reading_docs_then_they_show(ep: Episode) -> None:
    assert "design/01-rate.md" in call(ep, "search_docs", query="rate limiter 429")
    text = call(ep, "read_doc", doc="01-rate.md")
    assert text.startswith("Design: rate limiter") and "## Plan" in text


def test_when_editing_a_doc_then_sections_are_replaced_or_appended(ep: Episode) -> None:
    call(ep, "edit_doc", doc="design/01-rate.md", section="Plan", text="1. ship it", replace=True)
    call(ep, "edit_doc", doc="design/01-rate.md", section="Context", text="Seen again in April.")
    call(ep, "edit_doc", doc="design/01-rate.md", text="## Status\nDone.")
    text = call(ep, "read_doc", doc="design/01-rate.md")
    assert "1. ship it" in text and "reproduce" not in text
    assert text.index("Seen again in April.") < text.index("## Plan") < text.index("## Status")
    missing = ep.step(
        {"name": "edit_doc", "arguments": {"doc": "01-rate.md", "section": "Nope", "text": "x"}}
    )
    assert "the headings are" in missing.text
    assert "design/01-rate.md" in call(ep, "search_docs", query="April")


def test_when_creating_and_commenting_a_doc_then_both_are_readable(ep: Episode) -> None:
    assert "created runbooks/vpn-rotation.md" in call(
        ep, "create_doc", title="VPN rotation", body="# VPN rotation\n\nSteps.", folder="runbooks"
    )
    call(ep, "comment_doc", doc="runbooks/vpn-rotation.md", text="Add the rollback step", anchor="Steps")
    text = call(ep, "read_doc", doc="VPN rotation")
    assert "Steps." in text and "Add the rollback step" in text


# -- mail --------------------------------------------------------------------------------------


def test_when_searching_mail_then_hits_and_filters_apply(ep: Episode) -> None:
    assert "ENG-3: billing export misses refunds" in call(ep, "search_mail", query="billing refunds")
    sent_by = call(ep, "search_mail", sender="nora")
    assert all("Nora Lindqvist ->" in line for line in sent_by.splitlines() if line.startswith("["))
    assert "Nora" in call(ep, "search_mail", to="nora")


def test_when_replying_then_the_original_is_quoted_in_the_thread(ep: Episode) -> None:
    original = "a4f52ea94132@acme-robotics.io"
    sent = call(ep, "send_email", reply_to=original, body="Will look today.")
    assert "to Mei Chen: Re: ENG-1" in sent
    thread = call(ep, "read_email_thread", email_id=original)
    assert "Will look today." in thread and "> could you look at" in thread and "wrote:" in thread


def test_when_forwarding_then_the_original_follows_the_note(ep: Episode) -> None:
    sent = call(ep, "send_email", forward="a4f52ea94132@acme-robotics.io", to=["nora"], body="FYI")
    assert "Fwd: ENG-1" in sent
    (row,) = ep.state_diff().of("email")
    assert "---------- Forwarded message ---------" in row.row["body"] and row.row["to"] == '["P0002"]'


# -- calendar ----------------------------------------------------------------------------------


def test_when_listing_events_then_recurring_ones_are_expanded(ep: Episode) -> None:
    text = call(ep, "list_events", after="2024-04-01", before="2024-04-15")
    assert text.count("Review 00-login.md") == 3  # weekly on Mondays: 1, 8, 15 April


def test_when_finding_a_free_slot_then_it_avoids_meetings_and_stays_in_working_hours(ep: Episode) -> None:
    text = call(
        ep, "find_free_slot", attendees=["nora", "aisha"], duration_minutes=60, after="2024-04-01T00:00Z"
    )
    first = text.splitlines()[1].split()[0]
    assert first == "2024-04-01T16:00:00+00:00"  # 09:00 in Los Angeles, after the 09:00 UTC review


def test_when_booking_an_event_then_it_is_listed_and_clashes_are_said(ep: Episode) -> None:
    booked = call(ep, "create_event", title="Kickoff", start="2024-04-08T09:00:00Z", attendees=["nora"])
    assert "busy then" in booked  # the weekly review
    assert "Kickoff" in call(ep, "list_events", after="2024-04-08", before="2024-04-08", person="nora")
    past = ep.step({"name": "create_event", "arguments": {"title": "x", "start": "2024-03-01T09:00:00Z"}})
    assert "in the past" in past.text


# -- code and answer ---------------------------------------------------------------------------


def test_when_searching_and_getting_commits_then_they_show(ep: Episode) -> None:
    assert "eaf08d7375" in call(ep, "search_commits", query="billing refunds")
    assert "eaf08d7375" in call(ep, "search_commits", path="billing.py", author="nora")
    text = call(ep, "get_commit", sha="eaf08d7")
    assert "M src/acme/billing.py" in text and "mentions: ENG-3" in text
    assert "not a commit sha" in ep.step({"name": "get_commit", "arguments": {"sha": "xyz"}}).text


def test_every_app_has_tools_and_every_tool_an_app() -> None:
    apps = {t.app for t in REGISTRY}
    assert apps == set(APPS)
    assert len(REGISTRY) >= 28


def test_when_paging_past_the_end_then_an_error_says_how_many_pages(world: World) -> None:
    ep = world.episode(persona=ME)
    obs = ep.step({"name": "list_channels", "arguments": {"page": 5}})
    assert obs.info["error"] == "tool_error" and "only 1 page" in obs.text
    ep.close()


def test_when_an_episode_has_a_user_then_ask_user_reaches_them_and_otherwise_is_not_offered(
    world: World,
) -> None:
    asked: list[str] = []

    def user(question: str) -> str:
        asked.append(question)
        return "Give it to Nora."

    with world.episode(persona=ME, user=user) as ep:
        assert "ask_user" in ep.tools
        assert call(ep, "ask_user", question="Who should take it?") == "They answer: Give it to Nora."
        assert asked == ["Who should take it?"]
    with world.episode(persona=ME) as ep:
        assert "ask_user" not in ep.tools
        assert ep.step({"name": "ask_user", "arguments": {"question": "?"}}).info["error"] == "unknown_tool"
    with world.episode(persona=ME, tools=["ask_user"]) as ep:  # named, but nobody to ask
        assert "nobody is there to ask" in ep.step({"name": "ask_user", "arguments": {"question": "?"}}).text


def test_when_an_episode_with_a_user_is_forked_then_each_fork_talks_to_its_own_copy(world: World) -> None:
    from workgym.tasks.model import UserFact
    from workgym.tasks.users import ScriptedUser

    user = ScriptedUser([UserFact(("deadline",), "Friday.")])
    with world.episode(persona=ME, user=user) as ep:
        call(ep, "ask_user", question="What is the deadline?")
        with ep.fork() as left, ep.fork() as right:
            call(left, "ask_user", question="The deadline again?")
            assert "Friday." in call(right, "ask_user", question="Which deadline?")
            assert left.user is not right.user and left.user is not user
            assert [len(u.asked) for u in (user, left.user, right.user)] == [1, 2, 2]  # type: ignore[union-attr]
