"""Task generation on the anonymized sample: counts, families, validity re-checked from scratch, determinism, splits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.tasks.helpers import run
from workgym.tasks import Scorer, Task, generate_tasks, read_tasks
from workgym.tasks.families import FAMILIES
from workgym.tasks.generate import Report, write_tasks
from workgym.world import World


def test_when_the_sample_is_mined_then_100_plus_tasks_of_every_family_come_out(
    sample_tasks: tuple[list[Task], Report],
) -> None:
    tasks, report = sample_tasks
    assert len(tasks) >= 100
    assert set(Counter(t.family for t in tasks)) == set(FAMILIES)
    assert sum(t.features["sources"] >= 2 for t in tasks) / len(tasks) >= 0.3
    for task in tasks:
        assert set(task.features) == {
            "hops",
            "sources",
            "tools",
            "actions",
            "distractors",
            "instruction_chars",
        }
        assert task.id.startswith(task.family + "-") and task.split in ("train", "test")
        assert task.evidence and task.gold and task.wrong
        assert any(c.kind == "no_collateral" for c in task.checks)
    assert report.total == len(tasks)


def test_when_every_task_is_run_from_scratch_then_oracle_1_noop_0_wrong_0(
    anon_world: World, sample_tasks: tuple[list[Task], Report]
) -> None:
    tasks, _ = sample_tasks
    scorer = Scorer(anon_world)
    for task in tasks:
        assert run(anon_world, task, task.gold, scorer).reward == 1.0, task.id
        assert run(anon_world, task, [], scorer).reward == 0.0, task.id
        assert run(anon_world, task, task.wrong, scorer).reward == 0.0, task.id


def test_when_generated_twice_with_one_seed_then_the_files_are_byte_identical(
    anon_world: World, sample_tasks: tuple[list[Task], Report], tmp_path: Path
) -> None:
    first, again, other = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_tasks(sample_tasks[0], first)
    write_tasks(generate_tasks(anon_world, n=150, seed=0)[0], again)
    write_tasks(generate_tasks(anon_world, n=150, seed=1)[0], other)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert read_tasks(first.read_text(encoding="utf-8")) == sample_tasks[0]  # the JSON round-trips


def test_when_split_then_no_test_answer_or_subject_appears_in_train(
    sample_tasks: tuple[list[Task], Report],
) -> None:
    tasks, report = sample_tasks

    def entities(task: Task) -> set[str]:
        answers = {str(c.expected) for c in task.checks if c.kind == "answer" and c.match == "entity"}
        return answers | {task.entity}

    train = set().union(*(entities(t) for t in tasks if t.split == "train"))
    test = set().union(*(entities(t) for t in tasks if t.split == "test"))
    assert train and test and not train & test
    assert report.splits["test"] >= 10


def test_when_tasks_are_generated_then_none_repeats_an_instruction_or_its_gold(
    sample_tasks: tuple[list[Task], Report],
) -> None:
    tasks, _ = sample_tasks
    assert len({t.instruction for t in tasks}) == len(tasks)
    assert len({t.id for t in tasks}) == len(tasks)


def test_when_a_family_is_unknown_then_the_error_names_the_families(anon_world: World) -> None:
    with pytest.raises(ValueError, match=r"unknown families.*lookup"):
        generate_tasks(anon_world, families=["lookups"])


def test_when_one_family_is_asked_for_then_only_it_comes_out(anon_world: World) -> None:
    tasks, _ = generate_tasks(anon_world, n=20, families=["replay"])
    assert tasks and {t.family for t in tasks} == {"replay"}
    assert all(t.cutoff and t.persona for t in tasks)  # the world cut just before the real event
