"""Jira issues as the REST API v2 returns them: one issue per file, or search results.

An issue file is ``{"id", "key", "fields": {...}}`` (``/rest/api/2/issue/KEY``, often with
``?expand=changelog``); a search result is ``{"startAt", "total", "issues": [...]}``
(``/rest/api/2/search``). Both are recognised by content, whatever the file is called. A
project metadata file (``{"id", "key", "components", "issueTypes", ...}`` without ``"fields"``) is
recognised too, so that a Jira dump reads without leftovers, but it holds no records.

Each issue gives a :class:`~workgym.model.Ticket`, its comments, the issue links it lists (a
link is listed by both its ends, and each listing is kept), its changelog items, and an
:class:`~workgym.model.Identity` for every user object in it. Text is kept exactly as written:
Jira wiki markup and CRLF line ends included.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from workgym.ingest.base import Format, Item, decode_utf8, json_kind
from workgym.ingest.timefmt import from_iso
from workgym.model import Comment, Identity, IdentityKey, Quarantined, Ticket, TicketEvent, TicketLink

_PROJECT_MARKERS = (b'"issueTypes"', b'"projectTypeKey"', b'"components"', b'"lead"')
"""Keys of a project metadata file, any of which shows in its first bytes."""

_SEARCH_MARKERS = (b'"startAt"', b'"maxResults"', b'"total"', b'"fields"')
"""Keys beside ``"issues"`` in search results (``"fields"`` once the first issue starts)."""


class _MalformedError(ValueError):
    """A field of a record holds something this format does not allow; the message says which."""


def detect(path: Path, head: bytes) -> bool:
    """Whether a file's first bytes are a Jira issue, search results or project metadata."""
    del path  # recognised by content alone: dumps name their files anything
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not start.startswith(b"{"):
        return False
    if b'"issues"' in start and any(marker in start for marker in _SEARCH_MARKERS):
        return True
    if b'"key"' not in start:
        return False
    return b'"fields"' in start or (b'"id"' in start and any(m in start for m in _PROJECT_MARKERS))


def parse(path: Path, rel: str) -> Iterator[Item]:
    """Read one Jira JSON file: an issue, search results, or project metadata (which gives nothing).

    Args:
        path: the file.
        rel: its path relative to the source root; locators start with it.

    Yields:
        Tickets, comments, issue links, changelog events and identities; a Quarantined item for a
        file that is not valid JSON, or for each issue, comment, link or history it cannot read.
    """
    locator = rel or path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Quarantined(locator=locator, reason=f"unreadable file: {exc.strerror or exc}")
        return
    loaded = _load_json(data, locator)
    if isinstance(loaded, Quarantined):
        yield loaded
        return
    people = _People()
    if not isinstance(loaded, dict):
        yield Quarantined(
            locator=locator,
            reason=f"not a Jira issue: the file holds a JSON {json_kind(loaded)}, "
            'expected an object with "key" and "fields"',
            raw=data.decode("utf-8", errors="replace"),
        )
    elif "issues" in loaded and "fields" not in loaded:
        issues = loaded["issues"]
        if not isinstance(issues, list):
            yield Quarantined(
                locator=locator,
                reason=f'search results whose "issues" is a JSON {json_kind(issues)}, expected an array',
                raw=data.decode("utf-8", errors="replace"),
            )
            return
        for index, issue in enumerate(issues):
            yield from _issue(issue, f"{locator}#{index}", people)
    elif "fields" not in loaded and isinstance(loaded.get("key"), str) and _is_project(loaded):
        return  # project metadata: read, and holds no records
    else:
        yield from _issue(loaded, locator, people)


FORMAT = Format(
    name="jira",
    description="Jira REST v2 JSON: one issue per file (any name), search results with "
    '"issues", project.json metadata',
    parse=parse,
    detect_file=detect,
    priority=50,
)


