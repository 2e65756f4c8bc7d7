"""The viewer against hostile pages, clients and files: token, Host, Origin, headers, redirects, escaping.

Each finding of the audit has a test here that fails without its fix: a write without the form
token, from another origin or naming another host; a page without the token; missing headers; an
off-site ``back=``; a page number SQLite cannot hold; run files that carry markup. A fuzz test
drives every route of a live viewer with hostile paths and parameters and asserts no 5xx.
"""

from __future__ import annotations

import html
import json
import shutil
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.report.viewer_client import BASE, signed_in
from workgym.agents import AgentSpec
from workgym.report import write_report
from workgym.report.pages import FORM_TOKEN
from workgym.report.viewer import create_viewer, serve_viewer, viewer_address
from workgym.report.viewer_guard import local_path
from workgym.rollout import RunConfig, run
from workgym.tasks import Task, write_tasks
from workgym.world import World
from workgym.world.server import running

TOKEN = "test-token-0123456789abcdef"
SCRIPT = "<script>alert('x')</script>"
"""Markup a hostile file puts in a text field."""
TAG = "<img src=x onerror=alert(1)>"
"""Markup for fields that become a URL segment (no "/", so a route still matches it)."""


@pytest.fixture(scope="module")
def runs_dir(
    tmp_path_factory: pytest.TempPathFactory, anon_db: Path, sample_tasks: tuple[list[Task], Any]
) -> Path:
    """A small run of oracle and random agents, two tries each, in runs/base."""
    root = tmp_path_factory.mktemp("guard")
    tasks = [t for t in sample_tasks[0] if t.family == "workflow"][:2] + sample_tasks[0][:2]
    write_tasks(tasks, root / "tasks.jsonl")
    agents = [AgentSpec("oracle"), AgentSpec("random")]
    out = root / "runs" / "base"
    run(
        RunConfig(
            workspace=anon_db, tasks=tasks, agents=agents, trials=2, out=out, tasks_file=root / "tasks.jsonl"
        )
    )
    return root / "runs"


@pytest.fixture
def operable(anon_db: Path, sample_db: Path, runs_dir: Path) -> FastAPI:
    """An operable viewer with runs and the raw workspace, made with a known token."""
    return create_viewer(World.open(anon_db), runs=runs_dir, operable=True, raw=sample_db, token=TOKEN)


def form_token(app: FastAPI) -> str:
    return str(app.state.secrets.form_token)


def steps(app: FastAPI) -> int:
    return int(app.state.viewer.episode.steps)


# -- writes: the form token, Origin, Sec-Fetch-Site ------------------------------------------------

WRITES = [
    ("/op/post_message", {"channel": "general", "text": "hello", "back": "/chat"}),  # a tool call
    ("/episode/reset", {}),  # the episode's own controls
]


