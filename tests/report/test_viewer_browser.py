"""The viewer in a real browser: Playwright driving Debian's chromium, with every non-loopback request blocked.

The tests come in as a user does, through the address the CLI prints (it carries the viewer's
token, which the browser then keeps in a cookie); they click a chain chat -> ticket -> document,
replay a trajectory step by step, and do a workflow task through the operable forms (each carrying
the form token) until the task's own checks pass. Each page they visit is saved as a screenshot
under build/screenshots/.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from workgym.agents import AgentSpec
from workgym.report.viewer import create_viewer, viewer_address
from workgym.rollout import RunConfig, run
from workgym.tasks import Task, write_tasks
from workgym.world import World
from workgym.world.server import running

sync_api = pytest.importorskip(
    "playwright.sync_api", reason='playwright not installed: pip install -e ".[test]"'
)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)",
        allow_module_level=True,
    )

SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def runs_dir(
    tmp_path_factory: pytest.TempPathFactory, anon_db: Path, sample_tasks: tuple[list[Task], Any]
) -> Path:
    root = tmp_path_factory.mktemp("viewer")
    tasks = sample_tasks[0]
    write_tasks(tasks, root / "tasks.jsonl")
    by_family: dict[str, list[Task]] = {}
    for t in tasks:
        by_family.setdefault(t.family, []).append(t)
    some = [t for ts in by_family.values() for t in ts[:5]]  # 5 of each family
    agents = [AgentSpec("oracle"), AgentSpec("random")]
    config = RunConfig(
        workspace=anon_db,
        tasks=some,
        agents=agents,
        trials=2,
        out=root / "runs" / "base",
        tasks_file=root / "tasks.jsonl",
    )
    run(config)
    return root / "runs"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page whose every request off this machine is blocked, and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    refused: list[str] = []  # what the pages' Content-Security-Policy refused (their own style must pass)

    def guard(route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    tab.blocked = blocked
    yield tab
    assert blocked == [], f"requests left the machine: {blocked[:3]}"
    assert refused == [], f"the CSP refused: {refused[:3]}"
    context.close()


def open_viewer(page: Any, app: Any, base: str) -> None:
    """Open the address `workgym view` prints, as a user does: the viewer keeps its token in a cookie."""
    response = page.goto(viewer_address(app, base))
    assert response.status == 200 and "token=" not in page.url  # redirected to the page without it
    assert page.locator("h1").inner_text() == "Workspace"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def chain_start(db: Path) -> tuple[str, str, str]:
    """A channel, a ticket one of its messages cites, and a document that ticket links."""
    conn = sqlite3.connect(db)
    try:
        row = conn.execute(
            "SELECT m.channel_id, r1.dst_id, r2.dst_id FROM ref r1 JOIN message m ON m.id = r1.src_id "
            "JOIN ref r2 ON r2.src_kind = 'ticket' AND r2.src_id = r1.dst_id AND r2.dst_kind = 'document' "
            "WHERE r1.src_kind = 'message' AND r1.dst_kind = 'ticket' AND r2.dst_id IS NOT NULL ORDER BY m.ts DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    assert row, "the sample has a chat -> ticket -> doc chain"
    return str(row[0]), str(row[1]), str(row[2])


def test_when_a_chain_is_followed_by_clicking_then_chat_leads_to_the_ticket_and_its_document(
    page: Any, anon_db: Path, runs_dir: Path
) -> None:
    channel, ticket, document = chain_start(anon_db)
    app = create_viewer(World.open(anon_db), runs=runs_dir)
    with running(app) as base:
        open_viewer(page, app, base)
        page.goto(f"{base}/chat/{channel}")
        shot(page, "chat")
        page.locator(f'a[href="/ticket/{ticket}"]').first.click()
        page.wait_for_url(f"**/ticket/{ticket}")
        assert ticket in page.locator("h1").inner_text()
        shot(page, "ticket")
        page.locator(f'a[href="/doc/{document}"]').first.click()
        page.wait_for_url(f"**/doc/{document}")
        assert page.locator(".body").inner_text().strip()
        shot(page, "document")


def test_when_every_page_is_opened_then_each_renders_and_nothing_is_fetched_from_the_network(
    page: Any, anon_db: Path, runs_dir: Path
) -> None:
    app = create_viewer(World.open(anon_db), runs=runs_dir)
    with running(app) as base:
        open_viewer(page, app, base)
        for path, name in (
            ("/", "workspace"),
            ("/chat", "channels"),
            ("/tickets", "tickets"),
            ("/tickets?q=billing", "ticket-search"),
            ("/docs", "documents"),
            ("/mail", "mail"),
            ("/calendar", "calendar"),
            ("/people", "people"),
            ("/person/P0001", "person"),
            ("/commits", "commits"),
            ("/search?q=billing+refunds", "search"),
            ("/tasks", "tasks"),
            ("/runs", "runs"),
            ("/run/base", "run"),
        ):
            response = page.goto(base + path)
            assert response.status == 200, path
            assert page.locator("h1").inner_text(), path
            shot(page, name)
        first_task = page.goto(base + "/tasks") and page.locator('a[href^="/task/"]').first
        first_task.click()
        assert "Evidence" in page.content()
        shot(page, "task")


def test_when_a_trajectory_is_replayed_then_each_step_shows_its_call_observation_and_state(
    page: Any, anon_db: Path, runs_dir: Path
) -> None:
    app = create_viewer(World.open(anon_db), runs=runs_dir)
    with running(app) as base:
        open_viewer(page, app, base)
        page.goto(f"{base}/run/base")
        page.locator('tr:has-text("workflow") a[href^="/run/base/t/"]').first.click()
        page.wait_for_url("**/run/base/t/*")
        steps = page.locator("li.step")
        assert steps.count() >= 2
        page.locator("details summary").last.click()
        assert '"updated"' in page.locator("details pre").last.inner_text()  # the state diff after the write
        shot(page, "trajectory")
        page.goto(f"{base}/runs")
        page.goto(f"{base}/run/base")
        task = page.locator('a[href^="/task/"]').first.get_attribute("href")
        page.goto(base + task)
        page.locator('a:has-text("two tries side by side")').click()
        assert page.locator(".traj").count() == 2
        shot(page, "two-tries")


def test_when_a_workflow_task_is_done_through_the_forms_then_its_checks_pass(
    page: Any, anon_db: Path, runs_dir: Path, sample_tasks: tuple[list[Task], Any]
) -> None:
    task = next(
        t
        for t in sample_tasks[0]
        if t.family == "workflow" and [c.name for c in t.gold][1:] == ["update_ticket", "comment_ticket"]
    )
    update, comment = task.gold[1].arguments, task.gold[2].arguments
    app = create_viewer(
        World.open(anon_db),
        runs=runs_dir,
        tasks=runs_dir.parent / "tasks.jsonl",  # every task, not only those the run ran
        operable=True,
        task_id=task.id,
    )
    with running(app) as base:
        open_viewer(page, app, base)
        page.goto(f"{base}/episode")
        page.locator('button:has-text("Check against the task")').click()
        assert "reward 0.0" in page.locator(".flash[role=status]").inner_text()  # nothing done yet
        page.goto(f"{base}/ticket/{update['key']}")
        page.select_option('form[action="/op/update_ticket"] select[name="priority"]', update["priority"])
        page.locator('form[action="/op/update_ticket"] button').click()
        assert "updated" in page.locator(".flash[role=status]").inner_text()
        page.fill('form[action="/op/comment_ticket"] textarea[name="body"]', comment["body"])
        page.locator('form[action="/op/comment_ticket"] button').click()
        assert comment["body"] in page.content()  # the comment shows on the ticket: the episode's state
        shot(page, "operable-ticket")
        page.goto(f"{base}/episode")
        page.locator('button:has-text("Check against the task")').click()
        verdict = page.locator(".flash[role=status]").inner_text()
        assert verdict.startswith("reward 1.0"), verdict
        shot(page, "operable-check")