def _load_json(data: bytes, locator: str) -> object:
    """The JSON value in a file, or a Quarantined naming the bad byte or the line and column."""
    text = decode_utf8(data, locator)
    if isinstance(text, Quarantined):
        return text
    text = text.removeprefix("\ufeff")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        # A string left open, or an error at the very end, is a file cut short.
        cut = exc.msg.startswith("Unterminated string") or exc.pos >= len(text.rstrip())
        return Quarantined(
            locator=locator,
            reason=f"{'truncated' if cut else 'invalid'} JSON: {exc.msg} - line {exc.lineno}, "
            f"column {exc.colno} (char {exc.pos}) of {locator}",
            raw=text,
        )
    except RecursionError:
        return Quarantined(locator=locator, reason=f"JSON nested too deeply to read: {locator}", raw=text)


def _is_project(data: dict[str, object]) -> bool:
    return any(name in data for name in ("issueTypes", "projectTypeKey", "components", "lead"))


def _issue(issue: object, locator: str, people: _People) -> Iterator[Item]:
    """One issue: its ticket, then what it lists (comments, links, changelog), each read on its own."""
    if not isinstance(issue, dict):
        yield Quarantined(
            locator=locator,
            reason=f'not a Jira issue: a JSON {json_kind(issue)}, expected an object with "key", "fields"',
            raw=_dump(issue),
        )
        return
    key = issue.get("key")
    fields = issue.get("fields")
    if not isinstance(key, str) or not key:
        what = "has no" if key is None else f"has a JSON {json_kind(key)} as its"
        yield Quarantined(locator=locator, reason=f'Jira issue {what} "key"', raw=_dump(issue))
        return
    if not isinstance(fields, dict):
        what = "has no" if fields is None else f"has a JSON {json_kind(fields)} as its"
        yield Quarantined(locator=locator, reason=f'Jira issue {key} {what} "fields"', raw=_dump(issue))
        return
    try:
        ticket = _ticket(key, fields, locator, people)
    except _MalformedError as exc:
        people.drop()
        yield Quarantined(locator=locator, reason=f"Jira issue {key}: {exc}", raw=_dump(issue))
    else:
        yield from people.take()
        yield ticket
    yield from _comments(key, fields.get("comment"), locator, people)
    yield from _links(key, fields.get("issuelinks"), locator)
    changelog = issue.get("changelog")
    if isinstance(changelog, dict):
        yield from _histories(key, changelog.get("histories"), locator, people)


def _ticket(key: str, fields: dict[str, object], locator: str, people: _People) -> Ticket:
    project = fields.get("project")
    project_key = project.get("key") if isinstance(project, dict) else None
    if not isinstance(project_key, str) or not project_key:
        project_key = key.rpartition("-")[0] or key  # "ALOY-1064" -> "ALOY"
    return Ticket(
        id=key,
        project=project_key,
        summary=_text(fields.get("summary"), "summary"),
        locator=locator,
        description=_text(fields.get("description"), "description"),
        type=_name(fields.get("issuetype"), "issuetype"),
        status=_name(fields.get("status"), "status"),
        priority=_name(fields.get("priority"), "priority"),
        resolution=_name(fields.get("resolution"), "resolution"),
        reporter=people.key(fields.get("reporter"), "reporter", locator),
        assignee=people.key(fields.get("assignee"), "assignee", locator),
        creator=people.key(fields.get("creator"), "creator", locator),
        created=_time(fields.get("created"), "created"),
        updated=_time(fields.get("updated"), "updated"),
        resolved=_time(fields.get("resolutiondate"), "resolutiondate"),
        labels=_names(fields.get("labels"), "labels"),
        components=_names(fields.get("components"), "components"),
        fix_versions=_names(fields.get("fixVersions"), "fixVersions"),
        affects_versions=_names(fields.get("versions"), "versions"),
        parent=_key_of(fields.get("parent"), "parent") or _key_of(fields.get("epic"), "epic"),
        environment=_text(fields.get("environment"), "environment"),
    )


