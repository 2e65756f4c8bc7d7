r"""Text torture: hostile text planted in every kind of record of every format, read end to end.

The text holds every character ``str.splitlines`` ends a line at (U+2028, U+2029, U+0085, \x0b,
\x0c, \x1c-\x1e), NUL, C0 and C1 controls, lone surrogates (as ``\ud800`` escapes, in JSON sources),
bidi controls, zero-width characters, combining marks, emoji ZWJ sequences, CRLF and lone CR; mail
carries it in latin-1 and cp1252 bodies with and without (or with wrong) charsets and in RFC 2047
subjects. Two layers:

* **each reader, many examples**: a source of one format holding the text is ingested, and every
  record must be stored or quarantined, and the stored text must be the text as written;
* **the whole pipeline, few examples** (over the bundled sample and a slice of a real corpus, the
  text planted at the start of every text of every record; one example with a 1 MB line):
  ingest -> anonymize -> tasks -> run (oracle, noop) -> export (every format) -> report -> view.
  Nothing may crash; records read = stored + quarantined; every JSONL line is one JSON value that
  reads back equal; and what a person reads (tool observations, viewer pages, the report) shows the
  planted text, neither cut at a separator nor turned into mojibake.

Hypothesis runs derandomized and without its example database, so CI sees the same examples on
every run, and shrinks a failure to a minimal text.
"""

from __future__ import annotations

import functools
import html
import json
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests import torture as T
from tests.report.viewer_client import signed_in
from tests.test_build import assert_accounted
from workgym.agents import AgentSpec
from workgym.anonymize.run import anonymize_workspace
from workgym.cli import sample_workspace
from workgym.export import ExportOptions, export
from workgym.link.build import BuildReport, build_workspace
from workgym.report import write_report
from workgym.report.viewer import create_viewer
from workgym.rollout import RunConfig, run
from workgym.store import connect
from workgym.tasks import Task, generate_tasks, load_tasks, write_tasks
from workgym.world import World

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]
READERS = settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=_HEALTH
)
"""The cheap per-reader round trips: many examples."""
PIPELINE = settings(
    max_examples=1, deadline=None, derandomize=True, database=None, suppress_health_check=_HEALTH
)
"""The whole pipeline: one drawn example besides the explicit ones (each takes seconds)."""

KEY = b"torture-key-0123456789abcdefghij"
EXPORT_FORMATS = ["openai-chat", "react", "sharegpt", "toolformer", "dpo", "rl"]
JSON_FORMATS = frozenset({"slack", "jira", "git-jsonl"})
"""The formats whose sources are JSON, and so can hold lone surrogates (as escapes)."""


# --- each reader -----------------------------------------------------------------------------------


def ingest(sources: list[Path], db: Path) -> BuildReport:
    """Build a workspace and check that every record read was stored or quarantined."""
    report = build_workspace(sources, db)
    assert report.read == report.stored + report.quarantined
    assert_accounted(report, db)
    return report


def stored(conn: sqlite3.Connection, probe: T.Probe) -> str:
    column, value = probe.key
    row = conn.execute(
        f'SELECT "{probe.column}" FROM "{probe.table}" WHERE "{column}" = ?', (value,)
    ).fetchone()
    assert row is not None, f"no {probe.table} with {column} = {value!r}"
    return str(row[0])


def assert_read_as_written(db: Path, probes: list[T.Probe]) -> None:
    conn = connect(db)
    try:
        for probe in probes:
            got = T.between(stored(conn, probe))
            assert got is not None, f"{probe.table}.{probe.column}: the planted text is not there"
            if probe.exact:
                assert got == probe.expected, f"{probe.table}.{probe.column}"
            else:
                assert T.visible(got) == T.visible(probe.expected), f"{probe.table}.{probe.column}"
    finally:
        conn.close()


def read_back(tmp: Path, writer: T.Writer, text: str) -> None:
    """Write a source holding ``text``, ingest it, and check the text was read as written."""
    source = tmp / "source"
    source.mkdir()
    probes = writer(source, text)
    ingest([source], tmp / "w.db")
    assert_read_as_written(tmp / "w.db", probes)


EVERY_PIECE = "".join(T.PIECES)


