"""The frontier loop: Rasch fit from run outcomes, a difficulty model on task features, and
``workgym tasks --harder-than``, shown with scripted agents of graded skill through the real CLI."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from workgym.agents import AgentSpec, GradedAgent, graded_skill, make_agent
from workgym.cli import app
from workgym.tasks import Call, Task, load_tasks, write_tasks
from workgym.tasks.frontier import DifficultyModel, fit_frontier, harder_than
from workgym.tasks.review import review
from workgym.world import World

runner = CliRunner()


def _task(i: int, calls: int, family: str = "lookup", hops: int = 1) -> Task:
    gold = tuple(Call("get_ticket", {"key": f"ENG-{i}-{j}"}) for j in range(calls))
    return Task(
        family=family,
        instruction=f"Question number {i}?",
        cutoff=None,
        persona=None,
        tools=("get_ticket", "submit_answer"),
        gold=gold,
        checks=(),
        features={"actions": calls, "hops": hops, "sources": 1, "distractors": 1, "tools": 2},
        id=f"{family}-{i:04d}",
    )


def _trajectories(tasks: list[Task], skills: dict[str, int], tries: int = 2) -> list[dict[str, object]]:
    """What agents of graded skill would score: 1.0 on a task whose gold is within their skill."""
    return [
        {"task_id": t.id, "agent": agent, "reward": float(len(t.gold) <= n)}
        for t in tasks
        for agent, n in skills.items()
        for _ in range(tries)
    ]


@pytest.mark.parametrize(
    ("kind", "skill"),
    [
        ("upto-3", 3),  # the usual form
        ("upto-12", 12),  # two digits
        ("upto-0", None),  # no skill at all is the noop agent, not this one
        ("upto-3x", None),  # trailing junk
        ("oracle", None),  # another kind
    ],
)
def test_when_a_kind_is_read_then_only_upto_n_has_a_skill(kind: str, skill: int | None) -> None:
    assert graded_skill(kind) == skill


def test_when_a_graded_agent_is_built_then_it_plays_the_gold_only_within_its_skill() -> None:
    short, long = _task(1, 2), _task(2, 5)
    agent = make_agent(AgentSpec("upto-3"), short)
    assert isinstance(agent, GradedAgent) and agent.label == "upto-3"
    assert agent.calls == short.gold
    beyond, within = make_agent(AgentSpec("upto-3"), long), make_agent(AgentSpec("upto-5"), long)
    assert isinstance(beyond, GradedAgent) and beyond.calls == ()
    assert isinstance(within, GradedAgent) and within.calls == long.gold


def test_when_difficulty_follows_the_features_then_the_model_recovers_it() -> None:
    rng = random.Random(0)
    tasks = [
        _task(i, rng.randint(1, 20), rng.choice(["lookup", "chain"]), rng.randint(1, 4)) for i in range(80)
    ]
    truth = [
        1.5 * math.log1p(len(t.gold)) + 0.5 * t.features["hops"] + (0.8 if t.family == "chain" else 0.0)
        for t in tasks
    ]
    noisy = [y + rng.gauss(0, 0.2) for y in truth]
    model = DifficultyModel.fit(tasks, noisy)
    fresh = [
        _task(1000 + i, rng.randint(1, 20), rng.choice(["lookup", "chain"]), rng.randint(1, 4))
        for i in range(40)
    ]
    predicted = [model.predict(t) for t in fresh]
    expected = [
        1.5 * math.log1p(len(t.gold)) + 0.5 * t.features["hops"] + (0.8 if t.family == "chain" else 0.0)
        for t in fresh
    ]
    from statistics import correlation

    assert correlation(predicted, expected) > 0.95
    weights = model.to_dict()["weights"]
    assert (
        weights["log_actions"] > 0
        and weights["hops"] > 0
        and weights["family=chain"] > weights["family=lookup"]
    )


def test_when_graded_outcomes_are_fitted_then_the_candidates_kept_are_beyond_the_agent_s_skill() -> None:
    ran = [_task(i, 1 + i % 8) for i in range(64)]
    fitted = fit_frontier(_trajectories(ran, {"upto-2": 2, "upto-4": 4, "upto-6": 6}), {t.id: t for t in ran})
    abilities = fitted.calibration.abilities
    assert abilities["upto-2"] < abilities["upto-4"] < abilities["upto-6"]
    assert fitted.correlation is not None and fitted.correlation > 0.9
    assert fitted.cv_correlation is not None and fitted.cv_correlation > 0.9
    assert fitted.levels("upto-4") == {"lookup": {"tried": 64, "solved_every_try": 32, "longest": 4}}
    candidates = [_task(500 + i, 1 + i % 10) for i in range(40)] + ran[:5]  # five already run
    who, kept = harder_than(fitted, candidates, "upto-4")
    assert who == "upto-4" and kept
    assert all(len(p.task.gold) > 4 for p in kept)  # nothing it already solves
    assert not {p.task.id for p in kept} & {t.id for t in ran}  # only new tasks
    assert all(p.success < 0.5 for p in kept)
    assert {len(p.task.gold) for p in kept} >= {7, 8, 9, 10}
    with pytest.raises(ValueError, match="no agent 'upto-9'"):
        harder_than(fitted, candidates, "upto-9")


def _invoke(args: list[str]) -> str:
    result = runner.invoke(app, args, terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


def _success(run: Path, agent: str) -> float:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return float(summary["by_agent"][agent]["success_rate"])


def test_when_tasks_are_harder_than_a_run_then_the_same_agent_scores_lower_on_them(
    anon_db: Path, sample_tasks: tuple[list[Task], object], tmp_path: Path
) -> None:
    tasks, _ = sample_tasks
    base = tmp_path / "base.jsonl"
    write_tasks(tasks, base)
    graded = tmp_path / "runs" / "graded"
    agents = ["--agent", "upto-2", "--agent", "upto-3", "--agent", "upto-5"]
    _invoke(["run", str(anon_db), str(base), *agents, "--concurrency", "2", "-o", str(graded)])
    before = _success(graded, "upto-3")
    assert 0.3 < before < 1.0  # the sample's tasks are of several lengths: it solves some, not all

    harder = tmp_path / "harder.jsonl"
    args = [
        "tasks",
        str(anon_db),
        "--harder-than",
        str(graded),
        "--agent",
        "upto-3",
        "--seed",
        "1",
        "--n",
        "80",
    ]
    shown = _invoke([*args, "-o", str(harder)])
    assert "harder than upto-3" in shown
    new = load_tasks(harder)
    assert len(new) >= 5
    assert not {t.id for t in new} & {t.id for t in tasks}  # new tasks only
    assert all(t.difficulty is not None for t in new)
    fit_file = json.loads(harder.with_suffix(".difficulty.json").read_text(encoding="utf-8"))
    assert fit_file["model"] == "rasch" and fit_file["harder_than"]["agent"] == "upto-3"
    assert fit_file["difficulty_model"]["correlation"] > 0.5

    again = tmp_path / "again.jsonl"
    _invoke([*args, "-o", str(again)])
    assert again.read_bytes() == harder.read_bytes()  # deterministic: same inputs and seed, same bytes

    after_run = tmp_path / "runs" / "harder"
    _invoke(["run", str(anon_db), str(harder), "--agent", "upto-3", "-o", str(after_run)])
    after = _success(after_run, "upto-3")
    assert after < before
    assert after <= 0.2  # the new set is beyond it, not just a little harder on average


def test_when_harder_than_is_given_with_frontier_or_agent_alone_then_it_is_refused(
    anon_db: Path, tmp_path: Path
) -> None:
    both = runner.invoke(
        app, ["tasks", str(anon_db), "--harder-than", str(tmp_path), "--frontier", str(tmp_path / "d.json")]
    )
    assert both.exit_code == 2 and "give one" in both.output
    alone = runner.invoke(app, ["tasks", str(anon_db), "--agent", "upto-3"])
    assert alone.exit_code == 2 and "--harder-than" in alone.output
    not_a_run = runner.invoke(
        app,
        ["tasks", str(anon_db), "--harder-than", str(tmp_path), "-o", str(tmp_path / "t.jsonl")],
        terminal_width=200,
    )
    assert not_a_run.exit_code == 1 and "not a run folder" in " ".join(not_a_run.output.split())
    assert "validating" not in not_a_run.output  # refused before any task is drafted


def test_when_tasks_md_is_written_then_each_family_and_level_shows_three_instructions_with_their_gold(
    anon_world: World, sample_tasks: tuple[list[Task], object]
) -> None:
    tasks, _ = sample_tasks
    text = review(anon_world, tasks)
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        n = len(task.gold)
        level = "1–3 calls" if n <= 3 else "4–9 calls" if n <= 9 else "10+ calls"
        groups.setdefault(f"### {task.family}, {level} ({{}} tasks)", []).append(task)
    assert len(groups) >= 9  # the sample has several levels, the composed tasks the longest
    sections = text.split("\n### ")
    for heading, members in groups.items():
        title = heading.format(len(members))
        section = next((s for s in sections if s.startswith(title[4:])), None)
        assert section is not None, f"tasks.md has no section {title}"
        shown = [t for t in members if f"> {t.instruction}" in section]
        assert len(shown) == min(3, len(members)), title
        for task in shown:
            gold = section.split(f"> {task.instruction}", 1)[1].split("\n1. >", 1)[0]
            assert f"gold ({len(task.gold)}):" in gold
            assert all(f"`{c.name}`" in gold for c in task.gold)
