r"""Reference extraction and resolution: which span of which record points at which record.

:func:`extract_refs` reads every text field of every record (:data:`TEXT_FIELDS`) and the structured
fields that name other records (``Email.in_reply_to``/``references``, ``Ticket.parent``), and
returns one :class:`~workgym.model.Ref` per reference: where it is (field, character offsets,
the text as written) and what it points to. A reference whose target is not in the workspace is
kept with ``dst_id=None``; ``dst_kind`` still says what it would be.

Kinds (``ref_kind`` -> ``dst_kind``):

* ``ticket`` -> ``ticket``: Jira keys ``ABC-123`` (word-bounded, not followed by ``.<digit>`` so
  versions like ``GCC-4.8`` stay out). A prefix counts when it is a stored ticket's project, in
  ``config.ticket_prefixes``, seen in a ``/browse/KEY-N`` URL, or cited with at least
  ``config.min_ticket_numbers`` distinct numbers and not in :data:`NOT_TICKET_PREFIXES`;
  ``config.ignore_ticket_prefixes`` overrides all of these. ``cve`` -> ``cve`` for ``CVE-2021-1234``.
* URLs (``http``/``https``, also inside Slack ``<url|label>``, Jira ``[label|url]`` and Markdown
  links; trailing punctuation and unbalanced ``)`` left out), one reference each, by what they show:
  a ``Document.url`` -> ``document``; GitHub ``/pull/N`` -> ``pull_request`` (``commit``, the merge
  commit), ``/issues/N`` -> ``issue`` (``issue``, unresolved), ``/commit/SHA`` -> ``commit``;
  ``/browse/KEY-N`` -> ``ticket``; Slack ``/archives/C…/p…`` -> ``message``, ``/archives/C…`` ->
  ``channel_mention``, ``/files/…/F…`` -> ``file`` (the ``message`` that shared the file);
  Bugzilla ``show_bug.cgi?id=N`` -> ``bug``; a URL with a ticket key of an accepted prefix as a
  whole path segment (a branch ``/tree/ALOY-1064``, a test app's folder) -> ``ticket``; anything
  else -> ``url`` (``dst_kind`` ``""``).
* ``pull_request`` -> ``commit``: a pull request resolves to the commit whose message starts with
  ``Merge pull request #N from`` or whose first line ends with ``(#N)`` (squash merge; a merge
  commit wins), among commits of the same repository (last path component, case-insensitive; every
  commit when none names its repository). ``owner/repo#N`` is one anywhere; a bare ``#N`` only in a
  commit message, within that commit's repository: elsewhere ``#1``, ``#2`` number list items and
  agenda points far more often than pull requests (as in the DSpace IRC logs), and pull requests
  cited there come with their URLs. A pull request with no such commit (a rebase merge leaves none)
  cited on a line that also cites ticket keys resolves to the one commit of its repository that
  cites those keys and merged no other pull request; with several such commits it stays unresolved.
* GitHub tickets (ids ``repo#N``, project ``owner/repo``; see ``ingest/github.py``): where the
  workspace stores some, a bare ``#N`` on a GitHub ticket, its comments or its events names that
  repository's ticket; ``owner/repo#N``, ``repo#N`` and ``github.com/owner/repo/issues|pull/N`` of a
  stored repository name its ticket too (``issue`` or ``pull_request`` -> ``ticket``, unresolved
  when not stored; a commit's ``#N`` keeps its merge commit when it has one). ``Fixes``/``Closes``/
  ``Resolves #N`` (any tense and case, an optional colon) is a ``closes`` ref spanning keyword and
  number: the closing relation. A timeline event is a structured source: ``cross-referenced`` ->
  ``cross_reference`` (field ``from_value``, the citing ticket), ``referenced``/``closed``/``merged``
  -> ``commit`` (field ``to_value``). ``@login`` of a stored ``github:`` identity is a
  ``user_mention``. Without GitHub tickets none of this applies and ``#N`` reads as below.
* ``email`` -> ``email``: ``lore.kernel.org``/``lkml.kernel.org`` URLs naming a Message-ID.
* ``commit`` -> ``commit``: lowercase hex words of 7 to 40 characters with a digit and a letter,
  resolved by unique prefix among commit ids; unresolved ones are kept only at 40 characters.
* ``user_mention`` -> ``person``: Slack ``<@U…>``, Jira ``[~name]``, and an IRC line starting with
  ``nick:`` or ``nick,`` where the source has the identity ``irc:nick``. ``email_address`` ->
  ``person`` for addresses, and for pipermail's ``jo at example.com`` when the address is known.
  ``channel_mention`` -> ``channel`` for Slack ``<#C…|name>``.
* ``reply`` -> ``email``: the parent named by ``In-Reply-To`` (else the last of ``References``;
  offsets there are into the ids joined by one space); ``forward`` -> ``email``: a forwarded or
  quoted block (``---------- Forwarded message ---------``, ``Begin forwarded message:``,
  ``-----Original Message-----``) whose ``Subject`` (without ``Re:``/``Fwd:``) and ``From`` match a
  stored e-mail (the ``Date`` picks among several); the span is the marker line.
* ``document`` -> ``document``: relative Markdown link targets (resolved against the linking
  document's folder; kept unresolved when they name a document file type) and bare paths that
  end in a stored document's id (kept only when resolved).
* ``bug`` -> ``bug`` for ``Bug 12345``/``bug #12345`` (``ticket`` when a ticket has the id ``12345``).
* ``parent`` -> ``ticket`` from ``Ticket.parent``; the patterns of ``config.patterns``.

**Overlaps.** A span is claimed once, by the kind ranked highest in this order: configured patterns
(in their order), markup mentions (Slack ``<@…>``/``<#…>``, Jira ``[~…]``), forward markers, URLs,
e-mail addresses, CVE ids, ticket keys, bug numbers, commit shas, pull request numbers, Markdown
document links, bare document paths, IRC addressees. A lower-ranked candidate overlapping a claimed
span is dropped whole (never trimmed): a ticket key inside a URL gives the URL's one reference.
Candidates that are dropped anyway (an unknown ticket prefix, a short sha naming no commit) claim
nothing. A reference from a record to itself (a merge commit's own ``#N``) is dropped.

Refs come in corpus order (record kinds in store order, records in their order), then by field
(:data:`TEXT_FIELDS` order, structured fields last), then by start offset.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import unquote

from workgym.ingest.corpus import Corpus, PersonOf
from workgym.link.config import LinkConfig
from workgym.model import (
    KIND_OF,
    CalendarEvent,
    Comment,
    Commit,
    Document,
    Email,
    Message,
    Ref,
    Ticket,
    TicketEvent,
)

TEXT_FIELDS: dict[type, tuple[str, ...]] = {
    Message: ("text",),
    Ticket: ("summary", "description", "environment"),
    Comment: ("body",),
    Document: ("body",),
    Email: ("subject", "body"),
    CalendarEvent: ("title", "description", "location"),
    Commit: ("message",),
}
"""The fields references are read from, per record class, in the order refs are returned."""

NOT_TICKET_PREFIXES: frozenset[str] = frozenset(
    # Encodings, standards and identifiers written like ticket keys: UTF-8, ISO-8859, SHA-256,
    # RFC-2822, CVE-2021-1234 (its own kind), GH-12 (GitHub's issue shorthand), MD-5, ES-6, H-264.
    # A word list: easier to read and extend than sixty quoted strings.
    (  # noqa: SIM905
        "UTF UCS ISO IEC IEEE ANSI ECMA ES RFC SHA MD AES DES RSA HMAC CRC CVE CWE GHSA GH PR MR "
        "PEP JSR CP WIN LATIN ASCII EUC GB JIS KOI TIS HTTP TLS SSL TCP UDP IPV IP GPL LGPL AGPL "
        "CC BSD FIPS NIST WCAG COVID ISBN ISSN DOI PCI SOC X86 ARM MP H API SDK IOS"
    ).split()
)
"""Prefixes never accepted on the strength of frequency alone (a stored project still counts)."""

DOCUMENT_EXTENSIONS: frozenset[str] = frozenset(
    {".md", ".markdown", ".html", ".htm", ".txt", ".rst", ".docx", ".pdf", ".adoc"}
)
"""File types a relative Markdown link is kept for (unresolved) when no stored document matches."""

# --- ranks: lower claims first (see the module docstring); configured patterns rank 0, 1, ... ----
_RANK_MENTION = 1000
_RANK_FORWARD = 1001
_RANK_URL = 1002
_RANK_EMAIL = 1003
_RANK_OBFUSCATED = 1004
_RANK_CVE = 1005
_RANK_TICKET = 1006
_RANK_BUG = 1007
_RANK_SHA = 1008
_RANK_PULL = 1009
_RANK_DOC_LINK = 1010
_RANK_DOC_PATH = 1011
_RANK_ADDRESSEE = 1012
_RANK_CLOSING = _RANK_PULL  # "Fixes #12" claims the span of its "#12"

# --- patterns ----------------------------------------------------------------------------------
# Most start with a literal ("-", "@", "#", "http") so that the regex engine skips text quickly;
# what lies before the literal (a key's prefix, an address's local part) is matched backwards
# over a short window ending at the literal, with patterns ending in \Z.
_SLACK_MENTION = re.compile(r"<([@#])([UWCG][A-Z0-9]{2,})(?:\|[^>]*)?>")
_JIRA_MENTION = re.compile(r"\[~(?:accountid:)?([^\]\s|]+)\]")
_URL = re.compile(r"https?://[^\s<>\"'|\[\]{}^`\\]+")
_URL_TAIL = re.compile(r"(?:[.,;:!?*_~]|&(?:gt|lt|quot|apos|nbsp|#\d+);)+\Z")
_URL_PARTS = re.compile(r"https?://(?:[^/?#@]*@)?([^/?#:]+)(?::\d*)?([^?#]*)(?:\?([^#]*))?")
_AT_DOMAIN = re.compile(r"@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")
_SPELLED_DOMAIN = re.compile(r" at ((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")
_LOCAL_PART = re.compile(r"(?<![\w.%+~-])[A-Za-z0-9._%+-]+\Z")
_FILE_SUFFIXES = frozenset(
    "png jpg jpeg gif svg webp bmp ico js ts json css xml html txt java kt swift rb dex oat jar zip apk ipa".split()  # noqa: SIM905
)
"""Last labels of ``name@2x.png`` and the like: file names, not addresses."""
_HOSTMASK_SUBTYPES = frozenset({"join", "part", "quit", "nick", "mode", "kick"})
"""IRC events (as the chat-log reader names them) whose text shows ``ident@host`` hostmasks."""
_CVE_ID = re.compile(r"CVE-\d{4}-\d{4,7}(?!\w)")
_DASH_NUMBER = re.compile(r"-[1-9][0-9]{0,6}(?!\w|\.\d)")
_KEY_PREFIX = re.compile(r"(?<!\w)[A-Z][A-Z0-9_]{1,19}\Z")
_BUG = re.compile(r"[Bb]ug ?#? ?([0-9]{3,7})(?!\w)")
_SHA = re.compile(r"[0-9a-f](?<![\w-][0-9a-f])[0-9a-f]{6,39}(?![\w-])")
_HASH_NUMBER = re.compile(r"#([0-9]{1,7})(?!\w)")
_REPO_PREFIX = re.compile(r"(?<![\w./-])[A-Za-z0-9][\w.-]*/([\w.-]+)\Z")
_MD_LINK = re.compile(r"\]\(<?([^)\s<>]+)>?(?:\s+\"[^\"]*\")?\)")
_PATH_PREFIX = re.compile(r"(?<![\w./~-])[\w./~-]+\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_ADDRESSEE = re.compile(r"^([A-Za-z\[\]\\`_^{|}][\w\[\]\\`^{|}-]{0,31})[:,](?=\s|$)", re.MULTILINE)
_FORWARD_MARK = re.compile(
    r"^[ \t>]*(-{2,} ?Forwarded message ?-{2,}|Begin forwarded message:|-{2,} ?Original Message ?-{2,})",
    re.MULTILINE | re.IGNORECASE,
)
_HEADER = re.compile(r"[ \t>]*(From|Date|Sent|Subject):[ \t]*(.*?)[ \t]*\Z", re.IGNORECASE)
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+")
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|fwd?|aw|sv|tr)\s*(?:\[\d+\])?\s*:|\s*\[[^\]]*\])+", re.IGNORECASE)

_BROWSE = re.compile(r"/browse/([A-Z][A-Z0-9_]+)-([1-9][0-9]*)/?\Z")
_HEX_ID = re.compile(r"[0-9a-fA-F]{7,40}")
_SLACK_MESSAGE = re.compile(r"/archives/([CGD][A-Z0-9]+)/p([0-9]{10})([0-9]{6})/?\Z")
_SLACK_CHANNEL = re.compile(r"/archives/([CGD][A-Z0-9]+)/?\Z")
_SLACK_FILE = re.compile(r"/files(?:-pri)?/(?:[UWT][A-Z0-9]+[/-])?(F[A-Z0-9]{6,})(?:/|\Z)")
_SEGMENT_KEY = re.compile(r"[A-Z][A-Z0-9_]+-[1-9][0-9]{0,6}")
_BUG_ID = re.compile(r"(?:^|&)id=([0-9]+)(?:&|\Z)")
_MERGE = re.compile(r"Merge pull request #([0-9]+) from")
_GITHUB_TICKET = re.compile(r"([\w.-]+)#([0-9]+)")
_BARE_REPO = re.compile(r"(?<![\w./-])[A-Za-z0-9][\w.-]*\Z")
_CLOSING = re.compile(r"(?<![\w-])(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)[ \t]*:?[ \t]*\Z", re.IGNORECASE)
_GITHUB_LOGIN = re.compile(r"(?<![\w.@/`-])@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})(?![\w@])")
_SHA_VALUE = re.compile(r"[0-9a-f]{7,40}")
_MAIL_ARCHIVES = frozenset({"lore.kernel.org", "lkml.kernel.org"})
"""Hosts of public-inbox archives whose URLs name a mail by its Message-ID."""
_SQUASH = re.compile(r"\(#([0-9]+)\)\s*\Z")

_DEFAULT_CONFIG = LinkConfig()


class _Hit(NamedTuple):
    """A candidate reference in one field, resolved as far as one field's text allows."""

    rank: int
    start: int
    end: int
    ref_kind: str
    raw: str
    dst_kind: str
    dst_id: str | None
    key: str = ""  # the ticket key it names; its prefix is accepted or not once the corpus is read
    pull: tuple[str, int] | None = None  # (repository, number) of a pull request without merge commit