@pytest.mark.parametrize(("path", "fields"), WRITES)
def test_when_a_post_lacks_the_form_token_then_it_is_refused_and_nothing_happens(
    operable: FastAPI, path: str, fields: dict[str, str]
) -> None:
    client = signed_in(operable)  # the cookie alone: what a cross-site form would carry at best
    refused = client.post(path, data=fields, follow_redirects=False)
    wrong = client.post(path, data={**fields, FORM_TOKEN: "x" * 43}, follow_redirects=False)
    assert (refused.status_code, wrong.status_code) == (403, 403)
    assert steps(operable) == 0
    done = client.post(path, data={**fields, FORM_TOKEN: form_token(operable)}, follow_redirects=False)
    assert done.status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},  # a page elsewhere posting a form here
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": "http://127.0.0.1:1"},  # another server on this machine
        {"Sec-Fetch-Site": "cross-site"},  # the browser says so, whatever the Origin
        {"Sec-Fetch-Site": "same-site"},  # another port of 127.0.0.1 is the same site, not origin
    ],
)
def test_when_a_post_comes_from_another_origin_then_it_is_refused_even_with_the_form_token(
    operable: FastAPI, headers: dict[str, str]
) -> None:
    client = signed_in(operable)
    fields = {"channel": "general", "text": "hello", FORM_TOKEN: form_token(operable)}
    answer = client.post("/op/post_message", data=fields, headers=headers, follow_redirects=False)
    assert answer.status_code == 403
    assert steps(operable) == 0
    own = client.post(
        "/op/post_message",
        data=fields,
        headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert own.status_code == 303 and steps(operable) == 1


def test_when_a_script_sends_the_bearer_header_then_it_may_post_without_the_form_token(
    operable: FastAPI,
) -> None:
    client = TestClient(operable, base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"})
    answer = client.post("/episode/reset", follow_redirects=False)
    assert answer.status_code == 303
    assert (
        TestClient(operable, base_url=BASE).post("/episode/reset").status_code == 403
    )  # no header, no cookie


def test_when_a_form_body_is_over_the_limit_then_it_is_refused_413(operable: FastAPI) -> None:
    client = signed_in(operable)
    fields = {"channel": "general", "text": "x" * (2 << 20), FORM_TOKEN: form_token(operable)}
    assert client.post("/op/post_message", data=fields).status_code == 413
    assert steps(operable) == 0


# -- reads: the token, the Host --------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/compare/ticket/ENG-3", "/", "/tickets", "/episode", "/run/base"],  # raw text first, then the rest
)
def test_when_a_page_is_asked_for_without_the_token_then_it_is_refused_403(
    operable: FastAPI, path: str
) -> None:
    stranger = TestClient(operable, base_url=BASE)
    answer = stranger.get(path)
    assert answer.status_code == 403 and "workgym view" in answer.text
    assert "h2. Problem" not in answer.text  # the raw ticket's text
    wrong = stranger.get(path, params={"token": "y" * 43})
    assert wrong.status_code == 403
    assert stranger.get(path, headers={"Cookie": f"workgym-viewer-80={'y' * 43}"}).status_code == 403
    assert signed_in(operable).get(path).status_code == 200


def test_when_the_printed_address_is_opened_then_a_strict_cookie_keeps_the_token_and_the_url_drops_it(
    operable: FastAPI,
) -> None:
    client = TestClient(operable, base_url=BASE)
    answer = client.get(viewer_address(operable, BASE), follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"].lower()
    assert f"={TOKEN.lower()}" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    deep = client.get("/tickets", params={"page": "2", "token": TOKEN}, follow_redirects=False)
    assert deep.headers["location"] == "/tickets?page=2"


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",  # DNS rebinding: a name of the attacker's that resolves to 127.0.0.1
        "evil.example:8300",
        "127.0.0.1.evil.example",
        "localhost.",  # a trailing dot is another name to the browser
        "127.0.0.1:80x",  # not a port
        "",  # no Host at all
    ],
)
def test_when_the_host_header_names_another_host_then_it_is_refused_400_even_with_the_token(
    operable: FastAPI, host: str
) -> None:
    client = TestClient(operable, base_url=BASE)
    answer = client.get("/compare/ticket/ENG-3", headers={"Host": host, "Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400 and "h2. Problem" not in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8300", "localhost:8300", "[::1]:8300"])
