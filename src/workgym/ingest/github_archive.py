"""GitHub migration archives: the JSON files of an organization or user migration, unpacked.

A migration archive (``POST /orgs/{org}/migrations``, then ``GET .../archive``; GitHub Enterprise's
``ghe-migrator`` writes the same) is a ``.tar.gz`` that, unpacked, holds one JSON array per kind of
record and page: ``repositories_000001.json``, ``users_000001.json``, ``issues_000001.json``,
``pull_requests_000001.json``, ``issue_comments_000001.json``, ``pull_request_reviews_000001.json``,
``pull_request_review_comments_000001.json``, ``issue_events_000001.json``,
``milestones_000001.json`` and others. It differs from the REST API's JSON (:mod:`workgym.ingest.github`)
in three ways, and this module reads each into the same records:

* every object says what it is in ``"type"`` (``"issue"``, ``"pull_request"``, ``"issue_comment"``,
  ``"pull_request_review_comment"``, ``"pull_request_review"``, ``"issue_event"``, ``"user"``...);
* references are web URLs, not numbers or nested objects: ``"user": "https://github.com/ada"``,
  ``"url": "https://github.com/acme/widget/issues/7"`` (the number is the URL's last segment),
  ``"issue": ".../issues/7"`` or ``"pull_request": ".../pull/8"`` on a comment or event, labels as
  ``.../labels/E-easy``, the milestone as ``.../milestones/1``; an id is the URL's fragment
  (``#issuecomment-11``, ``#r12`` or ``#discussion_r12``, ``#pullrequestreview-13``, ``#event-14``);
* an issue holds no ``number``, ``state`` or ``closed_by``: it is closed when ``closed_at`` is set,
  and who closed (or merged) it is the actor of its ``closed`` (``merged``) issue event.

The records are those of the REST format: tickets ``"<repo>#<n>"`` in project ``"<owner>/<repo>"``
with status ``open``, ``closed`` or ``merged`` and a ``status`` event for the close or merge;
comments and review comments as ticket comments with GitHub's anchors as ids; reviews as a
``reviewed`` event (and a comment when they have a body); issue events as ticket events named by
GitHub's event (a label's name, a milestone's title, a rename's titles, a commit's sha or an
assignee's login as the values). Users (``users_*.json``) give the ``github:<login>`` identities
with their name and e-mail addresses; a login named only by URL is an identity too.

Repositories and milestones are read as the names that tickets use (the milestone's title is the
ticket's fix version), looked up in the files beside the one being read; the other kinds an
archive holds (``attachments``, ``releases``, ``teams``, ``protected_branches``, ``projects``,
``commit_comments``, ``organizations``) have no workspace record and are quarantined, each with
its kind. What cannot be read is quarantined with a reason naming the file and the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from workgym.ingest.base import Format, Item, decode_utf8, json_kind
from workgym.ingest.github import _dump, _load, _MalformedError, _text, _time, review_records, ticket_id
from workgym.model import Comment, Identity, IdentityKey, Quarantined, Ticket, TicketEvent

TICKET_KINDS = ("issue", "pull_request")
COMMENT_KINDS = ("issue_comment", "pull_request_review_comment")
READ_KINDS = (*TICKET_KINDS, *COMMENT_KINDS, "pull_request_review", "issue_event", "user")
"""The archive kinds that become records."""

LOOKUP_KINDS = ("repository", "milestone")
"""The kinds read only as the names tickets use."""

OTHER_KINDS = (
    "attachment",
    "commit_comment",
    "organization",
    "project",
    "protected_branch",
    "release",
    "team",
)
"""Kinds an archive holds that have no workspace record: quarantined with their kind."""

_KIND_PATTERN = "|".join(sorted((*READ_KINDS, *LOOKUP_KINDS, *OTHER_KINDS), key=len, reverse=True))
_TYPE = re.compile(rb'"type"\s*:\s*"(' + _KIND_PATTERN.encode() + rb')"')
_URL = re.compile(rb'"url"\s*:\s*"https?://(?!api\.)[^/"]+/(?!api/|repos/)[^"]+"')
"""A web URL, as archives write references; the REST API's ``url`` is ``api.github.com/repos/...``."""
_FILE = re.compile(r"\A([a-z_]+)_[0-9]{6}\.json\Z")
_ITEM_URL = re.compile(r"\A/([^/]+)/([^/]+)/(issues|pull)/([0-9]+)/?\Z")
_REPO_URL = re.compile(r"\A/([^/]+)/([^/]+)/?\Z")
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")


