"""Layer 1: everything the workspace knows about its people, found in any text by one automaton.

:func:`build_directory` reads the ``person`` and ``identity`` tables and lists, for each person,
the values that name them: full names (also written ``first.last``, ``first_last``, ``first-last``
and ``firstlast``), the first, middle and last names of every full name (nicknames seen in the data
included), handles, user ids, e-mail addresses (also as mail archives obfuscate them:
``jo at example.com``) and phone numbers; and the organisations behind e-mail domains that are not
public or local (``acme-robotics.io``, and its label ``acme-robotics``, also written ``acme
robotics``, when two people share the domain or the label is distinctive: eight letters or more).

:class:`Matcher` finds all of them at once with an Aho-Corasick automaton (``pyahocorasick``) over
the lower-cased text, keeping matches that start and end on word boundaries (so ``Tim's`` gives
``Tim``, and ``Timothy`` gives nothing). Two kinds of value are taken with care:

* a single name token (``Tim``, ``Poulsen``) matches only when written with a capital letter, and a
  token that is also a common English word (``Will``, ``Green``) or a word of the tools' own
  vocabulary (statuses, link types, project keys) never matches alone: it is replaced inside full
  names only;
* a handle that is short (under three characters), a common word (``max``, ``test``, ``mail``,
  ``e-mail``: see :mod:`workgym.anonymize.words`), a label of public host names or a tool's name
  (``julia``) matches only where it can only be a handle: as an IRC addressee at the start of a line
  (``max: ...``), after ``@``, in a Jira mention ``[~max]``, as a repository's owner
  (``github.com/max/...``, ``max/dotfiles#3``), and anywhere in system lines (joins,
  parts, quits, nick changes) but as the top-level label of a host (``ch`` of ``~u@x.example.ch``);
* an organisation label that is such a word (``kernel`` of ``kernel.org``, ``sourceforge`` of a
  public host) is replaced only inside its domain, never alone;
* a sender's display name of one word (``Kristoffer``) is a name, like a token of a full name;
* a name token that is a month or weekday (``Jan``, ``May``) is no name inside a date written in
  words (``On Sat, Jan 1, 2022``, see :mod:`workgym.anonymize.dates`), which is moved as a date.

Every Message-ID the workspace holds (its own, and those its mails reply to or cite) is a value
too, of kind ``message_id``: wherever one is written, in a column or in text (a quoted header, an
archive link), it is rewritten by the same keyed function, and the audit finds any that survives.

The audit scans the output with a matcher built from the same values, so what is replaced and
what is checked follow one rule.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick
from faker.providers.lorem.en_US import Provider as _Lorem

from workgym.anonymize.dates import in_date
from workgym.anonymize.spans import Span
from workgym.anonymize.words import HOST_LABELS, TOOL_WORDS, english_words, is_label_word, is_word
from workgym.store import rows

PUBLIC_DOMAINS: frozenset[str] = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "yahoo.de",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "qq.com",
        "163.com",
        "126.com",
        "fastmail.com",
        "zoho.com",
        "mail.com",
        "example.com",
        "example.org",
        "example.net",
        "github.com",
        "users.noreply.github.com",
        "noreply.github.com",
        "gitlab.com",
        "bitbucket.org",
        "googlegroups.com",
        "google.com",
        "apache.org",
        "sourceforge.net",
        "users.sourceforge.net",
        "lists.sourceforge.net",
    ]
)
"""Domains shared by the public: an address there is personal, the domain itself is not."""

COMMON_WORDS: frozenset[str] = frozenset(w.lower() for w in _Lorem.word_list) | frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "bot",
        "but",
        "by",
        "can",
        "do",
        "for",
        "from",
        "go",
        "has",
        "have",
        "he",
        "her",
        "him",
        "his",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "out",
        "so",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "up",
        "us",
        "we",
        "what",
        "when",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "admin",
        "root",
        "test",
        "user",
        "guest",
        "help",
        "info",
        "support",
        "team",
        "dev",
        "all",
        "new",
        "max",
        "min",
        "log",
        # the words of every web address
        "com",
        "org",
        "net",
        "edu",
        "gov",
        "www",
        "http",
        "https",
        "html",
    ]
)
"""English words that may also be names or handles; they never match alone (see the module doc)."""

PUBLIC_LABELS: frozenset[str] = frozenset(
    label for domain in PUBLIC_DOMAINS for label in domain.split(".")[:-1] if len(label) >= 2
)
"""The labels of public domains (``gmail``, ``sourceforge``): a person's or organisation's name never."""

LOCAL_SUFFIXES: tuple[str, ...] = (".local", ".localdomain", ".lan", ".home", ".internal", ".localhost")
"""Domains of machines on a private network: never an organisation's."""