@dataclass(frozen=True, slots=True)
class _Source:
    """The record a field belongs to, as the scanners need it."""

    source_id: int
    kind: str
    id: str
    repo: str | None  # the repository of a commit; None for other records
    folder: str | None  # the folder of a document, for relative links; None for other records
    hostmasks: bool = False  # an IRC join/part/quit line: its "nick (ident@host)" is no address
    tracker_repo: str | None = None  # the repository of a GitHub ticket (or its comment): bare #N cite it


def _repo_name(repo: str) -> str:
    """The repository's name compared across sources: ``"tidev/Alloy.git"`` -> ``"alloy"``."""
    return repo.rstrip("/").rsplit("/", 1)[-1].lower().removesuffix(".git")


def _subject_key(subject: str) -> str:
    """A subject without ``Re:``/``Fwd:``/list tags, case- and space-folded."""
    return " ".join(_SUBJECT_PREFIX.sub("", subject).casefold().split())


def _when(value: str, *, rfc2822: bool) -> datetime | None:
    """A time written as in a mail header (``rfc2822``) or in ISO 8601; None when unreadable or naive."""
    try:
        found = parsedate_to_datetime(value) if rfc2822 else datetime.fromisoformat(value)
    except (TypeError, ValueError, IndexError):
        return None
    return found if found.tzinfo is not None else None


