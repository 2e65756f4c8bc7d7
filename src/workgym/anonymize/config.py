r"""What the anonymizer may be told.

Settings are read from the ``[anonymize]`` section of a TOML file::

    [anonymize]
    allow = ["Titanium", "Alloy"]      # public or product names that must stay as written
    threshold = 0.8                    # spans this confident are learned, replaced everywhere, audited
    names = true                       # run the free-text name detector on prose fields
    ner = false                        # also Presidio/spaCy NER on prose (pip install "workgym[presidio]")
    map_ticket_prefixes = false        # true: every project prefix gets a keyed surrogate

    [anonymize.ticket_prefixes]        # or name the surrogate of each prefix yourself
    ALOY = "ACME"

    [anonymize.dictionaries]           # extra values to replace, by kind (customers, codenames)
    org = ["Globex Corporation"]
    custom = ["Project Falcon"]

    [[anonymize.patterns]]             # extra patterns to replace
    kind = "custom"
    regex = 'CUST-\d{5}'

The same file may hold a ``[link]`` section (see :mod:`workgym.link.config`); references are
extracted again from the anonymized text with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from workgym.anonymize.spans import KINDS
from workgym.ingest.config import read_toml
from workgym.link.config import LinkConfig, load_link_config, string_list, unknown_key


@dataclass(frozen=True, slots=True)
class AnonConfig:
    """Settings of the anonymizer; the defaults suit most workspaces."""

    allow: tuple[str, ...] = ()
    """Values never replaced (compared case-insensitively with a whole span)."""
    threshold: float = 0.8
    """Detected spans at least this confident are learned (replaced everywhere) and audited."""
    names: bool = True
    """Run the free-text name detector on prose fields."""
    ner: bool = False
    """Also run Presidio's NER on prose fields (the ``presidio`` extra; much slower)."""
    map_ticket_prefixes: bool = False
    """Give every ticket project prefix a keyed surrogate (``ticket_prefixes`` take precedence)."""
    ticket_prefixes: dict[str, str] = field(default_factory=dict)
    """Surrogates of ticket project prefixes, e.g. ``{"ALOY": "ACME"}``."""
    dictionaries: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Extra values to replace, by span kind."""
    patterns: tuple[tuple[str, str], ...] = ()
    """Extra (kind, regex) patterns to replace."""
    link: LinkConfig = field(default_factory=LinkConfig)
    """How references are extracted again from the anonymized workspace."""

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold is {self.threshold}, expected a number in (0, 1]")
        for old, new in self.ticket_prefixes.items():
            for prefix in (old, new):
                if not re.fullmatch(r"[A-Z][A-Z0-9_]+", prefix):
                    raise ValueError(f"ticket prefix {prefix!r} is not a project key (like 'ALOY')")
        for kind in (*self.dictionaries, *(k for k, _ in self.patterns)):
            if kind not in KINDS:
                raise ValueError(f"unknown span kind {kind!r} (known: {', '.join(KINDS)})")
        for kind, regex in self.patterns:
            try:
                re.compile(regex)
            except re.error as err:
                raise ValueError(f"pattern {regex!r} ({kind}) does not compile: {err}") from None


_KEYS = tuple(f.name for f in fields(AnonConfig) if f.name != "link")


def _table(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a table, got {value!r}")
    return value


def load_anon_config(path: str | Path) -> AnonConfig:
    """Read the ``[anonymize]`` (and ``[link]``) sections of a TOML file.

    Raises:
        OSError: the file cannot be read.
        ValueError: the file is not TOML or an entry is wrong; the message names the file and entry.
    """
    path = Path(path)
    document = read_toml(path)
    try:
        section = _table(document.get("anonymize", {}), "[anonymize]")
        for key in section:
            if key not in _KEYS:
                raise ValueError(unknown_key(key, _KEYS))
        threshold = section.get("threshold", 0.8)
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ValueError(f"threshold must be a number, got {threshold!r}")
        flags = {}
        for key in ("names", "ner", "map_ticket_prefixes"):
            if key in section:
                if not isinstance(section[key], bool):
                    raise ValueError(f"{key} must be true or false, got {section[key]!r}")
                flags[key] = section[key]
        prefixes = _table(section.get("ticket_prefixes", {}), "ticket_prefixes")
        for old, new in prefixes.items():
            if not isinstance(new, str):
                raise ValueError(f"ticket_prefixes.{old} must be a string, got {new!r}")
        dictionaries = {
            kind: string_list(values, f"dictionaries.{kind}")
            for kind, values in _table(section.get("dictionaries", {}), "dictionaries").items()
        }
        patterns: list[tuple[str, str]] = []
        entries = section.get("patterns", [])
        if not isinstance(entries, list):
            raise ValueError("patterns must be an array of tables ([[anonymize.patterns]])")
        for number, entry in enumerate(entries, start=1):
            entry = _table(entry, f"patterns entry {number}")
            if set(entry) != {"kind", "regex"} or not all(isinstance(v, str) for v in entry.values()):
                raise ValueError(f"patterns entry {number} needs exactly the strings 'kind' and 'regex'")
            patterns.append((entry["kind"], entry["regex"]))
        return AnonConfig(
            allow=string_list(section.get("allow", []), "allow"),
            threshold=float(threshold),
            ticket_prefixes=dict(prefixes),
            dictionaries=dictionaries,
            patterns=tuple(patterns),
            link=load_link_config(path),
            **flags,
        )
    except ValueError as err:
        message = str(err)
        if message.startswith(str(path)):
            raise
        raise ValueError(f"{path}: [anonymize]: {message}") from None