def detect(path: Path, head: bytes) -> bool:
    """Whether a file is a page of a migration archive: objects with an archive ``type`` and a ``url``.

    An empty page (``[]``) is one when its name is an archive page's (``issues_000002.json``), and so
    is the archive's ``schema.json`` (``{"version": ...}``), read as nothing: it holds no record.
    """
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start.startswith((b"[", b"{")):
        return False
    if path.name == "schema.json":
        return start.startswith(b"{") and b'"version"' in start and any(path.parent.glob("*_000001.json"))
    if start.startswith(b"[") and start[1:].strip() == b"]":
        return _FILE.match(path.name) is not None
    return _TYPE.search(start) is not None and _URL.search(start) is not None


def parse(path: Path, rel: str) -> Iterator[Item]:
    """Read one page of a GitHub migration archive.

    Args:
        path: the file.
        rel: its path relative to the source root; locators start with it.

    Yields:
        Tickets, comments, ticket events and identities; a Quarantined item for a file that is not
        JSON, and for each object it cannot read (or has no record for), naming the file and position.
    """
    locator = rel or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Quarantined(locator=locator, reason=f"unreadable file: {exc.strerror or exc}")
        return
    text = decode_utf8(data, locator)
    if isinstance(text, Quarantined):
        yield text
        return
    loaded = _load(text.removeprefix("\ufeff"), locator)
    if isinstance(loaded, Quarantined):
        yield loaded
        return
    if path.name == "schema.json":
        return  # the archive format's version: no record
    reader = _ArchiveReader(path.parent)
    for where, value in loaded:
        yield from reader.item(value, where)


FORMAT = Format(
    name="github-archive",
    description="GitHub migration archives, unpacked (issues_000001.json, pull_requests_000001.json, "
    "issue_comments_*, issue_events_*, users_* ...)",
    parse=parse,
    detect_file=detect,
    priority=56,
)


def _login_of(url: object, field: str) -> str:
    """The login of a user URL (``https://github.com/ada``); ``""`` for none (a deleted user)."""
    if url is None or url == "":
        return ""
    if isinstance(url, dict):  # a REST-style user object, as some exporters write
        login = url.get("login")
        return login if isinstance(login, str) else ""
    if not isinstance(url, str):
        raise _MalformedError(f"{field} is a JSON {json_kind(url)}, expected a user URL")
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if len(parts) != 1:
        raise _MalformedError(f"{field} {url[:60]!r} is not a user URL")
    return _text(unquote(parts[0]), field)


def _item_of(url: object, field: str) -> tuple[str, str, str]:
    """(``"owner/name"``, number, ``"issues"`` or ``"pull"``) of an issue or pull request URL."""
    if not isinstance(url, str):
        raise _MalformedError(f"{field} is a JSON {json_kind(url)}, expected an issue or pull request URL")
    found = _ITEM_URL.match(urlsplit(url).path)
    if found is None:
        raise _MalformedError(f"{field} {url[:80]!r} names no issue or pull request")
    return f"{found[1]}/{found[2]}", str(int(found[4])), found[3]


