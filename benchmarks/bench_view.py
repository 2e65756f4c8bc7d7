"""The viewer's page times on the sample and on titanium, beside the world's own tool for the same search.

Requests go through FastAPI's test client (the ASGI app in process, no socket), so the figure is
the page's cost: queries, rendering, escaping. For search, the page searches all six text tables
(chat, tickets, comments, documents, mail, commits); the baseline is one ``search_tickets`` step
in an episode with the same words, in the same script. Also timed: a ticket list page deep in the
paging, and a ticket page with its comments and history.

    python benchmarks/bench_view.py [--data ../shared/data] [--repeat 100]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from workgym.report.viewer import create_viewer
from workgym.world import Limits, World
from workspaces import DEFAULT_DATA, workspaces  # benchmarks/workspaces.py


def p50_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(name: str, db: Path, repeat: int) -> None:
    world = World.open(db)
    token = "bench-view-token-0123456789"  # the viewer refuses a request without its token
    client = TestClient(
        create_viewer(world, token=token),
        base_url="http://127.0.0.1",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert client.get("/").status_code == 200  # a refused request would time the refusal
    rng = random.Random(0)
    with world.episode(limits=Limits(max_steps=100_000)) as ep:  # past 50 steps an episode stops working
        summaries = [r[0] for r in ep.state.query("SELECT summary FROM ticket ORDER BY id")]
        keys = [r[0] for r in ep.state.query("SELECT id FROM ticket ORDER BY id")]
        records = sum(
            ep.state.query(f'SELECT COUNT(*) FROM "{t}"')[0][0]
            for t in ("message", "ticket", "ticket_comment", "document", "email", "commit")
        )
        queries = []
        for s in rng.sample(summaries, min(50, len(summaries))):
            words = [w for w in s.split() if len(w) > 3 and w.isalpha()][:2]
            if words:
                queries.append(" ".join(words))
        picks = iter(queries * (repeat // len(queries) + 1))
        baseline = p50_ms(
            lambda: ep.step({"name": "search_tickets", "arguments": {"jql": f'text ~ "{next(picks)}"'}}),
            repeat,
        )
    picks = iter(queries * (repeat // len(queries) + 1))
    search = p50_ms(lambda: client.get("/search", params={"q": next(picks)}), repeat)
    deep = max(1, len(keys) // 50 // 2)
    listing = p50_ms(lambda: client.get("/tickets", params={"page": deep}), repeat)
    tickets = iter(rng.choices(keys, k=repeat))
    ticket = p50_ms(lambda: client.get(f"/ticket/{next(tickets)}"), repeat)
    print(f"\n{name}: {records:,} text records")
    print(
        f"  search page p50 (6 tables): {search:.1f} ms; one search_tickets step: {baseline:.1f} ms ({search / baseline:.1f}x)"
    )
    print(f"  ticket list, page {deep}: {listing:.1f} ms; a ticket page: {ticket:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, db in workspaces(Path(tmp), args.data):
            measure(name, db, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
