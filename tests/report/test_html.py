"""report.html: self-contained (nothing fetched from the network), every section there, text escaped."""

from __future__ import annotations

import html
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.report.viewer_client import signed_in
from workgym.agents import AgentSpec
from workgym.report import write_report
from workgym.rollout import RunConfig, run
from workgym.tasks import Task, write_tasks


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.fetched.append(f"{tag} {name}={value}")


def test_when_a_run_is_reported_then_the_page_stands_alone_with_every_section(
    tmp_path: Path, anon_db: Path, sample_tasks: tuple[list[Task], Any]
) -> None:
    tasks = sample_tasks[0][:30]
    tasks_file = tmp_path / "tasks.jsonl"
    write_tasks(tasks, tasks_file)
    out = tmp_path / "run"
    agents = [AgentSpec("oracle"), AgentSpec("noop"), AgentSpec("random")]
    run(RunConfig(workspace=anon_db, tasks=tasks, agents=agents, trials=2, out=out, tasks_file=tasks_file))
    page = write_report(out).read_text(encoding="utf-8")
    links = Links()
    links.feed(page)
    assert links.fetched == []  # no script, stylesheet, image or link to fetch
    assert not re.search(r"https?://", page.split("<h2>Trajectories", 1)[0])
    for section in (
        "Headline",
        "pass^k",
        "Success by family",
        "Hardest tasks",
        "Errors",
        "Trajectories side by side",
    ):
        assert section in page
    assert page.count("<svg") == 2 and page.count('class="traj"') >= 2
    assert tasks[0].instruction.replace("“", "").split()[0] in page  # instructions from the tasks file
    assert "<script" not in page


def test_when_raw_is_given_then_a_record_shows_raw_beside_anonymized(anon_db: Path, sample_db: Path) -> None:
    from workgym.report.viewer import create_viewer
    from workgym.world import World

    client = signed_in(create_viewer(World.open(anon_db), raw=sample_db))
    page = client.get("/compare/ticket/ENG-3").text
    raw_summary = (
        sqlite3.connect(sample_db).execute("SELECT description FROM ticket WHERE id = 'ENG-3'").fetchone()[0]
    )
    anon_summary = (
        sqlite3.connect(anon_db).execute("SELECT description FROM ticket WHERE id = 'ENG-3'").fetchone()[0]
    )
    assert (
        html.escape(raw_summary.splitlines()[0]) in page and html.escape(anon_summary.splitlines()[0]) in page
    )
    assert client.get("/compare/person/P0001").status_code == 404  # only text records have the view


def test_when_titanium_is_viewed_then_pages_page_and_search_finds_across_sources(titanium_db: Path) -> None:
    from workgym.report.viewer import PAGE, create_viewer
    from workgym.world import World

    client = signed_in(create_viewer(World.open(titanium_db)))
    listing = client.get("/tickets", params={"page": 60})
    assert (
        listing.status_code == 200
        and listing.text.count('<a href="/ticket/') == PAGE
        and 'rel="next"' in listing.text
    )
    found = client.get("/search", params={"q": "ListView crash"}).text
    assert "<h2>tickets</h2>" in found and "<h2>ticket comments</h2>" in found
    ticket = client.get("/ticket/ALOY-100")
    assert ticket.status_code == 200 and "ALOY-100" in ticket.text
    assert client.get("/commits", params={"page": 3}).status_code == 200
