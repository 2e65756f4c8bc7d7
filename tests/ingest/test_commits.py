"""Commits from a git repository and from JSON lines: the same records, and what goes wrong."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from workgym.ingest import commits
from workgym.ingest.base import SNIFF_BYTES, Item
from workgym.model import Commit, Identity, Quarantined

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ADA = ("Ada Quill", "Ada.Quill@Example.org")  # fictional
BEN = ("Ben Wire", "ben@example.org")


def git(repo: Path, *args: str, when: str = "2020-01-01T12:00:00+02:00", who: tuple[str, str] = ADA) -> str:
    """Run git in ``repo`` with a fixed clock and person, and no user or system config."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME=who[0],
        GIT_AUTHOR_EMAIL=who[1],
        GIT_AUTHOR_DATE=when,
        GIT_COMMITTER_NAME=BEN[0],
        GIT_COMMITTER_EMAIL=BEN[1],
        GIT_COMMITTER_DATE=when,
        LC_ALL="C",
    )
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A small repository: an add, a rename, a merged side branch, odd file names, a commit off HEAD.

    Its history (newest first) is: merge, "Fix DEMO-12" (on the side branch), "Rename", "Initial".
    """
    path = tmp_path / "Demo-Repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "a b.txt").write_text("one\n")
    (path / "docs").mkdir()
    (path / "docs" / "résumé.md").write_text("two\n")
    git(path, "add", "-A")
    git(
        path,
        "commit",
        "-q",
        "--cleanup=verbatim",  # keep the CRLF as written
        "-m",
        "Initial\n\nWith a body,\r\nand a CRLF line.\n",
        when="2020-01-01T12:00:00+02:00",
    )
    git(path, "mv", "a b.txt", "c.txt")
    git(path, "commit", "-q", "-m", "Rename", when="2020-01-02T12:00:00-05:00")
    git(path, "checkout", "-q", "-b", "side")
    (path / "tab\tname.txt").write_text("three\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Fix DEMO-12", when="2020-01-03T12:00:00+00:00", who=("Cy", ""))
    git(path, "checkout", "-q", "main")
    git(path, "merge", "-q", "--no-ff", "-m", "Merge branch 'side'", "side", when="2020-01-04T12:00:00+00:00")
    git(path, "checkout", "-q", "-b", "unmerged")
    (path / "later.txt").write_text("four\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "Not on HEAD's branch", when="2020-01-05T12:00:00+00:00")
    git(path, "checkout", "-q", "main")
    return path


def of(items: list[Item], kind: type) -> list[Any]:
    return [item for item in items if isinstance(item, kind)]


@needs_git
def test_when_repository_is_read_then_head_history_gives_commits_newest_first(repo: Path) -> None:
    items = list(commits.parse_repository(repo, "demo"))

    assert of(items, Quarantined) == []
    found = of(items, Commit)
    assert [c.message for c in found] == [
        "Merge branch 'side'",
        "Fix DEMO-12",
        "Rename",
        "Initial\n\nWith a body,\r\nand a CRLF line.",  # as written, less git's final line end
    ]
    assert [c.id for c in found] == git(repo, "rev-list", "HEAD").split()
    merge, fix, rename, initial = found
    assert merge.parents == (rename.id, fix.id)
    assert initial.parents == ()
    assert initial.files == ("A\ta b.txt", "A\tdocs/résumé.md")  # paths as bytes, never quoted
    assert rename.files == ("R100\ta b.txt\tc.txt",)
    assert fix.files == ("A\ttab\tname.txt",)
    assert merge.files == ()
    assert (initial.authored, rename.committed) == ("2020-01-01T10:00:00+00:00", "2020-01-02T17:00:00+00:00")
    assert (initial.author, initial.committer) == ("email:ada.quill@example.org", "email:ben@example.org")
    assert fix.author == "git:Cy"  # no address
    assert {c.repo for c in found} == {"demo-repo"}  # the folder, lowercased
    assert {c.locator for c in found} == {f"demo/{c.id}" for c in found}


@needs_git
def test_when_repository_is_read_then_each_person_is_one_identity(repo: Path) -> None:
    identities = of(list(commits.parse_repository(repo, "")), Identity)

    assert sorted((i.key, i.display_name, i.emails) for i in identities) == [
        ("email:ada.quill@example.org", "Ada Quill", ("Ada.Quill@Example.org",)),  # address as written
        ("email:ben@example.org", "Ben Wire", ("ben@example.org",)),
        ("git:Cy", "Cy", ()),
    ]


@needs_git
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/TiDev/Alloy.git", "tidev/alloy"),  # https, lowercased, .git dropped
        ("https://user:secret@github.com/tidev/alloy/", "tidev/alloy"),  # credentials and trailing slash
        ("git@github.com:DSpace/DSpace.git", "dspace/dspace"),  # scp-like ssh
        ("ssh://git@gitlab.example.org:2222/group/tools.git", "group/tools"),  # ssh with a port
        ("/srv/git/mirror.git", "mirror"),  # a local path names no owner
        ("file:///srv/git/mirror.git", "mirror"),  # nor does a file URL
    ],
)
def test_when_origin_is_set_then_repo_is_owner_and_name(repo: Path, url: str, name: str) -> None:
    git(repo, "remote", "add", "origin", url)

    found = of(list(commits.parse_repository(repo, "demo")), Commit)

    assert {c.repo for c in found} == {name}


@needs_git
def test_when_repository_is_bare_then_it_is_recognised_and_reads_the_same(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "mirror.git"
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(bare))
    git(bare, "remote", "remove", "origin")

    assert commits.is_repository(bare)
    work = of(list(commits.parse_repository(repo, "")), Commit)
    mirrored = of(list(commits.parse_repository(bare, "")), Commit)
    assert mirrored == [replace(c, repo="mirror") for c in work]


@needs_git
def test_when_the_git_folder_itself_is_given_then_the_work_tree_names_the_repo(repo: Path) -> None:
    assert commits.is_repository(repo / ".git")

    found = of(list(commits.parse_repository(repo / ".git", ".git")), Commit)

    assert len(found) == 4
    assert {c.repo for c in found} == {"demo-repo"}


@needs_git
@pytest.mark.skipif(
    getattr(os, "geteuid", lambda: -1)() != 0, reason="handing files to another owner needs root"
)
def test_when_repository_belongs_to_another_user_then_it_is_still_read(repo: Path) -> None:
    for path in [repo, *repo.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)  # nobody: git calls such a repository dubious

    found = of(list(commits.parse_repository(repo, "demo")), Commit)

    assert len(found) == 4


@needs_git
def test_when_repository_has_no_commits_then_nothing_is_yielded(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "empty")

    assert commits.is_repository(tmp_path / "empty")
    assert list(commits.parse_repository(tmp_path / "empty", "empty")) == []


@needs_git
def test_when_git_cannot_read_the_folder_then_it_is_quarantined(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    (broken / ".git").mkdir(parents=True)  # looks like a work tree, but holds no repository

    [item] = list(commits.parse_repository(broken, "broken"))

    assert isinstance(item, Quarantined)
    assert item.locator == "broken"
    assert item.reason.startswith("git cannot read the repository: "), item.reason


@pytest.mark.parametrize(
    ("make", "recognised"),
    [
        (lambda p: (p / ".git").mkdir(), True),  # a work tree
        (lambda p: (p / ".git").write_text("gitdir: ../real/.git/worktrees/x\n"), True),  # a linked work tree
        (
            lambda p: [(p / "objects").mkdir(), (p / "refs").mkdir(), (p / "HEAD").write_text("ref: x\n")],
            True,
        ),  # bare
        (lambda p: (p / "HEAD").write_text("ref: x\n"), False),  # HEAD alone
        (lambda p: (p / ".git").write_text("not a pointer\n"), False),  # a stray .git file
        (lambda p: None, False),  # an empty folder
    ],
)
def test_when_folder_is_checked_then_only_repositories_are_recognised(
    tmp_path: Path, make: Any, recognised: bool
) -> None:
    make(tmp_path)

    assert commits.is_repository(tmp_path) is recognised


@needs_git
def test_when_git_history_is_exported_as_jsonl_then_both_forms_read_the_same(
    repo: Path, tmp_path: Path
) -> None:
    from_git = of(list(commits.parse_repository(repo, "")), Commit)
    export = tmp_path / "git_demo-repo" / "commits.jsonl"
    export.parent.mkdir()
    with export.open("w", encoding="utf-8") as fh:
        for c in from_git:
            line = {
                "sha": c.id,
                "parents": list(c.parents),
                "author_name": git(repo, "show", "-s", "--format=%an", c.id),
                "author_email": git(repo, "show", "-s", "--format=%ae", c.id),
                "author_date": git(repo, "show", "-s", "--format=%aI", c.id),
                "committer_name": "Ben Wire",
                "committer_email": "ben@example.org",
                "committer_date": git(repo, "show", "-s", "--format=%cI", c.id),
                "message": c.message,
                "files": [f.split("\t") for f in c.files],
            }
            fh.write(json.dumps(line) + "\n")

    from_jsonl = of(list(commits.parse_jsonl(export, "commits.jsonl")), Commit)

    assert [replace(c, locator="") for c in from_jsonl] == [replace(c, locator="") for c in from_git]
    assert [c.locator for c in from_jsonl] == [
        "commits.jsonl:1",
        "commits.jsonl:2",
        "commits.jsonl:3",
        "commits.jsonl:4",
    ]


def jsonl_line(sha: str = "a" * 40, **changes: Any) -> bytes:
    line: dict[str, Any] = {
        "sha": sha,
        "parents": ["b" * 40],
        "author_name": "Ada Quill",
        "author_email": "ada@example.org",
        "author_date": "2025-11-23T19:51:13-06:00",
        "committer_name": "Ada Quill",
        "committer_email": "ada@example.org",
        "committer_date": "2025-11-23T19:51:13-06:00",
        "message": "Fix DEMO-1\n\nSee #12",
        "files": [["M", "package.json"], ["R087", "old.js", "new.js"]],
    }
    line.update(changes)
    return json.dumps(line).encode() + b"\n"


def test_when_jsonl_line_is_read_then_commit_has_every_field(tmp_path: Path) -> None:
    path = tmp_path / "git_demo" / "commits.jsonl"
    path.parent.mkdir()
    path.write_bytes(jsonl_line())

    items = list(commits.parse_jsonl(path, "git_demo/commits.jsonl"))

    assert items == [
        Identity(
            key="email:ada@example.org",
            locator="git_demo/commits.jsonl:1",
            display_name="Ada Quill",
            emails=("ada@example.org",),
        ),
        Commit(
            id="a" * 40,
            message="Fix DEMO-1\n\nSee #12",
            locator="git_demo/commits.jsonl:1",
            repo="demo",
            parents=("b" * 40,),
            author="email:ada@example.org",
            committer="email:ada@example.org",
            authored="2025-11-24T01:51:13+00:00",
            committed="2025-11-24T01:51:13+00:00",
            files=("M\tpackage.json", "R087\told.js\tnew.js"),
        ),
    ]


def test_when_jsonl_has_bad_lines_then_each_is_quarantined_by_line_number(tmp_path: Path) -> None:
    path = tmp_path / "commits.jsonl"
    path.write_bytes(
        jsonl_line("1" * 40)  # 1: fine
        + b"\n"  # 2: blank, passed over
        + b'{"sha": "2222", "message": \n'  # 3: not JSON
        + jsonl_line("3" * 40, message="caf\u00e9").replace(b"\\u00e9", b"\xe9")  # 4: Latin-1 byte
        + jsonl_line("", message="no sha")  # 5: empty sha
        + b'["sha", "message"]\n'  # 6: not an object
        + jsonl_line("6" * 40, author_date="yesterday")  # 7: not a time
        + jsonl_line("not-hex")  # 8: not an object id
        + jsonl_line("8" * 40, files="M\tx")  # 9: files not a list
        + jsonl_line("9" * 64, author_email="", author_name="Bo")  # 10: fine (sha-256 repository, no address)
    )

    items = list(commits.parse_jsonl(path, "x/commits.jsonl"))

    assert [(c.id[:1], c.locator, c.author) for c in of(items, Commit)] == [
        ("1", "x/commits.jsonl:1", "email:ada@example.org"),
        ("9", "x/commits.jsonl:10", "git:Bo"),
    ]
    bad = {q.locator.rpartition(":")[2]: q.reason for q in of(items, Quarantined)}
    assert sorted(bad, key=int) == ["3", "4", "5", "6", "7", "8", "9"]
    assert bad["3"].startswith("invalid JSON: Expecting value - column 28 of line x/commits.jsonl:3")
    assert bad["4"].startswith("invalid UTF-8 at byte ")
    assert bad["5"] == 'not a commit: no "sha"'
    assert bad["6"] == "not a commit: the line holds a JSON array, expected an object"
    assert bad["7"] == "not a commit: author date 'yesterday' is not a time"
    assert bad["8"] == "not a commit: sha 'not-hex' is not a 40- or 64-digit hex object id"
    assert bad["9"] == 'not a commit: "files" is not a list'
    assert all(q.raw for q in of(items, Quarantined))


@pytest.mark.parametrize(
    ("folder", "file", "repo"),
    [
        ("git_alloy", "commits.jsonl", "alloy"),  # the file says nothing, the folder does
        ("git_dspace", "commits_2014-2019.jsonl", "dspace"),  # years are noise too
        ("exports", "DSpace-Angular.commits.jsonl", "dspace-angular"),  # the file names it; separators kept
        ("exports", "gitlog_my_repo.jsonl", "my_repo"),
        ("commits", "commits.jsonl", ""),  # nothing names it
    ],
)
def test_when_jsonl_is_named_then_repo_is_inferred_without_noise(
    tmp_path: Path, folder: str, file: str, repo: str
) -> None:
    path = tmp_path / folder / file
    path.parent.mkdir()
    path.write_bytes(jsonl_line())

    assert commits.repo_of_file(path) == repo


@pytest.mark.parametrize(
    ("head", "recognised"),
    [
        (jsonl_line() + jsonl_line(), True),  # a commit line
        (
            b'{"sha": "' + b"a" * 40 + b'", "message": "' + b"x" * SNIFF_BYTES,
            True,
        ),  # a first line past the head
        (b'{"message": "x", "sha": "y"}\r\n', True),  # any key order, CRLF
        (b'{"sha": "abc"}\n', False),  # no message
        (b'{"sha": "x", "message": \n', False),  # not JSON
        (b'{"key": "DEMO-1", "fields": {"summary": "sha message"}}', False),  # a Jira issue
        (b'["sha", "message"]\n', False),  # an array
    ],
)
def test_when_sniffing_then_only_commit_lines_are_claimed(
    tmp_path: Path, head: bytes, recognised: bool
) -> None:
    assert commits.looks_like_jsonl(tmp_path / "any.txt", head[:SNIFF_BYTES]) is recognised


def test_when_formats_are_listed_then_git_and_jsonl_are_there() -> None:
    assert commits.FORMATS == (commits.FORMAT_GIT, commits.FORMAT_JSONL)
    assert commits.FORMAT_GIT.detect_dir is commits.is_repository
    assert commits.FORMAT_JSONL.detect_file is commits.looks_like_jsonl


@pytest.mark.parametrize(
    ("relative", "repo", "count"),
    [
        ("titanium/git_alloy/commits.jsonl", "alloy", 4_388),
        ("duraspace-irc/git_dspace/commits_2014-2019.jsonl", "dspace", 5_398),
    ],
)
def test_when_real_commit_exports_are_read_then_every_commit_is_there(
    shared_data: Path, relative: str, repo: str, count: int
) -> None:
    path = shared_data / relative
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open("rb") as fh:
        assert commits.looks_like_jsonl(path, fh.read(SNIFF_BYTES))

    kinds: Counter[str] = Counter()
    repos: set[str] = set()
    for item in commits.parse_jsonl(path, relative):
        kinds[type(item).__name__] += 1
        if isinstance(item, Quarantined):
            pytest.fail(f"{item.locator}: {item.reason}")
        if isinstance(item, Commit):
            repos.add(item.repo)

    assert kinds["Commit"] == count
    assert repos == {repo}
