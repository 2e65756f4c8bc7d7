"""Tasks from GitHub-only workspaces: the workflow family's duplicate closes and fixer assignments.

A small workspace written with the REST helpers of the ingest tests shows each generator's task
solved by the oracle and failed by the noop and plausible-wrong agents; the real rust-issues set
shows the counts of issue 16 (at least 300 validated tasks over at least four families).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ingest.test_github import comment, issue, pull, user
from tests.tasks.helpers import run
from workgym.link.build import build_workspace
from workgym.tasks import Scorer, Task, generate_tasks
from workgym.world import World

DUPLICATE = "reports the same problem as"
TRIAGE = "is a duplicate of"
FIXER = ("Assign the issue to whoever opened", "Credit the fix")


def kind(task: Task) -> str:
    if DUPLICATE in task.instruction or TRIAGE in task.instruction:
        return "close as duplicate"
    if any(words in task.instruction for words in FIXER):
        return "assign to fixer"
    return "other"


@pytest.fixture
def small(tmp_path: Path) -> Iterator[World]:
    """#7 is called a duplicate of #9 and then closed; pull requests #8 and #11 fix #7 and #9."""
    items = tmp_path / "items"
    items.mkdir()
    # people with names of four letters or more: the generators name no one by a shorter handle
    people = {"user": user("adalove"), "assignee": user("benjamin"), "assignees": [user("benjamin")]}
    files = {
        "000007-main.json": issue(7, title="Parser panics on where clauses in impls", **people),
        "000007-comments.json": [comment(7, 1, "cyrus", "Duplicate of #9")],
        "000008-main.json": pull(8, **{**people, "user": user("cyrus")}),
        "000009-main.json": issue(
            9,
            title="Parser panics on where clauses",
            closed_at="2014-12-22T10:00:00Z",
            **{**people, "assignee": None, "assignees": []},
        ),
        "000010-main.json": issue(
            10,
            title="Parser panics on where clauses in traits",
            state="open",
            closed_at=None,
            closed_by=None,
            **people,
        ),
        "000011-main.json": {
            **pull(11, **{**people, "user": user("deirdre")}, merged="2014-12-22T09:59:00Z"),
            "body": "Fixes #9.",
            "title": "Fix the parser",
        },
    }
    for name, value in files.items():
        (items / name).write_text(json.dumps(value))
    db = tmp_path / "gh.db"
    build_workspace([items], db)
    yield World.open(db)


def test_when_a_github_workspace_is_mined_then_workflow_closes_duplicates_and_assigns_fixers(
    small: World,
) -> None:
    tasks, _ = generate_tasks(small, n=40, seed=0, families=["workflow"])
    kinds = Counter(kind(t) for t in tasks)
    assert kinds["close as duplicate"] >= 1
    assert kinds["assign to fixer"] >= 1
    scorer = Scorer(small)
    for task in tasks:
        assert run(small, task, task.gold, scorer).reward == 1.0, task.id
        assert run(small, task, [], scorer).reward == 0.0, task.id
        assert run(small, task, task.wrong, scorer).reward == 0.0, task.id
    dup = next(t for t in tasks if kind(t) == "close as duplicate")
    # the world as it stood before the real comment: #7 still open, and the close is the real one
    assert dup.cutoff is not None and dup.cutoff < "2014-12-19T10:17:48"
    assert [c.name for c in dup.gold][-2:] == ["comment_ticket", "update_ticket"]
    assert dict(dup.gold[-1].arguments) == {"key": "widget#7", "status": "closed"}
    fixer = next(t for t in tasks if kind(t) == "assign to fixer")
    assert fixer.gold[-1].name == "update_ticket" and set(fixer.gold[-1].arguments) == {"key", "assignee"}


# -- the real rust-issues set ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rust(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = shared_data / "rust-issues"
    if not root.exists():
        pytest.skip(f"the rust-issues corpus is not under {shared_data}")
    db = tmp_path_factory.mktemp("rust") / "w.db"
    build_workspace([root], db)
    yield World.open(db)


def test_when_rust_issues_is_mined_then_300_plus_tasks_over_4_families_and_workflow_is_there(
    rust: World,
) -> None:
    tasks, _ = generate_tasks(rust, n=1000, seed=0)
    families = Counter(t.family for t in tasks)
    assert len(tasks) >= 300
    assert len(families) >= 4
    workflow = [t for t in tasks if t.family == "workflow"]
    kinds = Counter(kind(t) for t in workflow)
    assert kinds["close as duplicate"] >= 20 and kinds["assign to fixer"] >= 20, kinds
    scorer = Scorer(rust)
    for task in workflow:
        assert run(rust, task, task.gold, scorer).reward == 1.0, task.id
        assert run(rust, task, [], scorer).reward == 0.0, task.id
        assert run(rust, task, task.wrong, scorer).reward == 0.0, task.id