_ENUM_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ticket", "type"), ("ticket", "status"), ("ticket", "priority"), ("ticket", "resolution"),
    ("ticket_link", "link_type"), ("ticket_link", "label"), ("ticket_event", "field"),
    ("message", "subtype"), ("channel", "kind"), ("document", "format"),
)  # fmt: skip
"""Columns kept as they are (vocabularies of the tools): their words are never names."""

SYSTEM_SUBTYPES: frozenset[str] = frozenset({"join", "part", "quit", "nick", "kick", "mode", "server"})
"""Message subtypes whose text is written by the server, where every handle is a handle."""

_TICKET_KEY = re.compile(r"[^\W_][\w.]*-\d+")
"""A tracker's ticket key: a project prefix, a dash, a number (``MOD-12``, ``TIMOB-1``)."""
_PHONE_DIGITS = 5  # the fewest digits of a phone number (an extension alone names no one)

_WORD = re.compile(r"[^\W\d_][\w'’.-]*[^\W_]|[^\W\d_]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Entry:
    """One value the directory knows and what it names.

    Attributes:
        kind: the span kind it gives (``person``, ``handle``, ``user_id``, ``email``, ...).
        entity: the person id it names, or ``""`` when it names no single person.
        part: which part of the entity (``full``, ``first``, ``last``, ``other``, ``handle``, ...).
        confidence: how sure a match is.
        capitalised: matches only where the text starts with a capital letter.
        structural: matches only where it can only be a handle (see the module doc).
        layer: ``directory``, or ``config`` for user dictionaries, or the layer that found a
            learned value.
    """

    kind: str
    entity: str
    part: str
    confidence: float = 1.0
    capitalised: bool = False
    structural: bool = False
    layer: str = "directory"


@dataclass
class PersonInfo:
    """What the directory holds of one person."""

    id: str
    name: str
    names: list[str] = field(default_factory=list)
    handles: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    is_bot: bool = False
    sources: frozenset[int] = frozenset()
    """The sources with an identity of this person (a value two people share is, in a row of one of
    them, the person known there: see :meth:`workgym.anonymize.rewrite.Rewriter.row`)."""


@dataclass
class Directory:
    """Known people and organisations, and every value that names them (lower-cased -> entries)."""

    persons: dict[str, PersonInfo]
    domains: list[str]
    common: frozenset[str] = COMMON_WORDS
    ticket_prefixes: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()
    entries: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))

    def add(self, value: str, entry: Entry) -> None:
        """Know ``value`` as ``entry`` (ignored when empty, without a letter or digit, or known so)."""
        key = lower_same_length(value.strip())  # as Matcher.find lowers the text ("İsa" stays "İsa")
        if len(key) < 2 or not any(c.isalnum() for c in key):
            return  # too short to find, or no letter or digit: it names no one (a phone "---")
        known = self.entries.setdefault(key, [])
        if entry not in known:
            known.append(entry)

    def values(self, min_confidence: float = 0.0) -> Iterator[tuple[str, Entry]]:
        """Every (lower-cased value, entry), in a fixed order."""
        for key in sorted(self.entries):
            for entry in self.entries[key]:
                if entry.confidence >= min_confidence:
                    yield key, entry


def _split_list(value: str) -> list[str]:
    import json

    parsed = json.loads(value) if value else []
    return [v for v in parsed if isinstance(v, str) and v]