@pytest.mark.parametrize("name", sorted(set(T.WRITERS) - JSON_FORMATS))
@READERS
@given(text=T.torture_text())
@example(text=EVERY_PIECE)
def test_when_a_record_holds_hostile_text_then_its_reader_stores_it_as_written(
    name: str, text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    read_back(tmp_path_factory.mktemp(name), T.WRITERS[name], text)


@pytest.mark.parametrize("name", sorted(JSON_FORMATS))
@READERS
@given(text=T.torture_text(surrogates=True))
@example(text=EVERY_PIECE + "".join(T.LONE_SURROGATES))
@example(text="\ud83d").via("half an emoji")
def test_when_a_json_record_holds_lone_surrogates_then_each_is_stored_as_a_replacement_character(
    name: str, text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    read_back(tmp_path_factory.mktemp(name), T.WRITERS[name], text)


def _mail_case(body: str, subject: str) -> st.SearchStrategy[tuple[str, str, str]]:
    """A text a body and subject so written can hold: a legacy charset's letters, else any."""
    legacy = [a for a in (T.mail_alphabet(body), T.mail_alphabet(subject)) if a is not None]
    if legacy:
        text = st.text("".join(c for c in legacy[0] if all(c in a for a in legacy)), min_size=1, max_size=40)
    else:
        text = T.torture_text()
    return text.map(lambda t: (body, subject, t))


MAIL_CASES = st.tuples(st.sampled_from(T.BODY_ENCODINGS), st.sampled_from(T.SUBJECT_ENCODINGS)).flatmap(
    lambda pair: _mail_case(*pair)
)


def _valid_utf8(text: str, charset: str) -> bool:
    data = text.encode(charset)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not data.isascii()


@pytest.mark.parametrize("kind", ["mbox", "maildir", "eml"])
@READERS
@given(case=MAIL_CASES)
@example(
    case=(
        "8bit utf-8 declared latin-1",
        "rfc2047 bad charset",
        "caf\u00e9 \u0915\u094d\u0937 \U0001f469\u200d\U0001f4bb",
    )
)
@example(case=("8bit latin-1 undeclared", "rfc2047 q latin-1", "caf\u00e9 na\u00efve \u00c5ngstr\u00f6m"))
@example(case=("quoted-printable cp1252", "raw utf-8", "\u201cquoted\u201d \u20ac5 \u2014 \u0153uvre"))
@example(case=(T.BODY_ENCODINGS[0], T.SUBJECT_ENCODINGS[0], "".join(T.PIECES)))
def test_when_a_mail_holds_hostile_text_in_any_charset_then_subject_and_body_read_as_written(
    kind: str, case: tuple[str, str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    body, subject, text = case
    charset = T.body_charset(body)
    if charset != "utf-8":
        # Legacy 8-bit text that is also valid UTF-8 is read as UTF-8 (mislabelled UTF-8 is far
        # more common): such text is ambiguous, and left out.
        assume(not _valid_utf8(T.mail_body_text(text), charset))
    read_back(tmp_path_factory.mktemp(kind), T.mail_writer(kind, body, subject), text)


# --- the whole pipeline ----------------------------------------------------------------------------


@dataclass
class Outputs:
    """What one pipeline run wrote."""

    raw: Path
    anon: Path
    tasks: list[Task]
    tasks_file: Path
    run: Path
    report: Path
    data: Path
    root: Path


def pipeline(sources: list[Path], out: Path, n_tasks: int, *, leak_check: bool = True) -> Outputs:
    """Every stage, as the CLI runs them, into ``out`` (the export re-scanned for leaks unless told not to)."""
    raw, anon = out / "workspace.db", out / "anon.db"
    ingest(sources, raw)
    key_file = out / "torture.key"
    key_file.write_text(f"workgym-key-v1:{KEY.hex()}\n", encoding="ascii")
    audit = anonymize_workspace(raw, anon, KEY)
    assert audit.leaks.count == 0
    world = World.open(anon)
    tasks, _ = generate_tasks(world, n=n_tasks, seed=0)
    assert tasks, "no task was mined"
    tasks_file = out / "tasks.jsonl"
    write_tasks(tasks, tasks_file)
    run_dir = out / "runs" / "torture"
    agents = [AgentSpec("oracle"), AgentSpec("noop")]
    summary = run(RunConfig(workspace=anon, tasks=tasks, agents=agents, out=run_dir, tasks_file=tasks_file))
    assert summary["by_agent"]["oracle"]["success_rate"] == 1.0
    assert summary["by_agent"]["noop"]["success_rate"] == 0.0
    report = write_report(run_dir)
    data = out / "data"
    scan = ExportOptions(formats=EXPORT_FORMATS, raw=raw, key=key_file)
    export([run_dir], data, scan if leak_check else ExportOptions(formats=EXPORT_FORMATS))
    return Outputs(raw, anon, tasks, tasks_file, run_dir, report, data, out)


_TEXT_TYPES = ("TEXT",)


def planted_values(db: Path) -> dict[tuple[str, str], Counter[str]]:
    """Per (table, column): what lies between the sentinels, in every row that has them."""
    conn = connect(db)
    try:
        found: dict[tuple[str, str], Counter[str]] = {}
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'quarantine'"
            )
        ]
        for table in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[2] in _TEXT_TYPES]
            for column in columns:
                sql = f'SELECT "{column}" FROM "{table}" WHERE instr("{column}", ?) > 0'
                for (value,) in conn.execute(sql, (T.BEGIN,)):
                    got = T.between(value)
                    if got is not None:
                        found.setdefault((table, column), Counter())[got] += 1
        return found
    finally:
        conn.close()


def forms(texts: list[str]) -> frozenset[str]:
    """Every text a reader may rightly store for a planted text (see each writer's rules)."""
    return _forms(tuple(texts))


@functools.lru_cache(maxsize=4)
def _forms(texts: tuple[str, ...]) -> frozenset[str]:
    out: set[str] = set()
    for text in texts:
        plain = T.no_surrogates(text)
        out |= {
            T.as_json_reads(text),
            plain,
            plain.replace("\x00", ""),
            T.mail_body_text(plain),
            T.mail_subject_text(plain, "rfc2047 b utf-8"),
            T.ics_text(plain),
            T.pdf_text(plain),
            re.sub("[\r\n]", "\n", T.docx_text(plain)),
            T.irc_line(plain),
        }
    return frozenset(out)


def assert_planted_intact(out: Outputs, texts: list[str], kinds: tuple[str, ...]) -> None:
    """The raw workspace stores the planted texts as written; anonymizing leaves them as they were."""
    raw = planted_values(out.raw)
    allowed = forms(texts)
    for (table, column), values in raw.items():
        for value in values:
            if value not in allowed and (column == "title" or table == "document"):  # titles and HTML re-flow
                assert T.visible(html.unescape(value)) in {T.visible(f) for f in allowed}, f"{table}.{column}"
            else:
                assert value in allowed, f"{table}.{column}"
    for kind in kinds:
        assert any(table == kind for table, _ in raw), f"no {kind} holds the planted text"
    anon = planted_values(out.anon)
    assert set(anon) == set(raw)
    for place, values in raw.items():
        assert anon[place] == values, f"anonymizing changed the planted text in {place[0]}.{place[1]}"


def assert_jsonl_whole(out: Outputs) -> None:
    """Every JSONL file: one JSON value a line, no line end but LF inside it; tasks read back equal."""
    files = sorted(out.root.rglob("*.jsonl"))
    assert len(files) >= 2 + 2 * len(EXPORT_FORMATS)
    for path in files:
        data = path.read_bytes()
        text = data.decode("utf-8")  # strict: no lone surrogate was written
        lines = [line for line in text.split("\n") if line.strip()]
        assert len(text.splitlines()) == text.count("\n"), (
            f"{path.name}: a line end other than LF inside a line"
        )
        decoder = json.JSONDecoder()
        for number, line in enumerate(lines, 1):
            value, end = decoder.raw_decode(line)
            assert end == len(line.rstrip("\r ")), f"{path.name}:{number}: more than one JSON value"
            assert json.loads(json.dumps(value, ensure_ascii=False)) == value
    assert load_tasks(out.tasks_file) == out.tasks
    assert load_tasks(out.run / "tasks.jsonl") == out.tasks


_WORD = re.compile(r"[^\W\d_]\w{3,}")
"""A word as a task's search excerpt takes it (see ``Gen.words``)."""

_MOJIBAKE = re.compile("[\u00c2-\u00f4][\u00a0-\u00bf]")
"""UTF-8 read as latin-1 or cp1252: ``Ã©`` for ``é``."""

_CUT = ("\u2026", "[\u2026", "[page")
"""How a surface says it shows only the start of a text: ``…``, ``[… N more characters]``, ``[page 1 of N]``."""


def _common(a: str, b: str) -> int:
    """The length of the common prefix of two texts (by halving: the texts may be a million long)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _subsequence(part: list[str], whole: list[str]) -> bool:
    rest = iter(whole)
    return all(any(w == x for x in rest) for w in part)


class Reader:
    """A person reading surfaces that show the planted texts, who knows what they should see."""

    def __init__(self, texts: list[str]) -> None:
        self.forms = forms(texts)
        self.visible = {T.visible(f) for f in self.forms}
        self.words = [_WORD.findall(f"{T.BEGIN} {f} {T.END}") for f in self.forms]
        self.fffd = any(T.no_surrogates(t) != t for t in texts)  # a lone surrogate reads as U+FFFD

    def reads(self, surface: str, where: str) -> None:
        """Wherever ``surface`` shows a planted text, it shows it as planted, and nothing is mojibake.

        As planted: whole; or cut where the surface says so (:data:`_CUT`); or, in a quoted search
        excerpt, some of its words in order. A text shown changed (a character turned into mojibake
        or U+FFFD, a part cut off without saying so, a word cut in two) fails.
        """
        if not self.fffd:
            assert "\ufffd" not in surface, f"{where}: U+FFFD where the input had a valid character"
        for chunk in surface.split(T.BEGIN)[1:]:
            excerpt = chunk.split(T.END)[0] if T.END in chunk else chunk
            seen = T.visible(excerpt)
            best = max(_common(seen, form) for form in self.visible)
            rest = seen[best:]
            if best in (len(seen), *(len(f) for f in self.visible)) or rest.startswith(_CUT):
                continue
            quoted = _WORD.findall(T.BEGIN + (excerpt if T.END in chunk else re.split('["\u201d]', chunk)[0]))
            assert any(self._excerpt(quoted, w) for w in self.words), (
                f"{where} shows a planted text changed after {seen[:best][-20:]!r}: {rest[:20]!r}"
            )
        outside = "".join(chunk.split(T.END)[-1] for chunk in surface.split(T.BEGIN))
        assert not _MOJIBAKE.search(T.visible(outside)), f"{where}: double-encoded UTF-8"

    @staticmethod
    def _excerpt(quoted: list[str], planted: list[str]) -> bool:
        """Whether quoted words are an excerpt of a planted text: its words in order, none cut in two.

        Words after the planted text (the record's own) may follow.
        """
        known = set(planted)
        cut = [w for w in quoted if w not in known and any(w in p for p in known)]
        return not cut and _subsequence([w for w in quoted if w in known], planted)

    def sees(self, value: str, surface: str, where: str, *, whole: bool = True) -> None:
        """The surface shows this planted value: all of it, or (``whole`` false, a 1 MB one) its start."""
        want = T.visible(value)
        assert (want if whole else want[:200]) in T.visible(surface), (
            f"{where}: the planted text is not shown"
        )
        self.reads(surface, where)


COLUMN = {
    "message": "text",
    "ticket": "description",
    "ticket_comment": "body",
    "email": "body",
    "document": "text",
    "calendar_event": "description",
    "commit": "message",
}
"""The text column of each kind of record that a person reads."""
KINDS = tuple(COLUMN)


def records(anon: Path, kinds: tuple[str, ...], limit: int) -> Iterator[tuple[str, sqlite3.Row]]:
    """Up to ``limit`` records of each kind that hold the planted text, the longest first."""
    conn = connect(anon)
    conn.row_factory = sqlite3.Row
    try:
        for table in kinds:
            column = COLUMN[table]
            rows = conn.execute(
                f'SELECT * FROM "{table}" WHERE instr("{column}", ?) > 0'
                f' ORDER BY length(CAST("{column}" AS BLOB)) DESC, id LIMIT ?',
                (T.BEGIN, limit),
            ).fetchall()
            assert rows, f"no {table} in the anonymized workspace holds the planted text"
            yield from ((table, row) for row in rows)
    finally:
        conn.close()


def _tool_call(table: str, row: sqlite3.Row) -> tuple[str, dict[str, str]]:
    """The tool (and its arguments) a person uses to read a record."""
    if table == "message":
        return "read_thread", {"message_id": row["id"]}
    if table in ("ticket", "ticket_comment"):
        return "get_ticket", {"key": row["id"] if table == "ticket" else row["ticket_id"]}
    if table == "email":
        return "read_email_thread", {"email_id": row["id"]}
    if table == "document":
        return "read_doc", {"doc": row["id"]}
    if table == "calendar_event":
        return "list_events", {"after": row["start"][:10], "before": row["start"][:10]}
    return "get_commit", {"sha": row["id"]}


def _observe(world: World, table: str, row: sqlite3.Row) -> str:
    """The observation of the tool a person uses to read the record."""
    name, arguments = _tool_call(table, row)
    episode = world.episode()
    try:
        observation = episode.step({"name": name, "arguments": arguments})
    finally:
        episode.close()
    assert observation.info.get("error") is None, f"{name}: {observation.text[:300]}"
    return observation.text


_PAGES = {
    "message": "/message/{}",
    "ticket": "/ticket/{}",
    "email": "/mail/{}",
    "document": "/doc/{}",
    "calendar_event": "/event/{}",
    "commit": "/commit/{}",
}


def _page(table: str, row: sqlite3.Row) -> str:
    """The viewer page that shows a record."""
    if table == "ticket_comment":
        return f"/ticket/{quote(row['ticket_id'], safe='')}"
    return _PAGES[table].format(quote(row["id"], safe=""))


def page_text(page: str) -> str:
    """What a person reads on a page: its text, entities decoded, without scripts or styles."""
    soup = BeautifulSoup(page, "html.parser")
    for tag in soup(["style", "script"]):
        tag.decompose()
    return soup.get_text()


def assert_people_read_it(out: Outputs, texts: list[str], kinds: tuple[str, ...], long: bool) -> None:
    """Tool observations, viewer pages and the report show the planted text as planted."""
    person = Reader(texts)
    world = World.open(out.anon)
    client = signed_in(create_viewer(world, runs=out.run))
    for table, row in records(out.anon, kinds, limit=2):
        value = T.between(row[COLUMN[table]])
        assert value is not None
        whole = not long or len(value) < 100_000
        where = f"{table} {row['id'][:60]!r}"
        if table != "calendar_event":  # no tool shows an event's description (list_events shows its title)
            person.sees(value, _observe(world, table, row), f"tool observation of {where}", whole=whole)
        answer = client.get(_page(table, row))
        assert answer.status_code == 200, f"viewer page of {where}: {answer.status_code}"
        person.sees(value, page_text(answer.text), f"viewer page of {where}", whole=whole)
    pages = [
        "/",
        "/chat",
        "/tickets",
        "/docs",
        "/mail",
        "/calendar",
        "/commits",
        "/people",
        "/tasks",
        "/runs",
    ]
    pages += [f"/task/{quote(task.id, safe='')}" for task in out.tasks[:5]]
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, path
        person.reads(page_text(answer.text), f"viewer page {path}")
    report = page_text(out.report.read_text(encoding="utf-8"))
    assert T.BEGIN in report, "the report quotes no planted text"
    person.reads(report, "the report")


def check_pipeline(
    sources: list[Path],
    out: Path,
    texts: list[str],
    *,
    kinds: tuple[str, ...] = KINDS,
    long: bool = False,
    n_tasks: int = 30,
    leak_check: bool = True,
) -> None:
    """Run every stage and check what each wrote (see the module docstring)."""
    result = pipeline(sources, out, n_tasks, leak_check=leak_check)
    assert_planted_intact(result, texts, kinds)
    assert_jsonl_whole(result)
    assert_people_read_it(result, texts, kinds, long)


PIPELINE_TEXT = st.lists(
    st.one_of(st.sampled_from(T.PIECES), st.sampled_from(T.LONE_SURROGATES)), min_size=3, max_size=24
).map("".join)
"""Planted text for the whole pipeline: the hostile pieces only (random letters could be a name)."""

_UNIT = "caf\u00e9 \U0001f469\u200d\U0001f4bb na\u00efve \u202eright-to-left\u202c \u65e5\u672c\u8a9e e\u0301 \u2028 "
LONG_LINE = _UNIT * (2**20 // len(_UNIT.encode("utf-8")) + 1)
"""A line (no LF in it) of over a MiB of UTF-8, for one record of each kind."""


def sample_copy(root: Path) -> list[Path]:
    """The bundled sample copied under ``root``, with the sources it lacks (Word, PDF, .eml, maildir, IRC, git) added."""
    copy = root / "acme"
    shutil.copytree(sample_workspace(), copy, ignore=shutil.ignore_patterns("README.md", "MANIFEST.json"))
    return sorted(p for p in copy.iterdir() if p.is_dir())


def add_sources(root: Path, text: str) -> list[str]:
    """Sources of the formats the sample has no file of, each holding the text; the texts planted."""
    plain = T.no_surrogates(text)
    texts = [text]
    extra = root / "acme" / "extra"
    extra.mkdir()
    for name in ("docx", "pdf", "irclog", "pircbot", "git"):
        folder = extra / name
        folder.mkdir()
        T.WRITERS[name](folder, plain)
    for kind, body, subject in (
        ("eml", "8bit latin-1 undeclared", "rfc2047 q latin-1"),
        ("maildir", "quoted-printable cp1252", "rfc2047 bad charset"),
    ):
        folder = extra / kind
        folder.mkdir()
        alphabet = T.mail_alphabet(body) or ""
        legacy = "".join(c for c in plain if c in alphabet) or "caf\u00e9"
        T.mail_writer(kind, body, subject)(folder, legacy)
        texts.append(legacy)
    return texts


@PIPELINE
@given(text=PIPELINE_TEXT)
@example(text="".join(T.PIECES) + "".join(T.LONE_SURROGATES)).via("every piece at once")
@example(text="\u2028").via("one separator")
def test_when_every_record_of_the_sample_holds_hostile_text_then_every_stage_shows_it(
    text: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("sample")
    sources = sample_copy(root)
    T.Planter(text).plant(root / "acme")
    texts = add_sources(root, text)
    check_pipeline([*sources, root / "acme" / "extra"], root / "out", texts)


def test_when_one_record_of_each_kind_holds_a_1_mb_line_then_every_stage_shows_it(
    tmp_path: Path,
) -> None:
    text = "".join(T.PIECES)
    sources = sample_copy(tmp_path)
    T.Planter(text, first=LONG_LINE).plant(tmp_path / "acme")
    check_pipeline(sources, tmp_path / "out", [text, LONG_LINE], long=True, n_tasks=20)


def real_slice(shared_data: Path, root: Path) -> list[Path]:
    """A few files of two real corpora (a Slack export, Jira issues and their commits), copied under ``root``."""
    slack_from = shared_data / "houstondatavis-slack"
    jira_from = shared_data / "titanium" / "jira" / "ALOY" / "1-999"
    commits_from = shared_data / "titanium" / "git_alloy" / "commits.jsonl"
    if not (slack_from / "users.json").is_file() or not jira_from.is_dir() or not commits_from.is_file():
        pytest.skip(f"the houstondatavis-slack and titanium corpora are not under {shared_data}")
    slack = root / "slack"
    slack.mkdir()
    for name in ("users.json", "channels.json"):
        shutil.copy(slack_from / name, slack / name)
    for channel in ("general", "datasets"):
        (slack / channel).mkdir()
        for day in sorted((slack_from / channel).glob("*.json"))[:6]:
            shutil.copy(day, slack / channel / day.name)
    jira = root / "jira"
    jira.mkdir()
    for issue in sorted(jira_from.glob("*.json"))[:25]:
        shutil.copy(issue, jira / issue.name)
    git = root / "git_alloy"
    git.mkdir()
    with commits_from.open("rb") as source, (git / "commits.jsonl").open("wb") as target:
        for _ in range(150):
            target.write(source.readline())
    return [slack, jira, git]


@PIPELINE
@given(text=PIPELINE_TEXT)
@example(text="".join(T.PIECES) + "".join(T.LONE_SURROGATES)).via("every piece at once")
def test_when_a_real_corpus_slice_holds_hostile_text_then_every_stage_shows_it(
    text: str, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("real")
    sources = real_slice(shared_data, root)
    for source in sources:
        T.Planter(text).plant(source)
    kinds = ("message", "ticket", "ticket_comment", "commit")
    check_pipeline(sources, root / "out", [text], kinds=kinds, n_tasks=20)
