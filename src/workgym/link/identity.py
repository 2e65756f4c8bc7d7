"""Identity resolution: merge the ways sources name people into one person each, with evidence.

Identities are merged when the sources imply they are one human:

1. **same e-mail address** — an address in one identity's key or e-mails is in another's
   (a Slack profile's e-mail and the author of a commit; ``email:`` keys across sources);
2. **same full name** — the same name of two or more words, compared case- and accent-free
   (a Jira ``displayName`` and a commit author name);
3. **handle is an address's local part** — a handle (IRC nick, Jira username, Slack name) of four or
   more characters equals the local part of exactly one known address (``tdonohue`` and
   ``tdonohue@duraspace.org``).

An address is evidence only when it can be one person's: at a named domain (``jo@example.org``),
not at a machine (``root@localhost``, ``jo@jane-laptop``, ``build@box.local``), which every
installation shares; such an address still names its identity, it merges nothing. Bots are merged
only by exact e-mail. Every merge is recorded as a :class:`~workgym.store.Merge`
naming both identities and the rule, so a wrong merge can be found and explained.
Person ids (``P0001`` …) follow the order in which each person was first named.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from workgym.model import Identity, Person
from workgym.store import Merge

_MIN_HANDLE = 4
_MACHINE_SUFFIXES = (".local", ".localdomain", ".lan", ".home", ".internal", ".localhost")


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome: persons, the person of every identity, and the evidence of every merge."""

    persons: list[Person]
    person_of: dict[tuple[int, str], str]
    merges: list[Merge]


def normalise_name(name: str) -> str:
    """A name compared case- and accent-free with single spaces: ``"José  Núñez"`` -> ``"jose nunez"``."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace(".", " ").split())


def _addresses(identity: Identity) -> list[str]:
    found = [e.strip().lower() for e in identity.emails if "@" in e]
    if identity.key.startswith("email:"):
        found.insert(0, identity.key[6:].lower())
    return list(dict.fromkeys(found))


def is_personal_address(address: str) -> bool:
    """Whether ``address`` can be evidence of one person: its domain is named, not a machine's."""
    domain = address.rpartition("@")[2].strip(".").lower()
    return "." in domain and not domain.endswith(_MACHINE_SUFFIXES)


def _full_names(identity: Identity) -> list[str]:
    names = [normalise_name(n) for n in (identity.real_name, identity.display_name) if n]
    return list(dict.fromkeys(n for n in names if len(n.split()) >= 2))


def _handles(identity: Identity) -> list[str]:
    namespace, _, value = identity.key.partition(":")
    handles = [identity.handle.lower()] if identity.handle else []
    if namespace in ("irc", "jira") and value:
        handles.append(value.lower())
    return list(dict.fromkeys(h for h in handles if len(h) >= _MIN_HANDLE))


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        # The root is always the earlier identity, so person order follows first sighting.
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        return True


def resolve_identities(identities: Sequence[tuple[int, Identity]]) -> Resolution:
    """Merge identities (each with its source id) into persons."""
    uf = _UnionFind(len(identities))
    evidence: list[tuple[int, int, str]] = []

    def link(index: dict[str, int], value: str, i: int, reason: str) -> None:
        j = index.setdefault(value, i)
        if j != i and uf.union(j, i):
            evidence.append((j, i, reason))

    by_address: dict[str, int] = {}
    for i, (_, identity) in enumerate(identities):
        for address in _addresses(identity):
            if is_personal_address(address):
                link(by_address, address, i, f"same e-mail address {address}")

    by_name: dict[str, int] = {}
    for i, (_, identity) in enumerate(identities):
        if identity.is_bot:
            continue
        for name in _full_names(identity):
            link(by_name, name, i, f"same full name {name!r}")

    local_parts: dict[str, list[str]] = {}
    for address in by_address:
        local_parts.setdefault(address.split("@", 1)[0], []).append(address)
    for i, (_, identity) in enumerate(identities):
        if identity.is_bot:
            continue
        for handle in _handles(identity):
            addresses = local_parts.get(handle, [])
            if len(addresses) == 1 and not identities[by_address[addresses[0]]][1].is_bot:
                j = by_address[addresses[0]]
                if uf.union(j, i):
                    evidence.append((j, i, f"handle {handle!r} is the local part of {addresses[0]}"))

    roots = sorted({uf.find(i) for i in range(len(identities))})
    person_id = {root: f"P{n:04d}" for n, root in enumerate(roots, start=1)}
    members: dict[int, list[int]] = {root: [] for root in roots}
    for i in range(len(identities)):
        members[uf.find(i)].append(i)

    persons = [_person(person_id[root], [identities[i][1] for i in members[root]]) for root in roots]
    person_of = {(sid, identity.key): person_id[uf.find(i)] for i, (sid, identity) in enumerate(identities)}
    merges = [
        Merge(person_id[uf.find(a)], _label(identities[a]), _label(identities[b]), reason)
        for a, b, reason in evidence
    ]
    return Resolution(persons, person_of, merges)


def _label(item: tuple[int, Identity]) -> str:
    return f"{item[0]}:{item[1].key}"


def _person(pid: str, identities: list[Identity]) -> Person:
    def first(attr: str) -> str:
        return next((v for i in identities if (v := getattr(i, attr))), "")

    names = list(dict.fromkeys(n for i in identities for n in (i.real_name, i.display_name) if n))
    full = [n for n in names if len(n.split()) >= 2]
    handles = list(dict.fromkeys(h for i in identities for h in _all_handles(i)))
    emails = list(dict.fromkeys(a for i in identities for a in _addresses(i)))
    name = (full or names or handles or [e.split("@", 1)[0] for e in emails] or [pid])[0]
    return Person(
        id=pid,
        name=name,
        emails=tuple(emails),
        handles=tuple(handles),
        names=tuple(names),
        phones=tuple(dict.fromkeys(p for i in identities for p in i.phones)),
        title=first("title"),
        timezone=first("timezone"),
        is_bot=any(i.is_bot for i in identities),
        deleted=all(i.deleted for i in identities),
    )


def _all_handles(identity: Identity) -> list[str]:
    namespace, _, value = identity.key.partition(":")
    found = [identity.handle] if identity.handle else []
    if namespace in ("irc", "jira", "git") and value:
        found.append(value)
    return found
