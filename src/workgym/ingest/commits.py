r"""Commits: the history of a git repository, or the same history exported as JSON lines.

Two formats read the same :class:`~workgym.model.Commit` records:

* :data:`FORMAT_GIT`, a git repository (a work tree with ``.git``, or a bare repository), read
  with ``git log`` over the history of ``HEAD``;
* :data:`FORMAT_JSONL`, one commit a line, as ``tools/gitlog_jsonl.py`` writes them:
  ``{"sha", "parents", "author_name", "author_email", "author_date", "committer_name",
  "committer_email", "committer_date", "message", "files": [[status, path, ...], ...]}``.

Both forms give the same record for the same commit: the message as written, without the line
end git adds after it; times in UTC; files as ``git log --name-status`` prints them
(``"M\tpath"``, ``"R100\told\tnew"``). Authors and committers are identity keys
``email:<address, lowercased>``, or ``git:<name>`` when the address is empty.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from workgym.ingest.base import Format, Item, decode_utf8, join_locator, json_kind
from workgym.ingest.timefmt import from_iso
from workgym.model import Commit, Identity, IdentityKey, Quarantined

_FIELD = "\x1f"
_RECORD = "\x1e"
_LOG_FORMAT = "%x1e" + "%x1f".join(["%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"])
"""One commit of ``git log -z`` output: a record mark, then its fields; the message last, whole."""

_GIT_CONFIG = (
    "core.quotepath=off",  # paths as bytes, never C-quoted
    "diff.renames=true",  # renames as git reports them by default, whatever the repository says
    "log.showRoot=true",  # the first commit lists the files it adds
    "log.showSignature=false",  # no gpg output inside the log
    "color.ui=never",
)
"""Settings pinned on every git command, so that the output has one shape whatever the config."""

_SHA = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")

_NAME_NOISE = frozenset(
    {
        "git",
        "gitlog",
        "log",
        "logs",
        "commit",
        "commits",
        "history",
        "export",
        "dump",
        "json",
        "jsonl",
        "ndjson",
    }
)
"""Words of a file or folder name that say what the file is rather than which repository."""


class _MalformedError(ValueError):
    """A field of a commit holds something this format does not allow; the message says which."""


def is_repository(path: Path) -> bool:
    """Whether a folder is a git work tree (it holds ``.git``) or a bare repository."""
    dot_git = path / ".git"
    if dot_git.is_dir():
        return True
    if dot_git.is_file():  # a linked work tree or a submodule: ".git" names the real git folder
        try:
            with dot_git.open("rb") as fh:
                return fh.read(8) == b"gitdir: "
        except OSError:
            return False
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def parse_repository(path: Path, rel: str) -> Iterator[Item]:
    """Read the commits reachable from ``HEAD`` of a git repository, newest first.

    Args:
        path: the work tree or bare repository.
        rel: its path relative to the source root; a commit's locator is ``<rel>/<sha>``.

    Yields:
        Each commit, preceded by an identity for each author or committer not seen before; a
        Quarantined item for a commit it cannot read, or for the repository when git cannot read it.
        A repository without commits yields nothing.
    """
    locator = rel or path.name
    try:
        found = _git(path, "rev-parse", "--git-dir")
    except OSError as exc:
        yield Quarantined(locator=locator, reason=f"cannot run git to read the repository: {exc}")
        return
    if found.returncode != 0:
        yield Quarantined(
            locator=locator, reason=f"git cannot read the repository: {_last_line(found.stderr)}"
        )
        return
    if _git(path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        return  # no commits yet
    repo = _repo_of_folder(path)
    seen: set[tuple[str, str, str]] = set()
    with tempfile.TemporaryFile() as errors:
        command = _git_command(path, "log", "-z", "--no-color", "--no-ext-diff", "--no-textconv")
        command += ["--encoding=UTF-8", f"--format={_LOG_FORMAT}", "--name-status", "HEAD", "--"]
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, env=_git_env()) as process:
            assert process.stdout is not None  # stdout=PIPE
            for header, files in _log_entries(_tokens(process.stdout)):
                yield from _logged_commit(header, files, rel, repo, seen)
            process.stdout.close()
            returncode = process.wait()
        if returncode != 0:
            errors.seek(0)
            yield Quarantined(
                locator=locator,
                reason=f"git log failed (exit {returncode}): {_last_line(errors.read())}",
            )


def looks_like_jsonl(path: Path, head: bytes) -> bool:
    """Whether a file's first line is a JSON object with ``"sha"`` and ``"message"``."""
    del path  # recognised by content alone: exports name their files anything
    line, newline, _ = head.removeprefix(b"\xef\xbb\xbf").lstrip().partition(b"\n")
    if not line.startswith(b"{") or b'"sha"' not in line or b'"message"' not in line:
        return False
    if not newline:
        return True  # a first line longer than the head: its keys are all this can see
    try:
        first = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(first, dict) and "sha" in first and "message" in first


