"""Common words the stemmer does not read back as themselves get lists too, and rank as FTS5 ranks them.

Porter stems "please" to ``pleas`` and ``pleas`` to ``plea``, so a list built by searching for the
term itself held the wrong rows, and such words (on titanium "appcelerator", "please", "because",
"release": thousands of comments) were ranked whole by FTS5 on every search. Their lists are now
built through a form that stems to the term ("please").
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from workgym.world import World
from workgym.world import search as search_module
from workgym.world.fts import HOT_DF, match_expression, phrase_tokens
from workgym.world.views import SPEC, visible

WORDS = ("please", "release", "because", "false", "crash")
"""Each a common word; all but "crash" stem to a term the stemmer does not keep."""


@pytest.fixture(scope="module")
def stems(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    db = tmp_path_factory.mktemp("stems") / "workspace.db"
    shutil.copy(sample_db, db)
    rnd = random.Random(3)
    conn = sqlite3.connect(db)
    with conn:
        for n in range(1, 2 * HOT_DF + 1):
            text = " ".join(w for w in WORDS if rnd.random() < 0.6) + f" note{n % 40}" * rnd.randrange(1, 4)
            day = f"2024-0{rnd.randrange(3, 6)}-{rnd.randrange(1, 29):02d}T10:00:00+00:00"
            conn.execute(
                "INSERT INTO ticket_comment (id, ticket_id, body, locator, author, created, source_id) "
                "VALUES (?, 'ENG-1', ?, 'test', 'P0001', ?, 6)",
                (f"s{n}", text, day),
            )
    conn.close()
    return World.open(db)


def test_when_a_common_word_stems_unstably_then_it_has_a_list(stems: World) -> None:
    assert phrase_tokens("please") == ("pleas",) and phrase_tokens("pleas") == ("plea",)
    with stems.episode() as ep:
        rows = ep.state.query(
            "SELECT term, tid FROM fts.ticket_comment_terms WHERE term IN ('pleas', 'releas', 'becaus', 'fals')"
        )
    assert len(rows) == 4 and all(r["tid"] is not None for r in rows)


@pytest.mark.parametrize(
    ("query", "plans"),
    [
        ("please", {"walk"}),
        ("Released", {"walk"}),  # another form of the same term
        ("please because", {"intersect", "threshold"}),
        ("false crash release", {"intersect", "threshold"}),
    ],
)
@pytest.mark.parametrize("cutoff", [None, "2024-04-01T00:00:00+00:00"])
@pytest.mark.parametrize("k", [1, 21, 200])
def test_when_such_a_word_is_searched_then_its_list_ranks_as_ranking_all(
    stems: World, query: str, plans: set[str], cutoff: str | None, k: int
) -> None:
    match = match_expression(query)
    assert match is not None
    with stems.episode(cutoff=cutoff) as ep:
        conds = " AND ".join([*visible(SPEC["ticket_comment"], ep.state.scope, "b"), "1"])
        found = search_module.search_base(
            ep.state.db, "ticket_comment", "id", match, conds, [], k, rank_limit=10**9
        )
        reference = search_module.rank_all(ep.state.db, "ticket_comment", "id", match, conds, [], k)
    assert found.plan in plans
    assert found.keys == reference.keys and len(found.keys) == min(k, len(reference.keys))