def _fragment(url: object, prefixes: tuple[str, ...], field: str) -> str:
    """The number after one of ``prefixes`` in a URL's fragment (``#issuecomment-11`` -> ``11``)."""
    fragment = urlsplit(url).fragment if isinstance(url, str) else ""
    for prefix in prefixes:
        if fragment.startswith(prefix) and fragment[len(prefix) :].isdigit():
            return fragment[len(prefix) :]
    raise _MalformedError(f"{field} {str(url)[:80]!r} has no #{prefixes[0]}N anchor")


def _label_name(value: object, n: int) -> str:
    if isinstance(value, dict):
        return _text(value.get("name"), f"labels[{n}].name")
    if isinstance(value, str):
        return unquote(value.rstrip("/").rsplit("/", 1)[-1]) if "://" in value else value
    raise _MalformedError(f"labels[{n}] is a JSON {json_kind(value)}, expected a label URL")


class _Folder:
    """What the pages beside a file say that a record refers to: milestone titles, closers and mergers."""

    def __init__(self, folder: Path) -> None:
        self.milestones: dict[str, str] = {}
        self.actors: dict[
            tuple[str, str], str
        ] = {}  # (ticket URL, "closed" | "merged") -> last actor's login
        for path in sorted(folder.glob("milestones_*.json")):
            for value in _objects(path):
                url, title = value.get("url"), value.get("title")
                if isinstance(url, str) and isinstance(title, str):
                    self.milestones[url] = title
        for path in sorted(folder.glob("issue_events_*.json")):
            for value in _objects(path):
                event, actor = value.get("event"), value.get("actor")
                target = value.get("issue") or value.get("pull_request")  # as _target reads it
                if event in ("closed", "merged") and isinstance(target, str) and isinstance(actor, str):
                    try:
                        self.actors[(_canonical_url(target), str(event))] = _login_of(actor, "actor")
                    except _MalformedError:
                        continue


def _canonical_url(url: str) -> str:
    """An issue or pull request URL as the key its events and its own record share."""
    try:
        repo, number, _ = _item_of(url, "url")
    except _MalformedError:
        return url
    return f"{repo}#{number}"