def test_when_the_host_is_a_loopback_name_then_it_is_answered(operable: FastAPI, host: str) -> None:
    client = TestClient(operable, base_url=BASE)
    answer = client.get("/", headers={"Host": host, "Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200


def test_when_the_viewer_is_served_on_another_address_than_it_was_made_for_then_it_refuses(
    operable: FastAPI,
) -> None:
    with pytest.raises(ValueError, match="made for"):
        serve_viewer(operable, host="0.0.0.0", port=0)


# -- headers, redirects, numbers -------------------------------------------------------------------


def test_when_any_answer_is_sent_then_it_carries_a_scriptless_csp_and_the_framing_headers(
    operable: FastAPI,
) -> None:
    client = signed_in(operable)
    answers = {
        "page": client.get("/tickets"),
        "not found": client.get("/ticket/NOPE-1"),
        "bad number": client.get("/tickets", params={"page": "0"}),
        "no token": TestClient(operable, base_url=BASE).get("/"),
        "foreign host": client.get("/", headers={"Host": "evil.example"}),
        "redirect": client.post(
            "/episode/reset", data={FORM_TOKEN: form_token(operable)}, follow_redirects=False
        ),
    }
    for what, answer in answers.items():
        csp = answer.headers.get("content-security-policy", "")
        policy = dict(part.strip().split(" ", 1) for part in csp.split(";"))
        assert policy.get("default-src") == "'none'", what
        assert policy.get("frame-ancestors") == "'none'" and policy.get("form-action") == "'self'", what
        assert "script-src" not in policy and "'unsafe-inline'" not in csp, what
        assert policy.get("style-src", "").startswith("'sha256-"), what
        assert answer.headers.get("x-frame-options") == "DENY", what
        assert answer.headers.get("x-content-type-options") == "nosniff", what
        assert answer.headers.get("referrer-policy") == "same-origin", what


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example/",  # scheme-relative: another host
        "/\\evil.example/",  # browsers read \ as /
        "/\t/evil.example/",  # browsers drop tabs and newlines
        "http://evil.example/",
        "https:evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_when_back_points_off_site_then_the_redirect_stays_on_site(operable: FastAPI, back: str) -> None:
    client = signed_in(operable)
    fields = {"channel": "general", "text": "hi", "back": back, FORM_TOKEN: form_token(operable)}
    answer = client.post("/op/post_message", data=fields, follow_redirects=False)
    location = answer.headers["location"]
    assert answer.status_code == 303 and location == "/"
    assert urlsplit(location).netloc == "" and local_path(back) == "/"


def test_when_back_is_a_page_of_the_viewer_then_the_redirect_goes_there(operable: FastAPI) -> None:
    client = signed_in(operable)
    fields = {"key": "ENG-3", "body": "seen", "back": "/ticket/ENG-3", FORM_TOKEN: form_token(operable)}
    answer = client.post("/op/comment_ticket", data=fields, follow_redirects=False)
    assert answer.headers["location"] == "/ticket/ENG-3"


def test_when_the_path_of_the_printed_address_is_scheme_relative_then_the_redirect_stays_on_site(
    operable: FastAPI,
) -> None:
    client = TestClient(operable, base_url=BASE)
    answer = client.get(f"{BASE}//evil.example/?token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/tickets", "99999999999999999999"),  # 20 digits: past what SQLite's OFFSET holds (was a 500)
        ("/chat/general", "99999999999999999999"),
        ("/docs", "1000001"),  # past MAX_PAGE
        ("/people", "0"),
        ("/tasks", "-1"),
        ("/run/base", "1e3"),
        ("/commits", "١٢"),  # digits, but not ASCII ones
    ],
)
def test_when_a_page_number_is_out_of_bounds_then_the_answer_is_400(
    operable: FastAPI, path: str, page: str
) -> None:
    answer = signed_in(operable).get(path, params={"page": page})
    assert answer.status_code == 400 and "page" in answer.text


# -- hostile files: escaped ------------------------------------------------------------------------


