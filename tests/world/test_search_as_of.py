"""The ticket view's as-of-cutoff columns, read from the sidecar's spans, are what the expressions give.

An episode's ticket view used to compute each ticket's status, resolution, resolved and updated at
the cutoff with correlated subqueries, row by row (about 25 µs a ticket on titanium, the cost of
JQL text clauses with filters and ORDER BY); it now reads them from the sidecar's
``ticket_asof`` spans. The reference is those expressions, still run by the episode's start rows
(``State._start_sql``). A generated workspace holds every case the expressions tell apart:
tickets resolved before, after and without a resolution date, status histories, comments and
events on both sides of the cutoff, times on the same day in other forms, empty times.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.world.helpers import ME
from workgym.world import Episode, World

STATUSES = ("Open", "In Progress", "Reopened", "Resolved", "Closed")


def _moment(rnd: random.Random) -> str:
    if rnd.random() < 0.05:
        return ""
    day = f"2024-{rnd.randrange(3, 7):02d}-{rnd.randrange(1, 29):02d}"
    return day if rnd.random() < 0.05 else f"{day}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00+00:00"


@pytest.fixture(scope="module")
def history_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("history") / "workspace.db"
    shutil.copy(sample_db, db)
    rnd = random.Random(11)
    conn = sqlite3.connect(db)
    with conn:
        for n in range(1, 301):
            created = _moment(rnd)
            later = sorted([_moment(rnd), _moment(rnd)])
            resolution = rnd.choice(["", "", "Fixed", "Won't Fix"])
            resolved = later[1] if resolution and rnd.random() < 0.7 else ""
            conn.execute(
                "INSERT INTO ticket (id, project, summary, locator, status, resolution, created, updated, "
                "resolved, source_id) VALUES (?, ?, ?, 'test', ?, ?, ?, ?, ?, 6)",
                (
                    f"HIS-{n}",
                    rnd.choice(["HIS", "ENG"]),
                    f"ticket {n}",
                    rnd.choice(STATUSES),
                    resolution,
                    created,
                    later[0],
                    resolved,
                ),
            )
            for m in range(rnd.randrange(4)):
                conn.execute(
                    "INSERT INTO ticket_comment (id, ticket_id, body, locator, author, created, source_id) "
                    "VALUES (?, ?, 'a comment', 'test', 'P0001', ?, 6)",
                    (f"hc{n}-{m}", f"HIS-{n}", _moment(rnd)),
                )
            for m in range(rnd.randrange(4)):
                conn.execute(
                    "INSERT INTO ticket_event (id, ticket_id, field, locator, author, created, from_value, "
                    "to_value, source_id) VALUES (?, ?, ?, 'test', 'P0001', ?, ?, ?, 6)",
                    (
                        f"he{n}-{m}",
                        f"HIS-{n}",
                        rnd.choice(["status", "status", "priority"]),
                        _moment(rnd),
                        rnd.choice(STATUSES),
                        rnd.choice(STATUSES),
                    ),
                )
    conn.close()
    return db


@pytest.fixture(scope="module")
def history(history_db: Path) -> World:
    return World.open(history_db)


@pytest.fixture(scope="module")
def moments(history: World) -> list[str]:
    """Every time the as-of expressions compare the cutoff with."""
    with history.episode() as ep:
        rows = ep.state.query(
            "SELECT created FROM ticket UNION SELECT updated FROM ticket UNION SELECT resolved FROM ticket "
            "UNION SELECT created FROM ticket_comment UNION SELECT created FROM ticket_event"
        )
    return sorted(r[0] for r in rows if r[0])


def _view_and_reference(ep: Episode) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The episode's tickets through its view, and through the expressions (overlay rows added)."""
    view = [tuple(r) for r in ep.state.query("SELECT * FROM ticket ORDER BY id")]
    start = ep.state._start_sql["ticket"]
    reference = ep.state.query(
        f'SELECT * FROM ({start} AND NOT EXISTS (SELECT 1 FROM ov."ticket" o WHERE o.id = b.id) '
        'AND NOT EXISTS (SELECT 1 FROM ov."ticket__deleted" d WHERE d.key = b.id) '
        'UNION ALL SELECT * FROM ov."ticket") ORDER BY id'
    )
    return view, [tuple(r) for r in reference]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_when_a_cutoff_is_any_time_then_the_view_shows_tickets_as_the_expressions_do(
    history: World, moments: list[str], data: st.DataObject
) -> None:
    moment = data.draw(st.sampled_from(moments))
    # the time itself, a second either side of it (in ISO form), its day alone
    shift = data.draw(st.sampled_from(["", "-1s", "+1s", "day"]))
    cutoff = moment
    if shift == "day":
        cutoff = moment[:10]
    elif shift and "T" in moment:
        second = int(moment[17:19]) + (1 if shift == "+1s" else -1)
        minute = int(moment[14:16])
        if second < 0:
            second, minute = 59, max(0, minute - 1)
        cutoff = f"{moment[:14]}{minute:02d}:{min(second, 59):02d}{moment[19:]}"
    with history.episode(cutoff=cutoff) as ep:
        view, reference = _view_and_reference(ep)
    assert view == reference, cutoff


@pytest.mark.parametrize(
    "cutoff", ["1990-01-01T00:00:00+00:00", "2024-05-01T00:00:00+00:00", "2099-01-01T00:00:00Z"]
)
def test_when_the_episode_writes_tickets_then_the_view_still_matches_the_expressions(
    history: World, cutoff: str
) -> None:
    with history.episode(cutoff=cutoff, persona=ME, seed=3) as ep:
        keys = [
            r[0] for r in ep.state.query("SELECT id FROM ticket WHERE id LIKE 'HIS-%' ORDER BY id LIMIT 3")
        ]
        priority = ep.state.query(
            "SELECT priority FROM ticket WHERE priority != '' ORDER BY priority LIMIT 1"
        )
        for key in keys[:2]:
            obs = ep.step({"name": "comment_ticket", "arguments": {"key": key, "body": "seen"}})
            assert obs.info["error"] is None, obs.text
        if keys and priority:
            change = {"key": keys[-1], "priority": priority[0][0]}
            obs = ep.step({"name": "update_ticket", "arguments": change})
            assert obs.info["error"] is None, obs.text
        view, reference = _view_and_reference(ep)
        assert view == reference
        if keys and priority:
            jql = f'priority = "{priority[0][0]}" ORDER BY updated DESC'
            pages = [
                ep.step({"name": "search_tickets", "arguments": {"jql": jql, "page": n}}).text
                for n in (1, 2, 3)
            ]
            assert keys[-1] in "\n".join(pages)


def test_when_titanium_is_seen_at_a_cutoff_then_the_view_shows_tickets_as_the_expressions_do(
    titanium_db: Path,
) -> None:
    world = World.open(titanium_db)
    for cutoff in ("2013-01-01T00:00:00+00:00", "2017-03-01T00:00:00+00:00", "2019-06-30T12:00:00+00:00"):
        with world.episode(cutoff=cutoff) as ep:
            view, reference = _view_and_reference(ep)
        assert len(view) == len(reference)
        differing = [v[0] for v, r in zip(view, reference, strict=True) if v != r]
        assert not differing, (cutoff, differing[:5])
