"""Keyed, deterministic, coherent surrogates: what each original value becomes.

Every surrogate is a function of the secret key and the canonical entity (``HMAC(key, kind,
entity)`` seeds the draw), so every alias of one person maps to one surrogate, on every machine,
with no shared state. People are given their surrogate names once, in id order, from the names
free in the workspace (:class:`workgym.anonymize.pools.NameSpace`: common en_US names first, then
other locales', then composed ones, so the space never runs out): no two people share a full name,
an e-mail address or a handle, and no token of a surrogate name is any value the workspace knows.
Everything else is a pure function of (key, kind, value) and the directory.

Coherence: a person's e-mail addresses are built from their surrogate name at the surrogate
domain, in the style of the original (``first.last``, ``flast``, ``first``); handles keep their style
too; organisations and their domains map together (``acme-robotics.io`` -> ``<label>.io`` and
``Acme Robotics`` -> the same label in the same case); phone numbers, cards, IBANs and ids keep their
format (and card and IBAN checksums stay valid); host names keep their shape; dates move by one
whole-week offset, so weekdays and intervals are kept. A value with no letter or digit (``****``,
a redacted password) names no one and is its own surrogate.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Container
from datetime import datetime, timedelta

from faker import Faker

from workgym.anonymize.directory import Directory, is_public_domain, name_tokens, registrable
from workgym.anonymize.keys import Keyed
from workgym.anonymize.patterns import can_identify
from workgym.anonymize.pools import NameSpace, fold, user_name

_MAX_TRIES = 1000
_BARE_KEPT = frozenset({"localhost", "localdomain", "local", "generated"})
"""Domains without a dot that name no one."""
_FINDABLE_TRIES = 500
"""How many tries a reshaped value spends avoiding original values in its word runs (:func:`_findable`).

A long token whose separators cut it into short runs may have none free when every short value is
taken; after these tries only its long letter runs are checked, so no row fails for it.
"""
_DIGITS_EVERY = 50
"""A handle's numeric suffix gains a digit every this many tries, so handles never run out."""


def _case_like(model: str, value: str) -> str:
    """``value`` in the letter case of ``model`` (UPPER, lower, Title, or as generated)."""
    letters = [c for c in model if c.isalpha()]
    if not letters:
        return value
    if all(c.isupper() for c in letters) and len(letters) > 1:
        return value.upper()
    if all(c.islower() for c in letters):
        return value.lower()
    if letters[0].isupper():
        return value[:1].upper() + value[1:]
    return value


def shape(rng_digits: Callable[[int], int], text: str, *, keep: int = 0) -> str:
    """``text`` with each digit and letter replaced by a random one of the same class and case.

    Args:
        rng_digits: ``randrange``-like function.
        text: the original.
        keep: how many leading characters to keep as they are.
    """
    lower = "abcdefghijklmnopqrstuvwxyz"
    out = list(text[:keep])
    for char in text[keep:]:
        if char.isdigit() and char.isascii():
            out.append(str(rng_digits(10)))
        elif char.isascii() and char.isalpha():
            letter = lower[rng_digits(26)]
            out.append(letter.upper() if char.isupper() else letter)
        else:
            out.append(char)
    return "".join(out)


def _long_words(low: str) -> str:
    """The runs of four letters or more in a reshaped value, the ones that could read as a name.

    A reshaped token or key of hundreds of characters holds dozens of short letter runs; one of
    them is nearly always some original two- or three-letter value, so checking those would leave
    no free surrogate at all (a JWT in a ticket was withheld for it).
    """
    return " ".join(re.findall(r"[^\W\d_]{4,}", low))


_RUN = re.compile(r"[^\W_]+(?:_[^\W_]+)*|_+")
"""A maximal run of word characters (letters, digits, ``_``): what the matcher can find alone."""


