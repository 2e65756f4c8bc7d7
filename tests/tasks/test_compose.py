"""Composed tasks on the anonymized sample: long, across apps, policy-bound, and not passed by half the work."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from tests.tasks.helpers import run
from workgym.tasks import Call, Scorer, Task, generate_tasks
from workgym.tasks.generate import Report, write_tasks
from workgym.world import World


@pytest.fixture(scope="module")
def composed(anon_world: World) -> tuple[list[Task], Report]:
    return generate_tasks(anon_world, n=40, seed=0, families=["compose"])


def _kind(task: Task) -> str:
    if any(c.kind == "forbids" for c in task.checks):
        return "priority"
    if task.instruction.count("handover") or "leav" in task.instruction:
        return "handover"
    if any(c.kind == "answer" for c in task.checks):
        return "chain"
    return "cite"


def test_when_the_sample_is_composed_then_tasks_are_long_cross_app_and_policy_bound(
    composed: tuple[list[Task], Report],
) -> None:
    tasks, _ = composed
    assert len(tasks) >= 35
    actions = [t.features["actions"] for t in tasks]
    assert statistics.median(actions) >= 10
    assert max(actions) <= 25
    assert sum(t.features["sources"] >= 3 for t in tasks) / len(tasks) >= 0.5
    assert sum(bool(t.policy) for t in tasks) / len(tasks) >= 0.2
    assert {_kind(t) for t in tasks} == {"priority", "handover", "chain", "cite"}
    for task in tasks:
        if task.writes:  # a workflow's gold is 8 to 25 calls; a deep chain's question is 4 hops
            assert 8 <= task.features["actions"] <= 25, task.id
        else:
            assert task.features["hops"] >= 4, task.id
        if task.policy:
            assert (
                task.policy.startswith("Workplace policy:")
                and task.policy in Task.from_dict(task.to_dict()).policy
            )


def test_when_composed_tasks_run_from_scratch_then_oracle_1_and_noop_wrong_half_work_0(
    anon_world: World, composed: tuple[list[Task], Report]
) -> None:
    tasks, _ = composed
    scorer = Scorer(anon_world)
    for task in tasks:
        assert run(anon_world, task, task.gold, scorer).reward == 1.0, task.id
        assert run(anon_world, task, [], scorer).reward == 0.0, task.id
        assert run(anon_world, task, task.wrong, scorer).reward == 0.0, task.id
        half = task.gold[: len(task.gold) // 2]
        assert run(anon_world, task, half, scorer).reward == 0.0, task.id


def test_when_a_forbidden_priority_is_changed_and_changed_back_then_the_policy_check_fails(
    anon_world: World, composed: tuple[list[Task], Report]
) -> None:
    tasks, _ = composed
    task = next(t for t in tasks if _kind(t) == "priority")
    forbids = next(c for c in task.checks if c.kind == "forbids")
    key = forbids.where["ticket_id"]["any"][0]
    with anon_world.episode() as ep:
        before = ep.state.query("SELECT priority FROM ticket WHERE id = ?", (key,))[0][0]
    target = next(c for c in task.gold if c.name == "send_email").arguments["subject"].split()[1]
    sneaky = [
        *task.gold,
        Call("update_ticket", {"key": key, "priority": target}),
        Call("update_ticket", {"key": key, "priority": before}),
    ]
    score = run(anon_world, task, sneaky, Scorer(anon_world))
    assert score.reward == 0.0  # the end state is right: only the ticket's history shows the change
    failed = {r.kind: r.detail for r in score.results if not r.passed}
    assert "policy forbids" in failed["forbids"] and set(failed) <= {"forbids", "no_collateral"}


def test_when_distractors_are_asked_for_then_every_ticket_is_named_among_that_many_look_alikes(
    anon_world: World, composed: tuple[list[Task], Report]
) -> None:
    tasks, _ = composed
    assert len({t.features["distractors"] for t in tasks}) >= 2  # the default draw varies
    harder, report = generate_tasks(
        anon_world, n=12, seed=0, families=["compose"], level={"distractors": 3, "min_actions": 12}
    )
    assert harder and report.total == len(harder)
    assert all(t.features["distractors"] >= 3 and t.features["actions"] >= 12 for t in harder)
    ambiguous = next(t for t in harder if "mentions “" in t.instruction)
    word = ambiguous.instruction.split("mentions “", 1)[1].split("”", 1)[0]
    with anon_world.episode() as ep:
        found = ep.step({"name": "search_tickets", "arguments": {"jql": f'summary ~ "{word}"'}})
    assert found.text.count("\n") >= 3  # several tickets match the words; the constraint picks one


def test_when_a_knob_is_unknown_then_generation_says_which(anon_world: World) -> None:
    with pytest.raises(ValueError, match="unknown difficulty knobs"):
        generate_tasks(anon_world, n=5, families=["compose"], level={"depth": 2})


def test_when_composed_twice_with_one_seed_then_byte_identical(
    anon_world: World, composed: tuple[list[Task], Report], tmp_path: Path
) -> None:
    first, again = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_tasks(composed[0], first)
    write_tasks(generate_tasks(anon_world, n=40, seed=0, families=["compose"])[0], again)
    assert first.read_bytes() == again.read_bytes()


def test_when_the_cli_is_given_difficulty_knobs_then_every_task_meets_them(
    anon_db: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from workgym.cli import app
    from workgym.tasks import load_tasks

    out = tmp_path / "hard.jsonl"
    args = ["tasks", str(anon_db), "-o", str(out), "--families", "compose", "--n", "8"]
    result = CliRunner().invoke(app, [*args, "--min-actions", "12", "--apps", "3", "--hops", "2"])
    assert result.exit_code == 0, result.output
    tasks = load_tasks(out)
    assert tasks
    assert all(t.features["actions"] >= 12 and t.features["sources"] >= 3 for t in tasks)
    assert all(t.features["hops"] >= 2 for t in tasks)