def _trim_url(url: str) -> str:
    """Leave out what follows a URL rather than belongs to it: punctuation, an unbalanced ``)``."""
    while True:
        url = _URL_TAIL.sub("", url)
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
            continue
        return url


class _Index:
    """What references resolve against, built once from the corpus."""

    def __init__(self, corpus: Corpus, person_of: PersonOf) -> None:
        self.person_of = person_of
        self.tickets = {t.id for _, t in corpus.tickets}
        # GitHub tickets ("rust#20002", project "rust-lang/rust"): (repository name, number) -> id.
        self.github: dict[tuple[str, int], str] = {}
        self.ticket_type: dict[str, str] = {}
        self.ticket_repo: dict[str, str] = {}
        for _, ticket in corpus.tickets:
            found = _GITHUB_TICKET.fullmatch(ticket.id)
            if found and "/" in ticket.project and ticket.type in ("issue", "pull request"):
                repo = _repo_name(ticket.project)
                self.github[(repo, int(found[2]))] = ticket.id
                self.ticket_type[ticket.id] = ticket.type
                self.ticket_repo[ticket.id] = repo
        self.github_repos = {repo for repo, _ in self.github}
        self.projects = (
            {t.project for _, t in corpus.tickets} | {t.id.rpartition("-")[0] for _, t in corpus.tickets}
        ) - {""}
        self.ids: dict[str, set[str]] = {
            "ticket": self.tickets,
            "ticket_comment": {c.id for _, c in corpus.comments},
            "message": {m.id for _, m in corpus.messages},
            "channel": {c.id for _, c in corpus.channels},
            "document": {d.id for _, d in corpus.documents},
            "email": {e.id for _, e in corpus.emails},
            "calendar_event": {e.id for _, e in corpus.calendar_events},
        }
        self.document_of_url = {d.url.rstrip("/"): d.id for _, d in corpus.documents if d.url}
        self.documents_by_name: dict[str, list[str]] = defaultdict(list)
        for _, document in corpus.documents:
            self.documents_by_name[posixpath.basename(document.id)].append(document.id)
        for ids in self.documents_by_name.values():
            ids.sort(key=lambda i: (-len(i), i))  # the longest (most specific) id first
        extensions = sorted({posixpath.splitext(i)[1] for i in self.ids["document"]} - {""})
        self.path_end = (
            re.compile(rf"(?:{'|'.join(re.escape(e) for e in extensions)})(?![\w/-])") if extensions else None
        )
        self.message_of_file: dict[str, str] = {}
        for _, message in corpus.messages:
            for shared in message.files:
                found = _SLACK_FILE.search(shared)
                file_id = found[1] if found else shared
                self.message_of_file.setdefault(file_id, message.id)
        self.irc_nicks: dict[int, dict[str, str]] = defaultdict(dict)
        for source_id, identity in corpus.identities:
            if identity.key.startswith("irc:"):
                self.irc_nicks[source_id].setdefault(identity.key[4:].lower(), identity.key)
        self.emails_by_subject: dict[str, list[tuple[int, Email]]] = defaultdict(list)
        for source_id, email in corpus.emails:
            self.emails_by_subject[_subject_key(email.subject)].append((source_id, email))
        self._commit_of_lower = {c.id.lower(): c.id for _, c in corpus.commits}
        self._shas = sorted(self._commit_of_lower)
        self.has_repo_names = any(c.repo for _, c in corpus.commits)
        self._merges: dict[tuple[str, int], str] = {}
        self._squashes: dict[tuple[str, int], str] = {}
        for _, commit in corpus.commits:
            repo = self.repo_key(commit.repo)
            merge = _MERGE.match(commit.message)
            if merge:
                self._merges.setdefault((repo, int(merge[1])), commit.id)
                continue
            squash = _SQUASH.search(commit.message.split("\n", 1)[0])
            if squash:
                self._squashes.setdefault((repo, int(squash[1])), commit.id)
        # Commits known to have merged a pull request: never taken for another one's.
        self.merged = set(self._merges.values()) | set(self._squashes.values())

    def repo_key(self, repo: str) -> str:
        """A repository as commits are grouped by: its name, or ``""`` when no commit names one."""
        return _repo_name(repo) if self.has_repo_names else ""

    def merge_commit(self, repo: str, number: int) -> str | None:
        """The commit that merged pull request ``number`` of ``repo``, if stored."""
        key = (self.repo_key(repo), number)
        return self._merges.get(key) or self._squashes.get(key)

    def github_ticket(self, repo: str, number: int) -> tuple[str, str | None] | None:
        """(ref_kind, ticket id or None) of GitHub issue ``number`` of ``repo``; None when ``repo`` has no tickets."""
        name = _repo_name(repo)
        if name not in self.github_repos:
            return None
        found = self.github.get((name, number))
        kind = "pull_request" if found is not None and self.ticket_type[found] == "pull request" else "issue"
        return kind, found

    def commit(self, sha: str) -> str | None:
        """The commit whose id is ``sha`` or starts with it, if exactly one does."""
        sha = sha.lower()
        at = bisect_left(self._shas, sha)
        if at == len(self._shas) or not self._shas[at].startswith(sha):
            return None
        if at + 1 < len(self._shas) and self._shas[at + 1].startswith(sha):
            return None  # ambiguous prefix
        return self._commit_of_lower[self._shas[at]]

    def document(self, path: str, folder: str | None) -> str | None:
        """The document a path names: relative to ``folder`` when given, else by its id's end."""
        path = path.split("#", 1)[0].split("?", 1)[0]
        ids = self.ids["document"]
        if folder is not None:
            joined = posixpath.normpath(posixpath.join(folder, path)) if not path.startswith("/") else path
            if joined.lstrip("/") in ids:
                return joined.lstrip("/")
        path = posixpath.normpath(path).lstrip("/") if path else path
        if path in ids:
            return path
        for candidate in self.documents_by_name.get(posixpath.basename(path), ()):
            if path.endswith("/" + candidate):
                return candidate
        return None

    def lookup(self, kind: str, target: str, source_id: int) -> str | None:
        """A configured pattern's target resolved as ``kind`` (see ``config.RESOLVABLE_KINDS``)."""
        if kind == "person":
            return self.person_of(source_id, target)
        if kind == "commit":
            repo, hash_mark, number = target.rpartition("#")
            if hash_mark and number.isdigit():
                return self.merge_commit(repo, int(number))
            return self.commit(target) if len(target) >= 4 else None
        if kind == "document":
            return self.document_of_url.get(target.rstrip("/")) or self.document(target, None)
        ids = self.ids.get(kind)
        return target if ids is not None and target in ids else None


