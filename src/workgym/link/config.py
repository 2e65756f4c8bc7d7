r"""What the reference extractor may be told: extra patterns and which ticket prefixes to trust.

A :class:`LinkConfig` is built in code or read from the ``[link]`` section of a TOML file::

    [link]
    ticket_prefixes = ["TISTUD"]          # projects cited but not stored
    ignore_ticket_prefixes = ["SDK"]      # look like ticket keys, are not
    min_ticket_numbers = 3

    [[link.patterns]]
    ref_kind = "pull_request"             # what the reference is
    regex = 'DSPR#(\d+)'                  # where it is (Python syntax)
    dst_kind = "commit"                   # what it points to
    target = "DSpace/DSpace#{1}"          # which one: a template over the match

A pattern's ``target`` is a :meth:`str.format` template over the match: ``{0}`` is the whole match,
``{1}``... the groups, ``{name}`` a named group. How a target is looked up depends on ``dst_kind``
(see :data:`RESOLVABLE_KINDS`); any other ``dst_kind`` gives references that stay unresolved.
"""

from __future__ import annotations

import difflib
import re
import string
from dataclasses import dataclass, fields
from pathlib import Path

from workgym.ingest.config import read_toml

RESOLVABLE_KINDS: dict[str, str] = {
    "ticket": "a ticket key, e.g. 'ALOY-{1}'",
    "ticket_comment": "a comment id",
    "message": "a message id, e.g. 'C024BE91L:1433558319.000002'",
    "channel": "a channel id",
    "document": "a document id (its path) or URL",
    "email": "a Message-ID without angle brackets",
    "calendar_event": "an event UID",
    "commit": "a sha or unique sha prefix, or 'owner/repo#N' for the merge commit of pull request N",
    "person": "an identity key, e.g. 'jira:{1}', resolved with the source's identities",
}
"""The ``dst_kind`` values a pattern's target is looked up as, with what the target must name."""

_MIN_TICKET_NUMBERS = 3


@dataclass(frozen=True, slots=True)
class RefPattern:
    """One extra kind of reference: a regular expression and what its matches point to.

    Raises:
        ValueError: the regex does not compile, or the target names a group the regex lacks.
    """

    ref_kind: str
    """The reference's kind as stored (``Ref.ref_kind``), e.g. ``"pull_request"``, ``"wiki_page"``."""
    regex: str
    """A Python regular expression; every non-empty match in every text field is a reference."""
    dst_kind: str = ""
    """The kind of record the match points to (``Ref.dst_kind``); see :data:`RESOLVABLE_KINDS`."""
    target: str = "{0}"
    """A :meth:`str.format` template over the match giving the target id: ``{0}``, ``{1}``, ``{name}``."""

    def __post_init__(self) -> None:
        if not self.ref_kind:
            raise ValueError("ref_kind is empty")
        try:
            compiled = re.compile(self.regex)
        except re.error as err:
            raise ValueError(f"regex {self.regex!r} does not compile: {err}") from None
        for _, name, _, _ in string.Formatter().parse(self.target):
            if name is None:
                continue
            if name.isdigit():
                if int(name) > compiled.groups:
                    raise ValueError(
                        f"target {self.target!r} names group {name} but the regex has {compiled.groups}"
                    )
            elif name not in compiled.groupindex:
                raise ValueError(
                    f"target {self.target!r} names group {name!r} the regex lacks"
                    f" (named groups: {sorted(compiled.groupindex) or 'none'})"
                )


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """Settings of reference extraction; the defaults suit most corpora."""

    patterns: tuple[RefPattern, ...] = ()
    """Extra reference kinds, tried before the built-in ones (a span they claim is theirs)."""
    ticket_prefixes: tuple[str, ...] = ()
    """Project keys to accept as ticket prefixes although no stored ticket or Jira URL shows them."""
    ignore_ticket_prefixes: tuple[str, ...] = ()
    """Project keys never taken for ticket prefixes, even those of stored tickets (e.g. ``"SDK"``)."""
    min_ticket_numbers: int = _MIN_TICKET_NUMBERS
    """A prefix known by nothing else is accepted when the corpus cites it with this many numbers."""

    def __post_init__(self) -> None:
        for prefix in (*self.ticket_prefixes, *self.ignore_ticket_prefixes):
            if not re.fullmatch(r"[A-Z][A-Z0-9_]+", prefix):
                raise ValueError(f"ticket prefix {prefix!r} is not a Jira project key (like 'ALOY')")
        if self.min_ticket_numbers < 1:
            raise ValueError(f"min_ticket_numbers is {self.min_ticket_numbers}, expected 1 or more")


_LINK_KEYS = tuple(f.name for f in fields(LinkConfig))
_PATTERN_KEYS = tuple(f.name for f in fields(RefPattern))


def unknown_key(key: str, known: tuple[str, ...]) -> str:
    """A message for an unknown config key, suggesting the closest known one."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r}{hint} (known: {', '.join(known)})"


def string_list(value: object, what: str) -> tuple[str, ...]:
    """``value`` as a tuple of strings, or a ValueError naming ``what``."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings, got {value!r}")
    return tuple(value)


def _pattern(entry: object) -> RefPattern:
    if not isinstance(entry, dict):
        raise ValueError(f"expected a table, got {entry!r}")
    for key in entry:
        if key not in _PATTERN_KEYS:
            raise ValueError(unknown_key(key, _PATTERN_KEYS))
    for key in ("ref_kind", "regex"):
        if key not in entry:
            raise ValueError(f"missing key {key!r}")
    values: dict[str, str] = {}
    for key, value in entry.items():
        if not isinstance(value, str):
            raise ValueError(f"{key} must be a string, got {value!r}")
        values[key] = value
    return RefPattern(**values)


def load_link_config(path: str | Path) -> LinkConfig:
    """Read the ``[link]`` section of a TOML file; a file without one gives the defaults.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not TOML, or an entry is wrong; the message names the file and the entry.
    """
    path = Path(path)
    document = read_toml(path)
    section = document.get("link", {})
    if not isinstance(section, dict):
        raise ValueError(f"{path}: [link] must be a table")
    for key in section:
        if key not in _LINK_KEYS:
            raise ValueError(f"{path}: [link]: {unknown_key(key, _LINK_KEYS)}")
    entries = section.get("patterns", [])
    if not isinstance(entries, list):
        raise ValueError(f"{path}: [link] patterns must be an array of tables ([[link.patterns]])")
    patterns: list[RefPattern] = []
    for number, entry in enumerate(entries, start=1):
        try:
            patterns.append(_pattern(entry))
        except ValueError as err:
            name = entry.get("ref_kind") if isinstance(entry, dict) else None
            label = f" ({name!r})" if isinstance(name, str) else ""
            raise ValueError(f"{path}: [[link.patterns]] entry {number}{label}: {err}") from None
    try:
        minimum = section.get("min_ticket_numbers", _MIN_TICKET_NUMBERS)
        if not isinstance(minimum, int) or isinstance(minimum, bool):
            raise ValueError(f"min_ticket_numbers must be an integer, got {minimum!r}")
        return LinkConfig(
            patterns=tuple(patterns),
            ticket_prefixes=string_list(section.get("ticket_prefixes", []), "ticket_prefixes"),
            ignore_ticket_prefixes=string_list(
                section.get("ignore_ticket_prefixes", []), "ignore_ticket_prefixes"
            ),
            min_ticket_numbers=minimum,
        )
    except ValueError as err:
        raise ValueError(f"{path}: [link]: {err}") from None
