"""Search on common words: every plan ranks as FTS5 ranking every match does; cutoff, overlay, paging hold.

The bundled sample has no word in more than HOT_DF rows, so these tests search a copy of it with
900 more tickets, 1,400 comments and 1,200 messages written from a skewed vocabulary ("the" in
nine rows of ten, "crash" in half, a long tail of rare words), spread over three months.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.world.helpers import ME, call
from workgym.world import Episode, World
from workgym.world import search as search_module
from workgym.world.fts import HOT_DF, match_expression, phrase_tokens
from workgym.world.tools import tracker
from workgym.world.views import SPEC, visible

COMMON = {"the": 0.9, "to": 0.7, "crash": 0.5, "error": 0.45, "android": 0.4, "build": 0.35, "window": 0.3}
RARE = [
    f"{a}{b}" for a in ("zor", "quil", "mab", "fen", "dax") for b in ("ot", "ith", "ura", "esk", "amp", "io")
]
EARLY = "2024-04-01T00:00:00+00:00"  # hides about two thirds of the generated rows


def _text(rnd: random.Random, words: int) -> str:
    picked = [w for w, share in COMMON.items() if rnd.random() < share]
    picked += rnd.choices(RARE, k=2) + rnd.choices(list(COMMON), k=rnd.randrange(words))
    rnd.shuffle(picked)
    return " ".join(picked)


def _moment(rnd: random.Random) -> str:
    return f"2024-{rnd.randrange(3, 6):02d}-{rnd.randrange(1, 29):02d}T{rnd.randrange(24):02d}:00:00+00:00"


@pytest.fixture(scope="module")
def busy_db(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("busy") / "workspace.db"
    shutil.copy(sample_db, db)
    rnd = random.Random(7)
    conn = sqlite3.connect(db)
    with conn:
        for n in range(1, 901):
            conn.execute(
                "INSERT INTO ticket (id, project, summary, description, locator, status, created, updated, "
                "source_id) VALUES (?, 'ENG', ?, ?, 'test', 'Open', ?, ?, 6)",
                (f"ENG-{1000 + n}", _text(rnd, 3), _text(rnd, 20), (t := _moment(rnd)), t),
            )
        for n in range(1, 1401):
            conn.execute(
                "INSERT INTO ticket_comment (id, ticket_id, body, locator, author, created, source_id) "
                "VALUES (?, ?, ?, 'test', 'P0001', ?, 6)",
                (f"c{n}", f"ENG-{1000 + rnd.randrange(1, 901)}", _text(rnd, 10), _moment(rnd)),
            )
        for n in range(1, 1201):
            conn.execute(
                "INSERT INTO message (id, channel_id, ts, text, locator, author, source_id) "
                "VALUES (?, ?, ?, ?, 'test', ?, 8)",
                (
                    f"C0ACME001:{n}",
                    rnd.choice(["C0ACME001", "C0ACME002"]),
                    _moment(rnd),
                    _text(rnd, 8),
                    "P0002",
                ),
            )
    conn.close()
    return db


@pytest.fixture(scope="module")
def busy(busy_db: Path) -> World:
    return World.open(busy_db)


@pytest.fixture
def late(busy: World) -> Iterator[Episode]:
    episode = busy.episode(cutoff="2024-07-01T00:00:00+00:00", persona=ME, seed=1)
    yield episode
    episode.close()


def _both(ep: Episode, table: str, query: str, k: int, *, any_word: bool = False, where: str = "1") -> tuple:
    """The plan search_base picks and its keys, and the keys of ranking every match."""
    match = match_expression(query, any_word=any_word)
    assert match is not None
    conds = " AND ".join([*visible(SPEC[table], ep.state.scope, "b"), where])
    key = SPEC[table].key
    assert key is not None
    found = search_module.search_base(ep.state.db, table, key, match, conds, [], k, rank_limit=10**9)
    reference = search_module.rank_all(ep.state.db, table, key, match, conds, [], k)
    return found.plan, found.keys, reference.keys


@pytest.mark.parametrize(
    ("query", "any_word", "plans"),
    [
        ("crash", False, {"walk"}),  # one common word: its list, best first
        ("Crashes", False, {"walk"}),  # the same word as FTS5 stems it
        ("the", False, {"walk"}),  # in nine rows of ten: bm25's idf is clamped, the order is tf's
        ("crash error", False, {"intersect", "threshold"}),  # two common words
        ("the to crash", False, {"intersect", "threshold"}),  # three
        ("crash crash", False, {"walk"}),  # a word twice is still one list
        ("crash zorot", False, {"plain"}),  # a rare word: FTS5 ranks its few rows
        ("zorot", False, {"plain"}),
        ("crash zorot", True, {"threshold"}),  # any word: the common one's list and the rare one whole
        ("crash error", True, {"threshold", "plain"}),
        ("crash.error", False, {"plain"}),  # a phrase of common words has no list
    ],
)
@pytest.mark.parametrize("table", ["ticket", "ticket_comment", "message"])
@pytest.mark.parametrize("k", [1, 10, 60])
def test_when_words_are_common_then_every_plan_ranks_as_ranking_all_does(
    busy: World, query: str, any_word: bool, plans: set[str], table: str, k: int
) -> None:
    for cutoff in (None, EARLY):
        with busy.episode(cutoff=cutoff, persona=ME) as ep:
            plan, keys, reference = _both(ep, table, query, k, any_word=any_word)
            assert plan in plans
            assert keys == reference and len(keys) == min(k, len(reference))


def test_when_the_generated_words_are_counted_then_the_common_ones_have_lists(busy: World) -> None:
    with busy.episode() as ep:
        for table in ("ticket", "ticket_comment", "message"):
            listed = {
                r[0] for r in ep.state.query(f'SELECT term FROM fts."{table}_terms" WHERE tid IS NOT NULL')
            }
            assert {phrase_tokens(w)[0] for w in ("the", "crash", "window")} <= listed
            assert all(df > HOT_DF for (df,) in ep.state.query(f'SELECT df FROM fts."{table}_terms"')), (
                "only words in more than HOT_DF rows are listed"
            )
            assert not listed & set(RARE)


def test_when_a_filter_names_a_text_column_then_the_plans_read_the_base_rows(late: Episode) -> None:
    for query in ("crash", "crash error"):
        plan, keys, reference = _both(late, "message", query, 20, where="b.text LIKE '%zor%'")
        assert keys == reference and keys and plan != "plain"


def test_when_a_common_word_is_searched_then_text_written_in_the_episode_comes_first(late: Episode) -> None:
    call(late, "post_message", channel="eng-backend", text="another crash on the build box, quilith")
    first = call(late, "search_messages", query="crash").splitlines()[0]
    assert "another crash on the build box" in first
    created = call(late, "create_ticket", project="ENG", summary="crash in the window manager")
    key = created.split()[1]
    assert call(late, "search_tickets", jql="crash").startswith(f"{key} ")
    call(late, "comment_ticket", key="ENG-1", body="the same crash again here")
    commented = call(late, "search_tickets", jql='comment ~ "crash"')
    assert commented.startswith("ENG-1 ")  # commented just now: the most recently updated
    late.reset()
    assert "another crash on the build box" not in call(late, "search_messages", query="crash")
    assert not call(late, "search_tickets", jql="crash").startswith(f"{key} ")


def test_when_a_row_with_a_common_word_is_deleted_or_edited_then_search_follows(late: Episode) -> None:
    top = call(late, "search_messages", query="window android").splitlines()[0]
    message_id = top.rsplit("(", 1)[1].split(";")[0].rstrip(")")
    late.state.update("message", message_id, {"text": "nothing to see"})
    assert message_id not in call(late, "search_messages", query="window android")
    late.state.delete("message", message_id)
    assert message_id not in call(late, "search_messages", query="window android")


def test_when_the_cutoff_is_early_then_a_common_word_finds_no_later_record(busy: World) -> None:
    with busy.episode(cutoff=EARLY, persona=ME) as ep:
        for jql in ("crash", "the", "crash error", "the to crash"):
            keys = [line.split()[0] for line in call(ep, "search_tickets", jql=jql).splitlines()[:-1]]
            assert keys
            marks = ", ".join("?" for _ in keys)
            times = ep.state.query(f"SELECT created FROM main.ticket WHERE id IN ({marks})", keys)
            assert all(t[0] <= EARLY for t in times)
        listed = call(ep, "search_messages", query="crash android")
        assert all(line[1:11] <= EARLY[:10] for line in listed.splitlines()[:-1])


def test_when_pages_of_a_common_word_are_read_then_they_follow_the_ranking_without_gaps(
    late: Episode,
) -> None:
    match = match_expression("crash")
    conds = " AND ".join([*visible(SPEC["message"], late.state.scope, "b"), "1"])
    reference = search_module.rank_all(late.state.db, "message", "id", match or "", conds, [], 35)
    shown: list[str] = []
    for page in (1, 2, 3, 4):
        text = call(late, "search_messages", query="crash", page=page)
        shown += [line.rsplit("(", 1)[1].split(";")[0].rstrip(")") for line in text.splitlines()[:-1]]
    assert shown[:35] == reference.keys


@pytest.mark.parametrize(
    "jql",
    [
        "crash",  # a common word: settled by the tickets' own text at the first depth
        "zorot",  # a rare word: its comments' tickets are needed
        "crash error",
        "window zorot quilith",
        'project = ENG AND text ~ "crash"',
        'text ~ "crash" AND status = Open',
        'text ~ "crash" AND created < "2024-03-10"',  # a third of the hits pass: deeper than the first
        'project = ENG OR NOT text ~ "crash"',  # one clause, negated
        'text ~ "crash" OR text ~ "zorot"',  # two clauses: searched at full depth
        'NOT text ~ "crash"',
        'comment ~ "crash"',
        'text ~ "crash" ORDER BY created DESC',
        'text ~ "android" AND NOT text ~ "error"',
    ],
)
@pytest.mark.parametrize("page", [1, 2, 3])
def test_when_a_text_search_is_settled_shallow_then_it_shows_what_the_full_depth_shows(
    busy: World, jql: str, page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with busy.episode(cutoff=EARLY, persona=ME) as ep:
        shallow = ep.step({"name": "search_tickets", "arguments": {"jql": jql, "page": page}}).text
        monkeypatch.setattr(tracker._TextSearch, "could_settle", lambda self, needed: False)
        deep = ep.step({"name": "search_tickets", "arguments": {"jql": jql, "page": page}}).text
    assert shallow == deep


def test_when_every_query_of_a_shallow_search_misses_then_search_tickets_goes_deeper(busy: World) -> None:
    with busy.episode(cutoff=EARLY, persona=ME) as ep:
        seen: list[int] = []
        real = tracker._TextSearch._search

        def spy(self: tracker._TextSearch, table: str, expr: str) -> list[str]:
            seen.append(self.depth)
            return real(self, table, expr)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tracker._TextSearch, "_search", spy)
            call(ep, "search_tickets", jql="crash")
            assert seen == [tracker.FIRST_HITS]  # one search of the tickets, no comments
            seen.clear()
            call(ep, "search_tickets", jql='project = OPS AND text ~ "crash"')
            assert seen[-1] == tracker.TEXT_HITS  # too few of the first hits pass the filter
