"""GitHub issues, pull requests, comments, reviews and timeline events as the REST API returns them.

What ``gh api`` (``--paginate`` included) or a script saving the API's answers writes is read by
content, whatever the files are called: one JSON object per file, a JSON array of them, several
arrays back to back (``gh api --paginate`` without ``--slurp``), or JSON Lines. Each object is one of

* an issue or pull request (``GET /repos/{owner}/{repo}/issues/{n}``, ``.../pulls/{n}``, or a page
  of ``.../issues``): it has ``"number"`` and ``"title"``; a ``"pull_request"`` key (issues
  endpoint) or ``"head"``/``"merged_at"`` (pulls endpoint) makes it a pull request;
* an issue comment (``.../issues/{n}/comments``, ``.../issues/comments``): it has ``"issue_url"``;
* a review comment (``.../pulls/{n}/comments``): ``"pull_request_url"`` and ``"diff_hunk"``;
* a review (``.../pulls/{n}/reviews``): ``"pull_request_url"`` and ``"submitted_at"`` or ``"state"``;
* a timeline event (``.../issues/{n}/timeline``, ``.../issues/{n}/events``): it has ``"event"``.

An issue or pull request becomes a :class:`~workgym.model.Ticket` with id ``"<repo>#<n>"`` (the
repository's name and the number, ``"rust#20002"``) and project ``"<owner>/<repo>"``; ``type`` is
``"issue"`` or ``"pull request"``; ``status`` is GitHub's state, ``"open"`` or ``"closed"``, or
``"merged"`` for a merged pull request; ``resolution`` is ``"merged"``, the ``state_reason``
(``"completed"``, ``"not_planned"``) or ``"closed"``; the milestone is the fix version. Its close
(and merge) become ``status`` events by ``closed_by`` at ``closed_at`` (``merged_at``), the status
history the replay tasks read. Comments, review comments and reviews become ticket comments with
GitHub's own anchors as ids (``issuecomment-67620718``, ``discussion_r123``,
``pullrequestreview-9``). Timeline events become ticket events whose ``field`` is GitHub's event
name (``cross-referenced``, ``referenced``, ``labeled``, ``assigned``, ``closed``, ...); a
cross-reference's ``from_value`` is the citing ticket's id, a commit reference's ``to_value`` the sha.

A timeline does not name its issue: it is taken from an event's ``issue_url`` when one has it, else
from the number the file's name starts with (``020023-xrefs.json``, ``20023.timeline.json``) and the
repository of the issue file beside it with the same number (``020023-main.json``, ``20023.json``,
``20023.issue.json``). The filtered
timelines of ``brson/rust-issue-archive`` (``{"event", "from"|"commit", "actor": "<login>",
"date"}``) read the same way.

Every user object (and a timeline's bare actor login) gives an :class:`~workgym.model.Identity`
``"github:<login>"``, so an author, commenter, assignee and actor with one login are one person.
Text is kept exactly as written (GitHub Markdown). What cannot be read is quarantined with a
reason naming the file and the record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from workgym.ingest.base import Format, Item, decode_utf8, json_kind
from workgym.ingest.timefmt import from_iso
from workgym.model import Comment, Identity, IdentityKey, Quarantined, Ticket, TicketEvent

_EMPTY_NAMES = re.compile(r"(comments|xrefs|timeline|events|reviews)", re.IGNORECASE)
"""File names whose empty array (``[]``, an issue with no comments) is a GitHub answer."""

_FILE_NUMBER = re.compile(r"\A0*([1-9][0-9]{0,9})(?!\d)")
_API_ITEM = re.compile(r"/repos/([^/\s]+)/([^/\s]+)/(?:issues|pulls)/([0-9]+)(?:[/?#]|\Z)")
_HTML_ITEM = re.compile(r"github\.com/([^/\s]+)/([^/\s]+)/(?:issues|pull)/([0-9]+)(?:[/?#]|\Z)")
_API_REPO = re.compile(r"/repos/([^/\s]+)/([^/\s]+?)/?\Z")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")

_ISSUE_FILES = (
    "{digits}{sep}main.json",
    "{digits}{sep}issue.json",
    "{digits}{sep}pull.json",
    "{digits}.json",
)
"""Where the issue file of a timeline ``{digits}{sep}...`` lies beside it (the archive's ``-main``)."""

_ITEM_MARKERS = (b'"repository_url"', b'"labels_url"', b'"pull_request"', b'"merged_at"')
_COMMENT_MARKERS = (b'"issue_url"', b'"pull_request_url"')


class _MalformedError(ValueError):
    """A field of a record holds something this format does not allow; the message says which."""


def detect(path: Path, head: bytes) -> bool:
    """Whether a file's first bytes are GitHub REST API JSON (issues, comments, reviews, timeline)."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start.startswith((b"{", b"[")):
        return False
    if start.startswith(b"[") and start[1:].strip() in (b"]", b"][]", b"]\n[]"):
        return bool(_EMPTY_NAMES.search(path.name))
    if b'"number"' in start and b'"title"' in start and any(m in start for m in _ITEM_MARKERS):
        return True
    if any(m in start for m in _COMMENT_MARKERS) and b'"body"' in start:
        return True
    return b'"event"' in start and (b'"actor"' in start or b'"created_at"' in start or b'"date"' in start)


def parse(path: Path, rel: str) -> Iterator[Item]:
    """Read one file of GitHub REST API JSON.

    Args:
        path: the file.
        rel: its path relative to the source root; locators start with it.

    Yields:
        Tickets, comments, ticket events and identities; a Quarantined item for a file that is not
        JSON, and for each object it cannot read, naming the file and the object's position.
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
    reader = _Reader(path, locator)
    for where, value in loaded:
        yield from reader.item(value, where)


FORMAT = Format(
    name="github",
    description="GitHub REST API JSON (gh api): issues and pull requests, comments, review comments, "
    "reviews, timeline events; one per file, arrays, pages or JSON Lines",
    parse=parse,
    detect_file=detect,
    priority=55,
)


def _load(text: str, locator: str) -> list[tuple[str, object]] | Quarantined:
    """The objects of a file with their locators: one object, arrays back to back, or JSON Lines."""
    decoder = json.JSONDecoder()
    values: list[object] = []
    at = 0
    end = len(text)
    try:
        while True:
            while at < end and text[at].isspace():
                at += 1
            if at >= end:
                break
            value, at = decoder.raw_decode(text, at)
            values.append(value)
    except json.JSONDecodeError as exc:
        cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip())
        return Quarantined(
            locator=locator,
            reason=f"{'truncated' if cut else 'invalid'} JSON: {exc.msg} - line {exc.lineno}, "
            f"column {exc.colno} (char {exc.pos}) of {locator}",
            raw=text,
        )
    except RecursionError:
        return Quarantined(locator=locator, reason=f"JSON nested too deeply to read: {locator}", raw=text)
    if not values:
        return Quarantined(locator=locator, reason=f"no JSON value in {locator}", raw=text)
    lines = len(values) > 1 and all(isinstance(v, dict) for v in values)
    found: list[tuple[str, object]] = []
    if lines:  # JSON Lines: one object per line
        numbers = [n for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        for n, value in enumerate(values):
            line = numbers[n] if len(numbers) == len(values) else n + 1
            found.append((f"{locator}:{line}", value))
        return found
    index = 0
    for value in values:
        if isinstance(value, list):
            for element in value:
                found.append((f"{locator}#{index}", element))
                index += 1
        else:
            found.append((locator if len(values) == 1 else f"{locator}#{index}", value))
            index += 1
    return found


class _Reader:
    """Reads the objects of one file, noting each login's identity the first time it is seen."""

    def __init__(self, path: Path, locator: str) -> None:
        self.path = path
        self.locator = locator
        self._seen: set[str] = set()
        self._pending: list[Identity] = []
        self._file_ticket: tuple[str, str] | None = None  # (repo full name, number), looked up once
        self._looked_up = False

    def item(self, value: object, where: str) -> Iterator[Item]:
        """One object: whatever kind of GitHub record it is, or a Quarantined saying why not."""
        if not isinstance(value, dict):
            yield Quarantined(
                locator=where,
                reason=f"not a GitHub record: a JSON {json_kind(value)} at {where}, expected an object",
                raw=_dump(value),
            )
            return
        try:
            if "event" in value:
                records: list[Item] = [self._event(value, where)]
            elif "diff_hunk" in value:
                records = [self._comment(value, where, "review comment")]
            elif "pull_request_url" in value and ("submitted_at" in value or "state" in value):
                records = self._review(value, where)
            elif "issue_url" in value:
                records = [self._comment(value, where, "comment")]
            elif "number" in value:
                records = self._ticket(value, where)
            else:
                keys = ", ".join(sorted(str(k) for k in value)[:8])
                raise _MalformedError(
                    f"not a GitHub issue, pull request, comment, review or timeline event (keys: {keys})"
                )
        except _MalformedError as exc:
            self._drop()
            yield Quarantined(locator=where, reason=f"{exc} - {where}", raw=_dump(value))
            return
        yield from self._take()
        yield from records

    # -- issues and pull requests ------------------------------------------------------------

    def _ticket(self, issue: dict[str, object], where: str) -> list[Item]:
        number = _number(issue.get("number"), "number")
        repo = _repo_of(issue)
        if repo is None:
            raise _MalformedError(
                f"issue #{number} names no repository (no repository_url, url or html_url of GitHub)"
            )
        key = ticket_id(repo, number)
        what = f"GitHub issue {key}"
        try:
            is_pull = "pull_request" in issue or "head" in issue or "merged_at" in issue
            pull = issue.get("pull_request")
            merged_at = issue.get("merged_at")
            if isinstance(pull, dict):
                merged_at = pull.get("merged_at", merged_at)
            elif pull is not None:
                raise _MalformedError(f"pull_request is a JSON {json_kind(pull)}, expected an object")
            merged = _time(merged_at, "merged_at")
            state = _text(issue.get("state"), "state").lower()
            if state not in ("open", "closed", ""):
                raise _MalformedError(f"state {state!r} is neither open nor closed")
            closed = _time(issue.get("closed_at"), "closed_at")
            status = "merged" if merged else state or ("closed" if closed else "open")
            reason = _text(issue.get("state_reason"), "state_reason")
            resolution = "merged" if merged else (reason or "closed") if status == "closed" else ""
            author = self._login(issue.get("user"), "user", where)
            assignees = issue.get("assignees")
            keys: list[str] = []
            if assignees is not None:
                if not isinstance(assignees, list):
                    raise _MalformedError(f"assignees is a JSON {json_kind(assignees)}, expected an array")
                keys = [self._login(a, f"assignees[{n}]", where) for n, a in enumerate(assignees)]
            assignee = self._login(issue.get("assignee"), "assignee", where) or next(
                (k for k in keys if k), ""
            )
            milestone = issue.get("milestone")
            if milestone is not None and not isinstance(milestone, dict):
                raise _MalformedError(f"milestone is a JSON {json_kind(milestone)}, expected an object")
            fix = _text(milestone.get("title"), "milestone.title") if milestone else ""
            closer = self._login(issue.get("closed_by"), "closed_by", where)
            merger = self._login(issue.get("merged_by"), "merged_by", where)
            ticket = Ticket(
                id=key,
                project=repo,
                summary=_text(issue.get("title"), "title"),
                locator=where,
                description=_text(issue.get("body"), "body"),
                type="pull request" if is_pull else "issue",
                status=status,
                resolution=resolution,
                reporter=author,
                assignee=assignee,
                creator=author,
                created=_time(issue.get("created_at"), "created_at"),
                updated=_time(issue.get("updated_at"), "updated_at"),
                resolved=closed or merged,
                labels=_labels(issue.get("labels")),
                fix_versions=(fix,) if fix else (),
            )
        except _MalformedError as exc:
            raise _MalformedError(f"{what}: {exc}") from None
        records: list[Item] = [ticket]
        # The close (and merge) as status history: what a Jira changelog would have recorded.
        if merged:
            records.append(
                TicketEvent(
                    id=f"{key}:merged",
                    ticket_id=key,
                    field="status",
                    locator=f"{where}/merged_at",
                    author=merger or closer,
                    created=merged,
                    from_value="open",
                    to_value="merged",
                )
            )
        elif closed and status == "closed":
            records.append(
                TicketEvent(
                    id=f"{key}:closed",
                    ticket_id=key,
                    field="status",
                    locator=f"{where}/closed_at",
                    author=closer,
                    created=closed,
                    from_value="open",
                    to_value="closed",
                )
            )
        return records

    # -- comments and reviews ------------------------------------------------------------------

    def _comment(self, comment: dict[str, object], where: str, what: str) -> Comment:
        url_field = "pull_request_url" if what == "review comment" else "issue_url"
        target = _item_of(comment.get(url_field)) or _item_of(comment.get("html_url"))
        if target is None:
            raise _MalformedError(f"{what} whose {url_field} names no GitHub issue or pull request")
        key = ticket_id(*target)
        try:
            number = _number(comment.get("id"), "id")
            anchor = "discussion_r" if what == "review comment" else "issuecomment-"
            return Comment(
                id=f"{anchor}{number}",
                ticket_id=key,
                body=_text(comment.get("body"), "body"),
                locator=where,
                author=self._login(comment.get("user"), "user", where),
                created=_time(comment.get("created_at"), "created_at"),
                updated=_time(comment.get("updated_at"), "updated_at"),
            )
        except _MalformedError as exc:
            raise _MalformedError(f"{what} on {key}: {exc}") from None

    def _review(self, review: dict[str, object], where: str) -> list[Item]:
        target = _item_of(review.get("pull_request_url")) or _item_of(review.get("html_url"))
        if target is None:
            raise _MalformedError("review whose pull_request_url names no GitHub pull request")
        key = ticket_id(*target)
        try:
            number = _number(review.get("id"), "id")
            author = self._login(review.get("user"), "user", where)
            when = _time(review.get("submitted_at"), "submitted_at")
            state = _text(review.get("state"), "state")
            body = _text(review.get("body"), "body")
        except _MalformedError as exc:
            raise _MalformedError(f"review of {key}: {exc}") from None
        return review_records(key, number, author, when, state.lower(), body, where)

    # -- timeline events ------------------------------------------------------------------------

    def _event(self, event: dict[str, object], where: str) -> TicketEvent:
        name = _text(event.get("event"), "event")
        if not name:
            raise _MalformedError("timeline event with an empty event name")
        target = _item_of(event.get("issue_url")) or self._ticket_of_file()
        if target is None:
            raise _MalformedError(
                f"timeline event {name!r} of an unknown issue: it has no issue_url, and neither the file "
                f"name nor an issue file beside it gives the issue"
            )
        repo, number = target
        key = ticket_id(repo, number)
        try:
            actor = event.get("actor")
            if isinstance(actor, str):
                author = self._bare_login(actor, where)
            else:
                author = self._login(actor, "actor", where) or self._login(event.get("user"), "user", where)
            created = _time(
                event.get("created_at", event.get("date", event.get("submitted_at"))), "created_at"
            )
            from_value, to_value = self._values(name, event, repo, where)
            raw_id = event.get("id", event.get("node_id"))
            suffix = str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
            position = where.rpartition("#")[2] if "#" in where else where.rpartition(":")[2]
            return TicketEvent(
                id=f"{key}:{name}:{suffix or position}",
                ticket_id=key,
                field=name,
                locator=where,
                author=author,
                created=created,
                from_value=from_value,
                to_value=to_value,
            )
        except _MalformedError as exc:
            raise _MalformedError(f"timeline event {name!r} of {key}: {exc}") from None

    def _values(self, name: str, event: dict[str, object], repo: str, where: str) -> tuple[str, str]:
        """(from_value, to_value) of a timeline event, by what GitHub records for its kind."""
        if name == "cross-referenced":
            source = event.get("source")
            if isinstance(source, dict):
                issue = source.get("issue")
                if not isinstance(issue, dict):
                    raise _MalformedError('cross-reference whose source has no "issue" object')
                number = _number(issue.get("number"), "source.issue.number")
                other = _repo_of(issue) or repo
                return ticket_id(other, number), ""
            number = _number(event.get("from"), "from")
            return ticket_id(repo, number), ""
        if name in ("referenced", "closed", "merged", "committed", "head_ref_force_pushed"):
            sha = event.get("commit_id", event.get("commit", event.get("sha")))
            if sha is None or sha == "":
                return "", ""
            if not isinstance(sha, str) or not _SHA.fullmatch(sha):
                raise _MalformedError(f"commit {_short(sha)} is not a commit sha")
            return "", sha.lower()
        if name in ("labeled", "unlabeled"):
            label = event.get("label")
            label_name = (
                _text(label.get("name"), "label.name") if isinstance(label, dict) else _text(label, "label")
            )
            return (label_name, "") if name == "unlabeled" else ("", label_name)
        if name in ("assigned", "unassigned", "review_requested", "review_request_removed"):
            who = event.get("assignee", event.get("requested_reviewer"))
            login = self._login(who, "assignee", where)
            return (login, "") if name.startswith("un") or name.endswith("removed") else ("", login)
        if name in ("milestoned", "demilestoned"):
            milestone = event.get("milestone")
            title = _text(milestone.get("title"), "milestone.title") if isinstance(milestone, dict) else ""
            return (title, "") if name == "demilestoned" else ("", title)
        if name == "renamed":
            rename = event.get("rename")
            if not isinstance(rename, dict):
                raise _MalformedError('renamed event without a "rename" object')
            return _text(rename.get("from"), "rename.from"), _text(rename.get("to"), "rename.to")
        if name in ("reviewed", "commented"):
            self._login(event.get("user"), "user", where)
            raw_id = event.get("id")
            return "", str(raw_id) if isinstance(raw_id, int | str) and not isinstance(raw_id, bool) else ""
        if name == "reopened":
            return "closed", "open"
        return "", ""

    def _ticket_of_file(self) -> tuple[str, str] | None:
        """The issue a timeline file belongs to: its name's number, the repository of the issue beside it."""
        if self._looked_up:
            return self._file_ticket
        self._looked_up = True
        found = _FILE_NUMBER.match(self.path.name)
        if found is None:
            return None
        digits = self.path.name[: found.end()]
        after = self.path.name[found.end() : found.end() + 1]
        sep = after if after in "-_." and after else "-"  # 020023-xrefs.json, 20023.timeline.json
        for name in _ISSUE_FILES:
            sibling = self.path.parent / name.format(digits=digits, sep=sep)
            if sibling == self.path or not sibling.is_file():
                continue
            try:
                head = json.loads(sibling.read_text("utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            if isinstance(head, dict) and "number" in head:
                repo = _repo_of(head)
                if repo is not None and str(head.get("number")) == found[1]:
                    self._file_ticket = (repo, found[1])
                    break
        return self._file_ticket

    # -- people ------------------------------------------------------------------------------------

    def _login(self, user: object, field: str, locator: str) -> IdentityKey:
        """The identity key of a GitHub user object (``""`` for none), noting its identity if new."""
        if user is None:
            return ""
        if not isinstance(user, dict):
            raise _MalformedError(f"{field} is a JSON {json_kind(user)}, expected a user object")
        login = user.get("login")
        if login is None or login == "":
            return ""  # a deleted account ("ghost") may come without a login
        if not isinstance(login, str):
            raise _MalformedError(f"{field}.login is a JSON {json_kind(login)}, expected text")
        key = f"github:{_clean(login, f'{field}.login')}"
        if key not in self._seen:
            self._seen.add(key)
            email = user.get("email")
            self._pending.append(
                Identity(
                    key=key,
                    locator=locator,
                    display_name=_text(user.get("name"), f"{field}.name") or login,
                    real_name=_text(user.get("name"), f"{field}.name"),
                    emails=(email,) if isinstance(email, str) and "@" in email else (),
                    handle=login,
                    is_bot=user.get("type") == "Bot" or login.endswith("[bot]"),
                )
            )
        return key

    def _bare_login(self, login: str, locator: str) -> IdentityKey:
        """The identity key of a login written as text (the archive's timeline actors)."""
        if not login:
            return ""
        key = f"github:{_clean(login, 'actor')}"
        if key not in self._seen:
            self._seen.add(key)
            self._pending.append(
                Identity(
                    key=key, locator=locator, display_name=login, handle=login, is_bot=login.endswith("[bot]")
                )
            )
        return key

    def _take(self) -> list[Identity]:
        taken, self._pending = self._pending, []
        return taken

    def _drop(self) -> None:
        self._seen.difference_update(identity.key for identity in self._pending)
        self._pending = []


def review_records(
    key: str, number: int | str, author: str, when: str, state: str, body: str, where: str
) -> list[Item]:
    """A pull request review as the store keeps it: a ``reviewed`` event, and its text as a comment."""
    records: list[Item] = [
        TicketEvent(
            id=f"{key}:pullrequestreview-{number}",
            ticket_id=key,
            field="reviewed",
            locator=where,
            author=author,
            created=when,
            to_value=state,
        )
    ]
    if body:
        records.append(
            Comment(
                id=f"pullrequestreview-{number}",
                ticket_id=key,
                body=body,
                locator=where,
                author=author,
                created=when,
            )
        )
    return records


def ticket_id(repo: str, number: str) -> str:
    """The ticket id of issue ``number`` of ``repo`` (``"owner/name"`` or ``"name"``): ``"name#number"``."""
    return f"{repo.rstrip('/').rsplit('/', 1)[-1]}#{number}"


def _repo_of(issue: dict[str, object]) -> str | None:
    """``"owner/name"`` of an issue object, from its repository_url, url or html_url."""
    repository = issue.get("repository_url")
    if isinstance(repository, str):
        found = _API_REPO.search(repository)
        if found:
            return f"{found[1]}/{found[2]}"
    repo_object = issue.get("repository")
    if isinstance(repo_object, dict) and isinstance(repo_object.get("full_name"), str):
        return str(repo_object["full_name"])
    for name in ("url", "html_url"):
        target = _item_of(issue.get(name))
        if target is not None:
            return target[0]
    return None


def _item_of(url: object) -> tuple[str, str] | None:
    """(``"owner/name"``, number) of an API or web URL of an issue or pull request."""
    if not isinstance(url, str):
        return None
    found = _API_ITEM.search(url) or _HTML_ITEM.search(url)
    if found is None:
        return None
    return f"{found[1]}/{found[2]}", str(int(found[3]))


def _number(value: object, field: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if value is None:
        raise _MalformedError(f'no "{field}"')
    raise _MalformedError(f"{field} is {_short(value)}, expected a whole number")


def _labels(values: object) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        raise _MalformedError(f"labels is a JSON {json_kind(values)}, expected an array")
    names = []
    for n, value in enumerate(values):
        name = (
            _text(value.get("name"), f"labels[{n}].name")
            if isinstance(value, dict)
            else _text(value, f"labels[{n}]")
        )
        if name:
            names.append(name)
    return tuple(names)


def _clean(value: str, field: str) -> str:
    """Text that SQLite can store: a lone surrogate (half of a UTF-16 pair, escaped in the JSON) is none."""
    bad = _SURROGATE.search(value)
    if bad:
        raise _MalformedError(
            f"{field} holds a lone surrogate U+{ord(bad[0]):04X} at character {bad.start()}, not text"
        )
    return value


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean(value, field)
    raise _MalformedError(f"{field} is a JSON {json_kind(value)}, expected text")


def _time(value: object, field: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return from_iso(value)
        except ValueError:
            raise _MalformedError(f"{field} {_short(value)} is not a time") from None
    raise _MalformedError(f"{field} is a JSON {json_kind(value)}, expected a time")


def _short(value: object) -> str:
    shown = _dump(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _dump(value: object) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return json.dumps(value) if _SURROGATE.search(shown) else shown  # escaped, so that SQLite stores it


__all__ = ["FORMAT", "detect", "parse", "ticket_id"]