def parse_jsonl(path: Path, rel: str) -> Iterator[Item]:
    """Read commits written one JSON object a line.

    The repository is named after the file or its folder, less words like "git" and "commits":
    ``git_alloy/commits.jsonl`` is ``alloy``, ``git_dspace/commits_2014-2019.jsonl`` is ``dspace``.

    Args:
        path: the file.
        rel: its path relative to the source root; a commit's locator is ``<rel>:<line>``.

    Yields:
        Each commit, preceded by an identity for each author or committer not seen before; a
        Quarantined item for each line that is not a commit (blank lines are passed over).
    """
    base = rel or path.name
    repo = repo_of_file(path)
    seen: set[tuple[str, str, str]] = set()
    try:
        lines = path.open("rb")
    except OSError as exc:
        yield Quarantined(locator=base, reason=f"unreadable file: {exc.strerror or exc}")
        return
    with lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            locator = f"{base}:{number}"
            text = decode_utf8(line.rstrip(b"\r\n"), locator)
            if isinstance(text, Quarantined):
                yield text
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield from _jsonl_commit(text, locator, repo, seen)


FORMAT_GIT = Format(
    name="git",
    description="git repository folder (work tree or bare): the commit history of HEAD",
    parse=parse_repository,
    detect_dir=is_repository,
    priority=90,
)

FORMAT_JSONL = Format(
    name="git-jsonl",
    description="commits as JSON lines (sha, parents, author_*, committer_*, message, files), any file name",
    parse=parse_jsonl,
    detect_file=looks_like_jsonl,
    priority=50,
)

FORMATS = (FORMAT_GIT, FORMAT_JSONL)


def repo_of_file(path: Path) -> str:
    """The repository a commit export is of, from its file name, else its folder's; ``""`` if neither says."""
    for name in (path.stem, path.resolve().parent.name):
        repo = _strip_noise(name)
        if repo:
            return repo
    return ""


def _strip_noise(name: str) -> str:
    """A name lowercased, without the words that describe the export: ``git_dspace`` -> ``dspace``."""
    lowered = name.lower()
    kept: list[str] = []
    previous_end = 0
    for word in re.finditer(r"[a-z0-9]+", lowered):
        separator = lowered[previous_end : word.start()]
        previous_end = word.end()
        if word.group() in _NAME_NOISE or word.group().isdigit():
            continue
        kept.append(separator + word.group() if kept else word.group())
    return "".join(kept)


def _repo_of_folder(path: Path) -> str:
    """``owner/name`` from ``remote.origin.url`` when it is set, else the folder's name (lowercase)."""
    url = _git(path, "config", "--get", "remote.origin.url")
    if url.returncode == 0:
        name = _repo_of_url(url.stdout.decode("utf-8", errors="replace"))
        if name:
            return name
    folder = path.resolve()
    if folder.name == ".git":  # the git folder of a work tree was given: the work tree names it
        folder = folder.parent
    return folder.name.removesuffix(".git").lower()