def _required_id(element: dict[str, object]) -> str:
    """A sub-record's ``"id"`` (a non-empty string or number), or :class:`_MalformedError`."""
    value = element.get("id")
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        raise _MalformedError('no "id"')
    return str(value)


def _comments(key: str, container: object, locator: str, people: _People) -> Iterator[Item]:
    comments = container.get("comments") if isinstance(container, dict) else container
    if comments is None:
        return
    if not isinstance(comments, list):
        yield Quarantined(
            locator=f"{locator}/comment",
            reason=f"comments of {key} are a JSON {json_kind(comments)}, expected an array",
            raw=_dump(comments),
        )
        return
    for index, comment in enumerate(comments):
        where = f"{locator}/comment#{index}"
        try:
            if not isinstance(comment, dict):
                raise _MalformedError(f"a JSON {json_kind(comment)}, expected an object")
            comment_id = _required_id(comment)
            record = Comment(
                id=comment_id,
                ticket_id=key,
                body=_text(comment.get("body"), "body"),
                locator=where,
                author=people.key(comment.get("author"), "author", where),
                created=_time(comment.get("created"), "created"),
                updated=_time(comment.get("updated"), "updated"),
            )
            people.key(comment.get("updateAuthor"), "updateAuthor", where)
        except _MalformedError as exc:
            people.drop()
            yield Quarantined(locator=where, reason=f"comment on {key}: {exc}", raw=_dump(comment))
        else:
            yield from people.take()
            yield record


def _links(key: str, links: object, locator: str) -> Iterator[Item]:
    if links is None:
        return
    if not isinstance(links, list):
        yield Quarantined(
            locator=f"{locator}/link",
            reason=f"issuelinks of {key} are a JSON {json_kind(links)}, expected an array",
            raw=_dump(links),
        )
        return
    for index, link in enumerate(links):
        where = f"{locator}/link#{index}"
        try:
            if not isinstance(link, dict):
                raise _MalformedError(f"a JSON {json_kind(link)}, expected an object")
            link_type = link.get("type")
            if not isinstance(link_type, dict):
                raise _MalformedError('no "type"')
            if "outwardIssue" in link:
                direction, other = "outward", link["outwardIssue"]
            elif "inwardIssue" in link:
                direction, other = "inward", link["inwardIssue"]
            else:
                raise _MalformedError('neither "outwardIssue" nor "inwardIssue"')
            other_key = _key_of(other, f"{direction}Issue")
            if not other_key:
                raise _MalformedError(f'{direction}Issue has no "key"')
            record = TicketLink(
                ticket_id=key,
                other_id=other_key,
                link_type=_text(link_type.get("name"), "type.name"),
                direction=direction,
                label=_text(link_type.get(direction), f"type.{direction}"),
                locator=where,
            )
        except _MalformedError as exc:
            yield Quarantined(locator=where, reason=f"issue link of {key}: {exc}", raw=_dump(link))
        else:
            yield record


def _histories(key: str, histories: object, locator: str, people: _People) -> Iterator[Item]:
    if histories is None:
        return
    if not isinstance(histories, list):
        yield Quarantined(
            locator=f"{locator}/history",
            reason=f"changelog histories of {key} are a JSON {json_kind(histories)}, expected an array",
            raw=_dump(histories),
        )
        return
    for index, history in enumerate(histories):
        where = f"{locator}/history#{index}"
        try:
            if not isinstance(history, dict):
                raise _MalformedError(f"a JSON {json_kind(history)}, expected an object")
            history_id = _required_id(history)
            items = history.get("items")
            if not isinstance(items, list):
                raise _MalformedError(f'"items" is a JSON {json_kind(items)}, expected an array')
            author = people.key(history.get("author"), "author", where)
            created = _time(history.get("created"), "created")
            events = [
                _event(key, f"{history_id}:{n}", item, f"{where}/item#{n}", author, created)
                for n, item in enumerate(items)
            ]
        except _MalformedError as exc:
            people.drop()
            yield Quarantined(locator=where, reason=f"changelog history of {key}: {exc}", raw=_dump(history))
        else:
            yield from people.take()
            yield from events