class _Scanner:
    """Finds the candidate references in one field's text."""

    def __init__(self, index: _Index, config: LinkConfig) -> None:
        self.index = index
        self.patterns = [(re.compile(p.regex), p) for p in config.patterns]
        self.browse_prefixes: set[str] = set()
        self.numbers: dict[str, set[str]] = defaultdict(set)

    def scan(self, text: str, source: _Source, field: str) -> list[_Hit]:
        """Every candidate in ``text``, overlapping ones included."""
        hits: list[_Hit] = []
        if self.patterns:
            self._patterns(text, source, hits)
        if "<" in text:
            self._slack_mentions(text, source, hits)
        if "[~" in text:
            self._jira_mentions(text, source, hits)
        if source.tracker_repo is not None and "@" in text:
            self._github_mentions(text, source, hits)
        if "://" in text:
            self._urls(text, hits)
        if "@" in text and not source.hostmasks:
            self._addresses(text, source, hits)
        if " at " in text:
            self._spelled_addresses(text, source, hits)
        if "-" in text:
            if "CVE-" in text:
                hits.extend(
                    _Hit(_RANK_CVE, m.start(), m.end(), "cve", m[0], "cve", None)
                    for m in _CVE_ID.finditer(text)
                )
            self._ticket_keys(text, hits)
        if "bug" in text or "Bug" in text:
            self._bugs(text, hits)
        self._shas(text, hits)
        if "#" in text:
            self._pull_requests(text, source, hits)
        if "](" in text:
            self._document_links(text, source, hits)
        if self.index.path_end is not None and "." in text:
            self._document_paths(text, source, hits)
        if source.kind == "message" and source.source_id in self.index.irc_nicks:
            self._addressees(text, source, hits)
        if source.kind == "email" and field == "body" and ("orward" in text or "riginal" in text):
            self._forwards(text, source, hits)
        return hits

    def _patterns(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for rank, (regex, pattern) in enumerate(self.patterns):
            for m in regex.finditer(text):
                if m.end() == m.start():
                    continue  # an empty match points at nothing
                groups = [g or "" for g in m.groups()]
                named = {k: v or "" for k, v in m.groupdict().items()}
                target = pattern.target.format(m[0], *groups, **named)
                dst = self.index.lookup(pattern.dst_kind, target, source.source_id) if target else None
                hits.append(_Hit(rank, m.start(), m.end(), pattern.ref_kind, m[0], pattern.dst_kind, dst))

    def _slack_mentions(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _SLACK_MENTION.finditer(text):
            if m[1] == "@" and m[2][0] in "UW":
                dst = self.index.person_of(source.source_id, f"slack:{m[2]}")
                hits.append(_Hit(_RANK_MENTION, m.start(), m.end(), "user_mention", m[0], "person", dst))
            elif m[1] == "#" and m[2][0] in "CG":
                dst = m[2] if m[2] in self.index.ids["channel"] else None
                hits.append(_Hit(_RANK_MENTION, m.start(), m.end(), "channel_mention", m[0], "channel", dst))

    def _jira_mentions(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _JIRA_MENTION.finditer(text):
            dst = self.index.person_of(source.source_id, f"jira:{m[1]}")
            hits.append(_Hit(_RANK_MENTION, m.start(), m.end(), "user_mention", m[0], "person", dst))

    def _github_mentions(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _GITHUB_LOGIN.finditer(text):
            dst = self.index.person_of(source.source_id, f"github:{m[1]}")
            if dst is not None:  # "@param", "@2x": only logins the data names
                hits.append(_Hit(_RANK_MENTION, m.start(), m.end(), "user_mention", m[0], "person", dst))

    def _urls(self, text: str, hits: list[_Hit]) -> None:
        for m in _URL.finditer(text):
            url = _trim_url(m[0])
            if len(url) > len("https://"):
                hits.append(self._classify(url)._replace(start=m.start(), end=m.start() + len(url)))

    def _classify(self, url: str) -> _Hit:
        """What a URL shows, as a hit without its position."""
        index = self.index
        document = index.document_of_url.get(url.rstrip("/"))
        if document is not None:
            return _Hit(_RANK_URL, 0, 0, "document", url, "document", document)
        parts = _URL_PARTS.match(url)
        if parts is None:
            return _Hit(_RANK_URL, 0, 0, "url", url, "", None)
        host = parts[1].lower().removeprefix("www.")
        path = parts[2]
        segments = path.strip("/").split("/")
        if host == "github.com" and len(segments) >= 4:
            repo, what, number = segments[1], segments[2], segments[3]
            tracked = (
                index.github_ticket(repo, int(number))
                if what in ("pull", "issues") and number.isdigit()
                else None
            )
            if tracked is not None and not (len(segments) >= 6 and segments[4] == "commits"):
                return _Hit(_RANK_URL, 0, 0, tracked[0], url, "ticket", tracked[1])
            if what == "pull" and number.isdigit():
                if len(segments) >= 6 and segments[4] == "commits" and _HEX_ID.fullmatch(segments[5]):
                    return _Hit(_RANK_URL, 0, 0, "commit", url, "commit", index.commit(segments[5]))
                dst = index.merge_commit(repo, int(number))
                pull = None if dst else (repo, int(number))
                return _Hit(_RANK_URL, 0, 0, "pull_request", url, "commit", dst, pull=pull)
            if what == "issues" and number.isdigit():
                return _Hit(_RANK_URL, 0, 0, "issue", url, "issue", None)
            if what in ("commit", "commits") and _HEX_ID.fullmatch(number):
                return _Hit(_RANK_URL, 0, 0, "commit", url, "commit", index.commit(number))
        if host in _MAIL_ARCHIVES:
            # lore.kernel.org/<list>/<message-id>/ (lkml.kernel.org/r/<message-id> redirects there)
            message_id = next((unquote(s) for s in segments if "@" in unquote(s)), "")
            if message_id:
                dst = message_id if message_id in index.ids["email"] else None
                return _Hit(_RANK_URL, 0, 0, "email", url, "email", dst)
        browse = _BROWSE.search(path)
        if browse:
            self.browse_prefixes.add(browse[1])
            key = f"{browse[1]}-{browse[2]}"
            return _Hit(_RANK_URL, 0, 0, "ticket", url, "ticket", key if key in index.tickets else None, key)
        if host.endswith("slack.com"):
            found = _SLACK_MESSAGE.search(path)
            if found:
                message = f"{found[1]}:{found[2]}.{found[3]}"
                dst = message if message in index.ids["message"] else None
                return _Hit(_RANK_URL, 0, 0, "message", url, "message", dst)
            found = _SLACK_CHANNEL.search(path)
            if found:
                dst = found[1] if found[1] in index.ids["channel"] else None
                return _Hit(_RANK_URL, 0, 0, "channel_mention", url, "channel", dst)
            found = _SLACK_FILE.search(path)
            if found:
                return _Hit(_RANK_URL, 0, 0, "file", url, "message", index.message_of_file.get(found[1]))
        if path.endswith("show_bug.cgi"):
            found = _BUG_ID.search(parts[3] or "")
            if found:
                ref_kind, dst_kind, dst = self._bug(found[1])
                return _Hit(_RANK_URL, 0, 0, ref_kind, url, dst_kind, dst)
        # A ticket key as a whole path segment (a branch, a test app's folder) may make this a ticket link.
        key = next((s for s in reversed(segments) if _SEGMENT_KEY.fullmatch(s)), "")
        return _Hit(_RANK_URL, 0, 0, "url", url, "", None, key)

    def _bug(self, number: str) -> tuple[str, str, str | None]:
        """(ref_kind, dst_kind, dst_id) of a bug number: a ticket when one has that id."""
        return ("bug", "ticket", number) if number in self.index.tickets else ("bug", "bug", None)

    def _addresses(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _AT_DOMAIN.finditer(text):
            local = _LOCAL_PART.search(text, max(0, m.start() - 64), m.start())
            if local is None or m[1].rpartition(".")[2].lower() in _FILE_SUFFIXES:
                continue
            address = text[local.start() : m.end()]
            dst = self.index.person_of(source.source_id, f"email:{address.lower()}")
            hits.append(_Hit(_RANK_EMAIL, local.start(), m.end(), "email_address", address, "person", dst))

    def _spelled_addresses(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _SPELLED_DOMAIN.finditer(text):
            local = _LOCAL_PART.search(text, max(0, m.start() - 64), m.start())
            if local is None:
                continue
            address = f"{local[0]}@{m[1]}".lower()
            dst = self.index.person_of(source.source_id, f"email:{address}")
            if dst is not None:  # "look at example.com" is English; keep only known addresses
                raw = text[local.start() : m.end()]
                hits.append(
                    _Hit(_RANK_OBFUSCATED, local.start(), m.end(), "email_address", raw, "person", dst)
                )

    def _ticket_keys(self, text: str, hits: list[_Hit]) -> None:
        for m in _DASH_NUMBER.finditer(text):
            prefix = _KEY_PREFIX.search(text, max(0, m.start() - 20), m.start())
            if prefix is None:
                continue
            key = text[prefix.start() : m.end()]
            self.numbers[prefix[0]].add(m[0])
            dst = key if key in self.index.tickets else None
            hits.append(_Hit(_RANK_TICKET, prefix.start(), m.end(), "ticket", key, "ticket", dst, key))

    def _bugs(self, text: str, hits: list[_Hit]) -> None:
        for m in _BUG.finditer(text):
            before = text[m.start() - 1] if m.start() else " "
            if not (before.isalnum() or before == "_"):
                ref_kind, dst_kind, dst = self._bug(m[1])
                hits.append(_Hit(_RANK_BUG, m.start(), m.end(), ref_kind, m[0], dst_kind, dst))

    def _shas(self, text: str, hits: list[_Hit]) -> None:
        for m in _SHA.finditer(text):
            raw = m[0]
            if raw.isdigit() or raw.isalpha():
                continue
            dst = self.index.commit(raw)
            if dst is not None or len(raw) == 40:
                hits.append(_Hit(_RANK_SHA, m.start(), m.end(), "commit", raw, "commit", dst))

    def _pull_requests(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _HASH_NUMBER.finditer(text):
            before = text[m.start() - 1] if m.start() else " "
            if before.isalnum() or before in "_.-":
                qualified = _REPO_PREFIX.search(text, max(0, m.start() - 100), m.start())
                if qualified is None and self.index.github_repos:
                    bare = _BARE_REPO.search(text, max(0, m.start() - 100), m.start())
                    if bare is not None and _repo_name(bare[0]) in self.index.github_repos:
                        qualified = bare  # "rust#20002": a GitHub ticket's id as written
                if qualified is None:
                    continue  # DSPR#712, issue#3: someone's own notation (a configured pattern can take it)
                start, repo = qualified.start(), qualified[0]
            elif before in "&#/":
                continue  # &#123; is an HTML entity
            elif source.repo is None and source.tracker_repo is not None:
                start, repo = m.start(), source.tracker_repo  # a bare #N on a GitHub ticket: its repository's
            elif source.repo is None:
                continue  # a bare #N outside commits and GitHub tickets is rarely a pull request
            else:
                start, repo = m.start(), source.repo
            number = int(m[1])
            tracked = self.index.github_ticket(repo, number)
            if tracked is not None and (source.repo is None or self.index.merge_commit(repo, number) is None):
                ref_kind, dst_ticket = tracked
                closing = _CLOSING.search(text, max(0, start - 12), start)
                if closing is not None:
                    start, ref_kind = closing.start(), "closes"
                raw = text[start : m.end()]
                hits.append(_Hit(_RANK_PULL, start, m.end(), ref_kind, raw, "ticket", dst_ticket))
                continue
            dst = self.index.merge_commit(repo, number)
            pull = None if dst else (repo, number)
            hits.append(
                _Hit(
                    _RANK_PULL,
                    start,
                    m.end(),
                    "pull_request",
                    text[start : m.end()],
                    "commit",
                    dst,
                    pull=pull,
                )
            )

    def _document_links(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _MD_LINK.finditer(text):
            target = m[1]
            if target.startswith(("#", "//")) or _SCHEME.match(target):
                continue
            dst = self.index.document(target, source.folder)
            path = target.split("#", 1)[0].split("?", 1)[0]
            if dst is not None or posixpath.splitext(path)[1].lower() in DOCUMENT_EXTENSIONS:
                hits.append(_Hit(_RANK_DOC_LINK, m.start(1), m.end(1), "document", target, "document", dst))

    def _document_paths(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        assert self.index.path_end is not None
        for m in self.index.path_end.finditer(text):
            head = _PATH_PREFIX.search(text, max(0, m.start() - 200), m.start())
            if head is None:
                continue
            path = text[head.start() : m.end()]
            dst = self.index.document(path, source.folder)
            if dst is not None:
                hits.append(_Hit(_RANK_DOC_PATH, head.start(), m.end(), "document", path, "document", dst))

    def _addressees(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        nicks = self.index.irc_nicks[source.source_id]
        for m in _ADDRESSEE.finditer(text):
            key = nicks.get(m[1].lower())
            if key is not None:
                dst = self.index.person_of(source.source_id, key)
                hits.append(_Hit(_RANK_ADDRESSEE, m.start(1), m.end(1), "user_mention", m[1], "person", dst))

    def _forwards(self, text: str, source: _Source, hits: list[_Hit]) -> None:
        for m in _FORWARD_MARK.finditer(text):
            headers: dict[str, str] = {}
            for line in text[m.end() :].split("\n", 16)[1:16]:
                header = _HEADER.match(line.rstrip("\r"))
                if header:
                    headers.setdefault(header[1].lower(), header[2])
                elif headers and not line.strip(" \t>\r"):
                    break  # the blank line that ends the quoted headers
            dst = self._forwarded(headers, source) if "subject" in headers else None
            hits.append(_Hit(_RANK_FORWARD, m.start(1), m.end(1), "forward", m[1], "email", dst))

    def _forwarded(self, headers: dict[str, str], source: _Source) -> str | None:
        """The stored e-mail a forwarded block's headers describe, if any."""
        person_of = self.index.person_of
        candidates = [
            (sid, e)
            for sid, e in self.index.emails_by_subject.get(_subject_key(headers["subject"]), ())
            if e.id != source.id
        ]
        address = _ADDRESS.search(headers.get("from", ""))
        if address:
            key = f"email:{address[0].lower()}"
            person = person_of(source.source_id, key)
            candidates = [
                (sid, e)
                for sid, e in candidates
                if e.sender.lower() == key or (person is not None and person_of(sid, e.sender) == person)
            ]
        when = _when(headers.get("date") or headers.get("sent") or "", rfc2822=True)
        if when is not None:
            same_time = [(sid, e) for sid, e in candidates if _when(e.date, rfc2822=False) == when]
            candidates = same_time or candidates
        return candidates[0][1].id if candidates else None


def _claim(hits: list[_Hit]) -> list[_Hit]:
    """The hits left once each span is claimed by its highest-ranked candidate, by position."""
    if len(hits) < 2:
        return hits
    starts: list[int] = []
    ends: list[int] = []
    kept: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.rank, h.start, -h.end)):
        at = bisect_right(starts, hit.start)
        if at and ends[at - 1] > hit.start:
            continue  # overlaps the claimed span on its left
        if at < len(starts) and starts[at] < hit.end:
            continue  # overlaps the claimed span on its right
        starts.insert(at, hit.start)
        ends.insert(at, hit.end)
        kept.append(hit)
    kept.sort(key=lambda h: (h.start, h.end))
    return kept


def _accepted(hit: _Hit, accepted: set[str], index: _Index) -> _Hit | None:
    """A hit once ticket prefixes are known: an unknown prefix's key goes; a URL naming a known one is a ticket."""
    if not hit.key:
        return hit
    known = hit.key.rpartition("-")[0] in accepted
    if hit.rank == _RANK_TICKET and not known:
        return None
    if hit.ref_kind == "url" and known:
        return hit._replace(
            ref_kind="ticket", dst_kind="ticket", dst_id=hit.key if hit.key in index.tickets else None
        )
    return hit


def _pull_by_ticket(
    hit: _Hit,
    hits: list[_Hit],
    text: str,
    source: _Source,
    index: _Index,
    cited_by: dict[tuple[str, str], list[str]],
) -> _Hit:
    """A pull request without merge commit, resolved through the ticket keys cited on its line.

    A rebase merge leaves no trace of the pull request's number in the history; when the line that
    cites the pull request also cites ticket keys, and exactly one commit of its repository that
    merged no other pull request cites those keys, that commit is taken for the pull request's.
    """
    assert hit.pull is not None
    line_start = text.rfind("\n", 0, hit.start) + 1
    line_end = text.find("\n", hit.end)
    line_end = len(text) if line_end < 0 else line_end
    repo = index.repo_key(hit.pull[0])
    candidates = {
        commit
        for other in hits
        if other.ref_kind == "ticket" and other.key and line_start <= other.start < line_end
        for commit in cited_by.get((repo, other.key), ())
        if commit not in index.merged and commit != source.id
    }
    return hit._replace(dst_id=candidates.pop(), pull=None) if len(candidates) == 1 else hit


def _tracker_repo(record: object, index: _Index) -> str | None:
    """The repository of a GitHub ticket, or of the ticket a comment or event is on; None for others."""
    if not index.ticket_repo:
        return None
    if isinstance(record, Ticket):
        return index.ticket_repo.get(record.id)
    if isinstance(record, Comment | TicketEvent):
        return index.ticket_repo.get(record.ticket_id)
    return None


def _structured(source: _Source, record: object, index: _Index) -> Iterator[tuple[str, list[_Hit]]]:
    """The references a record's structured fields make: an e-mail's parent, a ticket's parent."""
    if isinstance(record, Email):
        if record.in_reply_to:
            parent, field, start = record.in_reply_to, "in_reply_to", 0
        elif record.references:
            parent, field = record.references[-1], "references"
            start = len(" ".join(record.references)) - len(parent)
        else:
            return
        dst = parent if parent in index.ids["email"] else None
        yield field, [_Hit(0, start, start + len(parent), "reply", parent, "email", dst)]
    elif isinstance(record, Ticket) and record.parent:
        dst = record.parent if record.parent in index.tickets else None
        yield "parent", [_Hit(0, 0, len(record.parent), "parent", record.parent, "ticket", dst)]
    elif isinstance(record, TicketEvent) and record.ticket_id in index.ticket_repo:
        # A GitHub timeline: who cited the ticket, and which commits named it.
        if record.field == "cross-referenced" and record.from_value:
            found = _GITHUB_TICKET.fullmatch(record.from_value)
            tracked = index.github_ticket(found[1], int(found[2])) if found else None
            dst = tracked[1] if tracked is not None else None
            raw = record.from_value
            yield "from_value", [_Hit(0, 0, len(raw), "cross_reference", raw, "ticket", dst)]
        elif _SHA_VALUE.fullmatch(record.to_value) and record.field in ("referenced", "closed", "merged"):
            raw = record.to_value
            yield "to_value", [_Hit(0, 0, len(raw), "commit", raw, "commit", index.commit(raw))]


class TextLinker:
    """The references of a new text (one an agent wrote), resolved against a stored corpus.

    The same scanners and index as :func:`extract_refs`, built once; ticket keys count only with
    a prefix of the corpus's projects (or the config's). What a task checks a written reply with.
    """

    def __init__(self, corpus: Corpus, person_of: PersonOf, config: LinkConfig = _DEFAULT_CONFIG) -> None:
        self._index = _Index(corpus, person_of)
        self._scanner = _Scanner(self._index, config)
        self._accepted = (self._index.projects | set(config.ticket_prefixes)) - set(
            config.ignore_ticket_prefixes
        )

    def refs(
        self, text: str, *, kind: str = "message", record_id: str = "", ticket: str = ""
    ) -> list[tuple[str, str, str | None]]:
        """``(ref_kind, dst_kind, dst_id)`` for each reference in ``text``, as if a ``kind`` record wrote it.

        ``ticket`` is the ticket a new comment is on: on a GitHub ticket, a bare ``#N`` cites its repository's.
        """
        repo = self._index.ticket_repo.get(ticket or (record_id if kind == "ticket" else ""))
        source = _Source(0, kind, record_id, repo=None, folder=None, tracker_repo=repo)
        hits = [
            h
            for h in (
                _accepted(h, self._accepted, self._index) for h in self._scanner.scan(text, source, "text")
            )
            if h
        ]
        return [(h.ref_kind, h.dst_kind, h.dst_id) for h in _claim(hits)]


def extract_refs(corpus: Corpus, person_of: PersonOf, config: LinkConfig = _DEFAULT_CONFIG) -> list[Ref]:
    """Every reference in the corpus, resolved where its target is stored.

    Args:
        corpus: the records, each with its source id.
        person_of: maps (source id, identity key) to a person id, or None when unknown.
        config: extra patterns and ticket-prefix settings.

    Returns:
        The references in corpus order, then field, then position; the same corpus gives the same list.
    """
    index = _Index(corpus, person_of)
    scanner = _Scanner(index, config)
    found: list[tuple[_Source, str, str, list[_Hit]]] = []
    for cls, items in corpus.lists():
        names = TEXT_FIELDS.get(cls)
        if names is None and not (cls is TicketEvent and index.ticket_repo):
            continue
        kind = KIND_OF[cls]
        for source_id, record in items:
            record_id: str = getattr(record, "id")  # noqa: B009 (every class in TEXT_FIELDS has one)
            source = _Source(
                source_id,
                kind,
                record_id,
                repo=record.repo if isinstance(record, Commit) else None,
                folder=posixpath.dirname(record_id) if isinstance(record, Document) else None,
                hostmasks=isinstance(record, Message) and record.subtype in _HOSTMASK_SUBTYPES,
                tracker_repo=_tracker_repo(record, index),
            )
            for name in names or ():
                text: str = getattr(record, name)
                if text:
                    hits = scanner.scan(text, source, name)
                    if hits:
                        found.append((source, name, text, hits))
            for name, hits in _structured(source, record, index):
                found.append((source, name, "", hits))

    accepted = index.projects | set(config.ticket_prefixes) | scanner.browse_prefixes
    accepted |= {
        prefix
        for prefix, numbers in scanner.numbers.items()
        if len(numbers) >= config.min_ticket_numbers and prefix not in NOT_TICKET_PREFIXES
    }
    accepted -= set(config.ignore_ticket_prefixes)

    # Ticket keys are known now: keep the accepted ones, and note which commits cite which key.
    cited_by: dict[tuple[str, str], list[str]] = defaultdict(list)
    for at, (source, name, text, hits) in enumerate(found):
        kept = [_accepted(h, accepted, index) for h in hits]
        found[at] = (source, name, text, [h for h in kept if h is not None])
        if source.repo is not None:
            for hit in found[at][3]:
                commits = cited_by[(index.repo_key(source.repo), hit.key)]
                if hit.ref_kind == "ticket" and (not commits or commits[-1] != source.id):
                    commits.append(source.id)

    refs: list[Ref] = []
    for source, name, text, hits in found:
        resolved = [
            h if h.pull is None else _pull_by_ticket(h, hits, text, source, index, cited_by) for h in hits
        ]
        usable = [h for h in resolved if not (h.dst_kind == source.kind and h.dst_id == source.id)]
        for hit in _claim(usable):
            refs.append(
                Ref(
                    src_kind=source.kind,
                    src_id=source.id,
                    field=name,
                    start=hit.start,
                    end=hit.end,
                    ref_kind=hit.ref_kind,
                    raw=hit.raw,
                    dst_kind=hit.dst_kind,
                    dst_id=hit.dst_id,
                )
            )
    return refs