def _repo_of_url(url: str) -> str:
    """``owner/name`` of a remote URL (https, ssh, scp-like ``host:owner/name``); ``name`` of a local path."""
    text = url.strip().rstrip("/")
    if "://" in text:
        scheme, _, rest = text.partition("://")
        host, _, text = rest.partition("/")
        keep = 1 if scheme == "file" or not host else 2
    elif re.match(r"[^/\\]{2,}:", text):  # scp-like "git@github.com:owner/name"; not "C:\..."
        text = text.partition(":")[2]
        keep = 2
    else:
        keep = 1  # a local path: its last folder names the repository
    parts = [part for part in re.split(r"[/\\]", text) if part]
    return "/".join(part.removesuffix(".git") for part in parts[-keep:]).lower()


def _git_env() -> dict[str, str]:
    """The environment git runs in: C locale, no pager or prompt, no system or user config."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env.update(
        LC_ALL="C",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
    )
    return env


def _git_command(path: Path, *args: str) -> list[str]:
    # safe.directory: the user asked to read this repository, whoever owns its files (a read-only
    # copy, an extracted archive); it is set for this one command, on this one folder.
    command = ["git", "--no-pager", "-C", str(path), "-c", f"safe.directory={path.resolve()}"]
    for setting in _GIT_CONFIG:
        command += ["-c", setting]
    return [*command, *args]


def _git(path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(_git_command(path, *args), capture_output=True, env=_git_env(), check=False)


def _last_line(output: bytes) -> str:
    lines = output.decode("utf-8", errors="replace").strip().splitlines()
    return lines[-1] if lines else "no message"


def _tokens(stream: IO[bytes]) -> Iterator[bytes]:
    """The NUL-separated tokens of a stream, read a MiB at a time."""
    rest = b""
    while chunk := stream.read(1 << 20):
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _log_entries(tokens: Iterator[bytes]) -> Iterator[tuple[bytes, list[bytes]]]:
    r"""Group ``git log -z --name-status`` tokens into (header, files) per commit.

    A commit is its formatted header, then, when it changed files, ``\n`` and one
    ``STATUS\0path\0`` per file (``R100\0old\0new\0`` for a rename or copy). Paths are taken by count,
    never by their content, so any byte a path may hold reads right.
    """
    token = next(tokens, None)
    while token is not None:
        header, files = token, []
        token = next(tokens, None)
        if token is not None and token.startswith(b"\n"):
            token = token[1:]
            while token is not None and not token.startswith(_RECORD.encode()):
                paths = [next(tokens, b"") for _ in range(2 if token[:1] in (b"R", b"C") else 1)]
                files.append(b"\t".join([token, *paths]))
                token = next(tokens, None)
        yield header, files


def _logged_commit(
    header: bytes, files: list[bytes], rel: str, repo: str, seen: set[tuple[str, str, str]]
) -> Iterator[Item]:
    sha = header[1:41].decode("ascii", errors="replace")
    locator = join_locator(rel, sha)
    raw = b"\0".join([header, *files])
    text = decode_utf8(raw, locator)
    if isinstance(text, Quarantined):
        yield text
        return
    header_text, *names = text.split("\0")
    fields = header_text[1:].split(_FIELD, 8)
    if not header_text.startswith(_RECORD) or len(fields) != 9:
        yield Quarantined(
            locator=locator, reason="unexpected git log output: not one commit header", raw=text
        )
        return
    sha, parents, a_name, a_email, a_date, c_name, c_email, c_date, message = fields
    try:
        yield from _commit(
            sha=sha,
            parents=tuple(parents.split()),
            author=(a_name, a_email, a_date),
            committer=(c_name, c_email, c_date),
            message=message.rstrip("\n"),  # git ends every message it stores with a line end
            files=tuple(names),
            repo=repo,
            locator=locator,
            seen=seen,
        )
    except _MalformedError as exc:
        yield Quarantined(locator=locator, reason=f"commit {sha}: {exc}", raw=text)


def _jsonl_commit(text: str, locator: str, repo: str, seen: set[tuple[str, str, str]]) -> Iterator[Item]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Quarantined(
            locator=locator,
            reason=f"invalid JSON: {exc.msg} - column {exc.colno} of line {locator}",
            raw=text,
        )
        return
    except RecursionError:
        yield Quarantined(locator=locator, reason=f"JSON nested too deeply to read: line {locator}", raw=text)
        return
    try:
        if not isinstance(data, dict):
            raise _MalformedError(f"the line holds a JSON {json_kind(data)}, expected an object")
        sha = data.get("sha")
        if not isinstance(sha, str) or not sha:
            raise _MalformedError('no "sha"')
        if not isinstance(data.get("message"), str):
            raise _MalformedError(f'commit {sha} has no "message" text')
        yield from _commit(
            sha=sha,
            parents=_parents(data.get("parents")),
            author=(_str(data, "author_name"), _str(data, "author_email"), _str(data, "author_date")),
            committer=(
                _str(data, "committer_name"),
                _str(data, "committer_email"),
                _str(data, "committer_date"),
            ),
            message=data["message"],
            files=_files(data.get("files")),
            repo=repo,
            locator=locator,
            seen=seen,
        )
    except _MalformedError as exc:
        yield Quarantined(locator=locator, reason=f"not a commit: {exc}", raw=text)


def _commit(
    *,
    sha: str,
    parents: tuple[str, ...],
    author: tuple[str, str, str],
    committer: tuple[str, str, str],
    message: str,
    files: tuple[str, ...],
    repo: str,
    locator: str,
    seen: set[tuple[str, str, str]],
) -> Iterator[Item]:
    """A commit from its parts, after the identities of its author and committer that are new.

    Raises:
        _MalformedError: the sha is not an object id, or a time is not a time; nothing was yielded.
    """
    if not _SHA.fullmatch(sha):
        raise _MalformedError(f"sha {sha!r} is not a 40- or 64-digit hex object id")
    record = Commit(
        id=sha,
        message=message,
        locator=locator,
        repo=repo,
        parents=parents,
        author=_person_key(author[0], author[1]),
        committer=_person_key(committer[0], committer[1]),
        authored=_time(author[2], "author date"),
        committed=_time(committer[2], "committer date"),
        files=files,
    )
    for name, email, _ in (author, committer):
        key = _person_key(name, email)
        if key and (key, name, email) not in seen:
            seen.add((key, name, email))
            yield Identity(key=key, locator=locator, display_name=name, emails=(email,) if email else ())
    yield record


def _person_key(name: str, email: str) -> IdentityKey:
    """``email:<address>`` (lowercased), or ``git:<name>`` for a commit without an address."""
    if email.strip():
        return f"email:{email.strip().lower()}"
    return f"git:{name.strip()}" if name.strip() else ""


def _time(value: str, field: str) -> str:
    if not value:
        return ""
    try:
        return from_iso(value)
    except ValueError:
        raise _MalformedError(f"{field} {value!r} is not a time") from None


def _str(data: dict[str, object], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _MalformedError(f'"{name}" is a JSON {json_kind(value)}, expected text')
    return value


def _parents(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())  # as %P prints them
    if isinstance(value, list) and all(isinstance(sha, str) for sha in value):
        return tuple(value)
    raise _MalformedError('"parents" is neither a list of shas nor text')


def _files(value: object) -> tuple[str, ...]:
    r"""``[["M", "a.py"], ["R100", "old", "new"]]`` as ``("M\ta.py", "R100\told\tnew")``."""
    if value is None:
        return ()
    if isinstance(value, list):
        files: list[str] = []
        for entry in value:
            if isinstance(entry, str):
                files.append(entry)
            elif isinstance(entry, list) and entry and all(isinstance(part, str) for part in entry):
                files.append("\t".join(entry))
            else:
                raise _MalformedError(f'"files" holds {entry!r}, expected [status, path, ...]')
        return tuple(files)
    raise _MalformedError('"files" is not a list')


__all__ = [
    "FORMATS",
    "FORMAT_GIT",
    "FORMAT_JSONL",
    "is_repository",
    "looks_like_jsonl",
    "parse_jsonl",
    "parse_repository",
    "repo_of_file",
]