def _event(key: str, event_id: str, item: object, locator: str, author: str, created: str) -> TicketEvent:
    if not isinstance(item, dict):
        raise _MalformedError(f"item {event_id} is a JSON {json_kind(item)}, expected an object")
    return TicketEvent(
        id=event_id,
        ticket_id=key,
        field=_text(item.get("field"), f"item {event_id} field"),
        locator=locator,
        author=author,
        created=created,
        from_value=_value(item, "fromString", "from", event_id),
        to_value=_value(item, "toString", "to", event_id),
    )


class _People:
    """The user objects of one file, each turned into an identity the first time it is seen.

    Identities found while reading a record wait until the record is known to be good
    (:meth:`take`); a record that is quarantined takes its identities with it (:meth:`drop`).
    """

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._pending: list[Identity] = []

    def key(self, user: object, field: str, locator: str) -> IdentityKey:
        """The identity key of a user object (``""`` for none), noting the identity if new."""
        if user is None:
            return ""
        if not isinstance(user, dict):
            raise _MalformedError(f"{field} is a JSON {json_kind(user)}, expected a user object")
        handle = user.get("name")
        for name in ("name", "key", "accountId", "displayName"):
            value = user.get(name)
            if isinstance(value, str) and value:
                break
        else:
            return ""  # a user object naming nobody (Jira's anonymous user)
        key = f"jira:{value}"
        if key not in self._seen:
            self._seen.add(key)
            email = user.get("emailAddress")
            self._pending.append(
                Identity(
                    key=key,
                    locator=locator,
                    display_name=_text(user.get("displayName"), f"{field}.displayName"),
                    emails=(email,) if isinstance(email, str) and email else (),
                    handle=handle if isinstance(handle, str) else "",
                    timezone=_text(user.get("timeZone"), f"{field}.timeZone"),
                    deleted=user.get("active") is False,
                )
            )
        return key

    def take(self) -> list[Identity]:
        """The identities noted since the last take or drop."""
        taken, self._pending = self._pending, []
        return taken

    def drop(self) -> None:
        """Forget the identities noted since the last take, so that a later record notes them again."""
        self._seen.difference_update(identity.key for identity in self._pending)
        self._pending = []


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise _MalformedError(f"{field} is a JSON {json_kind(value)}, expected text")


def _name(value: object, field: str) -> str:
    """The name of a named object (issue type, status, version, component); text stays as it is."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, dict):
        name = value.get("name", value.get("value"))
        return _text(name, f"{field}.name")
    raise _MalformedError(f"{field} is a JSON {json_kind(value)}, expected an object with a name")


def _names(values: object, field: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list):
        raise _MalformedError(f"{field} is a JSON {json_kind(values)}, expected an array")
    names = (_name(value, f"{field}[{index}]") for index, value in enumerate(values))
    return tuple(name for name in names if name)


def _key_of(value: object, field: str) -> str:
    """The key of an issue reference (``{"key": "ALOY-258", ...}``), or the key written as text."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, dict):
        return _text(value.get("key"), f"{field}.key")
    raise _MalformedError(f"{field} is a JSON {json_kind(value)}, expected an issue")


def _time(value: object, field: str) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return from_iso(value)
        except ValueError:
            raise _MalformedError(f"{field} {value!r} is not a time") from None
    raise _MalformedError(f"{field} is a JSON {json_kind(value)}, expected a time")


def _value(item: dict[str, object], shown: str, stored: str, event_id: str) -> str:
    """A changelog value as Jira shows it (``fromString``), else as it stores it (``from``)."""
    value = item.get(shown)
    if value is None:
        value = item.get(stored)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _MalformedError(f"item {event_id} {shown} is a JSON {json_kind(value)}, expected text")


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


__all__ = ["FORMAT", "detect", "parse"]
