"""A filtered, ordered ticket page walked down the cached base order is the page SQLite's ORDER BY gives.

``search_tickets`` with field filters and no text clause used to sort every visible ticket (its
as-of columns computed for each: ~13 ms on titanium); it now walks each cutoff's base order,
sorted once per world, testing a chunk of tickets at a time (``tracker._ordered_page``), and
falls back to the sort when the page is not filled within its budget. The reference is the
sort itself, run by the same tool with the walk turned off. A generated workspace holds ties
of every ordering, empty values, tickets on both sides of the cutoff; the episodes write
(new tickets, changed ones) so the overlay's rows are merged in.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.world.helpers import ME
from workgym.world import Episode, World
from workgym.world.tools import tracker

PROJECTS = ("ENG", "OPS", "WEB")
STATUSES = ("Open", "In Progress", "Reopened", "Resolved", "Closed")
PRIORITIES = ("", "Low", "Medium", "High")
TIMES = (*(f"2024-0{m}-{d:02d}T10:00:00+00:00" for m in (3, 4, 5) for d in (1, 9, 17)), "")
"""Few distinct times, so orderings have many ties (broken by key)."""

WORDS = ("crash", "login", "timeout", "android", "build", "docs", "slow", "flaky", "cache", "sync")
"""The generated tickets' and comments' words: each in many of them, so text clauses fill pages."""
TEXT_CLAUSES = (
    'text ~ "crash"',
    'text ~ "login timeout"',
    'comment ~ "cache"',
    'text ~ "sync" OR text ~ "docs"',
)

CLAUSES = (
    'status = "Open"',
    'status != "Closed"',
    "status IN (Open, Reopened)",
    "priority = High",
    "priority IS EMPTY",
    "project = ENG",
    "project IN (OPS, WEB)",
    "resolution = Fixed",
    "resolution IS NOT EMPTY",
    "labels = flaky",
    "created >= 2024-04-01",
    "updated >= -30d",
    "updated < 2024-04-10",
    "resolved IS NOT EMPTY",
    "assignee = currentUser()",
    'summary ~ "walk 1"',  # a long column: probed through the view
    "key = ENG-1",
)
ORDERS = (
    "",
    "updated DESC",
    "updated",
    "created",
    "priority DESC, updated",
    "status, key DESC",
    "resolved DESC",
    "summary",
)


@pytest.fixture(scope="module")
def walk_world(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    db = tmp_path_factory.mktemp("walk") / "workspace.db"
    shutil.copy(sample_db, db)
    rnd = random.Random(5)
    conn = sqlite3.connect(db)
    people = [r[0] for r in conn.execute("SELECT id FROM person ORDER BY id")]
    with conn:
        for n in range(1, 161):
            project = rnd.choice(PROJECTS)
            created, updated = sorted([rnd.choice(TIMES), rnd.choice(TIMES)])
            resolution = rnd.choice(["", "", "Fixed", "Won't Fix"])
            conn.execute(
                "INSERT INTO ticket (id, project, summary, locator, description, status, priority, resolution, "
                "assignee, created, updated, resolved, labels, source_id) "
                "VALUES (?, ?, ?, 'test', ?, ?, ?, ?, ?, ?, ?, ?, ?, 6)",
                (
                    f"{project}-{1000 + n}",
                    project,
                    f"walk {n % 7} ticket",
                    " ".join(rnd.choices(WORDS, k=rnd.randrange(1, 8))),
                    rnd.choice(STATUSES),
                    rnd.choice(PRIORITIES),
                    resolution,
                    rnd.choice([*people[:4], ""]),
                    created,
                    updated,
                    rnd.choice(TIMES) if resolution else "",
                    rnd.choice(['["flaky"]', "[]", '["ui", "flaky"]', "[]"]),
                ),
            )
            for m in range(rnd.randrange(3)):
                conn.execute(
                    "INSERT INTO ticket_comment (id, ticket_id, body, locator, author, created, source_id) "
                    "VALUES (?, ?, ?, 'test', ?, ?, 6)",
                    (
                        f"wc{n}-{m}",
                        f"{project}-{1000 + n}",
                        " ".join(rnd.choices(WORDS, k=rnd.randrange(1, 6))),
                        rnd.choice(people[:4]),
                        rnd.choice(TIMES),
                    ),
                )
    conn.close()
    return World.open(db)


@contextmanager
def walking(enabled: bool, depth: int = 1) -> Iterator[list[bool]]:
    """Search with the walk on (a small budget, so the workspace's tickets take it) or off.

    ``depth`` is the budget in pages' depths; 0 for no limit (the walk may read the whole order).
    Yields a list that gets True for each page the walk answered, False for each it handed back.
    """
    answered: list[bool] = []
    real = tracker._ordered_page

    def counted(*args: Any) -> Any:
        rows = real(*args) if enabled else None
        answered.append(rows is not None)
        return rows

    with (
        mock.patch.object(tracker, "WALK_MIN", 1 if depth else 10**6),
        mock.patch.object(tracker, "WALK_DEPTH", depth),
        mock.patch.object(tracker, "WALK_SHARE", 0.5 if depth else 10**7),
        mock.patch.object(tracker, "_ordered_page", counted),
    ):
        yield answered


def _search(ep: Episode, jql: str, page: int) -> str:
    obs = ep.step({"name": "search_tickets", "arguments": {"jql": jql, "page": page}})
    ep.steps = 0
    return obs.text


def _write(ep: Episode, rnd: random.Random, writes: int) -> None:
    # Few keys, so changed tickets often land on the page beside base tickets they tie with.
    keys = [r[0] for r in ep.state.query("SELECT id FROM ticket WHERE id LIKE '%-10%' ORDER BY id")]
    for _ in range(writes):
        key = rnd.choice(keys)
        calls = (
            {"name": "comment_ticket", "arguments": {"key": key, "body": "seen"}},
            {"name": "update_ticket", "arguments": {"key": key, "priority": rnd.choice(PRIORITIES[1:])}},
            {
                "name": "create_ticket",
                "arguments": {"project": "ENG", "summary": "walk new", "priority": "High"},
            },
        )
        ep.step(rnd.choice(calls))  # a refused write (a priority no project uses) changes nothing
    ep.steps = 0


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    clauses=st.lists(st.sampled_from(CLAUSES), min_size=0, max_size=3),
    joiner=st.sampled_from([" AND ", " OR "]),
    negate=st.booleans(),
    order=st.sampled_from(ORDERS),
    page=st.integers(1, 3),
    cutoff=st.sampled_from([None, "2024-04-05T00:00:00+00:00", "2024-05-10T00:00:00+00:00"]),
    writes=st.integers(0, 8),
    depth=st.sampled_from([0, 1, 2]),
)
def test_when_a_filtered_page_is_walked_then_it_is_the_sorted_page(
    walk_world: World,
    clauses: list[str],
    joiner: str,
    negate: bool,
    order: str,
    page: int,
    cutoff: str | None,
    writes: int,
    depth: int,
) -> None:
    jql = joiner.join(clauses)
    if negate and jql:
        jql = f"NOT ({jql})"
    if order:
        jql = f"{jql} ORDER BY {order}".strip()
    with walk_world.episode(cutoff=cutoff, persona=ME, seed=writes) as ep:
        _write(ep, random.Random(writes), writes)
        with walking(True, depth):
            walked = _search(ep, jql, page)
        with walking(False):
            sorted_page = _search(ep, jql, page)
    assert walked == sorted_page, jql


def test_when_a_page_is_walked_then_the_walk_answers_it_and_a_sparse_filter_falls_back(
    walk_world: World,
) -> None:
    with walk_world.episode(cutoff="2024-05-10T00:00:00+00:00", persona=ME, seed=1) as ep:
        _write(ep, random.Random(1), 4)
        with walking(True) as answered:
            dense = _search(ep, "ORDER BY updated DESC", 1)
            sparse = _search(ep, "key = ENG-1", 1)
        assert answered == [True, False]  # the sparse filter's page is not filled within 21 tickets
        with walking(False):
            assert dense == _search(ep, "ORDER BY updated DESC", 1)
            assert sparse == _search(ep, "key = ENG-1", 1)
    assert dense.endswith("page 1: 20 tickets; more: page=2")


def test_when_titanium_pages_are_walked_then_they_are_the_sorted_pages(titanium_db: Path) -> None:
    world = World.open(titanium_db)
    queries = [
        'status = "Open" ORDER BY updated DESC',
        "updated >= -30d",
        'status = "Closed" AND resolution = Fixed',
        "ORDER BY updated DESC",
        "project = MOD ORDER BY created",
        "priority IS NOT EMPTY ORDER BY priority DESC, updated",
        "NOT status = Closed ORDER BY resolved DESC",
    ]
    for cutoff in (None, "2013-01-01T00:00:00+00:00", "2017-03-01T00:00:00+00:00"):
        with world.episode(cutoff=cutoff, persona=sorted(world.facts.people)[0], seed=2) as ep:
            for jql in queries:
                for page in (1, 3):
                    with mock.patch.object(tracker, "_ordered_page", lambda *a: None):
                        expected = _search(ep, jql, page)
                    assert _search(ep, jql, page) == expected, (cutoff, jql, page)


def test_when_changed_tickets_sort_after_every_base_ticket_then_the_walk_ends_with_them(
    walk_world: World,
) -> None:
    with walk_world.episode(cutoff="2024-05-10T00:00:00+00:00", persona=ME, seed=4) as ep:
        for _ in range(2):
            obs = ep.step(
                {
                    "name": "create_ticket",
                    "arguments": {"project": "WEB", "summary": "late", "priority": "High"},
                }
            )
            assert obs.info["error"] is None, obs.text
        jql = "priority = High AND project = WEB ORDER BY updated"
        with walking(True, 0) as answered:
            walked = [_search(ep, jql, page) for page in (1, 2)]
        with walking(False):
            assert walked == [_search(ep, jql, page) for page in (1, 2)]
        assert all(answered)
        tickets = walked[0].splitlines()[:-1]  # the footer left out
        assert [line for line in tickets if " · late · " in line] == tickets[-2:]  # the newest last


@contextmanager
def through_the_view() -> Iterator[None]:
    """Filters tested on the ticket view only, pages sorted by SQL: how search_tickets read tickets before."""

    def passing(self: Any, keys: list[str]) -> set[str]:
        listed = ", ".join("'" + k.replace("'", "''") + "'" for k in keys)
        sql = f"SELECT t.id FROM ticket AS t WHERE t.id IN ({listed}) AND {self.compiled.where}"
        return {r[0] for r in self.ctx.state.query(sql, self.compiled.params)}

    with (
        mock.patch.object(tracker._Filter, "passing", passing),
        mock.patch.object(tracker, "_ordered_page", lambda *a: None),
    ):
        yield


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.sampled_from(TEXT_CLAUSES),
    clauses=st.lists(st.sampled_from(CLAUSES), min_size=0, max_size=2),
    joiner=st.sampled_from([" AND ", " OR "]),
    order=st.sampled_from(("", "", "updated DESC", "priority DESC, updated", "created")),
    page=st.integers(1, 3),
    cutoff=st.sampled_from([None, "2024-04-05T00:00:00+00:00", "2024-05-10T00:00:00+00:00"]),
    writes=st.integers(0, 6),
)
def test_when_text_clauses_are_filtered_on_short_columns_then_the_page_is_the_views(
    walk_world: World,
    text: str,
    clauses: list[str],
    joiner: str,
    order: str,
    page: int,
    cutoff: str | None,
    writes: int,
) -> None:
    jql = joiner.join([f"({text})", *clauses])
    if order:
        jql = f"{jql} ORDER BY {order}"
    with walk_world.episode(cutoff=cutoff, persona=ME, seed=writes) as ep:
        _write(ep, random.Random(writes), writes)
        fast = _search(ep, jql, page)
        with through_the_view():
            reference = _search(ep, jql, page)
    assert fast == reference, jql
