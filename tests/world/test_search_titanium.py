"""Search on titanium's real text: every plan ranks as FTS5 ranking every match does; the shallow page is the full one."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from workgym.world import World
from workgym.world import search as search_module
from workgym.world.fts import match_expression
from workgym.world.tools import tracker
from workgym.world.views import SPEC, visible

CUTOFFS = (None, "2013-01-01T00:00:00+00:00", "2017-03-01T00:00:00+00:00")
"""No cutoff; an early one (most tickets hidden); the median ticket's time."""


@pytest.fixture(scope="module")
def titanium(titanium_db: Path) -> World:
    return World.open(titanium_db)


@pytest.fixture(scope="module")
def common_words(titanium: World) -> list[str]:
    """The 40 words in most comments, as FTS5 reads them back (listed words only)."""
    with titanium.episode() as ep:
        rows = ep.state.query(
            'SELECT term FROM fts."ticket_comment_terms" WHERE tid IS NOT NULL ORDER BY df DESC, term LIMIT 40'
        )
    return [r[0] for r in rows]


def test_when_titanium_is_searched_for_common_words_then_every_plan_ranks_as_ranking_all(
    titanium: World, common_words: list[str]
) -> None:
    queries = [
        *common_words[:20],
        *(" ".join(p) for p in itertools.islice(itertools.combinations(common_words[:12], 2), 0, 66, 6)),
        " ".join(common_words[:3]),
        "android crash",  # a word in a few hundred comments beside a common one
        "keyboard ios",
        "com.appcelerator",  # a phrase of common words: no list
    ]
    plans: set[str] = set()
    for cutoff, table in itertools.product(CUTOFFS, ("ticket", "ticket_comment", "commit")):
        with titanium.episode(cutoff=cutoff) as ep:
            conds = " AND ".join([*visible(SPEC[table], ep.state.scope, "b"), "1"])
            for query, any_word in itertools.product(queries, (False, True)):
                match = match_expression(query, any_word=any_word)
                assert match is not None
                found = search_module.search_base(
                    ep.state.db, table, "id", match, conds, [], 21, rank_limit=10**9
                )
                reference = search_module.rank_all(ep.state.db, table, "id", match, conds, [], 21)
                assert found.keys == reference.keys, (table, cutoff, query, any_word, found.plan)
                plans.add(found.plan)
    assert {"walk", "intersect", "threshold", "plain"} <= plans


@pytest.mark.parametrize(
    "jql",
    [
        "error",
        "the",
        "keyboard",
        "android build",
        "webview memory leak",
        'project = ALOY AND text ~ "error"',
        'text ~ "crash" AND status = Open',
        'NOT text ~ "the"',
        'comment ~ "thanks"',
    ],
)
def test_when_titanium_tickets_are_searched_shallow_then_the_page_is_the_full_depth_one(
    titanium: World, jql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for cutoff, page in itertools.product(CUTOFFS[1:], (1, 2)):
        with titanium.episode(cutoff=cutoff) as ep:
            shallow = ep.step({"name": "search_tickets", "arguments": {"jql": jql, "page": page}}).text
            with monkeypatch.context() as patched:
                patched.setattr(tracker._TextSearch, "could_settle", lambda self, needed: False)
                deep = ep.step({"name": "search_tickets", "arguments": {"jql": jql, "page": page}}).text
            assert shallow == deep, (cutoff, page)