def name_tokens(name: str) -> list[str]:
    """The word tokens of a name (``"Anna-Maria O'Brien (QA)"`` -> ``Anna-Maria``, ``O'Brien``, ``QA``)."""
    return _WORD.findall(name)


def registrable(domain: str) -> str:
    """The organisation's part of a domain: ``mail.acme.co.uk`` -> ``acme.co.uk``."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "ac", "org", "net", "gov"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


PUBLIC_HOSTS: frozenset[str] = frozenset(
    {"lore.kernel.org", "lkml.kernel.org", "patchwork.kernel.org", "git.kernel.org", "bugzilla.kernel.org"}
)
"""Public services under a domain whose addresses are people's: a link's host there names no one.

A link to a list archive (``https://lore.kernel.org/r/<id>``) must keep its host to stay a link;
the domain's addresses (``jo@kernel.org``) are still mapped.
"""
_HOST_CHAR = re.compile(r"[A-Za-z0-9.\-]")


def _in_public_host(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` ends a host name of :data:`PUBLIC_HOSTS` (``lore.`` + ``kernel.org``)."""
    at = start
    while at > 0 and _HOST_CHAR.match(text, at - 1) and start - at < 64:
        at -= 1
    return text[at:end].lower().lstrip(".-") in PUBLIC_HOSTS and not (at > 0 and text[at - 1] == "@")


def is_public_domain(domain: str) -> bool:
    """Whether ``domain`` (or the domain it is under) is one the public shares."""
    domain = domain.lower()
    return domain in PUBLIC_DOMAINS or registrable(domain) in PUBLIC_DOMAINS


def build_directory(conn: sqlite3.Connection) -> Directory:
    """Read the people of a workspace into a directory."""
    persons: dict[str, PersonInfo] = {}
    for row in rows(conn, "SELECT * FROM person ORDER BY id"):
        persons[row["id"]] = PersonInfo(
            id=row["id"],
            name=row["name"],
            names=[row["name"], *_split_list(row["names"])] if row["name"] else _split_list(row["names"]),
            handles=_split_list(row["handles"]),
            emails=[e.lower() for e in _split_list(row["emails"])],
            phones=_split_list(row["phones"]),
            is_bot=bool(row["is_bot"]),
        )
    for row in rows(conn, "SELECT * FROM identity ORDER BY source_id, key"):
        info = persons.get(row["person_id"])
        if info is None:
            continue
        info.sources |= {int(row["source_id"])}
        namespace, _, value = row["key"].partition(":")
        if namespace == "slack" and re.fullmatch(r"[UW][A-Z0-9]{6,}", value):
            info.user_ids.append(value)
        elif namespace == "email":
            info.emails.append(value.lower())
        elif namespace in {"irc", "jira", "git", "github"} and value:
            info.handles.append(value)
        for name in (row["display_name"], row["real_name"]):
            if name:
                info.names.append(name)
        if row["handle"]:
            info.handles.append(row["handle"])
        info.emails.extend(e.lower() for e in _split_list(row["emails"]))
        info.phones.extend(_split_list(row["phones"]))
    for info in persons.values():
        info.handles += [e for e in info.emails if "@" not in e]  # an "address" with no domain
        info.emails = [e for e in info.emails if "@" in e]
        info.handles = sorted(set(info.handles), key=lambda h: (h.lower(), h))
        info.emails = sorted(set(info.emails))
        info.phones = sorted(set(info.phones))
        info.user_ids = sorted(set(info.user_ids))
        lowered_handles = {h.lower() for h in info.handles}
        seen: set[str] = set()
        names = []
        for name in info.names:
            # A display name that is just a handle is a handle, not a name; a person with no name
            # at all is named by their id, which is no name either.
            if name.lower() in lowered_handles or name.lower() in seen or "@" in name or name == info.id:
                continue
            seen.add(name.lower())
            names.append(name)
        info.names = names
    domains = sorted({e.rpartition("@")[2] for p in persons.values() for e in p.emails if "@" in e})
    vocabulary = set(COMMON_WORDS)
    for table, column in _ENUM_COLUMNS:
        for (value,) in conn.execute(f'SELECT DISTINCT "{column}" FROM "{table}"'):
            vocabulary.update(w.lower() for w in re.findall(r"[^\W\d_]+", value or ""))
    prefixes = {  # of ticket keys only (MOD-12): a GitHub id (dot-files#3) has no project prefix
        value.rpartition("-")[0]
        for (value,) in conn.execute("SELECT id FROM ticket UNION SELECT other_id FROM ticket_link")
        if _TICKET_KEY.fullmatch(value or "")
    } - {""}
    vocabulary.update(p.lower() for p in prefixes)  # project keys are never names
    vocabulary |= english_words() | HOST_LABELS | PUBLIC_LABELS | TOOL_WORDS
    directory = Directory(
        persons=persons,
        domains=[d for d in domains if is_organisation_domain(d)],
        common=frozenset(vocabulary),
        ticket_prefixes=tuple(sorted(prefixes)),
        message_ids=_message_ids(conn),
    )
    _fill(directory)
    return directory


def _message_ids(conn: sqlite3.Connection) -> tuple[str, ...]:
    """Every Message-ID the workspace's mails have, answer or cite (In-Reply-To, References)."""
    found: set[str] = set()
    for message_id, in_reply_to, thread_id, references in conn.execute(
        'SELECT id, in_reply_to, thread_id, "references" FROM email'
    ):
        found.update((message_id, in_reply_to or "", thread_id or ""))
        found.update(_split_list(references or ""))
    return tuple(sorted(i for i in found if len(i) >= 8))


def is_organisation_domain(domain: str) -> bool:
    """Whether ``domain`` belongs to an organisation or a person: named, not public, not local."""
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and labels[-1].isalpha()
        and len(labels[-1]) >= 2
        and not domain.endswith(LOCAL_SUFFIXES)
        and not is_public_domain(domain)
    )