def hostile_run(folder: Path, task: Task) -> None:
    """A run folder whose every field carries markup, and whose numbers and lists are not."""
    folder.mkdir(parents=True)
    summary = {
        "episodes": SCRIPT,
        "tasks": SCRIPT,
        "success_rate": SCRIPT,
        "agents": [SCRIPT],
        "by_agent": {
            SCRIPT: {
                "episodes": SCRIPT,
                "success_rate": SCRIPT,
                "success_rate_ci95": [SCRIPT, SCRIPT],
                "partial_credit": SCRIPT,
                "steps_mean": SCRIPT,
                "tokens": {SCRIPT: SCRIPT},
                "pass_hat_k": {"1": SCRIPT, SCRIPT: 0.5},
                "pass_at_k": {"1": 0.5},
                "by_family": {SCRIPT: {"success_rate": SCRIPT}},
            }
        },
        "step_errors": {SCRIPT: SCRIPT},
        "failures": {SCRIPT: 1},
    }
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    step = {
        "call": {"name": SCRIPT, "arguments": {SCRIPT: SCRIPT}},
        "observation": SCRIPT + "\ud800",  # a lone surrogate: valid JSON, not UTF-8
        "error": SCRIPT,
        "thought": SCRIPT,
    }
    trajectory = {
        "task_id": task.id,
        "family": SCRIPT,
        "agent": SCRIPT,
        "trial": SCRIPT,
        "world": SCRIPT,
        "reward": SCRIPT,
        "partial": SCRIPT,
        "instruction": SCRIPT,
        "answer": SCRIPT,
        "seed": SCRIPT,
        "steps": [step, {"call": SCRIPT, "observation": 7, "error": None}],
        "checks": [{"passed": SCRIPT, "kind": SCRIPT, "detail": SCRIPT}],
        "failure": {"boundary": SCRIPT, "error": SCRIPT},
    }
    solved = {**trajectory, "reward": 1.0, "partial": 1.0, "failure": None}
    lines = [
        trajectory,
        solved,
        {**trajectory, "reward": 0.0},
        {k: SCRIPT for k in ("task_id", "agent", "trial", "world", "reward", "steps", "checks")},
    ]
    (folder / "trajectories.jsonl").write_text("".join(json.dumps(t) + "\n" for t in lines), encoding="utf-8")


@pytest.fixture(scope="module")
def hostile(
    tmp_path_factory: pytest.TempPathFactory, sample_tasks: tuple[list[Task], Any]
) -> tuple[Path, Path, str]:
    """A folder of one hostile run, a tasks file with a hostile task, and that task's id."""
    root = tmp_path_factory.mktemp("hostile")
    base = sample_tasks[0][0].to_dict()
    task = Task.from_dict({**base, "id": f"t{TAG}", "family": SCRIPT, "instruction": SCRIPT})
    write_tasks([task], root / "tasks.jsonl")
    hostile_run(root / "runs" / f"r{TAG}", task)
    return root / "runs", root / "tasks.jsonl", task.id


def test_when_run_files_carry_markup_then_every_run_page_shows_it_as_text(
    anon_db: Path, hostile: tuple[Path, Path, str]
) -> None:
    runs, tasks, task_id = hostile
    client = signed_in(create_viewer(World.open(anon_db), runs=runs, tasks=tasks))
    name = quote(f"r{TAG}", safe="")
    pages = {
        "runs": "/runs",
        "run": f"/run/{name}",
        "trajectory": f"/run/{name}/t/0",
        "another trajectory": f"/run/{name}/t/3",
        "two tries": f"/run/{name}/compare?task={quote(task_id)}",
        "tasks": "/tasks",
        "task": f"/task/{quote(task_id, safe='')}",
    }
    for what, path in pages.items():
        answer = client.get(path)
        assert answer.status_code == 200, what
        assert SCRIPT not in answer.text and TAG not in answer.text, what
        assert html.escape(SCRIPT) in answer.text or html.escape(TAG) in answer.text, what
    assert html.escape(SCRIPT) in client.get(f"/run/{name}/t/0").text  # the steps' text, escaped


def test_when_run_files_carry_markup_then_report_html_shows_it_as_text_under_a_csp(
    hostile: tuple[Path, Path, str], tmp_path: Path
) -> None:
    runs, _, _ = hostile
    folder = tmp_path / "run"
    shutil.copytree(next(runs.iterdir()), folder)
    page = write_report(folder).read_text(encoding="utf-8")
    assert SCRIPT not in page and TAG not in page
    assert html.escape(SCRIPT) in page
    head = page.split("<style>", 1)[0]
    assert (
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-"
        in head
    )