def _findable(low: str) -> list[str]:
    """The parts of a reshaped value the directory's matcher could find: the value and each word run.

    The matcher finds a value only between word boundaries (:class:`workgym.anonymize.directory.Matcher`),
    so a run of letters inside a longer word (``kq`` of ``kq2``) is never found, but a whole run between
    separators is: ``ab`` of ``ab.compute-1.example.net``, ``95`` of ``10.95.3.1``. A surrogate host
    whose label equals a real two-letter handle would read as that handle in an IRC join line, where
    every handle is one; so such a run is avoided as any original value is.
    """
    return [low, *(run for run in _RUN.findall(low) if len(run) >= 2 and run != low)]


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


_NOT_IN_HANDLE = re.compile(r"[^a-z0-9._-]")


def _ascii_handle(text: str) -> str:
    """``text`` as a handle: ASCII, lower case, letters, digits and ``._-`` only."""
    return _NOT_IN_HANDLE.sub("", fold(text).lower())


class _EitherOf:
    """Membership in either of two sets, without copying them into one."""

    def __init__(self, one: Container[str], other: Container[str]) -> None:
        self._one, self._other = one, other

    def __contains__(self, value: object) -> bool:
        return value in self._one or value in self._other


class Surrogates:
    """The surrogate of every value of one workspace under one key.

    Args:
        keyed: the key's HMAC.
        directory: the workspace's people (surrogate names are fixed for them at construction).
        taken: lower-cased original values no surrogate may equal (every directory value and every
            learned value), so that a surrogate is never mistaken for a leak.
        ticket_prefixes: surrogates of ticket project prefixes.
    """

    def __init__(
        self,
        keyed: Keyed,
        directory: Directory,
        taken: frozenset[str],
        ticket_prefixes: dict[str, str] | None = None,
    ) -> None:
        self.keyed = keyed
        self.directory = directory
        self.taken = taken
        # Every word of every known name of several words ("guy" and "white" of "Guy White") is
        # avoided too, common words included: surrogates made of such words could spell a real
        # name ("Guy White Colpaert" holds one) though no word of them is a value alone.
        name_words = frozenset(t.lower() for key in taken if " " in key for t in name_tokens(key))
        self._avoid = _EitherOf(taken, name_words)
        self.ticket_prefixes = dict(ticket_prefixes or {})
        self.names = NameSpace(self._avoid)
        self._faker = Faker("en_US")
        rng = keyed.rng("date", "shift")
        self.shift_weeks = rng.randint(26, 520) * rng.choice((-1, 1))
        self.shift = timedelta(weeks=self.shift_weeks)
        self._cache: dict[tuple[str, str], str] = {}
        self.person_tokens: dict[str, dict[str, str]] = {}
        self.person_handles: dict[str, dict[str, str]] = {}
        self.person_emails: dict[str, dict[str, str]] = {}
        self.person_names: dict[str, tuple[str, str]] = {}
        self._used_handles: set[str] = set()
        self._person_locals: dict[tuple[str, str], str] = {}
        self._ascii_names: dict[str, tuple[str, ...]] = {}
        self._org_labels: dict[str, str] = {}
        self._org_surrogates: set[str] = set()
        self._assign_orgs()
        self._assign_people()

    # -- people ---------------------------------------------------------------------------------

    def _fake(self, kind: str, value: str, attempt: int) -> Faker:
        self._faker.seed_instance(self.keyed.seed(kind, f"{value}\0{attempt}"))
        return self._faker

    def _rng(self, kind: str, value: str, attempt: int) -> random.Random:
        return self.keyed.rng(kind, f"{value}\0{attempt}")

    def _fresh_token(self, kind: str, value: str, used: set[str]) -> str:
        """A free first name or surname for ``value``, none of ``used`` (lower case)."""
        rng = self.keyed.rng(kind, value)  # one keyed stream for all the tries of one value
        for attempt in range(_MAX_TRIES):
            token = (self.names.first_name if kind == "first_name" else self.names.surname)(rng, attempt)
            if token and token.lower() not in used:
                return token
        raise RuntimeError(f"no free surrogate {kind} after {_MAX_TRIES} tries")

    def _assign_people(self) -> None:
        for pid in sorted(self.directory.persons):
            info = self.directory.persons[pid]
            canonical = info.emails[0] if info.emails else f"{pid}:{info.name}"
            # One keyed stream for all the tries of one person: no two people get one name.
            first, last = self.names.give_name(self.keyed.rng("person_name", canonical), _MAX_TRIES)
            self.person_names[pid] = (first, last)
            tokens: dict[str, str] = {}
            for name in info.names:
                parts = name_tokens(name)
                for position, token in enumerate(parts):
                    low = token.lower()
                    if low in tokens:
                        continue
                    if position == 0:
                        tokens[low] = first if not any(v == first for v in tokens.values()) else ""
                    elif position == len(parts) - 1:
                        tokens[low] = last if not any(v == last for v in tokens.values()) else ""
                    if not tokens.get(low):
                        kind = "first_name" if position == 0 else "last_name"
                        used = {v.lower() for v in tokens.values()}
                        tokens[low] = self._fresh_token(kind, f"{canonical}\0{low}", used)
            self.person_tokens[pid] = tokens
            styles = self._handle_styles(pid)
            self.person_handles[pid] = {h.lower(): self._person_handle(pid, h, styles) for h in info.handles}
            self.person_emails[pid] = {e: self._person_email(pid, e, styles) for e in info.emails}

    def _handle_styles(self, pid: str) -> dict[str, str]:
        """How person ``pid`` writes handles from their names -> the same style of their surrogate."""
        first, last = self._ascii_names[pid] = tuple(_ascii_handle(t) for t in self.person_names[pid])
        styles: dict[str, str] = {}
        for name in self.directory.persons[pid].names:
            parts = [t.lower() for t in name_tokens(name)]
            if len(parts) >= 2:
                f, la = parts[0], parts[-1]
                styles |= {
                    f + la: first + last,
                    f + "." + la: first + "." + last,
                    f + "_" + la: first + "_" + last,
                    f[0] + la: first[0] + last,
                    f + la[0]: first + last[0],
                    f: first,
                    la: last,
                }
        return styles

    def _person_handle(self, pid: str, handle: str, styles: dict[str, str]) -> str:
        """A handle for person ``pid`` in the style of ``handle``, that no one else has."""
        low = handle.lower()
        core = low.rstrip("0123456789_-")
        suffix = low[len(core) :]
        rng: random.Random | None = None
        for attempt in range(_MAX_TRIES):
            if attempt == 0 and core in styles:
                candidate = styles[core] + suffix
            else:
                if rng is None:  # one keyed stream for all the tries
                    rng = self.keyed.rng("handle", f"{pid}\0{low}")
                    first, last = self._ascii_names[pid]
                    bases = (first + last[:1], first[:1] + last, first + last, last + first[:1])
                candidate = rng.choice(bases)[: max(3, len(core))] + (suffix or "")
                if attempt:  # a number, longer every _DIGITS_EVERY tries: handles never run out
                    digits = 2 + attempt // _DIGITS_EVERY
                    candidate += str(rng.randrange(10 ** (digits - 1), 10**digits))
            candidate = _ascii_handle(candidate)
            if candidate and candidate not in self._avoid and candidate not in self._used_handles:
                self._used_handles.add(candidate)
                return _case_like(handle, candidate) if handle[:1].isupper() else candidate
        raise RuntimeError(f"no free surrogate handle after {_MAX_TRIES} tries")

    def _person_email(self, pid: str, address: str, styles: dict[str, str]) -> str:
        local, _, domain = address.rpartition("@")
        handles = self.person_handles.get(pid, {})
        mapped_local = handles.get(local) or self._person_locals.get((pid, local))
        if mapped_local is None:  # the same local part at every domain maps to one
            mapped_local = self._person_locals[(pid, local)] = self._person_handle(pid, local, styles)
        return f"{mapped_local}@{self.mail_domain(domain)}"

    def mail_domain(self, domain: str) -> str:
        """The surrogate of an address's domain; one without a dot is a machine (or a handle) and reshaped.

        ``jdoe@jdoe``, ``root@jane-laptop``: a tool or a sender's machine writes such addresses, and
        the bare host is often the person's login or given name. ``localhost`` names no one.
        """
        low = domain.lower()
        if "." in low.strip(".") or low in _BARE_KEPT or not can_identify(low):
            return self.domain(domain)
        return self.formatted("hostname", low)

    # -- values ---------------------------------------------------------------------------------

    def _memo(self, kind: str, value: str, make: Callable[[], str]) -> str:
        key = (kind, value)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = make()
        return found

    def _unique(
        self,
        kind: str,
        value: str,
        make: Callable[[int], str],
        made: Callable[[str], str] = str,
        *,
        findable: bool = False,
        avoid: Container[str] = (),
    ) -> str:
        """The first of ``make(0)``, ``make(1)``... whose ``made`` part is no original value.

        With ``findable``, no part of it the matcher could find alone (:func:`_findable`: the whole
        value, each run of word characters between separators) may be an original value either,
        for the first :data:`_FINDABLE_TRIES` tries;
        nor may it be any of ``avoid`` (other values' surrogates).

        A value that cannot identify anyone (no letter, no digit) is its own surrogate: no shape
        of it could differ from it, and nothing is hidden by keeping it.
        """
        if not can_identify(value):
            return value
        for attempt in range(_MAX_TRIES):
            candidate = make(attempt)
            low = candidate.lower()
            if low == value.lower() or low in self._used_handles or self._is_taken(made(low)):
                continue
            if low in avoid:
                continue  # another value's surrogate already
            if findable and attempt < _FINDABLE_TRIES and any(part in self._avoid for part in _findable(low)):
                continue  # a whole word run of it is an original value: it would read as a leak
            return candidate
        raise RuntimeError(f"no free surrogate for a {kind} after {_MAX_TRIES} tries")

    def _is_taken(self, low: str) -> bool:
        """Whether ``low`` or any of its words is an original value."""
        avoid = self._avoid
        return low in avoid or any(word in avoid for word in re.findall(r"[^\W\d_]+", low))

    def org_label(self, label: str) -> str:
        """The surrogate of an organisation label (``acme-robotics`` -> ``kline-vance``)."""
        low = label.lower()

        def make(attempt: int) -> str:
            rng = self._rng("org", low, attempt)
            words = [self.names.surname(rng, attempt) or "" for _ in range(max(1, low.count("-") + 1))]
            return "-".join(re.sub(r"[^a-z]", "", fold(w).lower()) for w in words)

        known = self._org_labels.get(low)
        if known is not None:
            return known
        # A label no directory address has (a domain learned from text): any free label that is
        # not one of the directory's organisations' surrogates, which are fixed before any is asked.
        return self._memo("org", low, lambda: self._unique("org", low, make, avoid=self._org_surrogates))

    def _assign_orgs(self) -> None:
        """Give every organisation label of the directory's addresses its own surrogate label, in order.

        Two organisations must never share a surrogate (``kernel.org`` and ``infradead.org`` both
        becoming ``gallegos.org`` gave one person two equal surrogate addresses, and the identity
        table refused the second). Labels are taken in sorted order from one keyed stream each,
        each avoiding those given before, so the mapping is the same whatever order rows come in.
        """
        labels = sorted(
            {
                registrable(address.rpartition("@")[2]).partition(".")[0]
                for info in self.directory.persons.values()
                for address in info.emails
                if "." in address.rpartition("@")[2] and not is_public_domain(address.rpartition("@")[2])
            }
            | {registrable(domain).partition(".")[0] for domain in self.directory.domains}
        )
        self._org_labels.clear()
        for label in labels:
            if label:
                self._org_labels[label] = self.org_label(label)
                self._org_surrogates.add(self._org_labels[label])

    def domain(self, domain: str) -> str:
        """The surrogate of a domain; public domains (``gmail.com``) are kept."""
        low = domain.lower()
        if not low or is_public_domain(low) or "." not in low:
            return domain
        return self._memo("domain", low, lambda: self._domain(low))

    def _domain(self, low: str) -> str:
        base = registrable(low)
        label, _, suffix = base.partition(".")
        sub = low[: -len(base)] if low != base else ""
        mapped_sub = ".".join(self._label(part) for part in sub.rstrip(".").split(".") if part)
        return (mapped_sub + "." if mapped_sub else "") + f"{self.org_label(label)}.{suffix}"

    def _label(self, label: str) -> str:
        common = {"www", "mail", "smtp", "lists", "wiki", "jira", "git", "docs", "api", "dev", "m"}
        if label in common:
            return label
        rng = self.keyed.rng("label", label)
        return shape(rng.randrange, label)

    def email(self, address: str, entity: str = "") -> str:
        """The surrogate of an e-mail address (obfuscated ``jo at example.com`` forms kept as such)."""
        obfuscated = re.fullmatch(r"(.+?)(\s+at\s+|\s*\(at\)\s*|\s*\[at\]\s*)(.+)", address, re.IGNORECASE)
        if obfuscated and "@" not in address:
            joined = self.email(f"{obfuscated[1]}@{obfuscated[3]}", entity)
            local, _, domain = joined.rpartition("@")
            return f"{local}{obfuscated[2]}{domain}"
        if "@" not in address:  # a tool's "address" with no domain is a handle
            return self.handle(address, entity)
        low = address.lower()
        if entity and low in self.person_emails.get(entity, {}):
            return _case_like(address, self.person_emails[entity][low])
        local, _, domain = low.rpartition("@")

        def make(attempt: int) -> str:
            return f"{self._user_name('email', low, attempt)}@{self.mail_domain(domain)}"

        # Only the local part is new here: the domain is already mapped (or public, and kept).
        return self._memo(
            "email", low, lambda: self._unique("email", low, make, lambda c: c.rpartition("@")[0])
        )

    def person(self, text: str, entity: str = "") -> str:
        """The surrogate of a name as written: each token mapped, case and separators kept."""
        tokens = self.person_tokens.get(entity, {})
        parts = name_tokens(text)
        out = []
        at = 0
        for position, token in enumerate(parts):
            found = text.index(token, at)
            out.append(text[at:found])
            low = token.lower()
            mapped = tokens.get(low)
            if mapped is None:
                mapped = self._name_token(low, position, len(parts))
            out.append(_case_like(token, mapped))
            at = found + len(token)
        out.append(text[at:])
        return "".join(out)

    def _name_token(self, low: str, position: int, count: int) -> str:
        kind = "last_name" if count > 1 and position == count - 1 else "first_name"
        return self._memo(kind, low, lambda: self._fresh_token(kind, low, set()))

    def handle(self, text: str, entity: str = "") -> str:
        """The surrogate of a handle (a person's own, in their style; else keyed)."""
        low = text.lower()
        mapped = self.person_handles.get(entity, {}).get(low)
        if mapped is not None:
            return mapped

        def make(attempt: int) -> str:
            return self._user_name("handle", low, attempt)[: max(3, len(text))]

        return self._memo("handle", low, lambda: self._unique("handle", low, make))

    def formatted(self, kind: str, text: str) -> str:
        """A format-preserving keyed surrogate (digits for digits, letters for letters)."""

        def make(attempt: int) -> str:
            rng = self.keyed.rng(kind, f"{text}\0{attempt}")
            if kind == "phone":
                keep = len(text) - len(text.lstrip("+( ")) + (2 if text.lstrip("( ").startswith("+") else 0)
                out = shape(rng.randrange, text, keep=keep)
                return out
            if kind == "credit_card":
                digits = [c for c in text if c.isdigit()]
                body = shape(rng.randrange, "".join(digits[:-1]), keep=1)
                new_digits = iter(body + _luhn_digit(body))
                return "".join(next(new_digits) if c.isdigit() else c for c in text)
            if kind == "iban":
                compact = re.sub(r"\s", "", text).upper()
                bban = shape(rng.randrange, compact[4:])
                check = 98 - int("".join(str(int(c, 36)) for c in bban + compact[:2] + "00")) % 97
                new = iter(f"{compact[:2]}{check:02d}{bban}")
                return "".join(next(new) if not c.isspace() else c for c in text)
            if kind == "ssn":
                area = rng.choice([a for a in range(1, 900) if a != 666])
                ssn_digits = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
                fresh = iter(ssn_digits)
                return "".join(next(fresh) if c.isdigit() else c for c in text)
            if kind == "ip" and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", text):
                first = 10 if text.startswith(("10.", "192.168.", "172.")) else rng.randint(11, 223)
                return ".".join(
                    str(o) for o in (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
                )
            return shape(rng.randrange, text)

        return self._memo(kind, text, lambda: self._unique(kind, text, make, _long_words, findable=True))

    def hostname(self, text: str) -> str:
        """A host name with its registrable domain mapped and its machine part reshaped.

        ``vpn2-086.vpn.net.ed.ac.uk`` keeps its shape: the machine label and every label with a
        digit are reshaped, the other labels of the subdomain kept, and ``ed.ac.uk`` mapped as any
        organisation's domain is (a host names where its owner works or lives).
        """
        low = text.lower()
        if "/" in low or "." not in low:  # an IRC cloak or a bare machine name
            return self.formatted("hostname", text)
        base = registrable(low)
        head = low[: -len(base)].rstrip(".").split(".") if low != base else []
        mapped = [
            self.formatted("hostname", label) if any(c.isdigit() for c in label) or i == 0 else label
            for i, label in enumerate(head)
        ]
        return ".".join([*mapped, self.domain(base)])

    def _user_name(self, kind: str, value: str, attempt: int) -> str:
        """A user name built from free names (``anna.berg``, ``aberg``, ``anna42``)."""
        rng = self._rng(kind, value, attempt)
        first = self.names.first_name(rng, attempt) or "user"
        last = self.names.surname(rng, attempt) or "name"
        return user_name(rng, first, last)

    def street_address(self, text: str) -> str:
        """A keyed street address in Faker's en_US style, named after a free name."""

        def make(attempt: int) -> str:
            fake = self._fake("street_address", text, attempt)
            rng = self._rng("street_address", text, attempt)
            named = self.names.first_name(rng, attempt) if rng.random() < 0.5 else None
            name = named or self.names.surname(rng, attempt) or "Main"
            street = f"{fake.building_number()} {name} {fake.street_suffix()}"
            return f"{street} {fake.secondary_address()}" if rng.random() < 0.5 else street

        return self._memo("street_address", text, lambda: self._unique("street_address", text, make))

    def ticket_prefix(self, prefix: str) -> str:
        """The surrogate of a ticket project prefix (itself unless mapping is configured)."""
        return self.ticket_prefixes.get(prefix, prefix)

    # -- time -----------------------------------------------------------------------------------

    def shift_iso(self, value: str) -> str:
        """An ISO 8601 date or time moved by the whole-week offset (format kept).

        The offset is whole days, so only the date moves: the time, its precision and its zone
        are kept as written (``2019-09-10 14:22`` -> ``2016-07-26 14:22``, no seconds added).
        """
        if not value:
            return value
        try:
            if len(value) == 10:
                return (datetime.fromisoformat(value) + self.shift).date().isoformat()
            moved = datetime.fromisoformat(value.replace("Z", "+00:00")) + self.shift
        except ValueError:
            return value
        if not (self.shift.seconds or self.shift.microseconds) and value[10:11] in ("T", " "):
            return (datetime.fromisoformat(value[:10]) + self.shift).date().isoformat() + value[10:]
        out = moved.isoformat()
        if value.endswith("Z"):
            out = out.replace("+00:00", "Z")
        if "T" not in value and " " in value:
            out = out.replace("T", " ")
        return out

    def shift_epoch(self, seconds: int) -> int:
        """Unix seconds moved by the offset."""
        return seconds + int(self.shift.total_seconds())