def _fill(directory: Directory) -> None:
    common = directory.common
    token_owners: dict[str, set[str]] = defaultdict(set)
    for info in directory.persons.values():
        if info.is_bot:
            continue
        for name in info.names:
            for token in name_tokens(name):
                token_owners[token.lower()].add(info.id)
    for info in directory.persons.values():
        pid = info.id
        for name in info.names:
            tokens = name_tokens(name)
            if len(tokens) >= 2:
                lowered = [t.lower() for t in tokens]
                directory.add(name, Entry("person", pid, "full"))
                directory.add(" ".join(lowered), Entry("person", pid, "full"))
                if len(tokens) == 2:
                    for joiner in (".", "_", "-", ""):
                        directory.add(joiner.join(lowered), Entry("person", pid, "full"))
            if info.is_bot:
                continue
            for position, token in enumerate(tokens):
                low = token.lower()
                if len(low) < 2 or low in common:
                    continue
                if len(tokens) < 2 and (len(low) < 3 or any(c.isdigit() for c in low)):
                    continue  # a one-word name (a sender's display name) is a name too, if it is a word
                part = "first" if position == 0 else "last" if position == len(tokens) - 1 else "other"
                owner = pid if token_owners[low] == {pid} else ""
                directory.add(token, Entry("person", owner, part, 0.9, capitalised=True))
        for handle in info.handles:
            low = handle.lower()
            ambiguous = len(low) < 3 or low.isdigit() or low in common or is_word(low, common)
            directory.add(handle, Entry("handle", pid, "handle", structural=ambiguous))
        for user_id in info.user_ids:
            directory.add(user_id, Entry("user_id", pid, "user_id"))
        for address in info.emails:
            directory.add(address, Entry("email", pid, "email"))
            local, _, domain = address.rpartition("@")
            if local and domain:
                directory.add(f"{local} at {domain}", Entry("email", pid, "email"))
        for phone in info.phones:
            # A profile's phone field holds what people typed there ("ask", "n/a", "-"): only a
            # value with the digits of a number can name anyone, so only that is looked for.
            if sum(c.isdigit() for c in phone) >= _PHONE_DIGITS:
                directory.add(phone, Entry("phone", pid, "phone"))
    for message_id in directory.message_ids:
        directory.add(message_id, Entry("message_id", "", "message_id"))
    people_at: dict[str, set[str]] = defaultdict(set)
    for info in directory.persons.values():
        for address in info.emails:
            people_at[registrable(address.rpartition("@")[2])].add(info.id)
    for domain in directory.domains:
        directory.add(domain, Entry("domain", "", "domain"))
        base = registrable(domain)
        label = base.split(".")[0]
        shared = len(people_at[base]) >= 2
        if len(label) >= 4 and not is_word(label, common) and (shared or len(label) >= 8):
            directory.add(label, Entry("org", "", "org", 0.9))
            if "-" in label:
                directory.add(label.replace("-", " "), Entry("org", "", "org", 0.9))


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def lower_same_length(text: str) -> str:
    """``text.lower()``, keeping each character's offset (a character whose lower case is longer stays)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


class Matcher:
    """Finds every directory value in a text (see the module doc for the matching rules)."""

    def __init__(self, values: Iterable[tuple[str, Entry]], ticket_prefixes: Iterable[str] = ()) -> None:
        """Index ``values``; a known project's ticket key (``MOD-12``) is never read as a value.

        Args:
            values: (lower-cased value, entry) pairs.
            ticket_prefixes: the workspace's ticket project prefixes, as written.
        """
        self._prefixes = frozenset(ticket_prefixes)
        grouped: dict[str, list[Entry]] = defaultdict(list)
        for key, entry in values:
            grouped[key].append(entry)
        self.size = len(grouped)
        self._automaton = ahocorasick.Automaton()
        for key, entries in grouped.items():
            self._automaton.add_word(key, (len(key), tuple(entries)))
        if grouped:
            self._automaton.make_automaton()

    def find(self, text: str, *, system: bool = False, whole: bool = False) -> list[Span]:
        """Candidate spans of every known value in ``text``.

        Args:
            text: the text to search.
            system: the text is a system line (a join or quit), where every handle is a handle.
            whole: the text is a person's own field (a name or handle column, or a JSON list of
                them), where a value that is all of the text, or all of one quoted element, is
                that value whatever its case or context (a display name that is a word-like handle).
        """
        if not self.size or not text:
            return []
        lowered = lower_same_length(text)
        n = len(text)
        out: list[Span] = []
        for last, (length, entries) in self._automaton.iter(lowered):
            start = last - length + 1
            end = last + 1
            if start > 0 and _is_word(text[start - 1]) and _is_word(text[start]):
                continue
            if end < n and _is_word(text[end]) and _is_word(text[last]):
                continue
            if (
                self._prefixes
                and end + 1 < n
                and text[end] == "-"
                and text[end + 1].isdigit()
                and text[start:end] in self._prefixes
            ):
                continue  # a ticket key of the workspace's own project (MOD-12): a link, not Mod
            entire = whole and (start == 0 or text[start - 1] == '"') and (end == n or text[end] == '"')
            label: bool | None = None  # computed once, when a gated entry needs it
            for entry in entries:
                if (entry.capitalised or entry.structural) and not entire:
                    if label is None:
                        label = is_field_label(text, start, end)
                    if label:
                        continue  # a header or trailer label (``Link:``, ``Date:``), never a name
                if (
                    entry.kind == "domain"
                    and start > 0
                    and text[start - 1] == "."
                    and _in_public_host(text, start, end)
                ):
                    continue  # lore.kernel.org in a link: a public archive, not the organisation
                if entry.capitalised and not entire and not text[start].isupper():
                    continue
                if entry.capitalised and not entire and in_date(text, start, end):
                    continue  # the month of a date (``Jan 1, 2022``), not someone called Jan
                if entry.structural and not (entire or system or _handle_context(text, start, end)):
                    continue
                if entry.structural and system and not entire and _top_level_label(text, start, end):
                    continue  # "(~u@host.example.ch)": the country of a host, not the nick "ch"
                out.append(Span(entry.kind, start, end, entry.confidence, entry.layer, entry.entity))
        return out


_FIELD_LINE = re.compile(r"[ \t>]*([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):(?:[ \t]|$)")
"""A header or trailer line, after any quote marks: ``Signed-off-by: ...``, ``> Link: ...``."""
_FIELD_LINE_ANYWHERE = re.compile(
    r"^[ \t>]*([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):(?:[ \t]|$)", re.MULTILINE
)

HEADER_NAMES: frozenset[str] = frozenset(
    {
        "from", "to", "cc", "bcc", "subject", "date", "sent", "reply-to", "message-id", "in-reply-to",
        "references", "sender", "organization", "organisation", "x-mailer", "user-agent",
        "content-type", "mime-version", "importance",
    }
)  # fmt: skip
"""Mail header names that mark a block of lines as headers (a quoted or forwarded mail's)."""


def _is_trailer(label: str) -> bool:
    """Whether a line's label is a trailer's or a header's by its shape: ``Acked-by``, ``Reply-To``, ``From``.

    A label of several parts is one when its last part is an everyday word that is no name
    (``by``, ``to``, ``id``; ``Anna-Maria`` is no label); a label of one part when it is a header name.
    """
    low = label.lower()
    head, dash, last = low.rpartition("-")
    return low in HEADER_NAMES or bool(dash and head and last in english_words())


def is_field_label(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is (part of) the label of a header or trailer line.

    The label opens its line (after quote marks and indentation) and is followed by ``:``. A label
    shaped like a trailer or header (:func:`_is_trailer`: ``Signed-off-by``, ``Acked-by``,
    ``Date``) is one wherever it stands. A one-word label (``Link``, ``Fixes``, also a surname)
    is one when it is an everyday word (:func:`workgym.anonymize.words.is_label_word`, names
    included) and the text has another trailer or header line: ``Mark: can you look?`` in a chat
    message with none is a name, and is replaced.
    """
    if not (end < len(text) and text[end] in ":-"):
        return False
    line_start = text.rfind("\n", 0, start) + 1
    match = _FIELD_LINE.match(text, line_start)
    if match is None or not (match.start(1) <= start and end <= match.end(1)):
        return False
    label = match[1]
    if _is_trailer(label):
        return True
    if "-" in label or not is_label_word(label):
        return False  # Anna-Maria: a name of two parts, not a trailer's shape
    return any(at != line_start for at in _trailer_lines(text))


@lru_cache(maxsize=64)
def _trailer_lines(text: str) -> tuple[int, ...]:
    """Where the trailer and header lines of ``text`` start (once per text, however many labels it has)."""
    return tuple(m.start() for m in _FIELD_LINE_ANYWHERE.finditer(text) if _is_trailer(m[1]))


def _top_level_label(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is the top-level label of a host name: ``ch`` of ``pool.example.ch)``.

    A host's top-level domain (a country's code, ``com``) is kept as written by every rewrite of a
    host, and names no one; a short handle equal to one is not read there, even in system lines.
    """
    return (
        start > 1
        and text[start - 1] == "."
        and _is_word(text[start - 2])
        and text[start:end].isalpha()
        and (end == len(text) or not (_is_word(text[end]) or text[end] in ".-"))
    )


def _handle_context(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands where only a handle stands: ``@nick``, ``[~nick]``, ``nick:`` opening a line.

    The ``@`` of an address (``jo@mail.example.org``) is no mention: a word character stands before it.
    """
    if start > 0 and text[start - 1] in "@~" and not (start > 1 and _is_word(text[start - 2])):
        return True
    if (
        end < len(text)
        and text[end] == "/"
        and (text[max(0, start - 11) : start].lower() == "github.com/" or _REPO_REF.match(text, end))
    ):
        return True  # a repository's owner: github.com/max/dotfiles, max/dotfiles#12
    line_start = start == 0 or text[start - 1] == "\n"
    return line_start and end < len(text) and text[end] in ":,"


_REPO_REF = re.compile(r"/[A-Za-z0-9._-]+#\d")
"""What follows an owner's login in a GitHub reference: ``/repo#12``."""