def _objects(path: Path) -> list[dict[str, object]]:
    """The objects of a page beside the one being read; a page that cannot be read gives none here."""
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class _ArchiveReader:
    """Reads the objects of one archive page, noting each login's identity the first time it is seen."""

    def __init__(self, folder: Path) -> None:
        self._folder_path = folder
        self._folder: _Folder | None = None
        self._seen: set[str] = set()
        self._pending: list[Identity] = []

    @property
    def folder(self) -> _Folder:
        if self._folder is None:
            self._folder = _Folder(self._folder_path)
        return self._folder

    def item(self, value: object, where: str) -> Iterator[Item]:
        """One object: the records of its kind, nothing for a lookup kind, or a Quarantined saying why."""
        if not isinstance(value, dict):
            reason = f"not a GitHub archive record: a JSON {json_kind(value)} at {where}, expected an object"
            yield Quarantined(locator=where, reason=reason, raw=_dump(value))
            return
        kind = value.get("type")
        try:
            if kind in TICKET_KINDS:
                records = self._ticket(value, where, kind == "pull_request")
            elif kind in COMMENT_KINDS:
                records = [self._comment(value, where, kind == "pull_request_review_comment")]
            elif kind == "pull_request_review":
                records = self._review(value, where)
            elif kind == "issue_event":
                records = [self._event(value, where)]
            elif kind == "user":
                records = self._user(value, where)
            elif kind in LOOKUP_KINDS:
                records = []
            elif kind in OTHER_KINDS:
                reason = f"a GitHub archive {kind} record: the workspace has no record for it - {where}"
                yield Quarantined(locator=where, reason=reason, raw=_dump(value))
                return
            else:
                raise _MalformedError(f"not a GitHub archive record (type {_dump(kind)[:40]})")
        except _MalformedError as exc:
            self._seen.difference_update(identity.key for identity in self._pending)
            self._pending = []
            yield Quarantined(locator=where, reason=f"{exc} - {where}", raw=_dump(value))
            return
        taken, self._pending = self._pending, []
        yield from taken
        yield from records

    def _person(self, url: object, field: str, where: str) -> IdentityKey:
        login = _login_of(url, field)
        if not login:
            return ""
        key = f"github:{login}"
        if key not in self._seen:
            self._seen.add(key)
            self._pending.append(
                Identity(
                    key=key, locator=where, display_name=login, handle=login, is_bot=login.endswith("[bot]")
                )
            )
        return key

    def _ticket(self, issue: dict[str, object], where: str, is_pull: bool) -> list[Item]:
        repo, number, _ = _item_of(issue.get("url"), "url")
        key = ticket_id(repo, number)
        try:
            closed = _time(issue.get("closed_at"), "closed_at")
            merged = _time(issue.get("merged_at"), "merged_at") if is_pull else ""
            status = "merged" if merged else "closed" if closed else "open"
            assignees = issue.get("assignees") or []
            if not isinstance(assignees, list):
                raise _MalformedError(f"assignees is a JSON {json_kind(assignees)}, expected an array")
            assignee = self._person(issue.get("assignee"), "assignee", where) or next(
                (k for n, a in enumerate(assignees) if (k := self._person(a, f"assignees[{n}]", where))), ""
            )
            labels = issue.get("labels") or []
            if not isinstance(labels, list):
                raise _MalformedError(f"labels is a JSON {json_kind(labels)}, expected an array")
            milestone = issue.get("milestone")
            fix = self.folder.milestones.get(milestone, "") if isinstance(milestone, str) else ""
            author = self._person(issue.get("user"), "user", where)
            ticket = Ticket(
                id=key,
                project=repo,
                summary=_text(issue.get("title"), "title"),
                locator=where,
                description=_text(issue.get("body"), "body"),
                type="pull request" if is_pull else "issue",
                status=status,
                resolution="merged" if merged else "closed" if closed else "",
                reporter=author,
                assignee=assignee,
                creator=author,
                created=_time(issue.get("created_at"), "created_at"),
                updated=_time(issue.get("updated_at"), "updated_at"),
                resolved=closed or merged,
                labels=tuple(n for n in (_label_name(v, i) for i, v in enumerate(labels)) if n),
                fix_versions=(fix,) if fix else (),
            )
        except _MalformedError as exc:
            raise _MalformedError(f"GitHub {'pull request' if is_pull else 'issue'} {key}: {exc}") from None
        records: list[Item] = [ticket]
        if status != "open":
            event = "merged" if merged else "closed"
            actor = self.folder.actors.get((f"{repo}#{number}", event), "")
            records.append(
                TicketEvent(
                    id=f"{key}:{event}",
                    ticket_id=key,
                    field="status",
                    locator=f"{where}/{event}_at",
                    author=self._person(actor, "actor", where) if actor else "",
                    created=merged or closed,
                    from_value="open",
                    to_value=event,
                )
            )
        return records

    def _target(self, record: dict[str, object]) -> str:
        """The ticket a comment, review or event is on: its ``issue`` or ``pull_request`` URL."""
        url = record.get("issue") or record.get("pull_request")
        field = "issue" if record.get("issue") else "pull_request"
        repo, number, _ = _item_of(url, field)
        return ticket_id(repo, number)

    def _comment(self, comment: dict[str, object], where: str, on_diff: bool) -> Comment:
        key = self._target(comment)
        what = "review comment" if on_diff else "comment"
        try:
            if on_diff:
                number = _fragment(comment.get("url"), ("discussion_r", "r"), "url")
            else:
                number = _fragment(comment.get("url"), ("issuecomment-",), "url")
            return Comment(
                id=f"{'discussion_r' if on_diff else 'issuecomment-'}{number}",
                ticket_id=key,
                body=_text(comment.get("body"), "body"),
                locator=where,
                author=self._person(comment.get("user"), "user", where),
                created=_time(comment.get("created_at"), "created_at"),
                updated=_time(comment.get("updated_at"), "updated_at"),
            )
        except _MalformedError as exc:
            raise _MalformedError(f"{what} on {key}: {exc}") from None

    def _review(self, review: dict[str, object], where: str) -> list[Item]:
        key = self._target(review)
        try:
            number = _fragment(review.get("url"), ("pullrequestreview-",), "url")
            author = self._person(review.get("user"), "user", where)
            when = _time(review.get("submitted_at") or review.get("created_at"), "submitted_at")
            state = review.get("state")
            body = _text(review.get("body"), "body")
        except _MalformedError as exc:
            raise _MalformedError(f"review of {key}: {exc}") from None
        level = str(state).lower() if isinstance(state, str | int) and not isinstance(state, bool) else ""
        return review_records(key, number, author, when, level, body, where)

    def _event(self, event: dict[str, object], where: str) -> TicketEvent:
        name = _text(event.get("event"), "event")
        if not name:
            raise _MalformedError("issue event with an empty event name")
        key = self._target(event)
        try:
            number = _fragment(event.get("url"), ("event-",), "url")
            from_value, to_value = self._values(name, event, where)
            return TicketEvent(
                id=f"{key}:{name}:{number}",
                ticket_id=key,
                field=name,
                locator=where,
                author=self._person(event.get("actor"), "actor", where),
                created=_time(event.get("created_at"), "created_at"),
                from_value=from_value,
                to_value=to_value,
            )
        except _MalformedError as exc:
            raise _MalformedError(f"issue event {name!r} of {key}: {exc}") from None

    def _values(self, name: str, event: dict[str, object], where: str) -> tuple[str, str]:
        """(from_value, to_value) of an issue event, as the REST format's timeline gives them."""
        if name in ("referenced", "closed", "merged", "committed", "head_ref_force_pushed"):
            sha = event.get("commit_id")
            if sha is None or sha == "":
                return "", ""
            if not isinstance(sha, str) or not _SHA.fullmatch(sha):
                raise _MalformedError(f"commit_id {_dump(sha)[:40]} is not a commit sha")
            return "", sha.lower()
        if name in ("labeled", "unlabeled"):
            label = _text(event.get("label_name"), "label_name")
            return (label, "") if name == "unlabeled" else ("", label)
        if name in ("assigned", "unassigned"):
            login = self._person(event.get("subject") or event.get("assignee"), "subject", where)
            return (login, "") if name == "unassigned" else ("", login)
        if name in ("milestoned", "demilestoned"):
            title = _text(event.get("milestone_title"), "milestone_title")
            return (title, "") if name == "demilestoned" else ("", title)
        if name == "renamed":
            return _text(event.get("title_was"), "title_was"), _text(event.get("title_is"), "title_is")
        if name == "reopened":
            return "closed", "open"
        return "", ""

    def _user(self, user: dict[str, object], where: str) -> list[Item]:
        login = _text(user.get("login"), "login") or _login_of(user.get("url"), "url")
        if not login:
            raise _MalformedError("user with neither a login nor a user URL")
        emails = user.get("emails") or []
        if not isinstance(emails, list):
            raise _MalformedError(f"emails is a JSON {json_kind(emails)}, expected an array")
        addresses = tuple(
            a
            for e in emails
            if isinstance(a := e.get("address") if isinstance(e, dict) else e, str) and "@" in a
        )
        name = _text(user.get("name"), "name")
        key = f"github:{login}"
        self._seen.add(key)
        return [
            Identity(
                key=key,
                locator=where,
                display_name=name or login,
                real_name=name,
                emails=addresses,
                handle=login,
                is_bot=login.endswith("[bot]"),
            )
        ]


__all__ = ["FORMAT", "detect", "parse"]