def test_when_workspace_text_carries_markup_then_every_workspace_page_shows_it_as_text(
    anon_db: Path, tmp_path: Path
) -> None:
    db = tmp_path / "hostile.db"
    shutil.copy(anon_db, db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("DELETE FROM ref")  # the text changes under its recorded spans
        for table, columns in (
            ("ticket", ("summary", "description", "status")),
            ("ticket_comment", ("body",)),
            ("message", ("text",)),
            ("channel", ("topic",)),
            ("document", ("title", "body")),
            ("email", ("subject", "body")),
            ("calendar_event", ("title", "description", "location")),
            ("commit", ("message", "repo")),
            ("person", ("name", "title")),
        ):
            conn.execute(
                f'UPDATE "{table}" SET {", ".join(f"{c} = ?" for c in columns)}', [SCRIPT] * len(columns)
            )
        ids = {
            t: conn.execute(f'SELECT id FROM "{t}" ORDER BY id LIMIT 1').fetchone()[0]
            for t in (
                "ticket",
                "message",
                "channel",
                "document",
                "email",
                "calendar_event",
                "commit",
                "person",
            )
        }
    conn.close()
    client = signed_in(create_viewer(World.open(db)))
    pages = [
        "/chat",
        f"/chat/{ids['channel']}",
        f"/message/{ids['message']}",
        "/tickets",
        f"/ticket/{ids['ticket']}",
        "/docs",
        f"/doc/{ids['document']}",
        "/mail",
        f"/mail/{ids['email']}",
        "/calendar",
        f"/event/{ids['calendar_event']}",
        "/people",
        f"/person/{ids['person']}",
        "/commits",
        f"/commit/{ids['commit']}",
    ]
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert SCRIPT not in answer.text and html.escape(SCRIPT) in answer.text, path


@pytest.mark.parametrize(
    "path",
    [
        "/doc/../../../etc/passwd",
        "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/compare/ticket/..%2f..%2fetc%2fpasswd",
    ],
)
def test_when_a_path_climbs_out_then_it_is_a_404_and_no_file_is_read(operable: FastAPI, path: str) -> None:
    answer = signed_in(operable).get(BASE + path)
    assert answer.status_code == 404 and "root:" not in answer.text


# -- the CLI prints the address with the token -----------------------------------------------------


def test_when_view_starts_then_it_prints_the_address_with_this_starts_token(
    anon_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workgym import cli
    from workgym.report import viewer

    served: list[tuple[FastAPI, str]] = []
    monkeypatch.setattr(viewer, "serve_viewer", lambda app, host, port: served.append((app, host)))
    result = CliRunner().invoke(cli.app, ["view", str(anon_db), "--port", "8311"])
    assert result.exit_code == 0, result.output
    app, host = served[0]
    assert host == "127.0.0.1"
    assert viewer_address(app, "http://127.0.0.1:8311") in result.output.replace("\n", "")
    assert CliRunner().invoke(cli.app, ["view", str(anon_db)]).exit_code == 0
    assert served[1][0].state.secrets.token != app.state.secrets.token  # a new token each start


# -- fuzz: every route, hostile paths and parameters, a live server --------------------------------

ROUTES = [
    "/",
    "/chat",
    "/chat/{}",
    "/message/{}",
    "/tickets",
    "/ticket/{}",
    "/comment/{}",
    "/docs",
    "/doc/{}",
    "/mail",
    "/mail/{}",
    "/calendar",
    "/event/{}",
    "/people",
    "/person/{}",
    "/commits",
    "/commit/{}",
    "/search",
    "/tasks",
    "/task/{}",
    "/runs",
    "/run/{}",
    "/run/base/t/{}",
    "/run/base/compare",
    "/episode",
    "/compare/{}/{}",
    "/compare/ticket/{}",
    "/{}",
]
PARAMS = ["page", "q", "project", "status", "family", "task", "token", "back"]
HOSTILE = [
    "%00",  # NUL
    "%ED%A0%80",  # a lone surrogate, as UTF-8 would write it
    "%FF%FE",  # not UTF-8
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%25",
    "99999999999999999999",
    "-99999999999999999999",
    "1" * 5000,  # past Python's int-parsing digit limit
    "ENG-3",
    "general",
    "0",
]


def encoded(value: str) -> str:
    """``value`` percent-encoded as its UTF-8 bytes, lone surrogates included."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


segments = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40).map(encoded),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
OPERATIONS = ["post_message", "comment_ticket", "update_ticket", "send_email", "create_event", "nope"]
FIELDS = [
    "channel",
    "text",
    "thread_id",
    "key",
    "body",
    "status",
    "priority",
    "assignee",
    "reply_to",
    "title",
]
FIELDS += ["start", "duration_minutes", "attendees", "back"]


@pytest.fixture(scope="module")
def live(anon_db: Path, sample_db: Path, runs_dir: Path) -> Iterator[httpx.Client]:
    """A live operable viewer on loopback and a client that sends its token."""
    app = create_viewer(World.open(anon_db), runs=runs_dir, operable=True, raw=sample_db, token=TOKEN)
    with (
        running(app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client,
    ):
        client.form_token = form_token(app)  # type: ignore[attr-defined]
        yield client


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    route=st.sampled_from(ROUTES),
    parts=st.lists(segments, min_size=2, max_size=2),
    query=st.lists(st.tuples(st.sampled_from(PARAMS), segments), max_size=3),
)
@example(
    route="/tickets", parts=["", ""], query=[("page", "99999999999999999999")]
)  # the 500 the audit found
@example(route="/run/base/t/{}", parts=["1" * 5000, ""], query=[])  # past int parsing's digit limit
@example(route="/search", parts=["", ""], query=[("q", "%ED%A0%80%00")])  # a lone surrogate and NUL
@example(route="/compare/{}/{}", parts=["ticket", "%00"], query=[("token", "%00")])
def test_when_routes_get_hostile_paths_and_parameters_then_no_answer_is_a_server_error(
    live: httpx.Client, route: str, parts: list[str], query: list[tuple[str, str]]
) -> None:
    path = route.format(*parts)
    target = path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")
    answer = live.get(target)
    assert answer.status_code < 500, (target[:200], answer.status_code)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    operation=st.sampled_from(OPERATIONS),
    fields=st.dictionaries(
        st.sampled_from(FIELDS), st.one_of(st.sampled_from(HOSTILE), st.text(max_size=30))
    ),
)
def test_when_forms_post_hostile_values_then_no_answer_is_a_server_error(
    live: httpx.Client, operation: str, fields: dict[str, str]
) -> None:
    data = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in fields.items()}
    data[FORM_TOKEN] = live.form_token  # type: ignore[attr-defined]
    answer = live.post(f"/op/{operation}", data=data)
    assert answer.status_code < 500, (operation, answer.status_code)


def test_when_raw_bytes_are_hostile_then_the_server_answers_4xx_and_lives(live: httpx.Client) -> None:
    host, port = live.base_url.host, live.base_url.port
    assert port is not None
    for request in (
        b"GET /\x00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # NUL in the request line
        b"GET /ticket/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # bytes that are not ASCII
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"a" * 100_000 + b"\r\n\r\n",  # a huge header
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello to a plain-HTTP server
    ):
        with socket.create_connection((host, port), timeout=10) as s:
            s.sendall(request)
            reply = s.recv(64)
        assert reply == b"" or reply.startswith(b"HTTP/1.1 4"), reply
    assert live.get("/").status_code == 200
