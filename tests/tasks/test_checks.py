"""The checks: answers normalised but not gameable, per-field changes, collateral damage, references."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tasks.helpers import run
from workgym.tasks import Call, Check, Scorer, Task
from workgym.tasks.checks import footprint
from workgym.world import World

NORA = "P0002"  # Nora Lindqvist, assignee of ENG-3 in the sample


@pytest.fixture(scope="module")
def world(sample_db: Path) -> World:
    return World.open(sample_db)


@pytest.fixture(scope="module")
def scorer(world: World) -> Scorer:
    return Scorer(world)


def question(check: Check, instruction: str = "Who is it?") -> Task:
    return Task("lookup", instruction, None, None, (), (), (check, Check(kind="no_collateral")))


def answer(world: World, scorer: Scorer, task: Task, text: str) -> float:
    return run(world, task, [Call("submit_answer", {"text": text})], scorer).reward


@pytest.mark.parametrize(
    "text, passes",
    [
        ("Nora Lindqvist", True),  # the name
        ("It's nora lindqvist.", True),  # case and punctuation do not matter
        ("nora.lindqvist@acme-robotics.io", True),  # an alias: her address
        ("Nora Lindqvist's ticket", True),  # possessive
        ("Nora Lindqvist or Daniel Okafor", False),  # naming another person too does not pass
        ("Aisha Khan, Nora Lindqvist, Daniel Okafor, Hannah Schulz", False),  # listing everyone does not pass
        ("Daniel Okafor", False),  # somebody else
        ("Noralindqvist", False),  # not the name as words
        ("", False),  # no answer
    ],
)
def test_when_an_entity_is_answered_then_only_that_person_passes(
    world: World, scorer: Scorer, text: str, passes: bool
) -> None:
    info = world.facts.people[NORA]
    check = Check(
        kind="answer", match="entity", expected=NORA, aliases=(info.name, *info.emails, *info.handles)
    )
    reward = (
        answer(world, scorer, question(check), text)
        if text
        else run(world, question(check), [], scorer).reward
    )
    assert reward == (1.0 if passes else 0.0)


@pytest.mark.parametrize(
    "text, passes",
    [
        ("3", True),  # the number
        ("There were 3 in March 2024.", True),  # numbers of the question itself (2024) do not count
        ("3 or 4", False),  # hedging between numbers
        ("4", False),  # wrong
        ("three", False),  # digits only: a number is written as one
    ],
)
def test_when_a_number_is_answered_then_it_must_be_exact_and_alone(
    world: World, scorer: Scorer, text: str, passes: bool
) -> None:
    task = question(Check(kind="answer", match="number", expected=3), "How many bugs in March 2024?")
    assert answer(world, scorer, task, text) == (1.0 if passes else 0.0)


@pytest.mark.parametrize(
    "text, passes",
    [
        ("ENG-3, ENG-5", True),  # the set
        ("eng-5 and eng-3", True),  # any order, any case
        ("ENG-3", False),  # one missing
        ("ENG-3, ENG-5, ENG-4", False),  # one too many
    ],
)
def test_when_a_set_is_answered_then_it_must_be_exactly_the_set(
    world: World, scorer: Scorer, text: str, passes: bool
) -> None:
    task = question(Check(kind="answer", match="set", expected=["ENG-3", "ENG-5"]))
    assert answer(world, scorer, task, text) == (1.0 if passes else 0.0)


@pytest.mark.parametrize(
    "text, passes",
    [
        ("High", True),  # the value
        ("It is high priority.", True),  # in a sentence
        ("High or Medium", False),  # two of the choices
        ("Low", False),  # another
    ],
)
def test_when_a_value_is_answered_then_it_must_be_the_one_choice_named(
    world: World, scorer: Scorer, text: str, passes: bool
) -> None:
    task = question(Check(kind="answer", match="value", expected="High", choices=("High", "Low", "Medium")))
    assert answer(world, scorer, task, text) == (1.0 if passes else 0.0)


def reassign_task(world: World) -> Task:
    """Reassign ENG-4 to Nora: the checks derived as validation derives them."""
    gold = (Call("update_ticket", {"key": "ENG-4", "assignee": NORA}),)
    with world.episode(persona="P0001") as ep:
        ep.step(gold[0].to_dict())
        diff = ep.state_diff()
    change = Check(kind="changes", table="ticket", op="updated", key="ENG-4", fields={"assignee": NORA})
    return Task("workflow", "Give ENG-4 to Nora.", None, "P0001", (), gold, (change, footprint(diff)))


def test_when_the_work_is_done_then_1_and_when_it_damages_more_then_0(world: World, scorer: Scorer) -> None:
    task = reassign_task(world)
    assert run(world, task, task.gold, scorer).reward == 1.0
    assert run(world, task, [], scorer).reward == 0.0  # nothing done
    wrong_person = [Call("update_ticket", {"key": "ENG-4", "assignee": "P0003"})]
    assert run(world, task, wrong_person, scorer).reward == 0.0
    also_priority = [Call("update_ticket", {"key": "ENG-4", "assignee": NORA, "priority": "Low"})]
    score = run(world, task, also_priority, scorer)
    assert score.reward == 0.0 and score.partial == 0.5  # the change is there, but so is damage
    another_ticket = [*task.gold, Call("update_ticket", {"key": "ENG-5", "assignee": NORA})]
    assert run(world, task, another_ticket, scorer).reward == 0.0
    a_comment = [*task.gold, Call("comment_ticket", {"key": "ENG-9", "body": "by the way"})]
    assert run(world, task, a_comment, scorer).reward == 0.0


def test_when_a_field_accepts_any_of_several_values_then_each_passes(world: World, scorer: Scorer) -> None:
    any_status = {"status": {"any": ["Closed", "Done"]}}
    check = Check(kind="changes", table="ticket", op="updated", key="ENG-4", fields=any_status)
    task = Task("replay", "Close ENG-4.", None, "P0006", (), (), (check,))
    with world.episode(persona="P0006") as ep:
        allowed = ep.step({"name": "update_ticket", "arguments": {"key": "ENG-4", "status": "Closed"}})
    assert allowed.info["error"] is None, allowed.text
    assert (
        run(world, task, [Call("update_ticket", {"key": "ENG-4", "status": "Closed"})], scorer).reward == 1.0
    )


def test_when_a_comment_must_cite_a_ticket_then_only_a_text_that_references_it_passes(
    world: World, scorer: Scorer
) -> None:
    cite = Check(
        kind="references",
        table="ticket_comment",
        text_field="body",
        where={"ticket_id": "ENG-4", "author": "P0001"},
        required=(("ticket", "ENG-3"),),
    )
    task = Task("replay", "Point ENG-4 to the billing ticket.", None, "P0001", (), (), (cite,))

    def comment(body: str, key: str = "ENG-4") -> float:
        return run(world, task, [Call("comment_ticket", {"key": key, "body": body})], scorer).reward

    assert comment("Same root cause as ENG-3, see there.") == 1.0
    assert (
        comment("Same root cause as eng-3.") == 0.0
    )  # a key is written in capitals, as the tracker links it
    assert comment("Same root cause as ENG-5.") == 0.0  # another ticket
    assert comment("Same root cause as the billing one.") == 0.0  # no reference
    assert comment("See ENG-3.", key="ENG-5") == 0.0  # on the wrong ticket
